// Renew (续期) on the service engine: the paid renewal order is pulled by the certificate on the holder's key,
// the holder's ID card must be the certificate holder's (the pickup rules, journey/identity.ts), and under the
// key's current PIN a new key pair is generated beside the old one, certified by central, written, and
// verified by a test signature. Only then are the old certificate and key pair removed, and the old
// certificate revoked at central or left to expire, as its profile says. Every step on the key is idempotent
// (service-table.ts): a crash anywhere leaves the holder a working certificate — the old one, the new one, or
// both — and the PIN is typed again to go on. A holder who leaves after issuance but before the new
// certificate is verified on the key has it voided at central (the order is paid again, the old certificate
// stays good); one who leaves after verification has the rest (revocation, report) finished without the key.
import { randomBytes, verify, X509Certificate } from 'node:crypto';
import { maskIdNumber } from '@certkiosk/config';
import { type IdCard, isDeviceError } from '@certkiosk/firmware-bridge';
import {
  type IssuedCertificate,
  maskOrderId,
  normaliseCertificateSerial,
  type RenewalOrderResponse,
  signIdentityStatement,
} from '@certkiosk/sync';
import type { ErrorBody } from '../api/contract.js';
import { ApplianceError, errorBody } from '../errors.js';
import { checkIdentity, identityStatementFor, maskName } from '../journey/identity.js';
import { csrProfile, keyPairOnToken, PROFILE_ALGORITHM } from '../journey/key-pair.js';
import { orderSnapshot } from '../journey/personal-data.js';
import type { ApplianceKey, KioskDevices } from '../journey/ports.js';
import type { TokenJobs } from '../journey/token-jobs.js';
import { outcomeUnknown } from '../journey/translate-error.js';
import type { PaymentSlot, PaymentSteps } from '../payments/payment-steps.js';
import type { ServiceCentralPort } from './ports.js';
import type { RenewalRecord, ServiceRecord } from './service-record.js';
import { type ServiceEffect, serviceStepIndex } from './service-table.js';
import { serviceError } from './translate-error.js';

/** Wrong cards a renewal takes before it ends (the certificate holder is asked for, no one else). */
export const RENEW_MAX_CARD_MISMATCHES = 3;

/** What the renew steps need of the service engine that runs them (its durable-state primitives). */
export interface RenewHost {
  applianceId: string;
  applianceKey?: ApplianceKey;
  central: ServiceCentralPort;
  devices: KioskDevices;
  jobs: TokenJobs;
  now(): Date;
  persist(j: ServiceRecord, step?: ServiceRecord['step']): Promise<void>;
  intend(j: ServiceRecord, effect: ServiceEffect, extra?: { csrPem?: string }): Promise<void>;
  done(j: ServiceRecord, effect: ServiceEffect): Promise<void>;
  end(j: ServiceRecord, status: 'completed' | 'failed', note: string, error?: ErrorBody): Promise<void>;
  emitEvent(
    j: ServiceRecord,
    type: string,
    payload: Record<string, unknown>,
    orderId?: string,
  ): Promise<void>;
  audit(action: string, details: Record<string, unknown>): Promise<void>;
  /** Paying at the kiosk (shared with the look-up's orders). */
  payments: PaymentSteps<ServiceRecord>;
  fault?(point: `after:${ServiceEffect}`): void | Promise<void>;
}

const at = (j: ServiceRecord, step: ServiceRecord['step']) =>
  serviceStepIndex('renew', j.step) >= serviceStepIndex('renew', step);

function renewalOf(j: ServiceRecord): RenewalRecord {
  if (!j.renewal) throw new ApplianceError('INTERNAL', `Renewal ${j.id} has no renewal record at ${j.step}.`);
  return j.renewal;
}

export class RenewSteps {
  constructor(private readonly h: RenewHost) {}

  // ---------- before the PIN: the order and the holder ----------

  /** After the key was read: the paid renewal order of its certificate (central's rules: paid, hall, dates). */
  async findOrder(j: ServiceRecord): Promise<'found' | 'not-ours' | 'unknown' | 'refused'> {
    const key = j.key;
    if (!key) throw new ApplianceError('INTERNAL', 'renewal without key facts');
    if (key.pinLocked) {
      await this.h.end(j, 'failed', 'the user PIN is locked', errorBody('CURRENT_PIN_LOCKED'));
      return 'refused';
    }
    let answer: RenewalOrderResponse;
    try {
      answer = await this.h.central.renewalFor(key.certificateSerial, key.tokenSerial);
    } catch (err) {
      const e = serviceError(err);
      if (e.code === 'KEY_NOT_OURS') return 'not-ours';
      if (outcomeUnknown(e)) {
        j.error = e.toBody();
        await this.h.persist(j);
        return 'unknown';
      }
      await this.h.end(j, 'failed', `renewal order: ${e.code}`, e.toBody());
      return 'refused';
    }
    const order = orderSnapshot(answer.order);
    j.renewal = {
      order,
      orderIdMasked: maskOrderId(order.orderId),
      rule: answer.previousCertificate.renewalRule,
      keyIdHex: randomBytes(8).toString('hex'),
      algorithm: PROFILE_ALGORITHM[order.certificateType],
      // Awaiting payment: paid here (WeChat Pay) once the holder's card matched, before the PIN.
      ...(answer.payment?.due ? { payment: { state: 'due', amountFen: answer.payment.amountFen } } : {}),
    };
    j.central = { status: 'good', renewalOrderReady: true };
    j.awaiting = 'id-card';
    delete j.error;
    await this.h.persist(j, 'order-found');
    return 'found';
  }

  /** The card on the reader: the certificate holder (matched by HMAC under the order's salt) or not. */
  async checkCard(j: ServiceRecord, card: IdCard): Promise<void> {
    const r = renewalOf(j);
    const masks = { nameMasked: maskName(card.name), idNumberMasked: maskIdNumber(card.idNumber) };
    const check = checkIdentity(card, r.order, this.h.now());
    if (!check.ok) {
      r.cardMismatches = (r.cardMismatches ?? 0) + (check.code === 'ID_MISMATCH_PERSON' ? 1 : 0);
      j.identity = { ...masks, lastReason: check.code };
      if (r.cardMismatches >= RENEW_MAX_CARD_MISMATCHES) {
        await this.h.end(j, 'failed', `identity: ${check.detail}`, errorBody('ID_ATTEMPTS_EXHAUSTED'));
        return;
      }
      j.error = errorBody(check.code, undefined, {
        attemptsLeft: RENEW_MAX_CARD_MISMATCHES - r.cardMismatches,
      });
      await this.h.persist(j);
      return;
    }
    if (!this.h.applianceKey) throw new ApplianceError('INTERNAL', 'renewal needs the appliance key');
    const key = this.h.applianceKey;
    r.statement = await signIdentityStatement(
      identityStatementFor(card, r.order, check.role, this.h.applianceId, this.h.now()),
      (data) => key.sign(data),
    );
    j.identity = masks;
    const toPay = r.payment && r.payment.state !== 'paid';
    j.awaiting = toPay ? 'payment' : 'current-pin';
    delete j.error;
    await this.h.persist(j, 'identity-verified');
    if (toPay) await this.startPayment(j);
  }

  // ---------- paying at the kiosk (an order awaiting payment), between the card and the PIN ----------

  /** The renewal order's payment as payments/payment-steps.ts walks it. */
  private paymentSlot(j: ServiceRecord): PaymentSlot {
    const r = renewalOf(j);
    return {
      orderId: r.order.orderId,
      read: () => r.payment,
      write: (p) => {
        r.payment = p;
      },
    };
  }

  /**
   * Show the QR code (central's open payment, or a new one after an expired one). Central down or WeChat Pay
   * failing: said, and the holder tries again; the order no longer payable here: the renewal ends.
   */
  async startPayment(j: ServiceRecord): Promise<void> {
    const turn = await this.h.payments.start(j, this.paymentSlot(j));
    if (turn.outcome === 'refused')
      await this.h.end(j, 'failed', `payment: ${turn.error.code}`, turn.error.toBody());
    else if (turn.outcome === 'paid') await this.paid(j);
  }

  /** Ask central how the shown QR code stands: paid → the PIN next; closed → expired (pay again or leave). */
  async checkPayment(j: ServiceRecord): Promise<void> {
    if ((await this.h.payments.check(j, this.paymentSlot(j))).outcome === 'paid') await this.paid(j);
  }

  /** Paid (payment.taken is in the outbox): the PIN next. */
  private async paid(j: ServiceRecord): Promise<void> {
    j.awaiting = 'current-pin';
    await this.h.persist(j);
  }

  // ---------- with the PIN: everything on the key, in order, each step found done when re-run ----------

  /**
   * The holder's current PIN: checked by a login (a wrong one is said with the key's tries-low flag), then
   * the renewal goes on from its durable step to the end. The PIN lives in this call only.
   */
  async withPin(j: ServiceRecord, pin: string): Promise<void> {
    if (!/^[0-9]{4,16}$/.test(pin)) throw new ApplianceError('BAD_REQUEST', 'A PIN is 4 to 16 digits.');
    const serial = j.tokenSerial!;
    const usbKey = this.h.jobs.usbKey();
    try {
      await usbKey.withSession({ serial }, pin, () => undefined);
    } catch (err) {
      await this.pinRefused(j, err);
      return;
    }
    const r = renewalOf(j);
    delete r.pinTriesLow;
    j.awaiting = 'none';
    delete j.error;
    await this.h.persist(j);
    if (j.pending?.effect === 'renew-issue') await this.settleIssuance(j);
    if (j.status !== 'active' || j.awaiting !== 'none') return;
    if (!at(j, 'key-generated')) await this.generateKey(j, pin);
    if (!at(j, 'certificate-issued')) await this.requestIssuance(j, pin);
    // The issuance answer was lost: it is settled first (retry asks central by the idempotency key).
    if (j.status !== 'active' || j.awaiting !== 'none' || j.pending?.effect === 'renew-issue') return;
    if (!at(j, 'certificate-written')) await this.writeCertificate(j, pin);
    if (!at(j, 'verified')) await this.verifyNew(j, pin);
    if (!at(j, 'old-removed')) await this.removeOld(j, pin);
    await this.finishWithoutKey(j);
  }

  private async pinRefused(j: ServiceRecord, err: unknown): Promise<void> {
    const code = isDeviceError(err) ? (err as { code: string }).code : '';
    if (code === 'TOKEN_PIN_INCORRECT' || code === 'TOKEN_PIN_LEN_RANGE') {
      const flags = await this.h.jobs
        .usbKey()
        .withSession({ serial: j.tokenSerial! }, undefined, (s) => s.token.flags)
        .catch(() => null);
      const r = renewalOf(j);
      if (flags?.userPinLocked) return this.locked(j);
      if (flags?.userPinCountLow || flags?.userPinFinalTry) r.pinTriesLow = true;
      j.error = errorBody('CURRENT_PIN_WRONG', undefined, r.pinTriesLow ? { triesLow: 1 } : undefined);
      await this.h.persist(j);
      return;
    }
    if (code === 'TOKEN_PIN_LOCKED') return this.locked(j);
    throw err;
  }

  /** The PIN locked: before issuance the renewal ends (unlock first); after it, it waits for an unlock. */
  private async locked(j: ServiceRecord): Promise<void> {
    if (!j.pending && !at(j, 'certificate-issued')) {
      await this.h.end(j, 'failed', 'the user PIN locked', errorBody('CURRENT_PIN_LOCKED'));
      return;
    }
    j.error = errorBody('CURRENT_PIN_LOCKED');
    await this.h.persist(j);
  }

  private async generateKey(j: ServiceRecord, pin: string): Promise<void> {
    const r = renewalOf(j);
    // A key pair left by an earlier try whose result was never recorded is read back, not made twice.
    const kp = await keyPairOnToken(
      this.h.jobs.usbKey(),
      { serial: j.tokenSerial! },
      pin,
      {
        keyId: Buffer.from(r.keyIdHex, 'hex'),
        algorithm: r.algorithm,
        label: `${r.order.orderId} signing key`,
        retrying: j.pending?.effect === 'renew-keygen',
      },
      () => this.h.intend(j, 'renew-keygen'),
    );
    r.spkiSha256 = kp.spkiSha256;
    r.evidence = { ...kp.evidence };
    r.idempotencyKey = `${r.order.orderId}:${j.id.slice(0, 8)}:${j.attempt}`;
    await this.h.done(j, 'renew-keygen');
  }

  private async requestIssuance(j: ServiceRecord, pin: string): Promise<void> {
    const r = renewalOf(j);
    const csr = await this.h.jobs
      .usbKey()
      .csr({ serial: j.tokenSerial! }, pin, Buffer.from(r.keyIdHex, 'hex'), csrProfile(r.order));
    await this.h.intend(j, 'renew-issue', { csrPem: csr.pem });
    await this.sendIssuance(j);
  }

  /** Send (or send again) the renewal's issuance request under its idempotency key. */
  private async sendIssuance(j: ServiceRecord): Promise<void> {
    const r = renewalOf(j);
    const key = j.key!;
    if (!r.statement || !r.evidence || !r.idempotencyKey || !j.pending?.csrPem)
      throw new ApplianceError('INTERNAL', `Renewal ${j.id} cannot ask for issuance at ${j.step}.`);
    let answer: IssuedCertificate;
    try {
      answer = await this.h.central.issueRenewal({
        orderId: r.order.orderId,
        idempotencyKey: r.idempotencyKey,
        previousCertificateSerial: key.certificateSerial,
        csrPem: j.pending.csrPem,
        keyEvidence: { tokenSerial: key.tokenSerial, ...r.evidence },
        identityStatement: r.statement,
      });
    } catch (err) {
      const e = serviceError(err);
      const found = await this.h.central.getCertificateByIdempotencyKey(r.idempotencyKey).catch(() => null);
      if (found) {
        answer = found;
      } else if (outcomeUnknown(e)) {
        // Whether central issued is not known: the intent stays; retry (or the PIN again) asks by the key.
        j.awaiting = 'none';
        j.error = e.toBody();
        await this.h.persist(j);
        return;
      } else {
        // Central said no: nothing was issued; the old certificate is untouched (the new key pair goes).
        delete j.pending;
        await this.h.end(j, 'failed', `central refused the renewal: ${e.code}`, e.toBody());
        return;
      }
    }
    await this.recordIssued(j, answer);
  }

  /** After a lost answer: central knows whether it issued under the idempotency key; else send it again. */
  async settleIssuance(j: ServiceRecord): Promise<void> {
    const r = renewalOf(j);
    const found = r.idempotencyKey
      ? await this.h.central.getCertificateByIdempotencyKey(r.idempotencyKey).catch((err) => {
          const e = serviceError(err);
          if (outcomeUnknown(e)) return e;
          throw e;
        })
      : null;
    if (found instanceof ApplianceError) {
      j.error = found.toBody();
      await this.h.persist(j);
      return;
    }
    if (found) await this.recordIssued(j, found);
    else await this.sendIssuance(j);
  }

  private async recordIssued(j: ServiceRecord, answer: IssuedCertificate): Promise<void> {
    const r = renewalOf(j);
    if (r.spkiSha256 && answer.publicKeySha256 !== r.spkiSha256)
      throw new ApplianceError('CERTIFICATE_KEY_MISMATCH');
    const cert = new X509Certificate(answer.certificatePem);
    r.certificate = {
      serialNumber: normaliseCertificateSerial(answer.serialNumber),
      pem: answer.certificatePem,
      chainPem: answer.chainPem,
      notBefore: answer.notBefore,
      notAfter: answer.notAfter,
      subjectCommonName: /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? '',
      publicKeySha256: answer.publicKeySha256,
    };
    // The event is in the outbox before the step it reports is durable (a re-run keeps its id).
    await this.h.emitEvent(j, 'certificate.issued', {
      serialNumber: r.certificate.serialNumber,
      tokenSerial: j.tokenSerial,
      renews: j.certificateSerial,
    });
    // The key work goes on under the PIN (this call has it, a recovery asks for it again).
    if (j.awaiting === 'none' && j.error) delete j.error;
    await this.h.done(j, 'renew-issue');
  }

  private async writeCertificate(j: ServiceRecord, pin: string): Promise<void> {
    const r = renewalOf(j);
    const c = r.certificate;
    if (!c) throw new ApplianceError('INTERNAL', `Renewal ${j.id} has no certificate to write.`);
    await this.h.intend(j, 'renew-write');
    // Idempotent: the same certificate under the same id is not written twice; the driver checks the key.
    await this.h.jobs.usbKey().importCertificate(
      { serial: j.tokenSerial! },
      pin,
      Buffer.from(r.keyIdHex, 'hex'),
      new X509Certificate(c.pem),
      c.chainPem.map((p) => new X509Certificate(p)),
    );
    await this.h.emitEvent(j, 'certificate.written', {
      serialNumber: c.serialNumber,
      tokenSerial: j.tokenSerial,
    });
    await this.h.done(j, 'renew-write');
  }

  /** A test signature by the new key, checked against the new certificate: only then may the old one go. */
  private async verifyNew(j: ServiceRecord, pin: string): Promise<void> {
    const r = renewalOf(j);
    const c = r.certificate!;
    const data = Buffer.concat([Buffer.from(`certkiosk renewal ${j.id} `), randomBytes(16)]);
    const signature = await this.h.jobs
      .usbKey()
      .withSession({ serial: j.tokenSerial! }, pin, (s) =>
        s.signer(Buffer.from(r.keyIdHex, 'hex')).sign(data),
      );
    if (!verify('sha256', data, new X509Certificate(c.pem).publicKey, signature)) {
      throw new ApplianceError(
        'VERIFY_FAILED',
        'the test signature did not verify against the new certificate',
      );
    }
    await this.h.persist(j, 'verified');
  }

  /** The old certificate and its key pair (the objects under its CKA_ID) leave the key; the new ones stay. */
  private async removeOld(j: ServiceRecord, pin: string): Promise<void> {
    const r = renewalOf(j);
    const oldSerial = j.certificateSerial!;
    await this.h.intend(j, 'remove-old');
    const removed = await this.h.jobs.usbKey().withSession({ serial: j.tokenSerial! }, pin, (s) => {
      const ids = new Set(
        s
          .findCertificates()
          .filter((c) => normaliseCertificateSerial(c.cert.serialNumber) === oldSerial)
          .map((c) => c.id)
          .filter((id) => id !== r.keyIdHex),
      );
      let n = 0;
      for (const id of ids) n += s.destroyObjects(Buffer.from(id, 'hex'));
      return n;
    });
    r.oldRemoved = true;
    await this.h.audit('certificate.renewal.old-removed', {
      journeyId: j.id,
      certificateSerial: oldSerial,
      tokenSerial: j.tokenSerial,
      objects: removed,
    });
    await this.h.done(j, 'remove-old');
  }

  // ---------- without the key: the old certificate's fate, the report ----------

  /** Revoke the old certificate (when the profile says so) and report; needs neither the key nor the PIN. */
  async finishWithoutKey(j: ServiceRecord): Promise<void> {
    const r = renewalOf(j);
    if (!at(j, 'old-revoked')) {
      if (r.rule === 'revoke-previous') {
        await this.h.intend(j, 'revoke-old');
        try {
          const revoked = await this.h.central.revokeForOrder(j.certificateSerial!, {
            orderId: r.order.orderId,
            reason: 'superseded',
          });
          r.oldRevokedAt = revoked.revokedAt;
        } catch (err) {
          const e = serviceError(err);
          // The new certificate is on the key and works: the revocation is asked again (retry, restart).
          j.error = e.toBody();
          await this.h.persist(j);
          return;
        }
        delete j.error;
        await this.h.done(j, 'revoke-old');
      } else {
        // The profile lets a renewed certificate run out: nothing to ask central.
        await this.h.persist(j, 'old-revoked');
      }
    }
    await this.report(j);
  }

  private async report(j: ServiceRecord): Promise<void> {
    const r = renewalOf(j);
    const facts = {
      serialNumber: r.certificate?.serialNumber,
      previousSerialNumber: j.certificateSerial,
      tokenSerial: j.tokenSerial,
      oldRemoved: !!r.oldRemoved,
      ...(r.oldRevokedAt ? { previousRevokedAt: r.oldRevokedAt } : {}),
    };
    await this.h.intend(j, 'report-renewal');
    await this.h.emitEvent(j, 'certificate.renewed', facts);
    await this.h.audit('certificate.renewed', { journeyId: j.id, ...facts });
    await this.h.fault?.('after:report-renewal');
    delete j.error;
    await this.h.end(
      j,
      'completed',
      r.oldRemoved ? 'renewed' : 'renewed; the old certificate stays on the key (the holder left)',
    );
  }

  // ---------- the holder left after issuance ----------

  /**
   * Settle a renewal the holder left after it was committed: verified on the key → finish without it;
   * otherwise the issued certificate (if any) is voided at central — the order is paid again, the old
   * certificate was never touched. Central unreachable: 'later'.
   */
  async settleLeft(
    j: ServiceRecord,
    journeyId: string,
  ): Promise<'completed' | 'voided' | 'nothing' | 'later'> {
    const r = renewalOf(j);
    if (at(j, 'verified')) {
      j.status = 'active';
      await this.finishWithoutKey(j);
      if ((j.status as ServiceRecord['status']) === 'completed') return 'completed';
      j.status = 'in-doubt';
      await this.h.persist(j);
      return 'later';
    }
    let serial = r.certificate?.serialNumber;
    try {
      if (!serial && r.idempotencyKey && j.pending?.effect === 'renew-issue') {
        serial = (await this.h.central.getCertificateByIdempotencyKey(r.idempotencyKey))?.serialNumber;
      }
      if (serial) {
        const v = await this.h.central.voidCertificate(serial, {
          journeyId,
          reason: 'holder left before the renewed certificate was verified on the key',
        });
        r.voidedAt = v.voidedAt;
      }
    } catch (err) {
      const e = serviceError(err);
      if (outcomeUnknown(e)) return 'later';
      j.note = `${j.note ?? ''}; void refused: ${e.code}`;
    }
    delete j.pending;
    j.status = 'failed';
    j.note = serial
      ? `${j.note ?? ''}; renewed certificate ${serial} voided, the order is paid again`
      : `${j.note ?? ''}; nothing was issued`;
    await this.h.persist(j);
    return serial ? 'voided' : 'nothing';
  }
}
