// The after-sales services end to end through the kiosk API (issue 13): activate a couriered key, my
// certificates, unlock a locked PIN, look up orders — the real driver on SoftHSM2 (through the usbkey-sim
// module, whose PINs lock after 6 wrong tries), the real central on loopback behind a fault proxy, the ID
// reader and scanner emulators over PTYs. Keys a holder brings are made as the CA's key workshop would
// (testing/after-sales.ts) and certified by central. What is checked: the view, central's rows, the key
// itself (its PIN, through a real C_Login), the events, and that the store on disk keeps nothing personal.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { maskOrderId } from '@certkiosk/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceView } from './api/service-contract.js';
import {
  BATU,
  clearServiceKiosk,
  courierOrder,
  type HeldCertifiedKey,
  lockHeldKeyPin,
  makeCourieredKey,
  makeForeignKey,
  serviceClient,
  WANG_SHUFEN,
} from './testing/after-sales.js';
import { centralEventCount, centralStore, expectStoreHoldsNone } from './testing/central-rows.js';
import { ZHANG_WEI } from './testing/kiosk-harness.js';
import { type SimKiosk, startSimKiosk } from './testing/sim-kiosk.js';

const NEW_PIN = '620471';
const DAY = 86_400_000;

let k: SimKiosk;
let s: ReturnType<typeof serviceClient>;
/** Central's clock runs this far from the kiosk's (to make codes and certificates that are old by now). */
let centralOffsetMs = 0;
const simDir = () => join(k.dir, 'sim');
const trayDir = () => join(simDir(), 'key-tray');
/** Everything typed or read during the tests that must never reach the kiosk's disk. */
const SECRETS = new Set<string>([
  NEW_PIN,
  ZHANG_WEI.idNumber,
  ZHANG_WEI.name,
  WANG_SHUFEN.idNumber,
  WANG_SHUFEN.name,
  BATU.idNumber,
  BATU.name,
]);

beforeAll(async () => {
  k = await startSimKiosk('after-sales', {
    faultProxy: true,
    centralNow: () => Date.now() + centralOffsetMs,
    log: (l) => process.env['CK_DEBUG'] && console.log(l),
  });
  s = serviceClient(k.daemon.url);
}, 60_000);

afterEach(async () => {
  centralOffsetMs = 0;
  await clearServiceKiosk(k, s);
});

afterAll(async () => k?.stop());

const code = <T extends { ok: boolean }>(r: T) =>
  (r as unknown as { ok: false; error: { code: string } }).error?.code ?? null;

/** Insert a held key and wait until the service has read it and asked central (or refused it). */
async function insert(name: string, until: (v: ServiceView | null) => boolean): Promise<ServiceView> {
  k.daemon.sim.insertHeldKey(name);
  return (await s.until(until, 20_000)) as ServiceView;
}

const centralDb = () => centralStore(k.central);

/** Events the kiosk delivered to central about a certificate (service events carry no order id). */
async function eventsAbout(serial: string, type: string): Promise<number> {
  await k.daemon.agent.drain(15_000);
  return centralEventCount(k.central, type, serial);
}

function unlocksOf(tokenSerial: string): Promise<Array<{ unlock_id: string; outcome: string }>> {
  return centralDb().all<{ unlock_id: string; outcome: string }>(
    'SELECT unlock_id, outcome FROM unlocks WHERE token_serial = ? ORDER BY at',
    tokenSerial,
  );
}

/** The key's user PIN opens it through the real module (C_Login), and the key is no longer locked. */
async function pinOpens(serial: string, pin: string): Promise<{ locked: boolean }> {
  return k.daemon.manager
    .usbKey()
    .withSession({ serial }, pin, (session) => ({ locked: session.token.flags.userPinLocked }));
}

/** Every file under the kiosk's store (journey store, journal, keys, audit, outbox) holds none of SECRETS. */
function storeKeepsNothingPersonal(extra: string[] = []): void {
  expectStoreHoldsNone(join(k.dir, 'store'), [...SECRETS, ...extra]);
}

// ---------- activate ----------

describe('activate a couriered key', () => {
  it('key → masked order → code → PIN: activated at central, the PIN set on the key, one event, nothing kept', async () => {
    const key = await makeCourieredKey(k.central, trayDir(), 'courier-good');
    SECRETS.add(key.code!);
    expect((await s.start('activate')).need).toBe('token');
    const found = await insert('courier-good', (v) => v?.need === 'activation-code');
    expect(found).toMatchObject({
      step: 'order-found',
      cancellable: true,
      activation: { orderIdMasked: maskOrderId(key.orderId), holderNameMasked: '王*芬', triesLeft: 5 },
      certificate: { subjectMasked: '王*芬', serialNumber: key.certificateSerial, renewal: 'none' },
      token: { pinLocked: false },
    });
    expect(found.token?.serialMasked.endsWith(key.tokenSerial.slice(-4))).toBe(true);
    expect(JSON.stringify(found)).not.toContain(key.orderId);

    const accepted = await s.api.serviceCode({ body: { code: key.code! } });
    expect(accepted.ok && accepted.data).toMatchObject({
      step: 'code-accepted',
      need: 'pin',
      cancellable: false,
    });
    // Once the code is used the holder cannot walk away without a PIN.
    expect(code(await s.api.endService())).toBe('CANCEL_NOT_ALLOWED');
    const done = await s.api.servicePin({ body: { pin: NEW_PIN } });
    expect(done.ok && done.data).toMatchObject({ status: 'completed', need: 'result', keyInWriter: true });

    expect((await k.central.order(key.orderId)).status).toBe('activated');
    expect(await pinOpens(key.tokenSerial, NEW_PIN)).toEqual({ locked: false });
    expect(await eventsAbout(key.certificateSerial, 'certificate.activated')).toBe(1);
    // The take-your-key rule: a new service waits until the key is out.
    await s.leave();
    expect(code(await s.api.startService({ body: { kind: 'lookup' } }))).toBe('TAKE_KEY_FIRST');
    k.daemon.sim.pullKeys();
    storeKeepsNothingPersonal([key.code!]);

    // The same key again: already activated, said so.
    await s.start('activate');
    const again = await insert('courier-good', (v) => v?.status === 'failed');
    expect(again.error?.code).toBe('ACTIVATION_ALREADY_DONE');
  }, 60_000);

  it('a wrong code tells the tries left; the fifth wrong one locks the code', async () => {
    const key = await makeCourieredKey(k.central, trayDir(), 'courier-wrong');
    await s.start('activate');
    await insert('courier-wrong', (v) => v?.need === 'activation-code');
    const wrong = (key.code === '111111' ? '222222' : '111111') as string;
    const first = await s.api.serviceCode({ body: { code: wrong } });
    expect(first.ok && first.data).toMatchObject({
      step: 'order-found',
      need: 'activation-code',
      activation: { triesLeft: 4 },
      error: { code: 'ACTIVATION_CODE_WRONG', params: { triesLeft: 4 }, retryable: true },
    });
    for (let i = 0; i < 3; i++) await s.api.serviceCode({ body: { code: wrong } });
    const last = await s.api.serviceCode({ body: { code: wrong } });
    expect(last.ok && last.data).toMatchObject({ status: 'failed', error: { code: 'ACTIVATION_LOCKED' } });
    // Locked at central too: the right code no longer works anywhere.
    await s.leave();
    k.daemon.sim.pullKeys();
    await s.start('activate');
    const locked = await insert('courier-wrong', (v) => v?.status === 'failed');
    expect(locked.error?.code).toBe('ACTIVATION_LOCKED');
    expect((await k.central.order(key.orderId)).status).toBe('shipped');
  }, 60_000);

  it('a code older than 30 days (central’s clock) is expired', async () => {
    centralOffsetMs = -31 * DAY;
    await makeCourieredKey(k.central, trayDir(), 'courier-old');
    centralOffsetMs = 0;
    await s.start('activate');
    const v = await insert('courier-old', (x) => x?.status === 'failed');
    expect(v.error?.code).toBe('ACTIVATION_CODE_EXPIRED');
  }, 60_000);

  it('a key of ours whose order was never shipped: ACTIVATION_NOT_AVAILABLE', async () => {
    await makeCourieredKey(k.central, trayDir(), 'courier-unshipped', { ship: false });
    await s.start('activate');
    const v = await insert('courier-unshipped', (x) => x?.status === 'failed');
    expect(v.error?.code).toBe('ACTIVATION_NOT_AVAILABLE');
  }, 60_000);

  it('a key of another CA (self-signed) and a key central does not know: KEY_NOT_OURS, another key is awaited', async () => {
    await makeForeignKey(trayDir(), 'foreign');
    await makeCourieredKey(k.central, trayDir(), 'courier-elsewhere', { boundTo: 'SOME-OTHER-KEY' });
    await s.start('activate');
    const foreign = await insert('foreign', (x) => x?.error?.code === 'KEY_NOT_OURS');
    expect(foreign).toMatchObject({ status: 'active', step: 'started', need: 'token' });
    k.daemon.sim.pullKeys();
    const elsewhere = await insert('courier-elsewhere', (x) => x?.error?.code === 'KEY_NOT_OURS' && !!x.id);
    expect(elsewhere).toMatchObject({ status: 'active', need: 'token' });
    expect(elsewhere.certificate).toBeUndefined();
  }, 60_000);

  it('the key pulled while the code is asked: TOKEN_REMOVED, back to the key; put back, the code is asked again', async () => {
    const key = await makeCourieredKey(k.central, trayDir(), 'courier-pulled');
    await s.start('activate');
    await insert('courier-pulled', (v) => v?.need === 'activation-code');
    k.daemon.sim.pullKeys();
    const pulled = await s.until((v) => v?.error?.code === 'TOKEN_REMOVED');
    expect(pulled).toMatchObject({ need: 'token', step: 'started' });
    await insert('courier-pulled', (v) => v?.need === 'activation-code');
    const r = await s.api.serviceCode({ body: { code: key.code! } });
    expect(r.ok && r.data.need).toBe('pin');
    expect((await s.api.servicePin({ body: { pin: NEW_PIN } })).ok).toBe(true);
    expect((await k.central.order(key.orderId)).status).toBe('activated');
  }, 60_000);

  it('central down: CENTRAL_UNAVAILABLE with retry; an answer lost after central activated is settled without a second try', async () => {
    const key = await makeCourieredKey(k.central, trayDir(), 'courier-down');
    k.proxy!.set([{ path: '/v1/activations', mode: 'down' }]);
    await s.start('activate');
    const down = await insert('courier-down', (v) => v?.error?.code === 'CENTRAL_UNAVAILABLE');
    expect(down.error).toMatchObject({ retryable: true });
    k.proxy!.set([{ method: 'POST', path: '/v1/activations', mode: '5xx-after-commit', times: 1 }]);
    const retried = await s.api.serviceRetry();
    expect(retried.ok && retried.data.need).toBe('activation-code');
    const lost = await s.api.serviceCode({ body: { code: key.code! } });
    expect(lost.ok && lost.data).toMatchObject({ need: 'wait', error: { code: 'CENTRAL_UNAVAILABLE' } });
    // Central activated it; the retry asks and goes on to the PIN (the same code answered the same).
    const settled = await s.api.serviceRetry();
    expect(settled.ok && settled.data).toMatchObject({ step: 'code-accepted', need: 'pin' });
    expect((await s.api.servicePin({ body: { pin: NEW_PIN } })).ok).toBe(true);
    expect((await k.central.order(key.orderId)).status).toBe('activated');
    const attempts = await centralDb().get<{ wrong_attempts: number }>(
      'SELECT wrong_attempts FROM activation_codes WHERE order_id = ?',
      key.orderId,
    );
    expect(attempts?.wrong_attempts).toBe(0);
  }, 60_000);
});

// ---------- my certificates ----------

describe('my certificates', () => {
  it('a good certificate: subject masked, serial, issuer, validity, days left, no renewal yet', async () => {
    const key = await makeCourieredKey(k.central, trayDir(), 'cert-good');
    await s.start('certificates');
    const v = await insert('cert-good', (x) => x?.status === 'completed');
    expect(v).toMatchObject({
      need: 'result',
      keyInWriter: true,
      certificate: {
        subjectMasked: '王*芬',
        serialNumber: key.certificateSerial,
        issuer: 'CertKiosk Reference Issuing CA',
        status: 'good',
        renewal: 'none',
      },
    });
    expect(v.certificate!.daysLeft).toBeGreaterThanOrEqual(363);
    expect(Date.parse(v.certificate!.notAfter)).toBeGreaterThan(Date.parse(v.certificate!.notBefore));
    storeKeepsNothingPersonal();
  }, 60_000);

  it('near expiry: renewal offered within 90 days, urgent within 30', async () => {
    centralOffsetMs = -(365 - 60) * DAY;
    await makeCourieredKey(k.central, trayDir(), 'cert-offer');
    centralOffsetMs = -(365 - 20) * DAY;
    await makeCourieredKey(k.central, trayDir(), 'cert-urgent');
    centralOffsetMs = 0;
    await s.start('certificates');
    const offer = await insert('cert-offer', (x) => x?.status === 'completed');
    expect(offer.certificate).toMatchObject({ status: 'good', renewal: 'offer' });
    expect(offer.certificate!.daysLeft).toBeGreaterThan(30);
    expect(offer.certificate!.daysLeft).toBeLessThanOrEqual(90);
    await s.leave();
    k.daemon.sim.pullKeys();
    await s.start('certificates');
    const urgent = await insert('cert-urgent', (x) => x?.status === 'completed');
    expect(urgent.certificate).toMatchObject({ status: 'good', renewal: 'urgent' });
    expect(urgent.certificate!.daysLeft).toBeLessThanOrEqual(30);
  }, 60_000);

  it('revoked per central’s CRL: status revoked, no renewal', async () => {
    const key = await makeCourieredKey(k.central, trayDir(), 'cert-revoked');
    await k.central.admin('POST', `/admin/v1/certificates/${key.certificateSerial}/revoke`, {
      reason: 'keyCompromise',
    });
    await s.start('certificates');
    const v = await insert('cert-revoked', (x) => x?.status === 'completed');
    expect(v.certificate).toMatchObject({ status: 'revoked', renewal: 'revoked' });
    expect(v.certificate!.revokedAt).toBeTruthy();
  }, 60_000);

  it('central down: the key’s own facts with status unknown and CENTRAL_UNAVAILABLE; retry asks again', async () => {
    const key = await makeCourieredKey(k.central, trayDir(), 'cert-down');
    k.proxy!.set([{ path: '/v1/certificates/', mode: 'down' }]);
    await s.start('certificates');
    const v = await insert('cert-down', (x) => x?.error?.code === 'CENTRAL_UNAVAILABLE');
    expect(v).toMatchObject({
      status: 'active',
      step: 'status-checked',
      need: 'result',
      certificate: { serialNumber: key.certificateSerial, status: 'unknown', subjectMasked: '王*芬' },
    });
    k.proxy!.set([]);
    const again = await s.api.serviceRetry();
    expect(again.ok && again.data).toMatchObject({ status: 'completed', certificate: { status: 'good' } });
  }, 60_000);
});

// ---------- unlock ----------

describe('unlock a locked PIN', () => {
  async function lockedKey(name: string): Promise<HeldCertifiedKey> {
    const key = await makeCourieredKey(k.central, trayDir(), name);
    expect(lockHeldKeyPin(simDir(), name)).toBeGreaterThan(1);
    return key;
  }

  it('locked → the holder’s card → granted → the new PIN set with the SO-PIN (C_InitPIN) and opens the key', async () => {
    const key = await lockedKey('unlock-good');
    await s.start('unlock');
    const read = await insert('unlock-good', (v) => v?.need === 'id-card');
    expect(read).toMatchObject({ token: { pinLocked: true }, certificate: { status: 'good' } });
    await k.daemon.sim.placeCard('long-term-wang-shufen');
    const granted = await s.until((v) => v?.need === 'pin');
    expect(granted).toMatchObject({
      step: 'unlock-granted',
      unlocksLeftToday: 2,
      identity: { state: 'matched', nameMasked: '王*芬' },
    });
    const done = await s.api.servicePin({ body: { pin: NEW_PIN } });
    expect(done.ok && done.data).toMatchObject({ status: 'completed', unlocksLeftToday: 2 });
    expect(await pinOpens(key.tokenSerial, NEW_PIN)).toEqual({ locked: false });
    expect((await unlocksOf(key.tokenSerial)).map((u) => u.outcome)).toEqual(['granted']);
    expect(await eventsAbout(key.certificateSerial, 'token.unlocked')).toBe(1);
    expect(existsSync(join(simDir(), 'softhsm', `usbkey-sim-${key.tokenSerial}.tries`))).toBe(false);
    storeKeepsNothingPersonal();
  }, 60_000);

  it('a PIN that is not locked: PIN_NOT_LOCKED, and nothing is asked of central', async () => {
    const key = await makeCourieredKey(k.central, trayDir(), 'unlock-notlocked');
    await s.start('unlock');
    const v = await insert('unlock-notlocked', (x) => x?.status === 'failed');
    expect(v.error?.code).toBe('PIN_NOT_LOCKED');
    expect(await unlocksOf(key.tokenSerial)).toEqual([]);
  }, 60_000);

  it('a card that is not the holder’s is refused (it uses one of the day’s unlocks); the right one then works', async () => {
    const key = await lockedKey('unlock-wrongcard');
    await s.start('unlock');
    await insert('unlock-wrongcard', (v) => v?.need === 'id-card');
    await k.daemon.sim.placeCard('mongol-batu');
    const refused = await s.until((v) => v?.error?.code === 'UNLOCK_CARD_MISMATCH');
    expect(refused).toMatchObject({
      need: 'id-card',
      status: 'active',
      error: { action: 'retry' },
      identity: { state: 'mismatched', reason: 'UNLOCK_CARD_MISMATCH' },
    });
    await k.daemon.sim.placeCard('long-term-wang-shufen');
    const granted = await s.until((v) => v?.need === 'pin');
    expect(granted?.unlocksLeftToday).toBe(1);
    expect((await s.api.servicePin({ body: { pin: NEW_PIN } })).ok).toBe(true);
    expect((await unlocksOf(key.tokenSerial)).map((u) => u.outcome)).toEqual([
      'identity-mismatch',
      'granted',
    ]);
    expect(await pinOpens(key.tokenSerial, NEW_PIN)).toEqual({ locked: false });
  }, 60_000);

  it('three unlocks of a key in one day: the fourth is refused (UNLOCK_LIMIT_REACHED), the PIN stays locked', async () => {
    const key = await lockedKey('unlock-limit');
    for (let i = 0; i < 3; i++) {
      await s.start('unlock');
      await insert('unlock-limit', (v) => v?.need === 'id-card');
      await k.daemon.sim.placeCard('long-term-wang-shufen');
      await s.until((v) => v?.need === 'pin');
      expect((await s.api.servicePin({ body: { pin: NEW_PIN } })).ok).toBe(true);
      await s.leave();
      k.daemon.sim.pullKeys();
      await k.daemon.sim.placeCard(null);
      lockHeldKeyPin(simDir(), 'unlock-limit');
    }
    await s.start('unlock');
    await insert('unlock-limit', (v) => v?.need === 'id-card');
    await k.daemon.sim.placeCard('long-term-wang-shufen');
    const refused = await s.until((v) => v?.status === 'failed');
    expect(refused?.error).toMatchObject({ code: 'UNLOCK_LIMIT_REACHED', action: 'come-back-later' });
    expect((await unlocksOf(key.tokenSerial)).map((u) => u.outcome)).toEqual([
      'granted',
      'granted',
      'granted',
      'limit-reached',
    ]);
    await expect(pinOpens(key.tokenSerial, NEW_PIN)).rejects.toMatchObject({ code: 'TOKEN_PIN_LOCKED' });
  }, 90_000);

  it('the key pulled before the PIN: TOKEN_REMOVED; put back, the PIN is set (the grant is not asked again)', async () => {
    const key = await lockedKey('unlock-pulled');
    await s.start('unlock');
    await insert('unlock-pulled', (v) => v?.need === 'id-card');
    await k.daemon.sim.placeCard('long-term-wang-shufen');
    await s.until((v) => v?.need === 'pin');
    k.daemon.sim.pullKeys();
    await s.until((v) => v?.error?.code === 'TOKEN_REMOVED');
    const refused = await s.api.servicePin({ body: { pin: NEW_PIN } });
    expect(refused.ok && refused.data).toMatchObject({ need: 'pin', error: { code: 'TOKEN_REMOVED' } });
    k.daemon.sim.insertHeldKey('unlock-pulled');
    await s.until((v) => v?.need === 'pin' && !v.error);
    expect((await s.api.servicePin({ body: { pin: NEW_PIN } })).ok).toBe(true);
    expect(await pinOpens(key.tokenSerial, NEW_PIN)).toEqual({ locked: false });
    expect((await unlocksOf(key.tokenSerial)).map((u) => u.outcome)).toEqual(['granted']);
  }, 60_000);

  it('central granted but its answer was lost: the card again, the same unlockId, counted once', async () => {
    const key = await lockedKey('unlock-lost');
    await s.start('unlock');
    await insert('unlock-lost', (v) => v?.need === 'id-card');
    k.proxy!.set([{ method: 'POST', path: '/v1/unlocks', mode: '5xx-after-commit', times: 1 }]);
    await k.daemon.sim.placeCard('long-term-wang-shufen');
    const lost = await s.until((v) => v?.error?.code === 'CENTRAL_UNAVAILABLE');
    expect(lost).toMatchObject({ need: 'id-card', step: 'key-read' });
    // Retry: the card on the reader is read again and the request goes again under the same id.
    await s.api.serviceRetry();
    const granted = await s.until((v) => v?.need === 'pin');
    expect(granted?.unlocksLeftToday).toBe(2);
    expect((await s.api.servicePin({ body: { pin: NEW_PIN } })).ok).toBe(true);
    const rows = await unlocksOf(key.tokenSerial);
    expect(rows.map((u) => u.outcome)).toEqual(['granted']);
  }, 60_000);

  it('a key of another CA is refused before any card is asked for', async () => {
    await makeForeignKey(trayDir(), 'unlock-foreign');
    lockHeldKeyPin(simDir(), 'unlock-foreign');
    await s.start('unlock');
    const v = await insert('unlock-foreign', (x) => x?.error?.code === 'KEY_NOT_OURS');
    expect(v.need).toBe('token');
  }, 60_000);
});

// ---------- look up orders ----------

describe('look up orders', () => {
  it('by the order’s QR code (the scanner): its status history, masked', async () => {
    const { orderId, pickupCode } = await k.central.createApprovedOrder();
    await s.start('lookup');
    await k.daemon.sim.scan(pickupCode);
    const v = await s.until((x) => x?.status === 'completed');
    expect(v?.orders).toHaveLength(1);
    expect(v?.orders?.[0]).toMatchObject({
      orderIdMasked: maskOrderId(orderId),
      kind: 'new',
      status: 'approved',
      holderNameMasked: '张*',
    });
    expect(v?.orders?.[0]?.history.map((h) => h.status)).toContain('approved');
    expect(JSON.stringify(v)).not.toContain(orderId);
    storeKeepsNothingPersonal([pickupCode]);
  }, 60_000);

  it('by ID card: the person’s orders only — a rejected one with its reason, a transfer-pending one with its code', async () => {
    const mine = await k.central.createApprovedOrder();
    const rejected = await k.central.admin('POST', '/admin/v1/orders', {
      certificateType: 'natural-person',
      businessType: 'new',
      serviceYears: 1,
      hall: 'SZ-FUTIAN',
      delivery: 'kiosk',
      applicant: { name: ZHANG_WEI.name, phone: '13800138000' },
      holder: ZHANG_WEI,
    });
    for (const action of ['request-payment', 'pay-wechat', 'request-identity', 'verify-identity'])
      await k.central.admin('POST', `/admin/v1/orders/${rejected.id}/actions`, { action });
    await k.central.admin('POST', `/admin/v1/orders/${rejected.id}/actions`, {
      action: 'reject',
      reason: 'The ID card scan is unreadable.',
    });
    const transfer = await k.central.admin('POST', '/admin/v1/orders', {
      certificateType: 'natural-person',
      businessType: 'new',
      serviceYears: 1,
      hall: 'SZ-FUTIAN',
      delivery: 'kiosk',
      applicant: { name: ZHANG_WEI.name, phone: '13800138000' },
      holder: ZHANG_WEI,
    });
    await k.central.admin('POST', `/admin/v1/orders/${transfer.id}/actions`, { action: 'request-payment' });
    await k.central.admin('POST', `/admin/v1/orders/${transfer.id}/actions`, { action: 'choose-transfer' });
    const batuOrder = await courierOrder(k.central, BATU);

    await s.start('lookup');
    await k.daemon.sim.placeCard('han-zhang-wei');
    const v = (await s.until((x) => x?.status === 'completed')) as ServiceView;
    const byId = new Map(v.orders!.map((o) => [o.orderIdMasked, o]));
    expect(byId.get(maskOrderId(mine.orderId))?.status).toBe('approved');
    expect(byId.get(maskOrderId(rejected.id))).toMatchObject({
      status: 'rejected',
      rejectReason: 'The ID card scan is unreadable.',
    });
    expect(byId.get(maskOrderId(transfer.id))?.status).toBe('transfer-pending');
    expect(byId.get(maskOrderId(transfer.id))?.remittanceCode).toMatch(/^[0-9]{6}$/);
    expect(byId.has(maskOrderId(batuOrder))).toBe(false);
    for (const o of v.orders!) expect(o.holderNameMasked).toBe('张*');
    expect(v.identity).toBeUndefined();
    storeKeepsNothingPersonal();

    // Another person's card: their own order, none of 张伟's.
    await s.leave();
    await k.daemon.sim.placeCard(null);
    await s.start('lookup');
    await k.daemon.sim.placeCard('mongol-batu');
    const other = (await s.until((x) => x?.status === 'completed')) as ServiceView;
    expect(other.orders!.map((o) => o.orderIdMasked)).toEqual([maskOrderId(batuOrder)]);
    expect(JSON.stringify(other)).not.toContain('张');
    storeKeepsNothingPersonal();
  }, 60_000);

  it('a code that is not an order code: LOOKUP_CODE_UNKNOWN, the scan is asked again; central down: CENTRAL_UNAVAILABLE', async () => {
    await s.start('lookup');
    const unknown = await s.api.serviceScan({ body: { code: 'https://example.com/not-an-order-code' } });
    expect(unknown.ok && unknown.data).toMatchObject({
      need: 'scan-or-id-card',
      error: { code: 'LOOKUP_CODE_UNKNOWN' },
    });
    k.proxy!.set([{ path: '/v1/lookups', mode: 'down' }]);
    const { pickupCode } = await k.central.createApprovedOrder();
    const down = await s.api.serviceScan({ body: { code: pickupCode } });
    expect(down.ok && down.data).toMatchObject({
      need: 'scan-or-id-card',
      error: { code: 'CENTRAL_UNAVAILABLE', retryable: true },
    });
  }, 60_000);
});

// ---------- one journey at a time ----------

describe('one journey at a time', () => {
  it('a service does not start beside an open pickup, nor a pickup beside an open service (JOURNEY_BUSY)', async () => {
    const started = await s.api.startJourney();
    expect(started.ok).toBe(true);
    expect(code(await s.api.startService({ body: { kind: 'certificates' } }))).toBe('JOURNEY_BUSY');
    await s.api.endJourney();
    await s.start('certificates');
    expect(code(await s.api.startJourney())).toBe('JOURNEY_BUSY');
    expect(code(await s.api.startService({ body: { kind: 'lookup' } }))).toBe('JOURNEY_BUSY');
  }, 30_000);
});
