// The pickup engine against in-memory fakes of its ports (testing-fakes.ts): what the applicant, staff and
// central depend on, each case well under a second. The real drivers and central are exercised by the
// *.softhsm.test.ts suites.
import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PICKUP_STEPS } from '../api/contract.js';
import { JourneyAutopilot } from './autopilot.js';
import { hashIdNumber } from './identity.js';
import { issuanceRecordBytes } from './issuance-record.js';
import {
  type FaultPoint,
  PICKUP_EFFECT_NAMES,
  PICKUP_EFFECTS,
  type PickupEffect,
  RECOVERY_OUTCOME,
} from './pickup-table.js';
import type { JourneyRecord } from './record.js';
import {
  driveToEnd,
  type FakeKiosk,
  fakeKiosk,
  HOLDER,
  HOLDER_PIN,
  idNumber,
  nextAction,
  residentCard,
} from './testing-fakes.js';

const HAPPY_EVENTS = [
  'certificate.issued',
  'certificate.written',
  'receipt.printed',
  'issuance.record',
  'certificate.activated',
];

function journeyOf(k: FakeKiosk): JourneyRecord {
  const all = Object.values(k.store.data.journeys);
  const j = all[all.length - 1];
  if (!j) throw new Error('no journey');
  return j;
}

/** Scan, confirm, ID card: the journey waits for a blank key. */
async function toTokenStep(k: FakeKiosk): Promise<void> {
  const v = await driveToEnd(k, { until: 'token' });
  expect(v?.need).toBe('token');
  k.driver.insertBlank();
}

/** The leaf certificate DERs on every key the fake driver has seen. */
function leavesOnKeys(k: FakeKiosk): Buffer[] {
  return k.driver.tokens.flatMap((t) => [...t.leaves.values()].flat());
}

function derOf(pem: string): Buffer {
  return Buffer.from(new X509Certificate(pem).raw);
}

/**
 * Run a journey (scan to the end) until the engine reaches `point`, and "kill -9" it there: the engine never
 * goes on, and what was on disk at that moment is returned (to open a new engine on).
 */
async function crashAt(point: FaultPoint): Promise<{ k: FakeKiosk; disk: string }> {
  let crash: ((durable: string) => void) | undefined;
  const crashed = new Promise<string>((resolve) => {
    crash = resolve;
  });
  const k: FakeKiosk = await fakeKiosk({
    engine: {
      fault: (p) => {
        if (p !== point || !crash) return;
        const c = crash;
        crash = undefined;
        c(k.store.durable());
        return new Promise<never>(() => undefined);
      },
    },
  });
  const disk = await Promise.race([
    crashed,
    driveToEnd(k).then(() => {
      throw new Error(`the journey never reached ${point}`);
    }),
  ]);
  return { k, disk };
}

describe('happy path', () => {
  it('scan → confirm → ID card → key → PIN → completed, each event once, personal data purged', async () => {
    const k = await fakeKiosk();
    const e = k.engine;

    let v = await e.scan(k.code);
    expect(v).toMatchObject({ status: 'active', step: 'order-verified', need: 'confirm-order' });
    expect(v.order).toMatchObject({ orderId: k.order.id, holderNameMasked: '张*' });

    v = await e.confirm();
    expect(v.need).toBe('id-card');

    k.devices.card = k.card;
    v = await e.readIdentity();
    expect(v).toMatchObject({ step: 'identity-verified', need: 'token' });
    expect(v.identity).toMatchObject({
      state: 'matched',
      idNumberMasked: `${HOLDER.idNumber.slice(0, 4)}${'*'.repeat(10)}${HOLDER.idNumber.slice(-4)}`,
    });

    const token = k.driver.insertBlank();
    v = await e.personaliseToken();
    expect(v).toMatchObject({ step: 'certificate-written', need: 'pin', status: 'active' });
    expect(v.error).toBeUndefined();

    v = await e.setPin(HOLDER_PIN);
    expect(v).toMatchObject({ status: 'completed', step: 'completed', need: 'take-items' });
    expect(v.receipt).toEqual({ state: 'printed' });

    // One certificate, at central and on the key, over the key generated on the key.
    expect(k.central.certificates).toHaveLength(1);
    const issued = k.central.certificates[0]!;
    expect(v.certificate?.serialNumber).toBe(issued.serialNumber);
    expect(token.leafCount()).toBe(1);
    expect(leavesOnKeys(k)[0]!.equals(derOf(issued.certificatePem))).toBe(true);
    const [key] = [...token.keys.values()];
    expect(
      new X509Certificate(issued.certificatePem).publicKey.export({ type: 'spki', format: 'der' }),
    ).toEqual(key!.spki);
    // The holder's PIN is on the key, and no try of it was spent.
    expect(token.userPin).toBe(HOLDER_PIN);
    expect(k.driver.wrongUserPinTries).toBe(0);
    expect(k.driver.wrongSoPinTries).toBe(0);
    expect(k.devices.printed).toHaveLength(1);

    // Exactly the expected events, once each.
    expect(k.events.events.map((ev) => ev.type)).toEqual(HAPPY_EVENTS);
    expect(new Set(k.events.events.map((ev) => ev.id)).size).toBe(HAPPY_EVENTS.length);
    for (const ev of k.events.events) expect(ev.orderId).toBe(k.order.id);

    // The issuance record is signed by the appliance key.
    const rec = k.events.ofType('issuance.record')[0]!.payload as {
      record: Parameters<typeof issuanceRecordBytes>[0];
      signature: string;
    };
    expect(rec.record).toMatchObject({
      orderId: k.order.id,
      tokenSerial: token.serial,
      certificateSerial: issued.serialNumber,
      publicKeySha256: issued.publicKeySha256,
      keyEvidence: { local: true, neverExtractable: true, alwaysSensitive: true },
      counter: 1,
    });
    expect(
      verify(
        'sha256',
        issuanceRecordBytes(rec.record),
        createPublicKey(k.applianceKey.publicKeyPem),
        Buffer.from(rec.signature, 'base64'),
      ),
    ).toBe(true);

    // Personal data purged: no full name, no ID number or its HMAC, no pickup code, no certificate subject;
    // the certificate kept by serial and fingerprint (with expiry and masked subject for the done screen).
    const j = journeyOf(k);
    expect(j.status).toBe('completed');
    expect(j.pending).toBeUndefined();
    expect(j.pickupCode).toBeUndefined();
    expect(j.order?.holder?.nameMasked).toBe('张*');
    expect(j.identity?.nameMasked).toBe('张*');
    const cert = k.central.certificates[0]!;
    expect(j.certificate).toEqual({
      serialNumber: cert.serialNumber,
      fingerprint: createHash('sha256').update(derOf(cert.certificatePem)).digest('hex'),
      notAfter: expect.any(String),
      subjectMasked: '张*',
    });
    const stored = JSON.stringify(k.store.data);
    expect(stored).not.toContain(HOLDER.name);
    expect(stored).not.toContain(HOLDER.idNumber);
    expect(stored).not.toContain(k.code);
    expect(stored).not.toContain(hashIdNumber(k.options.idHashKey, HOLDER.idNumber));
    // …and what is stored is what is durable.
    expect(JSON.parse(k.store.durable())).toEqual(JSON.parse(JSON.stringify(k.store.data)));
    // The code's nonce is spent: the same code is refused offline.
    expect(Object.keys(k.store.data.usedPickupNonces)).toHaveLength(1);
    // The done screen asks for the key until it is taken; no new pickup starts while it is in the writer.
    expect(e.view()?.keyInWriter).toBe(true);
    await e.close();
    // Leaving the done screen: serial and fingerprint are all that is left of the certificate.
    expect(Object.keys(journeyOf(k).certificate ?? {}).sort()).toEqual(['fingerprint', 'serialNumber']);
    expect((await e.start()).error?.code).toBe('TAKE_KEY_FIRST');
    expect((await e.scan(k.code)).error?.code).toBe('TAKE_KEY_FIRST');
    k.driver.pull();
    v = await e.scan(k.code);
    expect(v.error?.code).toBe('PICKUP_CODE_USED');
  });
});

describe('central refuses the issuance', () => {
  it('a code superseded after the scan: the journey fails with PICKUP_CODE_SUPERSEDED and the key is spoiled', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    // The holder refreshed the code on the phone after scanning: central now refuses the scanned one.
    k.central.newPickupCode(k.order.id);
    const v = await k.engine.personaliseToken();
    expect(v.status).toBe('failed');
    expect(v.error?.code).toBe('PICKUP_CODE_SUPERSEDED');
    const j = journeyOf(k);
    expect(j.pending).toBeUndefined();
    expect(k.store.data.spoiledKeys.map((s) => s.serial)).toEqual([k.driver.inserted?.serial]);
    expect(k.store.data.spoiledKeys[0]?.journeyId).toBe(j.id);
    expect(k.central.certificates).toHaveLength(0);
    expect(k.store.data.usedPickupNonces).toEqual({});
    expect(k.events.events.map((e) => [e.type, e.payload['reason']])).toEqual([
      ['journey.failed', 'PICKUP_CODE_SUPERSEDED'],
    ]);
    // Ended for good: what is in memory is on disk.
    expect(JSON.parse(k.store.durable())).toEqual(JSON.parse(JSON.stringify(k.store.data)));
  });

  it.each(['ORDER_NOT_APPROVED', 'ORDER_ALREADY_ISSUED', 'PICKUP_CODE_EXPIRED'])(
    'central answers %s at issuance: failed with that code, key spoiled, nothing issued',
    async (code) => {
      const k = await fakeKiosk();
      await toTokenStep(k);
      k.central.refuseNextIssue = code;
      const v = await k.engine.personaliseToken();
      expect(v).toMatchObject({ status: 'failed', error: { code } });
      expect(k.store.data.spoiledKeys).toHaveLength(1);
      expect(k.central.certificates).toHaveLength(0);
    },
  );
});

describe('central down at issuance', () => {
  it('the journey stays active, waiting on central (ISSUANCE_PENDING), and goes on once central answers', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    k.central.down = true;
    let v = await k.engine.personaliseToken();
    expect(v).toMatchObject({ status: 'active', need: 'wait', error: { code: 'ISSUANCE_PENDING' } });
    expect(v.waiting).toMatchObject({ on: 'central', attempts: 1 });
    expect(journeyOf(k).pending?.effect).toBe('request-issuance');
    expect(journeyOf(k).pending?.csrPem).toContain('BEGIN CERTIFICATE REQUEST');

    // Not due yet: nothing is asked.
    const calls = k.log.length;
    await k.engine.retryWaiting();
    expect(k.log.length).toBe(calls);

    k.central.down = false;
    k.clock.ms = Date.parse(v.waiting!.nextRetryAt!);
    await k.engine.retryWaiting();
    v = k.engine.view()!;
    expect(v).toMatchObject({ status: 'active', need: 'pin', step: 'certificate-written' });
    expect(v.waiting).toBeUndefined();
    expect((await driveToEnd(k))?.status).toBe('completed');
    expect(k.central.certificates).toHaveLength(1);
    expect(leavesOnKeys(k)).toHaveLength(1);
  });

  it.each(['idle', 'cancelled'] as const)(
    "wipe('%s') while waiting hands the journey to staff in doubt, never abandoned or failed",
    async (reason) => {
      const k = await fakeKiosk();
      await toTokenStep(k);
      k.central.down = true;
      await k.engine.personaliseToken();
      const id = journeyOf(k).id;
      await k.engine.wipe(reason);
      expect(k.engine.view()).toBeNull();
      const j = k.engine.journey(id)!;
      expect(j.status).toBe('in-doubt');
      expect(j.pending?.effect).toBe('request-issuance');
      expect(k.engine.inDoubt().map((x) => x.id)).toEqual([id]);
      expect(k.events.events.map((e) => e.type)).toEqual(['journey.in-doubt']);
      // The key is in doubt, not spoiled: staff decide.
      expect(k.store.data.spoiledKeys).toEqual([]);

      // Central back, having issued nothing: asking by key changes nothing, and nothing is issued now.
      k.central.down = false;
      k.clock.advance(61_000);
      await k.engine.retryWaiting();
      expect(k.engine.journey(id)?.status).toBe('in-doubt');
      expect(k.engine.journey(id)?.certificate).toBeUndefined();
      expect(k.central.certificates).toHaveLength(0);
      expect(k.log.filter((c) => c === 'central.issueCertificate')).toHaveLength(1);
    },
  );

  it('retryWaiting learns, for a journey in doubt, the certificate central committed while its answer was lost', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    // Central commits the certificate, the answer is lost, and central is unreachable from then on.
    k.central.loseNextIssueAnswer({ thenDown: true });
    let v = await k.engine.personaliseToken();
    expect(v).toMatchObject({ status: 'active', need: 'wait', error: { code: 'ISSUANCE_PENDING' } });
    const id = journeyOf(k).id;
    await k.engine.wipe('idle');
    expect(k.engine.journey(id)?.status).toBe('in-doubt');

    // Still down: still in doubt, no certificate known.
    await k.engine.retryWaiting();
    expect(k.engine.journey(id)).toMatchObject({
      status: 'in-doubt',
      pending: { effect: 'request-issuance' },
    });
    expect(k.engine.journey(id)?.certificate).toBeUndefined();

    k.central.down = false;
    k.clock.advance(61_000);
    await k.engine.retryWaiting();
    const committed = k.central.certificates[0]!;
    const j = k.engine.journey(id)!;
    expect(j.status).toBe('in-doubt');
    expect(j.step).toBe('certificate-issued');
    expect(j.pending).toBeUndefined();
    expect(j.certificate?.serialNumber).toBe(committed.serialNumber);
    expect(k.store.data.usedPickupNonces[j.pickupNonce!]).toBeDefined();
    expect(k.events.ofType('certificate.issued')).toHaveLength(1);
    expect(k.log.filter((c) => c === 'central.issueCertificate')).toHaveLength(1);

    // Staff put the key back and write it: the holder sets the PIN and gets exactly that certificate.
    v = await k.engine.resolveRetryWrite(id);
    expect(v).toMatchObject({ status: 'active', need: 'pin' });
    expect((await driveToEnd(k))?.status).toBe('completed');
    expect(k.central.certificates).toHaveLength(1);
    expect(leavesOnKeys(k)).toEqual([derOf(committed.certificatePem)]);
  });
});

describe('central committed but the answer was lost', () => {
  it('the certificate written is the one central committed; nothing is issued twice', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    k.central.loseNextIssueAnswer();
    let v = await k.engine.personaliseToken();
    expect(v).toMatchObject({ status: 'active', need: 'pin', step: 'certificate-written' });
    const committed = k.central.certificates[0]!;
    expect(k.central.certificates).toHaveLength(1);
    expect(k.log.filter((c) => c === 'central.issueCertificate')).toHaveLength(1);
    expect(leavesOnKeys(k)).toEqual([derOf(committed.certificatePem)]);
    v = await k.engine.setPin(HOLDER_PIN);
    expect(v.status).toBe('completed');
    expect(v.certificate?.serialNumber).toBe(committed.serialNumber);
    expect(k.central.certificates).toHaveLength(1);
  });
});

describe('the PIN', () => {
  it.each(['after', 'before'] as const)(
    'C_SetPIN fails %s changing the PIN: reset with the SO-PIN, asked again, no holder try spent',
    async (when) => {
      const k = await fakeKiosk();
      await toTokenStep(k);
      await k.engine.personaliseToken();
      const token = k.driver.inserted!;
      k.driver.failNext('setPin', { code: 'TOKEN_FAILED', when });
      let v = await k.engine.setPin(HOLDER_PIN);
      expect(v).toMatchObject({ status: 'active', need: 'pin', step: 'certificate-written' });
      expect(v.error).toBeDefined();
      // Reset to the transport PIN with the SO-PIN (C_InitPIN), never by guessing the user PIN.
      expect(k.log.filter((c) => c.startsWith('usbKey.setPin') || c === 'usbKey.unlock')).toEqual([
        'usbKey.setPin',
        'usbKey.unlock',
      ]);
      expect(journeyOf(k).pending).toBeUndefined();

      // The holder chooses a PIN again (another one this time).
      v = await k.engine.setPin('402913');
      expect(v.status).toBe('completed');
      expect(token.userPin).toBe('402913');
      expect(k.driver.wrongUserPinTries).toBe(0);
      expect(k.driver.wrongSoPinTries).toBe(0);
      expect(k.events.distinct().map((e) => e.type)).toEqual(HAPPY_EVENTS);
    },
  );

  it('after a C_SetPIN that failed and the SO reset, the holder is told to set the PIN again, as after a restart', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    await k.engine.personaliseToken();
    k.driver.failNext('setPin', { code: 'TOKEN_FAILED', when: 'after' });
    const v = await k.engine.setPin(HOLDER_PIN);
    expect(v).toMatchObject({ status: 'active', need: 'pin' });
    // resetUserPin records "The PIN could not be confirmed; set it again." (retry, reset: 1), which recovery
    // shows too (see the change-pin recover() cases); the applicant must not be sent to staff for it.
    expect(v.error).toMatchObject({ action: 'retry', code: 'PIN_NOT_CONFIRMED' });
  });

  it.each(['step:pin-set', 'before:test-signature', 'after:test-signature'] as const)(
    'restart at %s: the holder, asked to set the PIN again, types a new one — no try of the old PIN is spent',
    async (point) => {
      const { k, disk } = await crashAt(point);
      const e = k.newEngine(disk);
      // The PIN set before the restart is not known to the kiosk: it is reset with the SO-PIN, never guessed.
      expect((await e.recover())[0]?.outcome).toBe('pin-reset');
      expect(e.view()).toMatchObject({ status: 'active', need: 'pin', error: { code: 'PIN_NOT_CONFIRMED' } });
      // The PIN screen says "Set your certificate PIN": the holder may well choose another one now.
      await e.setPin('402913');
      expect(k.driver.wrongUserPinTries).toBe(0);
      expect((await driveToEnd(k, { pin: '402913' }))?.status).toBe('completed');
      expect(k.driver.wrongUserPinTries).toBe(0);
    },
  );

  it('a test signature that failed once: the holder, asked again, types a new PIN — no try is spent', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    await k.engine.personaliseToken();
    k.driver.failNext('withSession', { code: 'TOKEN_FAILED', when: 'before' });
    let v = await k.engine.setPin(HOLDER_PIN);
    // The PIN is set but not proven: it is reset with the SO-PIN and the holder sets it again.
    expect(v).toMatchObject({ status: 'active', need: 'pin', step: 'certificate-written' });
    v = await k.engine.setPin('402913');
    expect(k.driver.wrongUserPinTries).toBe(0);
    expect(v.status).toBe('completed');
  });

  it('a PIN against the policy is refused before the key is touched', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    await k.engine.personaliseToken();
    const calls = k.log.length;
    await expect(k.engine.setPin('123456')).rejects.toMatchObject({ code: 'TOKEN_PIN_POLICY' });
    expect(k.log.length).toBe(calls);
    expect(k.engine.view()).toMatchObject({ need: 'pin', status: 'active' });
    expect((await driveToEnd(k))?.status).toBe('completed');
    expect(k.driver.wrongUserPinTries).toBe(0);
  });
});

/** Store writes of one whole happy journey (scan to completed), counted on the engine as it is. */
const HAPPY_WRITES = await (async () => {
  const k = await fakeKiosk();
  const v = await driveToEnd(k);
  if (v?.status !== 'completed') throw new Error(`the baseline journey ended ${v?.status}`);
  return k.store.attempts;
})();

/** Each happy event exactly once by id (a re-sent event keeps its id; central deduplicates). */
function expectEachHappyEventOnce(k: FakeKiosk): void {
  const distinct = k.events.distinct().map((e) => e.type);
  for (const type of HAPPY_EVENTS)
    expect(
      distinct.filter((t) => t === type),
      type,
    ).toHaveLength(1);
}

/** One certificate at central, that one on exactly one key, no holder PIN try spent. */
function expectOneCertificate(k: FakeKiosk): void {
  expect(k.central.live()).toHaveLength(1);
  expect(leavesOnKeys(k)).toEqual([derOf(k.central.live()[0]!.certificatePem)]);
  expect(k.driver.wrongUserPinTries).toBe(0);
}

describe('the store failing', () => {
  it('the baseline journey writes the store more than ten times', () => {
    expect(HAPPY_WRITES).toBeGreaterThan(10);
  });

  it.each(Array.from({ length: HAPPY_WRITES }, (_, i) => i + 1))(
    'write %i fails: memory stays as on disk, STORE_UNAVAILABLE, no effect after it; resumes to one certificate',
    async (n) => {
      const k = await fakeKiosk();
      let callsAtBreak = -1;
      k.store.onBreak = () => {
        callsAtBreak = k.log.length;
      };
      k.store.breakAtWrite(n);
      let thrown: unknown;
      while (!k.store.isBroken) {
        let more = true;
        try {
          more = await nextAction(k);
        } catch (err) {
          thrown = err;
        }
        if (!more) break;
      }
      expect(k.store.isBroken, 'the journey ended before write n').toBe(true);

      // Nothing advanced in memory: the store's data, and so the engine's journey, is the durable one.
      expect(JSON.parse(JSON.stringify(k.store.data))).toEqual(JSON.parse(k.store.durable()));
      const durable = JSON.parse(k.store.durable()) as typeof k.store.data;
      const active = durable.activeJourneyId ? durable.journeys[durable.activeJourneyId] : undefined;
      expect(k.engine.current() ?? undefined).toEqual(active);
      // The applicant is told; the journey is stalled.
      expect(k.engine.stalled).toBe(true);
      const view = k.engine.view();
      if (view) expect(view.error?.code).toBe('STORE_UNAVAILABLE');
      else expect(thrown).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      // No side effect (central, key, printer, outbox, appliance key) after the failed write; no second try.
      expect(k.log.slice(callsAtBreak)).toEqual([]);
      expect(k.store.failures).toBe(1);

      // The disk is back: the engine goes on from its last durable record, the applicant does the rest.
      k.store.repair();
      await k.engine.resumeAfterStoreFault();
      expect(k.engine.stalled).toBe(false);
      const end = await driveToEnd(k);
      expect(end?.status).toBe('completed');
      expect(k.engine.view()?.error).toBeUndefined();
      expectOneCertificate(k);
      expectEachHappyEventOnce(k);
    },
  );
});

describe('staff: revoke and void', () => {
  it('an issued certificate that never reached the key: voided at central, the code scans again, failed + journey.voided', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    k.driver.failNext('importCertificate', { code: 'TOKEN_REMOVED', when: 'before', pull: true });
    let v = await k.engine.personaliseToken();
    expect(v.status).toBe('in-doubt');
    const j = journeyOf(k);
    const serial = j.certificate!.serialNumber;
    const nonce = j.pickupNonce!;
    expect(k.store.data.usedPickupNonces[nonce]).toBeDefined();
    await k.engine.close();

    v = await k.engine.resolveRevokeVoid(j.id, 'key lost before the write');
    expect(k.log.filter((c) => c.startsWith('central.voidCertificate'))).toEqual([
      `central.voidCertificate:${serial}`,
    ]);
    expect(k.central.certificates[0]).toMatchObject({
      serialNumber: serial,
      voided: true,
      voidRequest: { journeyId: j.id, reason: 'key lost before the write' },
    });
    expect(v.status).toBe('failed');
    expect(k.engine.journey(j.id)?.status).toBe('failed');
    expect(k.store.data.usedPickupNonces[nonce]).toBeUndefined();
    const voided = k.events.ofType('journey.voided');
    expect(voided).toHaveLength(1);
    expect(voided[0]?.payload).toMatchObject({ journeyId: j.id, serialNumber: serial });

    // The same code scans again, offline and at central; the holder collects with a new key.
    v = await k.engine.scan(k.code);
    expect(v).toMatchObject({ status: 'active', need: 'confirm-order' });
    expect((await driveToEnd(k))?.status).toBe('completed');
    expect(k.central.live()).toHaveLength(1);
    expect(k.central.live()[0]?.serialNumber).not.toBe(serial);
  });

  it('refused with CENTRAL_UNAVAILABLE while central cannot say what it issued; voids once it can', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    k.central.loseNextIssueAnswer({ thenDown: true });
    await k.engine.personaliseToken();
    const id = journeyOf(k).id;
    await k.engine.wipe('cancelled');
    expect(k.engine.journey(id)?.status).toBe('in-doubt');

    await expect(k.engine.resolveRevokeVoid(id, 'holder left')).rejects.toMatchObject({
      code: 'CENTRAL_UNAVAILABLE',
    });
    expect(k.engine.journey(id)?.status).toBe('in-doubt');
    expect(k.log.some((c) => c.startsWith('central.voidCertificate'))).toBe(false);
    expect(k.events.ofType('journey.voided')).toHaveLength(0);

    k.central.down = false;
    const v = await k.engine.resolveRevokeVoid(id, 'holder left');
    const committed = k.central.certificates[0]!;
    expect(k.log).toContain(`central.voidCertificate:${committed.serialNumber}`);
    expect(committed.voided).toBe(true);
    expect(v.status).toBe('failed');
    expect(k.events.ofType('journey.voided')[0]?.payload).toMatchObject({
      serialNumber: committed.serialNumber,
    });
  });

  it('a certificate central voided is never written to a key, even when the journey could not record the void', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    const token = k.driver.inserted!;
    k.driver.failNext('importCertificate', { code: 'TOKEN_REMOVED', when: 'before', pull: true });
    await k.engine.personaliseToken();
    const id = journeyOf(k).id;
    await k.engine.close();
    // The void intent is durable, central revokes and voids; the write that would end the journey fails
    // (disk full, or a crash here).
    k.store.breakAtWrite(2);
    await expect(k.engine.resolveRevokeVoid(id, 'key lost')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    expect(k.central.certificates[0]?.voided).toBe(true);
    k.store.repair();
    const e = k.newEngine(k.store.durable());
    expect(e.journey(id)?.status).toBe('in-doubt');

    // Staff see the journey still in doubt, put the key back and choose "write it again".
    k.driver.insert(token);
    await e.resolveRetryWrite(id).catch(() => undefined);
    if (e.view()?.need === 'pin') await e.setPin(HOLDER_PIN).catch(() => undefined);
    expect(token.leafCount()).toBe(0);
    expect(e.journey(id)?.status).not.toBe('completed');
    expect(k.events.ofType('certificate.activated')).toHaveLength(0);
  });

  it('nothing was issued under the key: the journey is voided without a call to void', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    k.central.down = true;
    await k.engine.personaliseToken();
    const id = journeyOf(k).id;
    await k.engine.wipe('idle');
    k.central.down = false;
    const v = await k.engine.resolveRevokeVoid(id, 'holder left');
    expect(v.status).toBe('failed');
    expect(k.log.some((c) => c.startsWith('central.voidCertificate'))).toBe(false);
    expect(k.events.ofType('journey.voided')[0]?.payload).not.toHaveProperty('serialNumber');
    // The order is still collectable with the same code.
    expect((await driveToEnd(k))?.status).toBe('completed');
    expectOneCertificate(k);
  });
});

/** What recovery reports for a journey whose `effect` has its intent durable and its result not. */
function expectedRecovery(effect: PickupEffect): string {
  return RECOVERY_OUTCOME[PICKUP_EFFECTS[effect].recovery];
}

describe('the audit log', () => {
  it('gets each durable change once, awaited in order, with masked data only', async () => {
    const audited: string[] = [];
    const k = await fakeKiosk({
      engine: {
        audit: async (_actor, action, details) => {
          await new Promise((r) => setTimeout(r, 1)); // a slow disk: the engine waits for it
          audited.push(`${action} ${JSON.stringify(details)}`);
        },
      },
    });
    expect((await driveToEnd(k))?.status).toBe('completed');
    const actions = audited.map((a) => a.split(' ')[0]);
    // Once per change: no entry repeats the one before it.
    expect(audited.filter((a, i) => a === audited[i - 1])).toEqual([]);
    for (const step of [
      'journey.order-verified',
      'journey.identity-verified',
      'journey.certificate-written',
      'journey.completed',
    ])
      expect(actions).toContain(step);
    expect(actions.indexOf('journey.identity-verified')).toBeLessThan(
      actions.indexOf('journey.certificate-written'),
    );
    const all = audited.join('\n');
    expect(all).not.toContain(HOLDER.name);
    expect(all).not.toContain(HOLDER.idNumber);
  });

  it('a failed audit write stops the journey as the store would (call staff), and nothing more is done', async () => {
    let broken = false;
    const k = await fakeKiosk({
      engine: {
        audit: async () => {
          if (broken) throw new Error('ENOSPC: no space left on device');
        },
      },
    });
    await toTokenStep(k);
    broken = true;
    const v = await k.engine.personaliseToken();
    expect(v.error?.code).toBe('STORE_UNAVAILABLE');
    expect(k.central.certificates).toHaveLength(0);
  });
});

describe('key evidence', () => {
  it.each([{ local: false }, { extractable: true }, { alwaysSensitive: false }])(
    'a key pair that is not kept on the token ($0) is never sent for a certificate; another key is asked for',
    async (bad) => {
      const k = await fakeKiosk();
      await toTokenStep(k);
      k.driver.evidenceOverride = bad;
      const refusedKey = k.driver.inserted?.serial;
      const v = await k.engine.personaliseToken();
      expect(v).toMatchObject({ status: 'active', need: 'token', error: { code: 'KEY_EVIDENCE_REFUSED' } });
      expect(k.central.certificates).toHaveLength(0);
      expect(k.store.data.spoiledKeys.map((s) => s.serial)).toEqual([refusedKey]);
      // A proper blank key then goes through.
      k.driver.evidenceOverride = {};
      k.driver.insertBlank();
      expect((await driveToEnd(k))?.status).toBe('completed');
      expectOneCertificate(k);
    },
  );
});

describe('USB-key models', () => {
  it('a key of a model not on the allow-list is refused before anything (no SO-PIN) is sent to it', async () => {
    const k = await fakeKiosk({
      engine: { allowedTokenModels: [{ manufacturer: 'Feitian', model: 'ePass3003' }] },
    });
    await toTokenStep(k);
    const v = await k.engine.personaliseToken();
    expect(v).toMatchObject({
      need: 'token',
      error: { code: 'TOKEN_MODEL_NOT_ALLOWED', params: { manufacturer: 'Fake', model: 'FakeKey' } },
    });
    expect(k.log).not.toContain('usbKey.prepareBlankKeyAsync');
    expect(k.store.data.spoiledKeys).toEqual([]);
  });

  it('a listed model goes through', async () => {
    const k = await fakeKiosk({
      engine: { allowedTokenModels: [{ manufacturer: 'Fake', model: 'FakeKey' }] },
    });
    expect((await driveToEnd(k))?.status).toBe('completed');
  });
});

describe('a USB key that stops answering', () => {
  it('keygen hangs: the engine stops waiting at the limit, offers retry or cancel, and the late answer records nothing', async () => {
    const k = await fakeKiosk({ engine: { tokenStepLimitMs: 50 } });
    await toTokenStep(k);
    const release = k.driver.hangNext('keygen');
    const v = await k.engine.personaliseToken();
    expect(v).toMatchObject({ status: 'active', error: { code: 'TOKEN_NOT_RESPONDING', action: 'retry' } });
    expect(k.engine.isBusy).toBe(false);
    const j = journeyOf(k);
    const revision = j.revision;
    expect(j.pending?.effect).toBe('generate-key');

    // The wedged call returns after all: nothing of it is recorded, no event goes out.
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect(journeyOf(k).revision).toBe(revision);
    expect(journeyOf(k).idempotencyKey).toBeUndefined();
    expect(k.events.events.map((e) => e.type)).not.toContain('certificate.issued');

    // Retry reads back the key pair the late call made: one key pair, one certificate, journey finishes.
    expect((await k.engine.retry()).need).toBe('pin');
    expect((await driveToEnd(k))?.status).toBe('completed');
    expectOneCertificate(k);
    expect(k.driver.inserted?.keys.size).toBe(1);
  });

  it('keygen hangs and the applicant cancels: abandoned, the key spoiled, nothing issued', async () => {
    const k = await fakeKiosk({ engine: { tokenStepLimitMs: 50 } });
    await toTokenStep(k);
    k.driver.hangNext('keygen');
    await k.engine.personaliseToken();
    await k.engine.wipe('cancelled');
    const j = journeyOf(k);
    expect(j.status).toBe('abandoned');
    expect(k.store.data.spoiledKeys.map((s) => s.serial)).toEqual([j.token?.serial]);
    expect(k.central.certificates).toHaveLength(0);
  });

  it('the certificate write hangs after issuance: cancel hands it to staff in doubt, never abandoned', async () => {
    const k = await fakeKiosk({ engine: { tokenStepLimitMs: 50 } });
    await toTokenStep(k);
    k.driver.hangNext('importCertificate');
    const v = await k.engine.personaliseToken();
    expect(v.error?.code).toBe('TOKEN_NOT_RESPONDING');
    await k.engine.wipe('cancelled');
    expect(journeyOf(k).status).toBe('in-doubt');
    expect(k.central.certificates).toHaveLength(1);
  });

  it('C_SetPIN hangs: the holder is asked again, and the retry resets the PIN first (no holder try spent)', async () => {
    const k = await fakeKiosk({ engine: { tokenStepLimitMs: 50 } });
    const v0 = await driveToEnd(k, { until: 'pin' });
    expect(v0?.need).toBe('pin');
    const release = k.driver.hangNext('setPin');
    const v = await k.engine.setPin(HOLDER_PIN);
    expect(v).toMatchObject({ status: 'active', need: 'pin', error: { code: 'TOKEN_NOT_RESPONDING' } });
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect((await k.engine.setPin(HOLDER_PIN)).status).toBe('completed');
    expect(k.driver.wrongUserPinTries).toBe(0);
  });
});

describe('recover() after a crash with an intent durable and its result not', () => {
  const cases = PICKUP_EFFECT_NAMES.flatMap((effect) =>
    (['before', 'after'] as const).map((when) => ({ effect, when, outcome: expectedRecovery(effect) })),
  );

  it.each(cases)(
    'crash $when $effect → $outcome, then one certificate',
    async ({ effect, when, outcome }) => {
      const { k, disk } = await crashAt(`${when}:${effect}`);
      const before = JSON.parse(disk) as typeof k.store.data;
      const crashedJourney = Object.values(before.journeys)[0]!;
      expect(crashedJourney.pending?.effect).toBe(effect);

      // Restart on what was on disk, with the same central, keys and outbox.
      const e = k.newEngine(disk);
      expect(await e.recover()).toEqual([{ id: crashedJourney.id, outcome }]);
      const j = e.journey(crashedJourney.id)!;
      switch (outcome) {
        case 'rolled-back':
          expect(j).toMatchObject({ status: 'failed', error: { code: 'NO_ACTIVE_JOURNEY' } });
          expect(e.view()).toBeNull();
          expect(k.central.certificates).toHaveLength(0);
          break;
        case 'waiting-for-central':
          expect(e.view()).toMatchObject({
            status: 'active',
            need: 'wait',
            error: { code: 'ISSUANCE_PENDING' },
          });
          expect(j.pending?.effect).toBe('request-issuance');
          break;
        case 'resumed':
        case 'pin-reset':
          expect(e.view()).toMatchObject({ status: 'active', need: 'pin' });
          expect(j.pending).toBeUndefined();
          // After a reset the holder is told to set the PIN again (not to call staff).
          if (outcome === 'pin-reset') {
            expect(e.view()?.error).toMatchObject({ action: 'retry', code: 'PIN_NOT_CONFIRMED' });
          }
          break;
        case 'completed':
          expect(j.status).toBe('completed');
          break;
      }
      // The applicant (or a new one with the same code) finishes; exactly one certificate in the end.
      expect((await driveToEnd(k))?.status).toBe('completed');
      expectOneCertificate(k);
      expectEachHappyEventOnce(k);
    },
  );
});

describe('recover() after a crash between two effects (a step durable, no intent)', () => {
  const steps = PICKUP_STEPS.filter((s) => s !== 'completed');
  function expected(step: (typeof PICKUP_STEPS)[number]): string {
    const at = PICKUP_STEPS.indexOf(step);
    if (at < PICKUP_STEPS.indexOf('certificate-issued')) return 'rolled-back';
    if (step === 'pin-set') return 'pin-reset';
    if (at < PICKUP_STEPS.indexOf('verified')) return 'resumed';
    return 'completed';
  }

  it.each(steps.map((step) => ({ step, outcome: expected(step) })))(
    'crash at step $step → $outcome, then one certificate',
    async ({ step, outcome }) => {
      const { k, disk } = await crashAt(`step:${step}`);
      const id = Object.keys((JSON.parse(disk) as typeof k.store.data).journeys)[0]!;
      const e = k.newEngine(disk);
      expect(await e.recover()).toEqual([{ id, outcome }]);
      expect((await driveToEnd(k))?.status).toBe('completed');
      expectOneCertificate(k);
      expectEachHappyEventOnce(k);
    },
  );
});

describe('recover() of a record that lacks what its step guarantees', () => {
  it('hands it to staff in doubt, naming what is missing, and sends nothing to central', async () => {
    const { k, disk } = await crashAt('step:key-generated');
    const state = JSON.parse(disk) as typeof k.store.data;
    const j = Object.values(state.journeys)[0];
    if (!j) throw new Error('no journey on disk');
    delete j.idempotencyKey;
    const e = k.newEngine(JSON.stringify(state));
    expect(await e.recover()).toEqual([{ id: j.id, outcome: 'in-doubt' }]);
    expect(e.journey(j.id)).toMatchObject({
      status: 'in-doubt',
      note: expect.stringContaining('idempotencyKey'),
    });
    expect(k.central.certificates).toHaveLength(0);
  });
});

describe('central silent for too long', () => {
  it('after centralWaitLimitMs the waiting journey goes to staff (STEP_TIMEOUT); asking central goes on', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    k.central.loseNextIssueAnswer({ thenDown: true });
    let v = await k.engine.personaliseToken();
    const id = journeyOf(k).id;
    for (let i = 0; i < 20 && v.status === 'active'; i++) {
      k.clock.ms = Date.parse(v.waiting!.nextRetryAt!);
      await k.engine.retryWaiting();
      v = k.engine.view()!;
    }
    expect(v.status).toBe('in-doubt');
    expect(k.engine.journey(id)).toMatchObject({
      status: 'in-doubt',
      error: { code: 'STEP_TIMEOUT' },
      pending: { effect: 'request-issuance' },
    });
    expect(k.clock.ms - Date.parse(journeyOf(k).pending!.since)).toBeGreaterThanOrEqual(3 * 60_000);
    expect(k.events.ofType('journey.in-doubt')).toHaveLength(1);

    k.central.down = false;
    k.clock.advance(61_000);
    await k.engine.retryWaiting();
    expect(k.engine.journey(id)?.certificate?.serialNumber).toBe(k.central.certificates[0]?.serialNumber);
    expect(k.log.filter((c) => c === 'central.issueCertificate').length).toBeGreaterThan(1);
    expect(k.central.certificates).toHaveLength(1);
  });
});

describe('more that the applicant depends on', () => {
  it('reminds the holder of the ID card left on the reader once it was read, until it is lifted', async () => {
    const k = await fakeKiosk();
    const pilot = new JourneyAutopilot(k.engine, k.devices, { idPollMs: 10, tokenPollMs: 10 });
    const views: Array<boolean | undefined> = [];
    k.engine.on('journey', (v: { cardOnReader?: boolean } | null) => views.push(v?.cardOnReader));
    await k.engine.scan(k.code);
    await k.engine.confirm();
    // Waiting for the card: a card on the reader is read, not a reason for a reminder.
    k.devices.card = k.card;
    await pilot.tick();
    expect(k.engine.view()).toMatchObject({ need: 'token' });
    expect(k.engine.view()?.cardOnReader).toBeUndefined();
    // The journey moved on to the key and the card still lies there.
    await pilot.tick();
    expect(k.engine.view()?.cardOnReader).toBe(true);
    expect(views.at(-1)).toBe(true);
    // Lifted: the reminder goes, and the screens hear of it.
    k.devices.card = null;
    await pilot.tick();
    expect(k.engine.view()?.cardOnReader).toBeUndefined();
    expect(views.at(-1)).toBeUndefined();
    // Put back down on the done screen: reminded again.
    k.driver.insertBlank();
    await k.engine.personaliseToken();
    await k.engine.setPin(HOLDER_PIN);
    k.devices.card = k.card;
    await pilot.tick();
    expect(k.engine.view()).toMatchObject({ status: 'completed', cardOnReader: true });
    // A new journey after the done screen is not reminded of the card before it reads one.
    k.driver.pull();
    await k.engine.close();
    await pilot.tick();
    expect(k.engine.view()?.cardOnReader).toBeUndefined();
  });

  it('a key pulled before issuance is spoiled; a new blank key finishes with one certificate', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    const first = k.driver.inserted!;
    k.driver.failNext('keygen', { code: 'TOKEN_REMOVED', when: 'after', pull: true });
    let v = await k.engine.personaliseToken();
    expect(v).toMatchObject({ status: 'active', need: 'token', error: { code: 'TOKEN_REMOVED' } });
    expect(k.store.data.spoiledKeys.map((s) => s.serial)).toEqual([first.serial]);
    v = (await driveToEnd(k))!;
    expect(v.status).toBe('completed');
    expectOneCertificate(k);
    expect(first.leafCount()).toBe(0);
    expect(journeyOf(k).attempt).toBe(2);
  });

  it('paper out: the receipt is queued for reprint and the journey still completes', async () => {
    const k = await fakeKiosk();
    k.devices.printerFault = new Error('paper out');
    const v = (await driveToEnd(k))!;
    expect(v).toMatchObject({ status: 'completed', receipt: { state: 'queued-for-reprint' } });
    expect(k.store.data.reprints).toHaveLength(1);
    expect(k.store.data.reprints[0]).toMatchObject({ journeyId: v.id, state: 'queued' });
    expect(k.events.distinct().map((e) => e.type)).toEqual([
      'certificate.issued',
      'certificate.written',
      'receipt.queued',
      'issuance.record',
      'certificate.activated',
    ]);
    expectOneCertificate(k);
  });

  it('three cards of other people: ID_ATTEMPTS_EXHAUSTED, the same wrong card left on the reader counting once', async () => {
    const k = await fakeKiosk();
    await driveToEnd(k, { until: 'id-card' });
    const others = ['11010519851224002', '31011519700315001', '44010619920202003'].map((d) =>
      residentCard('李娜', idNumber(d)),
    );
    k.devices.card = others[0]!;
    let v = await k.engine.readIdentity();
    expect(v.error).toMatchObject({ code: 'ID_MISMATCH_PERSON', params: { attemptsLeft: 2 } });
    // What the ID-card screen reads to say "还可以再试 2 次".
    expect(v.identity).toMatchObject({ state: 'mismatched', reason: 'ID_MISMATCH_PERSON', attemptsLeft: 2 });
    v = await k.engine.readIdentity();
    expect(v.error?.params?.['attemptsLeft']).toBe(2);
    k.devices.card = others[1]!;
    v = await k.engine.readIdentity();
    expect(v.error?.params?.['attemptsLeft']).toBe(1);
    expect(v.identity?.attemptsLeft).toBe(1);
    k.devices.card = others[2]!;
    v = await k.engine.readIdentity();
    expect(v).toMatchObject({ status: 'failed', error: { code: 'ID_ATTEMPTS_EXHAUSTED' } });
    expect(k.log.some((c) => c.startsWith('usbKey.') || c === 'central.issueCertificate')).toBe(false);
  });

  it('a wrong card shows on screen only with its reason and tries left, never half-judged while central counts', async () => {
    const k = await fakeKiosk();
    await driveToEnd(k, { until: 'id-card' });
    k.devices.card = residentCard('李娜', idNumber('11010519851224002'));
    const count = k.central.reportIdentityFailure.bind(k.central);
    let meanwhile: ReturnType<typeof k.engine.view> = null;
    k.central.reportIdentityFailure = async (code, reason) => {
      meanwhile = k.engine.view();
      return count(code, reason);
    };
    const v = await k.engine.readIdentity();
    expect(meanwhile).toMatchObject({ need: 'id-card', identity: { state: 'waiting' } });
    expect(meanwhile!.error).toBeUndefined();
    expect(v).toMatchObject({
      identity: { state: 'mismatched', nameMasked: '李*', attemptsLeft: 2 },
      error: { code: 'ID_MISMATCH_PERSON', params: { attemptsLeft: 2 } },
    });
  });

  it('tries are counted per order, not per scan: a new scan after two wrong cards has one try left', async () => {
    const k = await fakeKiosk();
    await driveToEnd(k, { until: 'id-card' });
    for (const [i, d] of ['11010519851224002', '31011519700315001'].entries()) {
      k.devices.card = residentCard('李娜', idNumber(d));
      const v = await k.engine.readIdentity();
      expect(v.error?.params?.['attemptsLeft']).toBe(2 - i);
      expect(v.identity?.attemptsLeft).toBe(2 - i);
    }
    await k.engine.wipe('cancelled');
    await driveToEnd(k, { until: 'id-card' });
    k.devices.card = residentCard('李娜', idNumber('44010619920202003'));
    expect(await k.engine.readIdentity()).toMatchObject({
      status: 'failed',
      error: { code: 'ID_ATTEMPTS_EXHAUSTED' },
    });
    // And the code is refused at the next scan (central says so), not given three fresh tries.
    await k.engine.close();
    expect((await k.engine.scan(k.code)).error?.code).toBe('ID_ATTEMPTS_EXHAUSTED');
  });

  it('with central unreachable, this kiosk still counts the order’s wrong cards across scans', async () => {
    const k = await fakeKiosk();
    await driveToEnd(k, { until: 'id-card' });
    k.central.down = true;
    k.devices.card = residentCard('李娜', idNumber('11010519851224002'));
    expect((await k.engine.readIdentity()).error?.params?.['attemptsLeft']).toBe(2);
    k.central.down = false;
    await k.engine.wipe('cancelled');
    await driveToEnd(k, { until: 'id-card' });
    k.central.down = true;
    k.devices.card = residentCard('李娜', idNumber('31011519700315001'));
    expect((await k.engine.readIdentity()).error?.params?.['attemptsLeft']).toBe(1);
  });

  it('staff end the session before issuance: abandoned (SESSION_ENDED_BY_STAFF), the prepared key spoiled', async () => {
    const k = await fakeKiosk();
    await toTokenStep(k);
    k.driver.failNext('csr', { code: 'TOKEN_FAILED', when: 'before' });
    let v = await k.engine.personaliseToken();
    expect(v).toMatchObject({ status: 'active', step: 'key-generated', error: { code: 'TOKEN_FAILED' } });
    const id = v.id;
    await k.engine.endSession();
    expect(k.engine.journey(id)).toMatchObject({
      status: 'abandoned',
      error: { code: 'SESSION_ENDED_BY_STAFF' },
    });
    expect(k.store.data.spoiledKeys.map((s) => s.serial)).toEqual([k.driver.inserted?.serial]);
    expect(k.engine.journey(id)?.order?.holder).toMatchObject({
      nameMasked: '张*',
      idHmac: '',
      nameHmac: '',
    });
    expect(k.engine.journey(id)?.order?.identitySalt).toBe('');
    v = (await k.engine.start())!;
    expect(v).toMatchObject({ status: 'active', need: 'scan' });
    expect(v.id).not.toBe(id);
  });
});
