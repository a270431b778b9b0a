import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JourneyRecord } from '../journey/record.js';
import { openJourneyStore } from './journey-store.js';

function journey(
  id: string,
  step: JourneyRecord['step'] = 'scanned',
  status: JourneyRecord['status'] = 'active',
): JourneyRecord {
  const t = new Date().toISOString();
  return { id, kind: 'pickup', step, status, awaiting: 'none', startedAt: t, updatedAt: t, attempt: 1 };
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
    const a = await openJourneyStore(dir, 'salt');
    a.data.journeys['j1'] = journey('j1');
    a.data.activeJourneyId = 'j1';
    await a.write();
    a.data.journeys['j1'].step = 'order-verified';
    a.data.usedPickupNonces['n1'] = 'j1';
    a.data.issuanceCounter = 7;
    await a.write();
    await a.close();

    const b = await openJourneyStore(dir, 'other-salt');
    expect(b.data.journeys['j1']?.step).toBe('order-verified');
    expect(b.data).toMatchObject({
      activeJourneyId: 'j1',
      issuanceCounter: 7,
      usedPickupNonces: { n1: 'j1' },
      idSalt: 'salt',
    });
    await b.close();
  });

  it('appends only what changed: a write costs the same with many journeys stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jstore-'));
    const s = await openJourneyStore(dir, 'salt', { compactEvery: 10_000 });
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
    const s = await openJourneyStore(dir, 'salt', { compactEvery: 20, keepFinished: 5 });
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
    const r = await openJourneyStore(dir, 'salt');
    expect(r.data.journeys['open']?.status).toBe('in-doubt');
    expect(r.data.journeys['done29']).toBeDefined();
    expect(Object.keys(r.data.journeys).length).toBeLessThan(20);
    await r.close();
  });
});
