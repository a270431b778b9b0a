import { join } from 'node:path';
import { normaliseCertificateSerial } from '@certkiosk/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceView } from './api/service-contract.js';
import {
  clearServiceKiosk,
  type HeldCertifiedKey,
  lockHeldKeyPin,
  makeCourieredKey,
  renewalOrder,
  serviceClient,
  WANG_SHUFEN,
} from './testing/after-sales.js';
import { centralEventCount, centralStore, expectStoreHoldsNone } from './testing/central-rows.js';
import { type SimKiosk, startEnrolledSimKiosk } from './testing/sim-kiosk.js';

const PIN = '730164';
const DAY = 86_400_000;

let k: SimKiosk;
let s: ReturnType<typeof serviceClient>;
let centralOffsetMs = 0;
const simDir = () => join(k.dir, 'sim');
const trayDir = () => join(simDir(), 'key-tray');

beforeAll(async () => {
  k = await startEnrolledSimKiosk('renew', () => Date.now() + centralOffsetMs);
  s = serviceClient(k.daemon.url);
}, 60_000);

afterEach(async () => {
  centralOffsetMs = 0;
  await clearServiceKiosk(k, s);
});

afterAll(async () => k?.stop());

/** A key with 王淑芬's certificate issued `ageDays` ago (one year), its PIN set, and (by default) a paid renewal. */
async function dueKey(
  name: string,
  opts: { ageDays?: number; renewal?: 'paid' | 'unpaid' | 'none' } = {},
): Promise<HeldCertifiedKey & { renewalOrderId?: string }> {
  centralOffsetMs = -(opts.ageDays ?? 320) * DAY;
  const key = await makeCourieredKey(k.central, trayDir(), name, { ship: false, userPin: PIN });
  centralOffsetMs = 0;
  const renewal = opts.renewal ?? 'paid';
  if (renewal === 'none') return key;
  return {
    ...key,
    renewalOrderId: await renewalOrder(k.central, key.certificateSerial, { pay: renewal === 'paid' }),
  };
}

const centralDb = () => centralStore(k.central);

const certRow = (serial: string) =>
  centralDb().get<{
    serial: string;
    order_id: string;
    revoked_at: string | null;
    revocation_reason: string | null;
    voided_at: string | null;
  }>(
    'SELECT serial, order_id, revoked_at, revocation_reason, voided_at FROM certificates WHERE serial = ?',
    normaliseCertificateSerial(serial),
  );

const certsOfOrder = (orderId: string) =>
  centralDb().all<{ serial: string; revoked_at: string | null; voided_at: string | null }>(
    'SELECT serial, revoked_at, voided_at FROM certificates WHERE order_id = ?',
    orderId,
  );

async function eventsAbout(serial: string, type: string): Promise<number> {
  await k.daemon.agent.drain(15_000);
  return centralEventCount(k.central, type, serial);
}

/** The key as its PIN opens it: its leaf certificates (serials), key pairs, and a signature by each leaf's key. */
async function onKey(tokenSerial: string, pin = PIN) {
  return k.daemon.manager.usbKey().withSession({ serial: tokenSerial }, pin, async (session) => {
    const leaves = session.findCertificates().filter((c) => !c.cert.ca);
    const working: string[] = [];
    for (const leaf of leaves) {
      const data = Buffer.from(`does ${leaf.id} sign?`);
      try {
        const sig = await session.signer(Buffer.from(leaf.id, 'hex')).sign(data);
        const { verify } = await import('node:crypto');
        if (verify('sha256', data, leaf.cert.publicKey, sig))
          working.push(normaliseCertificateSerial(leaf.cert.serialNumber));
      } catch {
        // no key for this certificate
      }
    }
    const listed = session.listObjects();
    return {
      leaves: leaves.map((c) => normaliseCertificateSerial(c.cert.serialNumber)).sort(),
      working: working.sort(),
      privateKeys: listed.filter((o) => o.class === 'private-key').length,
    };
  });
}

/** Nothing typed or read in these tests reaches the kiosk's store. */
const storeKeepsNothingPersonal = () =>
  expectStoreHoldsNone(join(k.dir, 'store'), [PIN, WANG_SHUFEN.idNumber, WANG_SHUFEN.name]);

async function insert(name: string, until: (v: ServiceView | null) => boolean): Promise<ServiceView> {
  k.daemon.sim.insertHeldKey(name);
  return (await s.until(until, 20_000)) as ServiceView;
}

/** Start renew, insert the key, place the holder's card: the kiosk asks for the current PIN. */
async function upToPin(name: string): Promise<ServiceView> {
  await s.start('renew');
  const found = await insert(name, (v) => v?.need === 'id-card' || v?.status === 'failed');
  expect(found, JSON.stringify(found)).toMatchObject({ need: 'id-card', step: 'order-found' });
  await k.daemon.sim.placeCard('long-term-wang-shufen');
  return (await s.until((v) => v?.need === 'current-pin')) as ServiceView;
}

describe('renew a certificate on its key', () => {
  it('key → paid renewal → holder’s card → current PIN: new key pair beside the old, issued, written, verified; the old removed and revoked', async () => {
    const key = await dueKey('renew-good');
    await s.start('renew');
    const found = await insert('renew-good', (v) => v?.need === 'id-card');
    const before = await onKey(key.tokenSerial);
    expect(before.working).toEqual([normaliseCertificateSerial(key.certificateSerial)]);
    expect(found).toMatchObject({
      kind: 'renew',
      step: 'order-found',
      renewal: { rule: 'revoke-previous', certificateType: 'natural-person' },
      certificate: { status: 'good', renewal: 'offer' },
    });
    expect(found.renewal?.orderIdMasked).toMatch(/\*/);
    await k.daemon.sim.placeCard('long-term-wang-shufen');
    const asked = await s.until((v) => v?.need === 'current-pin');
    expect(asked).toMatchObject({
      step: 'identity-verified',
      identity: { state: 'matched', nameMasked: '王*芬' },
    });

    const r = await s.api.servicePin({ body: { pin: PIN } });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const done = (r.ok ? r.data : null) as ServiceView;
    expect(done).toMatchObject({ status: 'completed', need: 'result', renewal: { oldRemoved: true } });
    const fresh = done.renewal!.newCertificate!;
    expect(fresh.serialNumber).not.toBe(key.certificateSerial);
    expect(Date.parse(fresh.notAfter)).toBeGreaterThan(Date.now() + 360 * DAY);
    expect(done.renewal?.oldRevokedAt).toBeTruthy();

    // The key: only the new certificate, its key signs; the old key pair is gone; the PIN is unchanged.
    const after = await onKey(key.tokenSerial);
    expect(after.leaves).toEqual([normaliseCertificateSerial(fresh.serialNumber)]);
    expect(after.working).toEqual([normaliseCertificateSerial(fresh.serialNumber)]);
    expect(after.privateKeys).toBe(1);
    // Central: the old one revoked (superseded) and in the CRL; the renewal issued once.
    expect(await certRow(key.certificateSerial)).toMatchObject({ revocation_reason: 'superseded' });
    expect(await certsOfOrder(key.renewalOrderId!)).toHaveLength(1);
    expect((await k.central.order(key.renewalOrderId!)).status).toBe('issued');
    expect(await eventsAbout(fresh.serialNumber, 'certificate.renewed')).toBe(1);
    storeKeepsNothingPersonal();
  }, 90_000);

  it('a wrong current PIN is said (and spends a try); the right one then renews', async () => {
    const key = await dueKey('renew-wrongpin');
    await upToPin('renew-wrongpin');
    const wrong = await s.api.servicePin({ body: { pin: '111999' } });
    expect(wrong.ok && wrong.data).toMatchObject({
      need: 'current-pin',
      step: 'identity-verified',
      error: { code: 'CURRENT_PIN_WRONG' },
    });
    expect(await certsOfOrder(key.renewalOrderId!)).toHaveLength(0);
    const right = await s.api.servicePin({ body: { pin: PIN } });
    expect(right.ok && right.data).toMatchObject({ status: 'completed' });
  }, 90_000);

  it('a card that is not the certificate holder’s is refused and nothing is issued', async () => {
    const key = await dueKey('renew-wrongcard');
    await s.start('renew');
    await insert('renew-wrongcard', (v) => v?.need === 'id-card');
    await k.daemon.sim.placeCard('mongol-batu');
    const refused = await s.until((v) => v?.error?.code === 'ID_MISMATCH_PERSON');
    expect(refused).toMatchObject({ need: 'id-card', identity: { state: 'mismatched' } });
    expect(await certsOfOrder(key.renewalOrderId!)).toHaveLength(0);
    expect((await k.central.order(key.renewalOrderId!)).status).toBe('paid');
  }, 60_000);

  it('no renewal paid for the certificate: RENEWAL_ORDER_NOT_FOUND; an unpaid one: RENEWAL_NOT_PAID', async () => {
    await dueKey('renew-none', { renewal: 'none' });
    await s.start('renew');
    const none = await insert('renew-none', (v) => v?.status === 'failed');
    expect(none.error?.code).toBe('RENEWAL_ORDER_NOT_FOUND');
    await s.leave();
    k.daemon.sim.pullKeys();
    await dueKey('renew-unpaid', { renewal: 'unpaid' });
    await s.start('renew');
    const unpaid = await insert('renew-unpaid', (v) => v?.status === 'failed');
    expect(unpaid.error?.code).toBe('RENEWAL_NOT_PAID');
  }, 60_000);

  it('a locked PIN: CURRENT_PIN_LOCKED before anything (unlock first)', async () => {
    const key = await dueKey('renew-locked');
    lockHeldKeyPin(simDir(), 'renew-locked');
    await s.start('renew');
    const v = await insert('renew-locked', (x) => x?.status === 'failed');
    expect(v.error?.code).toBe('CURRENT_PIN_LOCKED');
    expect(await certsOfOrder(key.renewalOrderId!)).toHaveLength(0);
  }, 60_000);

  it('central down when the renewal is asked for: CENTRAL_UNAVAILABLE, retry finds it', async () => {
    await dueKey('renew-down');
    k.proxy?.set([{ path: '/v1/renewals', mode: 'down' }]);
    await s.start('renew');
    const down = await insert('renew-down', (v) => !!v?.error);
    expect(down.error?.code).toBe('CENTRAL_UNAVAILABLE');
    k.proxy?.set([]);
    await s.api.serviceRetry({ body: {} });
    await s.until((v) => v?.need === 'id-card');
  }, 60_000);

  it('the issuance answer lost: the old certificate stays working, retry settles it by the idempotency key, one certificate', async () => {
    const key = await dueKey('renew-lost');
    await upToPin('renew-lost');
    k.proxy?.set([
      { path: '/v1/certificates', method: 'POST', mode: 'reset-after-commit', times: 1 },
      { path: '/v1/certificates/by-idempotency-key', mode: 'down' },
    ]);
    const lost = await s.api.servicePin({ body: { pin: PIN } });
    expect(lost.ok && lost.data).toMatchObject({ status: 'active', step: 'key-generated' });
    expect((await onKey(key.tokenSerial)).working).toEqual([
      normaliseCertificateSerial(key.certificateSerial),
    ]);
    k.proxy?.set([]);
    await s.api.serviceRetry({ body: {} });
    const again = await s.until((v) => v?.need === 'current-pin' && v.step === 'certificate-issued');
    expect(again?.renewal?.newCertificate).toBeTruthy();
    const done = await s.api.servicePin({ body: { pin: PIN } });
    expect(done.ok && done.data).toMatchObject({ status: 'completed' });
    expect(await certsOfOrder(key.renewalOrderId!)).toHaveLength(1);
    expect((await onKey(key.tokenSerial)).working).toHaveLength(1);
  }, 90_000);

  it('the key pulled after issuance: it must come back; the holder who leaves has the new certificate voided, the old one still works', async () => {
    const key = await dueKey('renew-pulled');
    await upToPin('renew-pulled');
    // Stop the renewal right after central issued (the certificate is not on the key yet): the key goes.
    k.proxy?.set([
      { path: '/v1/certificates', method: 'POST', mode: 'reset-after-commit', times: 1 },
      { path: '/v1/certificates/by-idempotency-key', mode: 'down' },
    ]);
    await s.api.servicePin({ body: { pin: PIN } });
    k.proxy?.set([]);
    await s.api.serviceRetry({ body: {} });
    await s.until((v) => v?.step === 'certificate-issued');
    k.daemon.sim.pullKeys();
    const waiting = await s.until((v) => v?.error?.code === 'TOKEN_REMOVED');
    expect(waiting).toMatchObject({ status: 'active', cancellable: false });
    expect(await certsOfOrder(key.renewalOrderId!)).toHaveLength(1);
    // The holder walks away: the session ends (idle), the renewal is settled with central.
    await k.daemon.services.wipe('idle');
    const [issued] = await certsOfOrder(key.renewalOrderId!);
    await new Promise((r) => setTimeout(r, 100));
    await k.daemon.services.autopilotStep();
    expect((await certRow(issued!.serial))?.voided_at).toBeTruthy();
    expect((await k.central.order(key.renewalOrderId!)).status).toBe('paid');
    expect((await certRow(key.certificateSerial))?.revoked_at).toBeNull();
    k.daemon.sim.insertHeldKey('renew-pulled');
    await new Promise((r) => setTimeout(r, 500));
    expect((await onKey(key.tokenSerial)).working).toEqual([
      normaliseCertificateSerial(key.certificateSerial),
    ]);
  }, 90_000);
});
