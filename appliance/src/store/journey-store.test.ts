import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JourneyRecord } from '../journey/record.js';
import { type JourneyKeyring, openJourneyKeyring } from './journey-keys.js';
import { openJourneyStore } from './journey-store.js';

/** The key-encryption key the appliance token would derive (tests: a fixed one). */
const KEK = Buffer.alloc(32, 0x5a);
const keyringIn = (dir: string, kek = KEK): Promise<JourneyKeyring> => openJourneyKeyring(dir, kek);

/** Every byte under `dir`, as text (to search for what must not be there). */
function everything(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map(
      (e) =>
        readFileSync(join(e.parentPath, e.name), 'latin1') + readFileSync(join(e.parentPath, e.name), 'utf8'),
    )
    .join('\n');
}

function journey(
  id: string,
  step: JourneyRecord['step'] = 'scanned',
  status: JourneyRecord['status'] = 'active',
): JourneyRecord {
  const t = new Date().toISOString();
  // Store tests need records of any step and status; their phase fields do not matter here.
  return {
    id,
    kind: 'pickup',
    step,
    status,
    awaiting: 'none',
    startedAt: t,
    updatedAt: t,
    attempt: 1,
  } as JourneyRecord;
}

function journalText(dir: string): string {
  const d = join(dir, 'journal');
  return readdirSync(d)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => readFileSync(join(d, f), 'utf8'))
    .join('');
}

describe('journey store (snapshot + journal)', () => {
  it('gets back after a reopen exactly what was written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jstore-'));
    const a = await openJourneyStore(dir, { keyring: await keyringIn(dir) });
    a.data.journeys['j1'] = journey('j1');
    a.data.activeJourneyId = 'j1';
    await a.write();
    a.data.journeys['j1'].step = 'order-verified';
    a.useNonce('n1', { journeyId: 'j1', expiresAt: '2099-01-01T00:00:00.000Z' });
    a.data.issuanceCounter = 7;
    await a.write();
    await a.close();

    const b = await openJourneyStore(dir, { keyring: await keyringIn(dir) });
    expect(b.data.journeys['j1']?.step).toBe('order-verified');
    expect(b.data).toMatchObject({
      activeJourneyId: 'j1',
      issuanceCounter: 7,
      usedPickupNonces: { n1: { journeyId: 'j1', expiresAt: '2099-01-01T00:00:00.000Z' } },
    });
    await b.close();
  });

  it('appends only what changed: a write costs the same with many journeys stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jstore-'));
    const s = await openJourneyStore(dir, { keyring: await keyringIn(dir), compactEvery: 10_000 });
    for (let i = 0; i < 200; i++) {
      s.data.journeys[`j${i}`] = journey(`j${i}`, 'completed', 'completed');
      await s.write();
    }
    const before = journalText(dir).length;
    s.data.journeys['j199']!.note = 'x';
    await s.write();
    const added = journalText(dir).length - before;
    expect(added).toBeLessThan(600); // one journey, not 200
    await s.write(); // nothing changed: nothing appended
    expect(journalText(dir).length - before).toBe(added);
    await s.close();
  });

  it('folds the journal into a snapshot and drops old finished journeys, keeping unfinished ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jstore-'));
    const s = await openJourneyStore(dir, {
      keyring: await keyringIn(dir),
      compactEvery: 20,
      keepFinished: 5,
    });
    s.data.journeys['open'] = journey('open', 'certificate-issued', 'in-doubt');
    await s.write();
    for (let i = 0; i < 30; i++) {
      s.data.journeys[`done${i}`] = {
        ...journey(`done${i}`, 'completed', 'completed'),
        updatedAt: new Date(2026, 0, 1, 0, i).toISOString(),
      };
      await s.write();
    }
    await s.close();
    const r = await openJourneyStore(dir, { keyring: await keyringIn(dir) });
    expect(r.data.journeys['open']?.status).toBe('in-doubt');
    expect(r.data.journeys['done29']).toBeDefined();
    expect(Object.keys(r.data.journeys).length).toBeLessThan(20);
    await r.close();
  });

  it('used pickup nonces: a write costs the same after 100,000 pickups as after 100; expired ones are pruned', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jstore-'));
    let now = new Date('2026-11-01T00:00:00Z');
    const s = await openJourneyStore(dir, {
      keyring: await keyringIn(dir),
      compactEvery: 1_000_000,
      now: () => now,
    });
    const name = (i: number) => `n${String(i).padStart(6, '0')}`;
    const used = (i: number, expiresAt: string) =>
      s.useNonce(name(i), { journeyId: `j${name(i)}`, expiresAt });
    /** Bytes one pickup's write appends: its nonce and a counter. */
    const pickupWrite = async (i: number) => {
      const before = journalText(dir).length;
      used(i, '2026-11-08T00:00:00.000Z');
      s.data.issuanceCounter = i;
      await s.write();
      return journalText(dir).length - before;
    };
    for (let i = 0; i < 100; i++) used(i, '2026-11-02T00:00:00.000Z');
    await s.write();
    const after100 = await pickupWrite(100_100);
    for (let i = 100; i < 100_000; i++) used(i, '2026-11-02T00:00:00.000Z');
    await s.write();
    const after100k = await pickupWrite(100_101);
    expect(after100k).toBe(after100);
    // A week later every code of the first 100,000 has expired: compaction forgets their nonces.
    now = new Date('2026-11-03T00:00:00Z');
    await s.compact();
    expect(Object.keys(s.data.usedPickupNonces).sort()).toEqual([name(100_100), name(100_101)]);
    await s.close();
    const r = await openJourneyStore(dir, { keyring: await keyringIn(dir) });
    expect(Object.keys(r.data.usedPickupNonces)).toHaveLength(2);
    // A released nonce (its issuance was voided) stays released after a reopen.
    r.releaseNonce(name(100_100));
    await r.write();
    await r.close();
    const r2 = await openJourneyStore(dir, { keyring: await keyringIn(dir) });
    expect(Object.keys(r2.data.usedPickupNonces)).toEqual([name(100_101)]);
    await r2.close();
  });

  it('a failed write puts the data back to what is durable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jstore-'));
    const s = await openJourneyStore(dir, { keyring: await keyringIn(dir) });
    s.data.journeys['j1'] = journey('j1');
    await s.write();
    await s.close(); // the journal now refuses appends
    const j1 = s.data.journeys['j1'];
    if (j1) j1.step = 'key-generated';
    s.data.journeys['j2'] = journey('j2');
    s.useNonce('nx', { journeyId: 'j1', expiresAt: '2099-01-01T00:00:00.000Z' });
    s.data.issuanceCounter = 9;
    await expect(s.write()).rejects.toMatchObject({ code: 'LOG_CLOSED' });
    expect(s.data.journeys['j1']?.step).toBe('scanned');
    expect(s.data.journeys['j2']).toBeUndefined();
    expect(s.data.usedPickupNonces['nx']).toBeUndefined();
    expect(s.data.issuanceCounter).toBe(0);
  });

  it('writes an open journey only sealed; once it is closed and purged its key is destroyed (crypto-shredding)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jstore-'));
    const s = await openJourneyStore(dir, { keyring: await keyringIn(dir), compactEvery: 3 });
    const open = journey('j1', 'order-verified') as JourneyRecord & { order: object };
    open.order = {
      orderId: 'O-1',
      certificateType: 'natural-person',
      businessType: 'new',
      serviceYears: 1,
      holderVerifiedOnline: true,
      identitySalt: 'c0ffee'.repeat(8),
      // Test data: a full name where only a mask belongs, to see that it never reaches the disk in clear.
      holder: { nameMasked: '欧阳娜娜', idNumberMasked: '', idHmac: 'c0ffee'.repeat(8), nameHmac: '' },
    };
    s.data.journeys['j1'] = open;
    await s.write();
    for (let i = 0; i < 4; i++) {
      s.data.issuanceCounter++;
      await s.write(); // past compactEvery: the snapshot holds it too
    }
    expect(everything(dir)).not.toContain('欧阳娜娜');
    expect(everything(dir)).not.toContain('c0ffee');
    await s.close();

    // Reopened with the token's key, it is all there; with another token's key the store refuses to start.
    await expect(keyringIn(dir, Buffer.alloc(32, 1))).rejects.toThrow(
      /do not open with this kiosk's appliance token/,
    );
    const r = await openJourneyStore(dir, { keyring: await keyringIn(dir) });
    expect(r.data.journeys['j1']).toMatchObject({ order: { holder: { nameMasked: '欧阳娜娜' } } });

    // Closed and purged: written in clear without the person, and the key is gone.
    const j1 = r.data.journeys['j1'] as JourneyRecord & { order: { identitySalt: string; holder: object } };
    j1.status = 'completed';
    j1.order.identitySalt = '';
    j1.order.holder = { nameMasked: '欧*娜', idNumberMasked: '', idHmac: '', nameHmac: '' };
    await r.write();
    await r.close();
    expect(JSON.parse(readFileSync(join(dir, 'journey-keys.json'), 'utf8')).keys).toEqual({});
    const sealedCopies = everything(dir).match(/"sealed"/g) ?? [];
    expect(sealedCopies.length).toBeGreaterThan(0); // still in old segments, unreadable now
    const again = await openJourneyStore(dir, { keyring: await keyringIn(dir) });
    expect(again.data.journeys['j1']).toMatchObject({
      status: 'completed',
      order: { holder: { nameMasked: '欧*娜' } },
    });
    await again.close();
  });
});
