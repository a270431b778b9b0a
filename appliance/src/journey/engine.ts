// The pickup journey engine: a persisted state machine over the real drivers and central.
// Rule: every transition is written durably before the side effect of the next step starts, so a crash
// at any point leaves a record the recovery below can resume, roll back, or mark in doubt.
import { hkdfSync, randomBytes, randomUUID, verify, X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { checkPin, type PinPolicy } from '@certkiosk/config';
import {
  isDeviceError,
  type KeyAlgorithm,
  maskIdNumber,
  parseCertificate,
  parseSubject,
  type TokenError,
} from '@certkiosk/firmware-bridge';
import { type IssuedCertificate, type Order, type SyncEvent, verifyPickupCode } from '@certkiosk/sync';
import { type ApplianceErrorCode, type JourneyView, PICKUP_STEPS, type PickupStep } from '../api/contract.js';
import { ApplianceError, errorBody } from '../errors.js';
import { checkIdentity, hashIdNumber, maskName } from './identity.js';
import type { ApplianceKey, CentralPort, EventSink, KioskDevices, StateStore } from './ports.js';
import { receiptData, receiptDocument } from './receipt.js';
import type { JourneyRecord, OrderSnapshot } from './record.js';
import { journeyView } from './view.js';

export interface EngineOptions {
  applianceId: string;
  hall: string;
  centralUrl: string;
  pickupPublicKeyPem: string;
  pinPolicy: PinPolicy;
  /** Master secret the per-key SO-PIN and transport PIN are derived from. */
  soPinMasterSecret: Buffer;
  /** SO-PIN blank keys arrive with from the vendor (null: blank keys are uninitialised). */
  blankKeySoPin: string | null;
  /** How many different ID cards may be tried before the journey fails. */
  maxIdAttempts?: number;
  now?: () => Date;
  /** Test hook: SIGKILL this process right after this step is made durable. */
  crashAfter?: string;
  /** Test hook: awaited right after a step is made durable (e.g. to pull the key at a chosen moment). */
  afterStep?: (step: PickupStep) => Promise<void> | void;
}

/** Key algorithm per certificate profile. */
const PROFILE_ALGORITHM: Record<OrderSnapshot['certificateType'], KeyAlgorithm> = {
  organisation: 'rsa2048',
  'organisation-individual': 'rsa2048',
  'natural-person': 'ec-p256',
};

type EngineEvents = {
  journey: [JourneyView | null];
  wiped: [{ reason: 'idle' | 'cancelled' | 'completed' }];
};

export class PickupEngine extends EventEmitter<EngineEvents> {
  private busy = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => Date;

  constructor(
    private readonly store: StateStore,
    private readonly central: CentralPort,
    private readonly events: EventSink,
    private readonly devices: KioskDevices,
    private readonly applianceKey: ApplianceKey,
    private readonly opts: EngineOptions,
  ) {
    super();
    this.now = opts.now ?? (() => new Date());
  }

  // ---------- reading ----------

  current(): JourneyRecord | null {
    const id = this.store.data.activeJourneyId;
    return id ? (this.store.data.journeys[id] ?? null) : null;
  }

  view(): JourneyView | null {
    const j = this.current();
    return j ? journeyView(j) : null;
  }

  journey(id: string): JourneyRecord | undefined {
    return this.store.data.journeys[id];
  }

  inDoubt(): JourneyRecord[] {
    return Object.values(this.store.data.journeys).filter((j) => j.status === 'in-doubt');
  }

  get isBusy(): boolean {
    return this.busy;
  }

  // ---------- persistence ----------

  private async persist(j: JourneyRecord, step?: PickupStep): Promise<void> {
    if (step) j.step = step;
    j.updatedAt = this.now().toISOString();
    j.revision = (j.revision ?? 0) + 1;
    this.store.data.journeys[j.id] = j;
    await this.store.write();
    if (step && this.opts.crashAfter === step) process.kill(process.pid, 'SIGKILL');
    if (step) await this.opts.afterStep?.(step);
    this.emit('journey', this.store.data.activeJourneyId === j.id ? journeyView(j) : this.view());
  }

  private async emitEvent(
    type: string,
    j: JourneyRecord,
    payload: Record<string, unknown>,
    id?: string,
  ): Promise<void> {
    const event: SyncEvent = {
      // Deterministic per journey and type, so an event re-emitted after a crash is deduplicated by central.
      id: id ?? `${j.id}:${type}:${j.attempt}`,
      type,
      occurredAt: this.now().toISOString(),
      ...(j.order ? { orderId: j.order.orderId } : {}),
      payload: { applianceId: this.opts.applianceId, journeyId: j.id, ...payload },
    };
    await this.events.enqueue(event);
  }

  /** Run engine actions one at a time, in arrival order (an action that arrives mid-step waits for it). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.busy = true;
      try {
        return await fn();
      } finally {
        this.busy = false;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private requireActive(awaiting?: JourneyRecord['awaiting']): JourneyRecord {
    const j = this.current();
    if (j?.status !== 'active') throw new ApplianceError('NO_ACTIVE_JOURNEY');
    if (awaiting && j.awaiting !== awaiting) {
      throw new ApplianceError(
        'WRONG_STEP',
        `The journey is waiting for "${j.awaiting}", not "${awaiting}".`,
      );
    }
    return j;
  }

  // ---------- applicant actions ----------

  /** Start a pickup journey (attract screen tapped). An unfinished one is returned as it is. */
  async start(): Promise<JourneyView> {
    return this.exclusive(async () => {
      const existing = this.current();
      if (existing && existing.status === 'active') return journeyView(existing);
      const now = this.now().toISOString();
      const j: JourneyRecord = {
        id: randomUUID(),
        kind: 'pickup',
        step: 'scanned',
        status: 'active',
        awaiting: 'scan',
        startedAt: now,
        updatedAt: now,
        attempt: 1,
      };
      this.store.data.activeJourneyId = j.id;
      // Not a step yet: nothing is scanned. Stored so an abandoned start is visible.
      this.store.data.journeys[j.id] = j;
      await this.store.write();
      this.emit('journey', journeyView(j));
      return journeyView(j);
    });
  }

  /** A pickup code arrived (from the scanner or typed). Verified offline, then the order is fetched. */
  async scan(code: string): Promise<JourneyView> {
    if (this.current()?.status !== 'active') await this.start();
    return this.exclusive(async () => {
      const j = this.requireActive('scan');
      delete j.error;
      const check = verifyPickupCode(code, this.opts.pickupPublicKeyPem, {
        hall: this.opts.hall,
        now: this.now().getTime(),
      });
      if (!check.ok) {
        const code_: ApplianceErrorCode =
          check.reason === 'expired'
            ? 'PICKUP_CODE_EXPIRED'
            : check.reason === 'wrong-hall'
              ? 'PICKUP_CODE_WRONG_HALL'
              : check.reason === 'forged'
                ? 'PICKUP_CODE_FORGED'
                : 'PICKUP_CODE_MALFORMED';
        return this.refuse(j, new ApplianceError(code_, check.message));
      }
      if (this.store.data.usedPickupNonces[check.payload.nonce]) {
        return this.refuse(j, new ApplianceError('PICKUP_CODE_USED'));
      }
      j.pickupCode = code.trim();
      j.pickupNonce = check.payload.nonce;
      await this.persist(j, 'scanned');

      let order: Order;
      try {
        order = await this.central.getOrder(check.payload.orderId);
      } catch (err) {
        return this.refuse(j, asApplianceError(err), { backToScan: true });
      }
      if (['issued', 'activated', 'invoiced'].includes(order.status)) {
        return this.refuse(j, new ApplianceError('ORDER_ALREADY_ISSUED'), { backToScan: true });
      }
      if (order.status !== 'approved' || order.delivery !== 'kiosk') {
        return this.refuse(j, new ApplianceError('ORDER_NOT_APPROVED'), { backToScan: true });
      }
      j.order = snapshot(order, this.store.data.idSalt);
      j.awaiting = 'confirm-order';
      await this.persist(j, 'order-verified');
      return journeyView(j);
    });
  }

  /** Refuse the current action: record the error and keep waiting for the same input (or a new scan). */
  private async refuse(
    j: JourneyRecord,
    err: ApplianceError,
    opts: { backToScan?: boolean } = {},
  ): Promise<JourneyView> {
    j.error = err.toBody();
    if (opts.backToScan) {
      j.awaiting = 'scan';
      delete j.pickupCode;
      delete j.pickupNonce;
      delete j.order;
    }
    await this.persist(j);
    return journeyView(j);
  }

  async confirm(): Promise<JourneyView> {
    return this.exclusive(async () => {
      const j = this.requireActive('confirm-order');
      delete j.error;
      j.awaiting = 'id-card';
      j.identity = { attempts: 0 };
      await this.persist(j);
      return journeyView(j);
    });
  }

  /** Read the ID card on the reader and match it against the order. Called by the reader poll loop. */
  async readIdentity(): Promise<JourneyView> {
    return this.exclusive(async () => {
      const j = this.requireActive('id-card');
      const order = j.order!;
      let result: Awaited<ReturnType<KioskDevices['readIdCard']>>;
      try {
        result = await this.devices.readIdCard();
      } catch (err) {
        j.error = errorBody('ID_CARD_UNREADABLE', (err as Error).message);
        await this.persist(j);
        return journeyView(j);
      }
      if (result.state === 'no-card') {
        if (j.error?.code === 'ID_CARD_UNREADABLE') delete j.error;
        return journeyView(j);
      }
      const card = result.card;
      if (!j.identity) j.identity = { attempts: 0 };
      const identity = j.identity;
      // The same wrong card left on the reader counts once.
      const masked = maskIdNumber(card.idNumber);
      if (identity.lastReason && identity.idNumberMasked === masked) return journeyView(j);
      identity.nameMasked = maskName(card.name);
      identity.idNumberMasked = masked;
      const check = checkIdentity(card, order, this.now(), this.store.data.idSalt);
      if (!check.ok) {
        identity.attempts++;
        identity.lastReason = check.code;
        const left = (this.opts.maxIdAttempts ?? 3) - identity.attempts;
        if (left <= 0) {
          j.error = errorBody('ID_ATTEMPTS_EXHAUSTED');
          return this.fail(j, `identity: ${check.detail}`);
        }
        j.error = errorBody(check.code, undefined, { attemptsLeft: left });
        await this.persist(j);
        return journeyView(j);
      }
      identity.role = check.role;
      delete identity.lastReason;
      identity.idNumberHash = hashIdNumber(this.store.data.idSalt, card.idNumber);
      delete j.error;
      j.awaiting = 'token';
      await this.persist(j, 'identity-verified');
      return journeyView(j);
    });
  }

  /** A blank key is in the writer: prepare it, generate the key pair, have the certificate issued and write it. */
  async personaliseToken(): Promise<JourneyView> {
    return this.exclusive(async () => {
      const j = this.requireActive();
      if (
        j.awaiting !== 'token' &&
        !(j.awaiting === 'none' && stepIndex(j.step) < stepIndex('certificate-written'))
      ) {
        throw new ApplianceError('WRONG_STEP');
      }
      try {
        // As one device job: the device manager neither polls nor rescans the module meanwhile.
        await this.devices.tokenJob(() => this.runTokenSteps(j));
      } catch (err) {
        await this.onTokenStepError(j, err);
      }
      return journeyView(j);
    });
  }

  private derivedPins(serial: string): { transportPin: string } {
    const okm = Buffer.from(
      hkdfSync(
        'sha256',
        this.opts.soPinMasterSecret,
        Buffer.from(serial),
        Buffer.from('certkiosk transport-pin v1'),
        8,
      ),
    );
    // 8 digits: every token accepts them; never stored, re-derived after a restart.
    return { transportPin: (okm.readBigUInt64BE() % 100_000_000n).toString().padStart(8, '0') };
  }

  private async runTokenSteps(j: JourneyRecord): Promise<void> {
    const usbKey = this.devices.usbKey();
    const order = j.order!;
    if (stepIndex(j.step) < stepIndex('token-ready')) {
      const blank = this.devices.blankToken();
      if (!blank) throw new ApplianceError('TOKEN_ABSENT');
      j.awaiting = 'none';
      const label = `CK-${order.orderId}`.slice(0, 32);
      const keyIdHex = randomBytes(8).toString('hex');
      // prepareBlankKey re-initialises: some modules assign the serial only then (SoftHSM).
      const prepared = usbKey.prepareBlankKey(
        blank.token.serial ? { serial: blank.token.serial } : blank.slotId,
        {
          label,
          masterSecret: this.opts.soPinMasterSecret,
          transportPin: this.derivedPins(blank.token.serial || label).transportPin,
          ...(blank.token.flags.initialized && this.opts.blankKeySoPin
            ? { currentSoPin: this.opts.blankKeySoPin }
            : {}),
        },
      );
      // The transport PIN must be derivable from the final serial: set it now that the serial is known.
      const finalPin = this.derivedPins(prepared.serial).transportPin;
      const firstPin = this.derivedPins(blank.token.serial || label).transportPin;
      if (finalPin !== firstPin) await usbKey.setPin({ serial: prepared.serial }, firstPin, finalPin);
      j.token = {
        serial: prepared.serial,
        label: prepared.label,
        keyIdHex,
        algorithm: PROFILE_ALGORITHM[order.certificateType],
      };
      await this.persist(j, 'token-ready');
    }
    const token = j.token!;
    const ref = { serial: token.serial };
    const { transportPin } = this.derivedPins(token.serial);
    const keyId = Buffer.from(token.keyIdHex, 'hex');

    if (stepIndex(j.step) < stepIndex('key-generated')) {
      const kp = await usbKey.keygen(ref, transportPin, {
        algorithm: token.algorithm,
        id: keyId,
        label: `${order.orderId} signing key`,
      });
      token.spkiSha256 = kp.spkiSha256;
      token.evidence = {
        local: kp.evidence.local,
        neverExtractable: kp.evidence.neverExtractable,
        alwaysSensitive: kp.evidence.alwaysSensitive,
      };
      // Order + journey + attempt: a retry of this request reuses it; a new key pair or journey does not.
      j.idempotencyKey = `${order.orderId}:${j.id.slice(0, 8)}:${j.attempt}`;
      await this.persist(j, 'key-generated');
    }

    if (stepIndex(j.step) < stepIndex('certificate-issued')) {
      const csr = await usbKey.csr(ref, transportPin, keyId, {
        subject: parseSubject(`/CN=${subjectName(order).replace(/\//g, '\\/')}`),
        keyUsage: ['digitalSignature', 'nonRepudiation'],
        extKeyUsage: ['clientAuth'],
      });
      let issued: IssuedCertificate;
      try {
        issued = await this.central.issueCertificate({
          orderId: order.orderId,
          idempotencyKey: j.idempotencyKey!,
          pickupCode: j.pickupCode!,
          csrPem: csr.pem,
          keyEvidence: {
            tokenSerial: token.serial,
            local: !!token.evidence?.local,
            neverExtractable: !!token.evidence?.neverExtractable,
          },
        });
      } catch (err) {
        // Lost answer? Ask central what happened under this idempotency key before giving up.
        const found = await this.central.getCertificateByIdempotencyKey(j.idempotencyKey!).catch(() => null);
        if (!found) throw err;
        issued = found;
      }
      this.recordCertificate(j, issued);
      this.store.data.usedPickupNonces[j.pickupNonce!] = j.id;
      // Events go to the durable outbox before the step they report is persisted: a crash in between
      // re-sends the same event id, which central deduplicates; the other order could lose it.
      await this.emitEvent('certificate.issued', j, {
        serialNumber: issued.serialNumber,
        tokenSerial: token.serial,
      });
      await this.persist(j, 'certificate-issued');
    }

    if (stepIndex(j.step) < stepIndex('certificate-written')) {
      await this.writeCertificate(j);
    }
  }

  private recordCertificate(j: JourneyRecord, issued: IssuedCertificate): void {
    const cert = parseCertificate(issued.certificatePem);
    j.certificate = {
      serialNumber: issued.serialNumber,
      pem: issued.certificatePem,
      chainPem: issued.chainPem,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      subjectCommonName: /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? '',
      publicKeySha256: issued.publicKeySha256,
    };
  }

  private async writeCertificate(j: JourneyRecord): Promise<void> {
    const token = j.token!;
    const cert = new X509Certificate(j.certificate!.pem);
    if (token.spkiSha256 && j.certificate!.publicKeySha256 !== token.spkiSha256) {
      throw new ApplianceError('CERTIFICATE_KEY_MISMATCH');
    }
    const chain = j.certificate!.chainPem.map((p) => new X509Certificate(p));
    // The driver compares the certificate's key with the token key again before writing.
    await this.devices
      .usbKey()
      .importCertificate(
        { serial: token.serial },
        this.derivedPins(token.serial).transportPin,
        Buffer.from(token.keyIdHex, 'hex'),
        cert,
        chain,
      );
    await this.emitEvent('certificate.written', j, {
      serialNumber: j.certificate!.serialNumber,
      tokenSerial: token.serial,
    });
    j.awaiting = 'pin';
    delete j.error;
    await this.persist(j, 'certificate-written');
  }

  private async onTokenStepError(j: JourneyRecord, err: unknown): Promise<void> {
    const e = asApplianceError(err);
    const issued = stepIndex(j.step) >= stepIndex('certificate-issued');
    if (
      issued &&
      (e.code === 'TOKEN_REMOVED' ||
        e.code === 'TOKEN_ABSENT' ||
        e.code === 'TOKEN_FAILED' ||
        e.code === 'CERTIFICATE_KEY_MISMATCH')
    ) {
      // The certificate exists but is not on the key: only staff can decide (retry the write, or revoke).
      j.error = errorBody('ISSUANCE_IN_DOUBT');
      j.note = `certificate ${j.certificate?.serialNumber} issued, write failed: ${e.code}`;
      j.status = 'in-doubt';
      await this.persist(j);
      await this.emitEvent('journey.in-doubt', j, {
        step: j.step,
        reason: e.code,
        serialNumber: j.certificate?.serialNumber,
      });
      return;
    }
    if (e.code === 'TOKEN_REMOVED' || e.code === 'TOKEN_ABSENT' || e.code === 'TOKEN_NOT_BLANK') {
      // Before issuance nothing is lost: a new key pair on whatever blank key comes next.
      if (stepIndex(j.step) >= stepIndex('token-ready')) {
        j.attempt++;
        delete j.token;
        delete j.idempotencyKey;
        j.step = 'identity-verified';
      }
      j.awaiting = 'token';
      j.error = e.toBody();
      await this.persist(j);
      return;
    }
    // Central down or refusing, token errors: stay where we are; retry resumes from the last durable step.
    j.error = e.toBody();
    await this.persist(j);
  }

  /** The holder's PIN: accepted once, passed to the driver, forgotten. Then the test signature. */
  async setPin(pin: string): Promise<JourneyView> {
    return this.exclusive(async () => {
      const j = this.requireActive();
      if (j.awaiting !== 'pin') {
        throw new ApplianceError(
          stepIndex(j.step) >= stepIndex('verified') ? 'PIN_ALREADY_SET' : 'WRONG_STEP',
        );
      }
      const problems = checkPin(pin, this.opts.pinPolicy);
      if (problems.length)
        throw new ApplianceError('TOKEN_PIN_POLICY', undefined, { problems: problems.join(',') });
      const token = j.token!;
      const ref = { serial: token.serial };
      const usbKey = this.devices.usbKey();
      try {
        await this.devices.tokenJob(async () => {
          if (j.step === 'certificate-written') {
            await usbKey.setPin(ref, this.derivedPins(token.serial).transportPin, pin, this.opts.pinPolicy);
            j.awaiting = 'pin';
            await this.persist(j, 'pin-set');
          }
          // After a restart at pin-set the PIN is asked again, only to make the test signature.
          await this.verifyWithPin(j, pin);
        });
      } catch (err) {
        const e = asApplianceError(err);
        j.error = e.toBody();
        await this.persist(j);
        if (e.code === 'VERIFY_FAILED') return this.fail(j, 'test signature did not verify');
        return journeyView(j);
      }
      j.awaiting = 'none';
      delete j.error;
      await this.persist(j, 'verified');
      await this.finish(j);
      return journeyView(j);
    });
  }

  private async verifyWithPin(j: JourneyRecord, pin: string): Promise<void> {
    const token = j.token!;
    const data = Buffer.concat([Buffer.from(`certkiosk verification ${j.id} `), randomBytes(16)]);
    const signature = await this.devices
      .usbKey()
      .withSession({ serial: token.serial }, pin, (s) =>
        s.signer(Buffer.from(token.keyIdHex, 'hex')).sign(data),
      );
    const cert = new X509Certificate(j.certificate!.pem);
    if (!verify('sha256', data, cert.publicKey, signature)) throw new ApplianceError('VERIFY_FAILED');
  }

  /** Receipt (never blocks issuance), issuance record, activation, completion. */
  private async finish(j: JourneyRecord): Promise<void> {
    if (j.step !== 'receipt-printed') await this.printReceipt(j);

    const counter = ++this.store.data.issuanceCounter;
    const record = {
      version: 1,
      kioskId: this.opts.applianceId,
      orderId: j.order!.orderId,
      tokenSerial: j.token!.serial,
      publicKeySha256: j.token!.spkiSha256,
      keyEvidence: j.token!.evidence,
      idNumberSaltedHash: j.identity?.idNumberHash,
      certificateSerial: j.certificate!.serialNumber,
      counter,
      time: this.now().toISOString(),
    };
    const body = Buffer.from(JSON.stringify(record));
    // The counter only moves forward; a record re-made after a crash keeps its event id (deduplicated).
    const signature = await this.applianceKey.sign(body);
    await this.emitEvent('issuance.record', j, { record, signature: signature.toString('base64') });
    await this.emitEvent('certificate.activated', j, { serialNumber: j.certificate!.serialNumber });

    j.status = 'completed';
    j.awaiting = 'none';
    purgePersonalData(j);
    await this.persist(j, 'completed');
  }

  /** Print the receipt; paper out or a dead printer queues it for reprint instead of blocking issuance. */
  private async printReceipt(j: JourneyRecord): Promise<void> {
    const data = receiptData(j, this.opts.applianceId, this.opts.centralUrl, this.now());
    try {
      await this.devices.printReceipt(receiptDocument(data));
      j.receipt = { state: 'printed' };
      await this.emitEvent('receipt.printed', j, { serialNumber: j.certificate!.serialNumber });
    } catch (err) {
      j.receipt = { state: 'queued-for-reprint' };
      j.note = `receipt not printed: ${isDeviceError(err) ? err.code : (err as Error).message}`;
      this.store.data.reprints.push({
        id: randomUUID(),
        journeyId: j.id,
        queuedAt: this.now().toISOString(),
        receipt: data,
        state: 'queued',
      });
      await this.emitEvent('receipt.queued', j, {
        serialNumber: j.certificate!.serialNumber,
        reason: j.note,
      });
    }
    await this.persist(j, 'receipt-printed');
  }

  private async fail(j: JourneyRecord, note: string): Promise<JourneyView> {
    j.status = 'failed';
    j.awaiting = 'none';
    j.note = note;
    purgePersonalData(j);
    await this.persist(j);
    await this.emitEvent('journey.failed', j, { step: j.step, reason: j.error?.code ?? 'INTERNAL' });
    return journeyView(j);
  }

  /** Retry the failed automatic step (central was down, token hiccup). */
  async retry(): Promise<JourneyView> {
    const j = this.requireActive();
    if (j.awaiting === 'none' && stepIndex(j.step) < stepIndex('certificate-written'))
      return this.personaliseToken();
    return journeyView(j);
  }

  /** Wipe the applicant's session (idle timeout or cancel). Issued certificates are never dropped. */
  async wipe(reason: 'idle' | 'cancelled'): Promise<void> {
    await this.exclusive(async () => {
      const j = this.current();
      if (j) {
        if (j.status === 'active') {
          if (stepIndex(j.step) >= stepIndex('certificate-issued') && j.step !== 'completed') {
            j.status = 'in-doubt';
            j.note = `session ${reason} after the certificate was issued (step ${j.step})`;
            j.error = errorBody('ISSUANCE_IN_DOUBT');
            await this.emitEvent('journey.in-doubt', j, { step: j.step, reason });
          } else {
            j.status = 'abandoned';
            j.note = `session ${reason} at step ${j.step}`;
            purgePersonalData(j);
          }
        }
        this.store.data.activeJourneyId = null;
        await this.persist(j);
      }
      this.emit('journey', null);
      this.emit('wiped', { reason });
    });
  }

  /** After the done screen: return to attract. */
  async close(): Promise<void> {
    const j = this.current();
    if (j && j.status !== 'active') {
      this.store.data.activeJourneyId = null;
      await this.store.write();
      this.emit('journey', null);
      this.emit('wiped', { reason: 'completed' });
    }
  }

  // ---------- recovery ----------

  /** On start: resume, roll back or mark in doubt every unfinished journey, from its last durable step. */
  async recover(): Promise<Array<{ id: string; outcome: string }>> {
    const outcomes: Array<{ id: string; outcome: string }> = [];
    for (const j of Object.values(this.store.data.journeys)) {
      if (j.status !== 'active') continue;
      const outcome = await this.recoverOne(j);
      outcomes.push({ id: j.id, outcome });
    }
    return outcomes;
  }

  private async recoverOne(j: JourneyRecord): Promise<string> {
    if (j.step === 'key-generated' && j.idempotencyKey) {
      // The answer may have been lost: central knows whether it issued under this key.
      try {
        const found = await this.central.getCertificateByIdempotencyKey(j.idempotencyKey);
        if (found) {
          this.recordCertificate(j, found);
          if (j.pickupNonce) this.store.data.usedPickupNonces[j.pickupNonce] = j.id;
          await this.emitEvent('certificate.issued', j, {
            serialNumber: found.serialNumber,
            tokenSerial: j.token?.serial,
          });
          await this.persist(j, 'certificate-issued');
        }
      } catch {
        // Central unreachable: nothing was written on our side yet; the retry below asks again.
      }
    }
    const idx = stepIndex(j.step);
    if (idx < stepIndex('certificate-issued')) {
      j.status = 'failed';
      j.awaiting = 'none';
      j.note = `interrupted at ${j.step} by a restart; the order can be collected again`;
      j.error = errorBody('NO_ACTIVE_JOURNEY');
      purgePersonalData(j);
      if (this.store.data.activeJourneyId === j.id) this.store.data.activeJourneyId = null;
      await this.persist(j);
      await this.emitEvent('journey.failed', j, { step: j.step, reason: 'restart' });
      return 'rolled-back';
    }
    const present = j.token ? this.devices.tokenPresent(j.token.serial) : false;
    if (j.step === 'certificate-issued') {
      if (present) {
        try {
          await this.writeCertificate(j);
          return 'resumed';
        } catch (err) {
          await this.onTokenStepError(j, err);
          return j.status;
        }
      }
      j.status = 'in-doubt';
      j.note = 'restart after issuance; the key with the key pair is not in the writer';
      j.error = errorBody('ISSUANCE_IN_DOUBT');
      await this.persist(j);
      await this.emitEvent('journey.in-doubt', j, { step: j.step, reason: 'restart' });
      return 'in-doubt';
    }
    if (j.step === 'certificate-written' || j.step === 'pin-set') {
      if (present) {
        j.awaiting = 'pin';
        await this.persist(j);
        return 'resumed';
      }
      j.status = 'in-doubt';
      j.note = `restart at ${j.step}; the key left the writer before the PIN was confirmed`;
      j.error = errorBody('ISSUANCE_IN_DOUBT');
      await this.persist(j);
      await this.emitEvent('journey.in-doubt', j, { step: j.step, reason: 'restart' });
      return 'in-doubt';
    }
    // verified or receipt-printed: only the receipt and the closing events are left.
    await this.finish(j);
    return 'completed';
  }

  // ---------- staff ----------

  /** Staff resolution of an in-doubt journey: write the certificate again (the key is back in the writer). */
  async resolveRetryWrite(id: string): Promise<JourneyView> {
    return this.exclusive(async () => {
      const j = this.store.data.journeys[id];
      if (j?.status !== 'in-doubt') throw new ApplianceError('WRONG_STEP', 'No such journey in doubt.');
      if (!j.token || !this.devices.tokenPresent(j.token.serial)) {
        throw new ApplianceError(
          'TOKEN_ABSENT',
          `Insert the USB key with serial ${j.token?.serial ?? '?'} first.`,
        );
      }
      j.status = 'active';
      delete j.error;
      if (stepIndex(j.step) < stepIndex('certificate-written')) {
        try {
          await this.writeCertificate(j);
        } catch (err) {
          j.status = 'in-doubt';
          j.error = asApplianceError(err).toBody();
          await this.persist(j);
          return journeyView(j);
        }
      } else {
        j.awaiting = 'pin';
      }
      this.store.data.activeJourneyId = j.id;
      await this.persist(j);
      return journeyView(j);
    });
  }

  async markResolved(id: string, note: string): Promise<void> {
    const j = this.store.data.journeys[id];
    if (j?.status !== 'in-doubt') throw new ApplianceError('WRONG_STEP', 'No such journey in doubt.');
    j.status = 'failed';
    j.note = note;
    purgePersonalData(j);
    await this.persist(j);
    await this.emitEvent('journey.failed', j, { step: j.step, reason: 'resolved-by-staff', note });
  }
}

export function stepIndex(step: PickupStep): number {
  return PICKUP_STEPS.indexOf(step);
}

function snapshot(order: Order, salt: string): OrderSnapshot {
  const person = (p?: { name: string; idNumber: string }) =>
    p ? { name: p.name, idNumberHash: hashIdNumber(salt, p.idNumber) } : undefined;
  const s: OrderSnapshot = {
    orderId: order.id,
    certificateType: order.certificateType,
    businessType: order.businessType,
    serviceYears: order.serviceYears,
    holderVerifiedOnline: order.holderVerifiedOnline,
  };
  if (order.organisation) s.organisationName = order.organisation.name;
  const holder = person(order.holder);
  if (holder) s.holder = holder;
  const legal = person(order.legalRepresentative);
  if (legal) s.legalRepresentative = legal;
  const handler = person(order.handler);
  if (handler) s.handler = handler;
  return s;
}

function subjectName(order: OrderSnapshot): string {
  if (order.certificateType === 'organisation') return order.organisationName ?? order.orderId;
  return order.holder?.name ?? order.orderId;
}

/** Keep only masked data once the journey no longer needs the people's full details. */
function purgePersonalData(j: JourneyRecord): void {
  if (j.order) {
    for (const key of ['holder', 'handler', 'legalRepresentative'] as const) {
      const p = j.order[key];
      if (p) j.order[key] = { name: maskName(p.name), idNumberHash: p.idNumberHash };
    }
  }
  delete j.pickupCode;
}

export function asApplianceError(err: unknown): ApplianceError {
  if (err instanceof ApplianceError) return err;
  if (isDeviceError(err)) {
    const code = (err as TokenError).code as string;
    const map: Record<string, ApplianceErrorCode> = {
      TOKEN_REMOVED: 'TOKEN_REMOVED',
      TOKEN_NOT_PRESENT: 'TOKEN_ABSENT',
      TOKEN_NOT_FOUND: 'TOKEN_REMOVED',
      TOKEN_PIN_POLICY: 'TOKEN_PIN_POLICY',
      TOKEN_CERT_KEY_MISMATCH: 'CERTIFICATE_KEY_MISMATCH',
      TOKEN_ALREADY_INITIALIZED: 'TOKEN_NOT_BLANK',
      TOKEN_SO_PIN_INCORRECT: 'TOKEN_NOT_BLANK',
    };
    const mapped = map[code] ?? (code.startsWith('TOKEN_') ? 'TOKEN_FAILED' : 'DEVICE_UNAVAILABLE');
    return new ApplianceError(mapped, err.message, { deviceCode: code }, { cause: err });
  }
  const code = (err as { code?: string })?.code;
  if (code === 'CENTRAL_UNAVAILABLE' || code === 'CENTRAL_BAD_RESPONSE') {
    return new ApplianceError('CENTRAL_UNAVAILABLE', (err as Error).message, undefined, { cause: err });
  }
  if (code === 'CENTRAL_REFUSED') {
    const central = (err as { centralCode?: string }).centralCode;
    if (central === 'ORDER_NOT_FOUND') return new ApplianceError('ORDER_NOT_FOUND');
    if (central === 'ORDER_ALREADY_ISSUED') return new ApplianceError('ORDER_ALREADY_ISSUED');
    if (central === 'ORDER_NOT_APPROVED') return new ApplianceError('ORDER_NOT_APPROVED');
    return new ApplianceError(
      'CENTRAL_REFUSED',
      (err as Error).message,
      central ? { centralCode: central } : undefined,
      { cause: err },
    );
  }
  return new ApplianceError('INTERNAL', (err as Error)?.message ?? String(err), undefined, { cause: err });
}
