// The after-sales service journeys — activate a couriered key, my certificates, unlock a locked PIN, look up
// orders — as persisted state machines over the real drivers and central, on the pickup engine's building
// blocks (journey/one-at-a-time.ts, token-jobs.ts, durable.ts, translate-error.ts) and its rules:
// - Every side effect (service-table.ts) is bracketed by its durable intent (ServiceRecord.pending, written
//   before it starts) and its result (the next step, written after); a write that fails advances nothing, and
//   the journey stops (STORE_UNAVAILABLE) until the disk takes writes again.
// - Recovery after a crash settles each intent by the table's rule: ask central again, ask for the ID card
//   again under the same unlockId, reset the PIN with the per-token SO-PIN and ask again, or re-run.
// - A PIN passes through memory only; an ID card is sent to central once and never kept (the record holds its
//   masks while the journey is open, nothing once it ends); a pickup code scanned for a look-up is not kept.
// - One journey at a time: a service does not start beside an open pickup (JOURNEY_BUSY), nor while the last
//   holder's key is still in the writer (TAKE_KEY_FIRST).
import { randomUUID, type X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { checkPin, maskIdNumber, maskName, normaliseIdNumber, type PinPolicy } from '@certkiosk/config';
import {
  deriveSoPin,
  deriveTransportPin,
  isDeviceError,
  type TokenSummary,
  validateCard,
} from '@certkiosk/firmware-bridge';
import {
  type CertificateStatus,
  type LookupOrder,
  maskOrderId,
  normaliseCertificateSerial,
} from '@certkiosk/sync';
import type { ErrorBody, WipeReason } from '../api/contract.js';
import type { LookupOrderView, ServiceKind, ServiceStep, ServiceView } from '../api/service-contract.js';
import { ApplianceError, errorBody } from '../errors.js';
import { invoiceOffered } from '../invoices/invoice-orders.js';
import { journeyEvent, writeStore } from '../journey/durable.js';
import { OneAtATime } from '../journey/one-at-a-time.js';
import type { ApplianceKey, EventSink, KioskDevices, StateStore } from '../journey/ports.js';
import { TokenJobs } from '../journey/token-jobs.js';
import { outcomeUnknown } from '../journey/translate-error.js';
import { paymentOpen } from '../payments/kiosk-payment.js';
import { PaymentSteps } from '../payments/payment-steps.js';
import { LookupPayments, openLookupPayment } from './lookup-payment.js';
import type { ServiceCentralPort } from './ports.js';
import { RenewSteps } from './renew.js';
import {
  type CentralCertificateFacts,
  forgetResult,
  type KeyFacts,
  purgeService,
  type ServiceAwaiting,
  type ServiceRecord,
} from './service-record.js';
import {
  committed,
  SERVICE_EFFECTS,
  SERVICE_RECOVERY_OUTCOME,
  type ServiceEffect,
  type ServiceFaultPoint,
} from './service-table.js';
import { serviceView } from './service-view.js';
import { serviceError } from './translate-error.js';

export interface ServiceEngineOptions {
  applianceId: string;
  pinPolicy: PinPolicy;
  /** Master secret the per-key SO-PIN and transport PIN are derived from (as the pickup engine's). */
  soPinMasterSecret: Buffer;
  /** The longest a USB-key job may take (as the pickup engine's): past it, TOKEN_NOT_RESPONDING. */
  tokenStepLimitMs?: number;
  now?: () => Date;
  /** Fault injection (test builds only): called at every side-effect boundary and after every step. */
  fault?: (point: ServiceFaultPoint) => void | Promise<void>;
  /** The audit log (masked data only), awaited once a change is durable (a failed write stops the journey). */
  audit?: (actor: 'applicant' | 'system', action: string, details: Record<string, unknown>) => Promise<void>;
  /** Test hook: awaited right after a step is made durable. */
  afterStep?: (kind: ServiceKind, step: ServiceStep) => Promise<void> | void;
  /** The queue shared with the pickup engine: one writer of the store at a time. */
  exclusive?: OneAtATime;
  /** The appliance key: renew signs the statement that the ID card matched the certificate holder. */
  applianceKey?: ApplianceKey;
  /** How long a renewal left by its holder waits before central is asked again to settle it. */
  settleRetryMs?: number;
  /** The pickup journey beside: open (no service may start), and its written key still in the writer. */
  pickup?: { open(): boolean; keyLeftBehind(): boolean };
}

type ServiceEngineEvents = {
  service: [ServiceView | null];
  wiped: [{ reason: WipeReason }];
};

const DEVICE_GONE = new Set(['TOKEN_REMOVED', 'TOKEN_ABSENT']);

/** The key's certificate as the kiosk reads it from the key (public), or why the key is not one of ours. */
function keyFacts(token: TokenSummary, certificates: X509Certificate[]): KeyFacts | null {
  // The holder's certificate: an end-entity certificate that some CA issued (a self-signed one is nobody's).
  const leaves = certificates
    .filter((c) => !c.ca)
    .filter((c) => !(c.checkIssued(c) && c.verify(c.publicKey)))
    .sort((a, b) => Date.parse(b.validTo) - Date.parse(a.validTo));
  const cert = leaves[0];
  if (!cert) return null;
  const rdn = (dn: string, name: string) =>
    new RegExp(`(?:^|\\n)${name}=([^\\n]+)`).exec(dn)?.[1]?.trim() ?? '';
  const cn = rdn(cert.subject, 'CN');
  const organisation = rdn(cert.subject, 'O');
  return {
    tokenSerial: token.serial,
    model: token.model,
    pinLocked: token.flags.userPinLocked,
    certificateSerial: normaliseCertificateSerial(cert.serialNumber),
    issuer: rdn(cert.issuer, 'CN') || cert.issuer.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    // An organisation's certificate names the organisation (it stays); a person's name is masked.
    subjectMasked: cn && cn === organisation ? cn : maskName(cn),
  };
}

function centralFacts(st: CertificateStatus): CentralCertificateFacts {
  return {
    status: st.status,
    ...(st.revokedAt ? { revokedAt: st.revokedAt } : {}),
    ...(st.renewal.order?.ready ? { renewalOrderReady: true } : {}),
  };
}

/** An order as the look-up shows it: masked id, status history in codes (the UI words them). */
export function lookupOrderView(o: LookupOrder): LookupOrderView {
  return {
    orderIdMasked: maskOrderId(o.id),
    kind: o.businessType,
    certificateType: o.certificateType,
    status: o.status,
    history: o.history.map((h) => ({ status: h.status, at: h.at })),
    ...(o.rejectReason ? { rejectReason: o.rejectReason } : {}),
    ...(o.remittanceCode ? { remittanceCode: o.remittanceCode } : {}),
    ...(o.holderNameMasked ? { holderNameMasked: maskName(o.holderNameMasked) } : {}),
    ...(o.organisationName ? { organisationName: o.organisationName } : {}),
    updatedAt: o.updatedAt,
    ...(invoiceOffered(o.status) ? { invoiceOffered: true } : {}),
    // A kiosk order awaiting payment is paid at a kiosk (central checks the hall when the payment starts).
    ...(o.status === 'awaiting-payment' && o.delivery === 'kiosk' && o.amountFen !== undefined
      ? { payHere: { amountFen: o.amountFen } }
      : {}),
  };
}

export class ServiceEngine extends EventEmitter<ServiceEngineEvents> {
  private readonly one: OneAtATime;
  private readonly jobs: TokenJobs;
  private readonly now: () => Date;
  /** Set while the store refuses writes: the journey stops and the UI says "call staff". */
  private storeFault: ErrorBody | null = null;
  /** A key refused while it stays in the writer (not read again until it is taken out): slot + serial. */
  private refusedKey: string | null = null;
  /** The ID card acted upon while it stays on the reader (masked number): it is not sent twice. */
  private cardSeen: string | null = null;
  /** The journey whose holder's card was read and still lies on the reader (the take-your-card reminder). */
  private cardUsedBy: string | null = null;
  private cardLeft = false;
  private keyWasIn: boolean | undefined;
  private lastAudited = '';
  private readonly renew: RenewSteps;
  /** Paying at the kiosk: renew's order, a look-up's listed order. */
  private readonly payments: PaymentSteps<ServiceRecord>;
  private readonly lookupPay: LookupPayments;
  /** Renewals left by their holder: when central may next be asked to settle them (in memory). */
  private readonly settleAfter = new Map<string, number>();

  constructor(
    private readonly store: StateStore,
    private readonly central: ServiceCentralPort,
    private readonly events: EventSink,
    private readonly devices: KioskDevices,
    private readonly opts: ServiceEngineOptions,
  ) {
    super();
    this.now = opts.now ?? (() => new Date());
    this.one = opts.exclusive ?? new OneAtATime();
    this.jobs = new TokenJobs(devices, opts.tokenStepLimitMs ?? 90_000);
    this.payments = new PaymentSteps<ServiceRecord>({
      central,
      now: () => this.now(),
      persist: (j) => this.persist(j),
      emitPaid: (j, payload, eventId) =>
        this.emitEvent(j, 'payment.taken', { ...payload }, payload.orderId, eventId),
    });
    this.lookupPay = new LookupPayments({
      payments: this.payments,
      persist: (j, step) => this.persist(j, step),
      end: (j, status, note, error) => this.end(j, status, note, error),
    });
    this.renew = new RenewSteps({
      applianceId: opts.applianceId,
      ...(opts.applianceKey ? { applianceKey: opts.applianceKey } : {}),
      central,
      devices,
      jobs: this.jobs,
      now: () => this.now(),
      persist: (j, step) => this.persist(j, step),
      intend: (j, effect, extra) => this.intend(j, effect, extra),
      done: (j, effect) => this.done(j, effect),
      end: (j, status, note, error) => this.end(j, status, note, error),
      emitEvent: (j, type, payload, orderId) => this.emitEvent(j, type, payload, orderId),
      audit: (action, details) => this.audit(action, details),
      payments: this.payments,
      fault: async (point) => this.opts.fault?.(point),
    });
  }

  // ---------- reading ----------

  current(): ServiceRecord | null {
    const id = this.store.data.activeServiceId;
    return id ? (this.store.data.services[id] ?? null) : null;
  }

  view(): ServiceView | null {
    const j = this.current();
    return j ? this.viewOf(j) : null;
  }

  private viewOf(j: ServiceRecord): ServiceView {
    const v = serviceView(j, this.now().getTime());
    if (j.status === 'completed' && j.tokenSerial) v.keyInWriter = this.devices.tokenPresent(j.tokenSerial);
    if (this.cardLeft && this.cardUsedBy === j.id) v.cardOnReader = true;
    if (this.storeFault && j.status === 'active') v.error = this.storeFault;
    return v;
  }

  /** Every service journey kept (open ones and the newest ended ones). */
  journeys(): ServiceRecord[] {
    return Object.values(this.store.data.services);
  }

  get isBusy(): boolean {
    return this.one.busy;
  }

  get stalled(): boolean {
    return this.storeFault !== null;
  }

  /** A service journey is open: its holder is at the kiosk (a pickup may not start). */
  open(): boolean {
    return this.current()?.status === 'active';
  }

  /** The key of a completed service journey is still in the writer (the next holder must not get it). */
  keyLeftBehind(): boolean {
    return Object.values(this.store.data.services).some(
      (s) => s.status === 'completed' && !!s.tokenSerial && this.devices.tokenPresent(s.tokenSerial),
    );
  }

  refreshView(): void {
    this.emit('service', this.view());
  }

  // ---------- persistence ----------

  private soPin(serial: string): string {
    return deriveSoPin(this.opts.soPinMasterSecret, serial);
  }

  private transportPin(serial: string): string {
    return deriveTransportPin(this.opts.soPinMasterSecret, serial);
  }

  /** Make the journey durable; a failed write throws STORE_UNAVAILABLE and leaves memory as on disk. */
  private async persist(j: ServiceRecord, step?: ServiceStep): Promise<void> {
    this.jobs.assertLive();
    if (step) j.step = step;
    j.updatedAt = this.now().toISOString();
    j.revision = (j.revision ?? 0) + 1;
    this.store.data.services[j.id] = j;
    await this.writeState();
    await this.auditChange(j);
    if (this.storeFault) this.storeFault = null;
    if (step) {
      await this.opts.fault?.(`service-step:${j.kind}:${step}`);
      await this.opts.afterStep?.(j.kind, step);
    }
    this.emit('service', this.store.data.activeServiceId === j.id ? this.viewOf(j) : this.view());
  }

  private async writeState(): Promise<void> {
    try {
      await writeStore(this.store);
    } catch (err) {
      // The store has put its data back to what is durable; a caller's journey object is now stale.
      this.storeFault = (err as ApplianceError).toBody();
      this.emit('service', this.view());
      throw err;
    }
  }

  private async audit(action: string, details: Record<string, unknown>): Promise<void> {
    if (!this.opts.audit) return;
    try {
      await this.opts.audit('applicant', action, details);
    } catch (err) {
      this.storeFault = errorBody(
        'STORE_UNAVAILABLE',
        `The kiosk cannot write its audit log: ${(err as Error).message}`,
      );
      this.emit('service', this.view());
      throw new ApplianceError('STORE_UNAVAILABLE', undefined, undefined, { cause: err });
    }
  }

  /** Audit a durable change (once per step, status, need and error): ids and codes only, nothing personal. */
  private async auditChange(j: ServiceRecord): Promise<void> {
    const key = `${j.id}:${j.step}:${j.status}:${j.awaiting}:${j.pending?.effect ?? ''}:${j.error?.code ?? ''}`;
    if (key === this.lastAudited) return;
    await this.audit(`service.${j.kind}.${j.status === 'active' ? j.step : j.status}`, {
      journeyId: j.id,
      awaiting: j.awaiting,
      ...(j.pending ? { pending: j.pending.effect } : {}),
      ...(j.certificateSerial ? { certificateSerial: j.certificateSerial } : {}),
      ...(j.error ? { error: j.error.code } : {}),
    });
    this.lastAudited = key;
  }

  /** Write the intent of an effect before starting it. */
  private async intend(
    j: ServiceRecord,
    effect: ServiceEffect,
    extra: { code?: string; csrPem?: string } = {},
  ) {
    j.pending = { effect, since: this.now().toISOString(), ...extra };
    await this.persist(j);
    await this.opts.fault?.(`before:${effect}`);
  }

  /** Record the result of an effect: its step, with the intent cleared. */
  private async done(j: ServiceRecord, effect: ServiceEffect): Promise<void> {
    await this.opts.fault?.(`after:${effect}`);
    delete j.pending;
    await this.persist(j, SERVICE_EFFECTS[effect].to);
  }

  private async emitEvent(
    j: ServiceRecord,
    type: string,
    payload: Record<string, unknown>,
    orderId?: string,
    eventId?: string,
  ): Promise<void> {
    this.jobs.assertLive();
    // Mostly no order id: the kiosk knows the order only masked (and central scopes order events to its
    // issuer). A payment names the order it paid (renew knows its order id).
    await this.events.enqueue(
      journeyEvent({
        applianceId: this.opts.applianceId,
        journeyId: j.id,
        type,
        attempt: j.attempt,
        at: this.now(),
        ...(orderId ? { orderId } : {}),
        ...(eventId ? { id: eventId } : {}),
        payload,
      }),
    );
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.one.run(fn);
  }

  private requireActive(awaiting?: ServiceAwaiting | ServiceAwaiting[]): ServiceRecord {
    const j = this.current();
    if (j?.status !== 'active') throw new ApplianceError('NO_ACTIVE_JOURNEY');
    const want = awaiting === undefined ? undefined : Array.isArray(awaiting) ? awaiting : [awaiting];
    if (want && !want.includes(j.awaiting)) {
      throw new ApplianceError(
        'WRONG_STEP',
        `The service is waiting for "${j.awaiting}", not "${want.join('" or "')}".`,
      );
    }
    return j;
  }

  /** End a journey (personal data purged): completed, failed or abandoned. */
  private async end(
    j: ServiceRecord,
    status: 'completed' | 'failed' | 'abandoned' | 'in-doubt',
    note: string,
    error?: ErrorBody,
  ): Promise<void> {
    j.status = status;
    j.awaiting = 'none';
    j.note = note;
    delete j.pending;
    if (error) j.error = error;
    else if (status === 'completed') delete j.error;
    purgeService(j);
    await this.persist(j, status === 'completed' ? 'completed' : undefined);
  }

  /** Handle a failure of an action: STORE_UNAVAILABLE stops the journey (the view says so); else rethrown. */
  private stopOnStoreFault(err: unknown): boolean {
    if (err instanceof ApplianceError && err.code === 'STORE_UNAVAILABLE') {
      this.storeFault ??= err.toBody();
      this.emit('service', this.view());
      return true;
    }
    return false;
  }

  // ---------- the holder's actions ----------

  /** Start a service journey (a home-screen tile). The same service already open is returned as it is. */
  async start(kind: ServiceKind): Promise<ServiceView> {
    return this.exclusive(async () => {
      const existing = this.current();
      if (existing?.status === 'active') {
        if (existing.kind === kind) return this.viewOf(existing);
        throw new ApplianceError('JOURNEY_BUSY', `The ${existing.kind} service is open: finish or leave it.`);
      }
      if (this.opts.pickup?.open()) {
        throw new ApplianceError('JOURNEY_BUSY', 'A pickup is in progress: finish or leave it first.');
      }
      // The last holder's key goes home with them, not to the next one.
      if (this.keyLeftBehind() || this.opts.pickup?.keyLeftBehind())
        throw new ApplianceError('TAKE_KEY_FIRST');
      if (existing) forgetResult(existing);
      const now = this.now().toISOString();
      const j: ServiceRecord = {
        id: randomUUID(),
        kind,
        step: 'started',
        status: 'active',
        awaiting: kind === 'lookup' ? 'scan-or-id-card' : 'token',
        startedAt: now,
        updatedAt: now,
        attempt: 1,
      };
      const previous = this.store.data.activeServiceId;
      this.store.data.activeServiceId = j.id;
      this.refusedKey = null;
      this.cardSeen = null;
      this.cardUsedBy = null;
      this.cardLeft = false;
      try {
        await this.persist(j, 'started');
      } catch (err) {
        this.store.data.activeServiceId = previous;
        throw err;
      }
      return this.viewOf(j);
    });
  }

  /** A key is in the writer while the journey waits for one: read its certificate and serial (no PIN). */
  async readKey(): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.requireActive('token');
      const found = this.devices.keyInWriter();
      if (!found) {
        this.refusedKey = null;
        return this.viewOf(j);
      }
      const seen = `${found.slotId}:${found.token.serial}`;
      if (this.refusedKey === seen) return this.viewOf(j);
      let facts: KeyFacts | null = null;
      try {
        if (found.token.flags.initialized) {
          const read = await this.jobs.run(() =>
            this.jobs.usbKey().withSession({ serial: found.token.serial }, undefined, (s) => ({
              token: s.token,
              certificates: s.findCertificates().map((c) => c.cert),
            })),
          );
          facts = keyFacts(read.token, read.certificates);
        }
      } catch (err) {
        const e = serviceError(err);
        if (this.stopOnStoreFault(e)) return this.view();
        // Pulled while being read: the journey keeps waiting for the key.
        if (DEVICE_GONE.has(e.code)) return this.viewOf(j);
        this.refusedKey = seen;
        j.error = e.toBody();
        await this.persist(j);
        return this.viewOf(j);
      }
      if (!facts) {
        // No certificate at all, or none a CA issued: not a key of ours (nothing is sent to central).
        this.refusedKey = seen;
        j.error = errorBody('KEY_NOT_OURS', 'The key carries no certificate issued by a CA.');
        await this.persist(j);
        return this.viewOf(j);
      }
      j.key = facts;
      j.tokenSerial = facts.tokenSerial;
      j.certificateSerial = facts.certificateSerial;
      j.awaiting = 'none';
      delete j.error;
      try {
        await this.persist(j, 'key-read');
        await this.advanceNow(j);
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
      return this.view();
    });
  }

  /** The machine step after the key was read (asks central; changes nothing): autopilot, retry, recovery. */
  async advance(): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.requireActive();
      if (j.awaiting !== 'none' || j.pending || j.step !== 'key-read') return this.viewOf(j);
      delete j.error;
      try {
        await this.advanceNow(j);
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
      return this.view();
    });
  }

  /**
   * Central asked about the key just read: its answer, or null when the journey took the failure already — back
   * to the key (not ours), kept as it is for a retry (no answer came), or ended (refused).
   */
  private async askAboutKey<T extends object>(
    j: ServiceRecord,
    what: string,
    ask: () => Promise<T>,
  ): Promise<T | null> {
    try {
      return await ask();
    } catch (err) {
      const e = serviceError(err);
      if (e.code === 'KEY_NOT_OURS') await this.backToKey(j, e);
      else if (outcomeUnknown(e)) {
        j.error = e.toBody();
        await this.persist(j);
      } else await this.end(j, 'failed', `${what}: ${e.code}`, e.toBody());
      return null;
    }
  }

  private async advanceNow(j: ServiceRecord): Promise<void> {
    const key = j.key;
    if (!key) throw new ApplianceError('INTERNAL', `Service journey ${j.id} has no key facts at ${j.step}.`);
    if (j.kind === 'certificates') {
      try {
        j.central = centralFacts(
          await this.central.certificateStatus(key.certificateSerial, key.tokenSerial),
        );
      } catch (err) {
        const e = serviceError(err);
        if (e.code === 'KEY_NOT_OURS') return this.backToKey(j, e);
        if (!outcomeUnknown(e)) return this.end(j, 'failed', `certificate status: ${e.code}`, e.toBody());
        // Central cannot be asked: the key's own facts are the result, its revocation status unknown.
        delete j.central;
        j.error = e.toBody();
        await this.persist(j, 'status-checked');
        return;
      }
      delete j.error;
      await this.persist(j, 'status-checked');
      await this.end(j, 'completed', 'certificate shown');
      return;
    }
    if (j.kind === 'activate') {
      const preview = await this.askAboutKey(j, 'activation preview', () =>
        this.central.activationPreview(key.certificateSerial, key.tokenSerial),
      );
      if (!preview) return;
      j.activation = {
        orderIdMasked: preview.orderIdMasked,
        ...(preview.holderNameMasked ? { holderNameMasked: maskName(preview.holderNameMasked) } : {}),
        ...(preview.organisationNameMasked ? { organisationName: preview.organisationNameMasked } : {}),
        triesLeft: preview.attemptsLeft,
        codeExpiresAt: preview.codeExpiresAt,
      };
      // Central answered for the certificate (a revoked one has no activation): it is good.
      j.central = { status: 'good' };
      j.awaiting = 'activation-code';
      await this.persist(j, 'order-found');
      return;
    }
    if (j.kind === 'renew') {
      const found = await this.renew.findOrder(j);
      if (found === 'not-ours') await this.backToKey(j, new ApplianceError('KEY_NOT_OURS'));
      return;
    }
    if (j.kind === 'unlock') {
      if (!key.pinLocked) {
        return this.end(j, 'failed', 'the user PIN is not locked', errorBody('PIN_NOT_LOCKED'));
      }
      // Ours? (A key of another CA is refused before any ID card is asked for, and before any SO login.)
      const status = await this.askAboutKey(j, 'certificate status', () =>
        this.central.certificateStatus(key.certificateSerial, key.tokenSerial),
      );
      if (!status) return;
      j.central = centralFacts(status);
      j.awaiting = 'id-card';
      await this.persist(j);
    }
  }

  /** The key in the writer cannot be served: wait for another (this one is not read again while it stays). */
  private async backToKey(j: ServiceRecord, e: ApplianceError): Promise<void> {
    const found = this.devices.keyInWriter();
    if (found) this.refusedKey = `${found.slotId}:${found.token.serial}`;
    delete j.key;
    delete j.tokenSerial;
    delete j.certificateSerial;
    delete j.central;
    delete j.activation;
    delete j.identity;
    delete j.renewal;
    // An unlockId whose answer was lost stays: the same key put back asks central under the same id.
    j.awaiting = 'token';
    j.error = e.toBody();
    await this.persist(j, 'started');
  }

  /** Activation: the 6-digit code from the courier letter, sent to central for the key in the writer. */
  async submitCode(code: string): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.requireActive('activation-code');
      const key = j.key;
      if (!key) throw new ApplianceError('INTERNAL', 'activation without key facts');
      const typed = code.trim();
      if (!/^[0-9]{6}$/.test(typed)) {
        throw new ApplianceError('BAD_REQUEST', 'An activation code is 6 digits.');
      }
      delete j.error;
      try {
        j.awaiting = 'none';
        await this.intend(j, 'activate-code', { code: typed });
        let answer: Awaited<ReturnType<ServiceCentralPort['activate']>>;
        try {
          answer = await this.central.activate({
            certificateSerial: key.certificateSerial,
            tokenSerial: key.tokenSerial,
            code: typed,
          });
        } catch (err) {
          await this.activationRefused(j, serviceError(err));
          return this.view();
        }
        await this.activated(j, answer.activatedAt);
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
      return this.view();
    });
  }

  private async activated(j: ServiceRecord, at: string): Promise<void> {
    if (j.activation) j.activation.activatedAt = at;
    j.awaiting = 'pin';
    delete j.error;
    await this.done(j, 'activate-code');
  }

  /** Central did not take the code: a wrong one counts (tries left); locked, expired… end the journey. */
  private async activationRefused(j: ServiceRecord, e: ApplianceError): Promise<void> {
    if (outcomeUnknown(e)) {
      // The answer is lost: the intent stays, and retry (or a restart) asks central what became of it.
      j.awaiting = 'none';
      j.error = e.toBody();
      await this.persist(j);
      return;
    }
    delete j.pending;
    if (e.code === 'ACTIVATION_CODE_WRONG') {
      const left = Number(e.params?.['triesLeft']);
      if (j.activation && Number.isFinite(left)) j.activation.triesLeft = left;
      j.awaiting = 'activation-code';
      j.error = e.toBody();
      await this.persist(j, 'order-found');
      return;
    }
    await this.end(j, 'failed', `activation refused: ${e.code}`, e.toBody());
  }

  /**
   * The activation's answer was lost (crash, central down): ask central. The order still waiting for its code
   * → the code was not taken (lost, or wrong and counted): the holder types it again. Already activated →
   * the same request again: central answers this kiosk's right code the same (never a second wrong try).
   */
  private async settleActivation(j: ServiceRecord): Promise<void> {
    const key = j.key;
    const code = j.pending?.code;
    if (!key) throw new ApplianceError('INTERNAL', 'activation without key facts');
    try {
      const preview = await this.central.activationPreview(key.certificateSerial, key.tokenSerial);
      const before = j.activation?.triesLeft;
      delete j.pending;
      if (j.activation) {
        j.activation.triesLeft = preview.attemptsLeft;
        j.activation.codeExpiresAt = preview.codeExpiresAt;
      }
      j.awaiting = 'activation-code';
      if (before !== undefined && preview.attemptsLeft < before) {
        j.error = errorBody('ACTIVATION_CODE_WRONG', undefined, { triesLeft: preview.attemptsLeft });
      } else {
        delete j.error;
      }
      await this.persist(j, 'order-found');
      return;
    } catch (err) {
      const e = serviceError(err);
      if (e.code !== 'ACTIVATION_ALREADY_DONE' || !code) {
        await this.activationRefused(j, e);
        return;
      }
    }
    try {
      const answer = await this.central.activate({
        certificateSerial: key.certificateSerial,
        tokenSerial: key.tokenSerial,
        code,
      });
      await this.activated(j, answer.activatedAt);
    } catch (err) {
      await this.activationRefused(j, serviceError(err));
    }
  }

  /** Look-up: a scanned order or pickup QR code (never kept). */
  async scan(code: string): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.requireActive('scan-or-id-card');
      if (j.kind !== 'lookup') throw new ApplianceError('WRONG_STEP');
      delete j.error;
      try {
        let found: LookupOrder[];
        try {
          found = (await this.central.lookupByCode(code.trim())).orders;
        } catch (err) {
          const e = serviceError(err);
          j.error = e.toBody();
          await this.persist(j);
          return this.viewOf(j);
        }
        await this.showOrders(j, found, 'code');
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
      return this.view();
    });
  }

  private async showOrders(j: ServiceRecord, orders: LookupOrder[], by: 'code' | 'id-card') {
    j.orders = orders.map((o) => ({ ...lookupOrderView(o), orderId: o.id }));
    delete j.error;
    await this.persist(j, 'found');
    await this.end(j, 'completed', `look-up by ${by}: ${orders.length} order(s)`);
  }

  /** The ID card on the reader (unlock: the holder's card; look-up: the person's orders). Autopilot. */
  async readCard(): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.requireActive(['id-card', 'scan-or-id-card']);
      let result: Awaited<ReturnType<KioskDevices['readIdCard']>>;
      try {
        result = await this.devices.readIdCard();
      } catch (err) {
        if (j.error?.code !== 'ID_CARD_UNREADABLE') {
          j.error = errorBody('ID_CARD_UNREADABLE', (err as Error).message);
          await this.persist(j);
        }
        return this.viewOf(j);
      }
      if (result.state === 'no-card') {
        this.cardSeen = null;
        if (j.error?.code === 'ID_CARD_UNREADABLE') {
          delete j.error;
          await this.persist(j);
        }
        return this.viewOf(j);
      }
      const card = result.card;
      const masked = maskIdNumber(card.idNumber);
      // The card stays on the reader after it was acted on: it is not sent again until lifted (or retry).
      if (this.cardSeen === masked) return this.viewOf(j);
      this.cardSeen = masked;
      try {
        const problems = validateCard(card, this.now());
        if (problems.some((p) => p.kind === 'expired' || p.kind === 'not-yet-valid')) {
          j.error = errorBody('ID_CARD_EXPIRED');
          await this.persist(j);
          return this.viewOf(j);
        }
        if (problems.some((p) => p.kind === 'bad-check-character')) {
          j.error = errorBody('ID_CARD_INVALID');
          await this.persist(j);
          return this.viewOf(j);
        }
        // Sent once inside the signed request; nothing of it is kept but (for unlock) its masks.
        const sent = { idNumber: normaliseIdNumber(card.idNumber), name: card.name };
        this.cardUsedBy = j.id;
        if (j.kind === 'lookup') {
          let orders: LookupOrder[];
          try {
            orders = (await this.central.lookupByIdCard(sent)).orders;
          } catch (err) {
            j.error = serviceError(err).toBody();
            await this.persist(j);
            return this.viewOf(j);
          }
          await this.showOrders(j, orders, 'id-card');
          return this.view();
        }
        if (j.kind === 'renew') {
          // Matched here against the renewal order (HMACs under its salt); central checks the signed statement.
          await this.renew.checkCard(j, card);
          return this.view();
        }
        await this.requestUnlock(j, sent, { nameMasked: maskName(card.name), idNumberMasked: masked });
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
      return this.view();
    });
  }

  /**
   * Unlock: ask central before anything is done to the key. The unlockId is durable before the request, so a
   * request whose answer is lost is sent again under the same id (central counts it once).
   */
  private async requestUnlock(
    j: ServiceRecord,
    card: { idNumber: string; name: string },
    masks: { nameMasked: string; idNumberMasked: string },
  ): Promise<void> {
    const key = j.key;
    if (!key) throw new ApplianceError('INTERNAL', 'unlock without key facts');
    if (!this.devices.tokenPresent(key.tokenSerial)) {
      this.cardSeen = null;
      j.error = errorBody('TOKEN_REMOVED');
      await this.persist(j);
      return;
    }
    j.identity = masks;
    // A request whose answer was lost is asked again under its id; another key is another request.
    if (j.unlock?.tokenSerial !== key.tokenSerial)
      j.unlock = { unlockId: randomUUID(), tokenSerial: key.tokenSerial };
    const unlockId = j.unlock.unlockId;
    j.awaiting = 'none';
    delete j.error;
    await this.persist(j, 'identity-verified');
    await this.intend(j, 'request-unlock');
    let granted: Awaited<ReturnType<ServiceCentralPort['requestUnlock']>>;
    try {
      granted = await this.central.requestUnlock({
        unlockId,
        certificateSerial: key.certificateSerial,
        tokenSerial: key.tokenSerial,
        card,
      });
    } catch (err) {
      const e = serviceError(err);
      delete j.pending;
      if (outcomeUnknown(e)) {
        // Whether central granted it is not known: the card again (retry), the same unlockId.
        j.awaiting = 'id-card';
        j.error = e.toBody();
        await this.persist(j, 'key-read');
        return;
      }
      if (e.code === 'UNLOCK_CARD_MISMATCH') {
        // Central recorded this request as refused: another card is another request.
        delete j.unlock;
        j.identity = { ...masks, lastReason: e.code };
        j.awaiting = 'id-card';
        j.error = e.toBody();
        await this.persist(j, 'key-read');
        return;
      }
      await this.audit('service.unlock.refused', {
        journeyId: j.id,
        unlockId,
        certificateSerial: key.certificateSerial,
        tokenSerial: key.tokenSerial,
        reason: e.code,
      });
      await this.end(j, 'failed', `unlock refused by central: ${e.code}`, e.toBody());
      return;
    }
    j.unlock = {
      unlockId,
      tokenSerial: key.tokenSerial,
      unlocksLeftToday: granted.unlocksLeftToday,
      grantedAt: granted.grantedAt,
    };
    j.awaiting = 'pin';
    await this.done(j, 'request-unlock');
    await this.audit('service.unlock.granted', {
      journeyId: j.id,
      unlockId,
      certificateSerial: key.certificateSerial,
      tokenSerial: key.tokenSerial,
      unlocksLeftToday: granted.unlocksLeftToday,
    });
  }

  /**
   * The holder's new PIN (activation and unlock): accepted once, passed to the key, forgotten. Activation:
   * C_SetPIN from the transport PIN (an SO reset first when that does not open the key, or when an earlier
   * change's outcome is unknown). Unlock: C_InitPIN after an SO login, then a login with the new PIN.
   */
  async setPin(pin: string): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.requireActive(['pin', 'current-pin']);
      if (j.awaiting === 'current-pin') {
        await this.renewWithPin(j, pin);
        return this.view();
      }
      const problems = checkPin(pin, this.opts.pinPolicy);
      if (problems.length)
        throw new ApplianceError('TOKEN_PIN_POLICY', undefined, { problems: problems.join(',') });
      const serial = j.tokenSerial;
      if (!serial) throw new ApplianceError('INTERNAL', 'a PIN without a key');
      if (!this.devices.tokenPresent(serial)) {
        j.error = errorBody('TOKEN_REMOVED');
        await this.persist(j);
        return this.viewOf(j);
      }
      delete j.error;
      try {
        await this.jobs.run(() =>
          j.kind === 'activate' ? this.activationPin(j, pin) : this.unlockPin(j, pin),
        );
      } catch (err) {
        await this.onPinError(j, err);
      }
      return this.view();
    });
  }

  /**
   * Paying at the kiosk: ask central how the QR code's payment stands (paid → the PIN next, reported once;
   * closed → expired). Any other moment: the view as it is.
   */
  async checkPayment(): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.current();
      if (j?.status !== 'active' || j.awaiting !== 'payment') return this.view();
      try {
        if (j.kind === 'lookup') await this.lookupPay.check(j);
        else await this.renew.checkPayment(j);
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
      return this.view();
    });
  }

  /** Paying at the kiosk: a new QR code after the last one expired (or WeChat Pay could not be reached). */
  async payAgain(): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.requireActive('payment');
      try {
        if (j.kind === 'lookup') await this.lookupPay.again(j);
        else await this.renew.startPayment(j);
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
      return this.view();
    });
  }

  /**
   * A look-up's list: pay the order at `position` here (在此支付), or show its QR code again while paying it.
   * Refused before central is asked: not on the list (PAYMENT_ORDER_UNKNOWN), not awaiting payment at a kiosk
   * (PAYMENT_NOT_AVAILABLE), not a look-up's list (WRONG_STEP).
   */
  async payOrder(position: number): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.current();
      if (!j) throw new ApplianceError('NO_ACTIVE_JOURNEY');
      try {
        await this.lookupPay.pay(j, position);
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
      return this.view();
    });
  }

  /** A look-up's order being paid: the screen's poll (the list once paid); another position is refused. */
  async orderPayment(position: number): Promise<ServiceView | null> {
    const j = this.current();
    if (j && j.kind !== 'lookup') throw new ApplianceError('WRONG_STEP', "Not a look-up's order.");
    if (j?.status === 'active' && j.lookupPayment?.position !== position)
      throw new ApplianceError('PAYMENT_ORDER_UNKNOWN');
    return this.checkPayment();
  }

  /** A look-up's order being paid: back to the list (the payment closed at central first). */
  async leaveOrderPayment(position: number): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.requireActive('payment');
      if (j.kind !== 'lookup') throw new ApplianceError('WRONG_STEP');
      try {
        await this.lookupPay.back(j, position);
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
      return this.view();
    });
  }

  /** Renew: the key's current PIN; the renewal goes on under it from its durable step. */
  private async renewWithPin(j: ServiceRecord, pin: string): Promise<void> {
    if (!j.tokenSerial || !this.devices.tokenPresent(j.tokenSerial)) {
      j.error = errorBody('TOKEN_REMOVED');
      await this.persist(j);
      return;
    }
    try {
      await this.jobs.run(() => this.renew.withPin(j, pin));
    } catch (err) {
      await this.onRenewError(j, err);
    }
  }

  /** A renewal step failed: the key work waits for the PIN again (every key step is found done if it was). */
  private async onRenewError(j: ServiceRecord, err: unknown): Promise<void> {
    const e = serviceError(err);
    if (this.stopOnStoreFault(e)) return;
    if (j.status !== 'active') return;
    if (e.code === 'BAD_REQUEST') throw e;
    const keyGone = !this.devices.tokenPresent(j.tokenSerial ?? '');
    if (keyGone && !j.pending && !committed(j.kind, j.step)) {
      await this.backToKey(j, new ApplianceError('TOKEN_REMOVED'));
      return;
    }
    j.awaiting = 'current-pin';
    j.error = keyGone ? errorBody('TOKEN_REMOVED') : e.toBody();
    await this.persist(j);
  }

  private async activationPin(j: ServiceRecord, pin: string): Promise<void> {
    const ref = { serial: j.tokenSerial! };
    const usbKey = this.jobs.usbKey();
    const transport = this.transportPin(ref.serial);
    if (j.pending?.effect === 'activation-pin') await this.resetToTransport(j);
    j.awaiting = 'none';
    await this.intend(j, 'activation-pin');
    try {
      await usbKey.setPin(ref, transport, pin, this.opts.pinPolicy);
    } catch (err) {
      const code = isDeviceError(err) ? (err as { code: string }).code : '';
      if (code !== 'TOKEN_PIN_INCORRECT' && code !== 'TOKEN_PIN_LOCKED') throw err;
      // The couriered key does not open with its transport PIN: reset it with the SO-PIN, as pickup does.
      await usbKey.resetUserPin(ref, this.soPin(ref.serial), transport);
      await usbKey.setPin(ref, transport, pin, this.opts.pinPolicy);
    }
    await this.done(j, 'activation-pin');
    await this.report(j);
  }

  private async unlockPin(j: ServiceRecord, pin: string): Promise<void> {
    const ref = { serial: j.tokenSerial! };
    const usbKey = this.jobs.usbKey();
    j.awaiting = 'none';
    await this.intend(j, 'unlock-pin');
    // SO login with the per-token SO-PIN, C_InitPIN: the holder's new PIN, sent to the key once.
    await usbKey.unlock(ref, this.soPin(ref.serial), pin, this.opts.pinPolicy);
    // The new PIN opens the key (C_Login with the right PIN spends nothing).
    await usbKey.withSession(ref, pin, () => undefined);
    await this.done(j, 'unlock-pin');
    await this.report(j);
  }

  /** Reset the user PIN to the transport PIN with the SO-PIN (C_InitPIN): no user-PIN try is spent. */
  private async resetToTransport(j: ServiceRecord): Promise<void> {
    const serial = j.tokenSerial!;
    await this.jobs.usbKey().resetUserPin({ serial }, this.soPin(serial), this.transportPin(serial));
    delete j.pending;
    j.awaiting = 'pin';
    await this.persist(j, 'code-accepted');
  }

  /** The last effect: the event for central and the audit entry, then completed (re-run safely: same ids). */
  private async report(j: ServiceRecord): Promise<void> {
    const effect: ServiceEffect = j.kind === 'activate' ? 'report-activation' : 'report-unlock';
    await this.intend(j, effect);
    const facts = { serialNumber: j.certificateSerial, tokenSerial: j.tokenSerial };
    if (j.kind === 'activate') {
      await this.emitEvent(j, 'certificate.activated', facts);
      await this.audit('certificate.activated', { journeyId: j.id, ...facts });
    } else {
      const extra = {
        unlockId: j.unlock?.unlockId,
        ...(j.unlock?.unlocksLeftToday !== undefined ? { unlocksLeftToday: j.unlock.unlocksLeftToday } : {}),
      };
      await this.emitEvent(j, 'token.unlocked', { ...facts, ...extra });
      await this.audit('token.unlocked', { journeyId: j.id, ...facts, ...extra });
    }
    await this.opts.fault?.(`after:${effect}`);
    await this.end(j, 'completed', j.kind === 'activate' ? 'activated, PIN set' : 'PIN unlocked and set');
  }

  private async onPinError(j: ServiceRecord, err: unknown): Promise<void> {
    const e = serviceError(err);
    if (this.stopOnStoreFault(e)) return;
    if (j.status !== 'active') return;
    const pendingReport = j.pending?.effect === 'report-activation' || j.pending?.effect === 'report-unlock';
    if (pendingReport) {
      // The PIN is set: only the report is left (retry re-runs it).
      j.error = e.toBody();
      await this.persist(j);
      return;
    }
    j.awaiting = 'pin';
    if (!this.devices.tokenPresent(j.tokenSerial ?? '')) {
      // The key is out: the PIN waits for it (an intent left pending is settled by the next PIN).
      j.error = errorBody('TOKEN_REMOVED');
      await this.persist(j);
      return;
    }
    if (e.code === 'TOKEN_NOT_RESPONDING' || e.code === 'TOKEN_PIN_POLICY') {
      j.error = e.toBody();
      await this.persist(j);
      return;
    }
    if (j.pending?.effect === 'activation-pin') {
      // The PIN may or may not have changed: reset it with the SO-PIN, and ask the holder again.
      try {
        await this.jobs.run(() => this.resetToTransport(j));
        j.error = errorBody('PIN_NOT_CONFIRMED');
        await this.persist(j);
      } catch (resetErr) {
        const r = serviceError(resetErr);
        if (this.stopOnStoreFault(r)) return;
        j.error = r.toBody();
        await this.persist(j);
      }
      return;
    }
    if (j.pending?.effect === 'unlock-pin') {
      // C_InitPIN again with the PIN typed next (the SO sets it: no user try is spent). A key that refuses
      // the SO login says so (call staff): asking the holder again would not help.
      delete j.pending;
      j.error =
        e.code === 'TOKEN_FAILED' || e.code === 'INTERNAL' ? e.toBody() : errorBody('PIN_NOT_CONFIRMED');
      await this.persist(j, 'unlock-granted');
      return;
    }
    j.error = e.toBody();
    await this.persist(j);
  }

  /** Retry the failed step (central was down, the key hiccuped) or ask central again now. */
  async retry(): Promise<ServiceView | null> {
    return this.exclusive(async () => {
      const j = this.requireActive();
      this.cardSeen = null;
      this.refusedKey = null;
      try {
        const pending = j.pending?.effect;
        if (j.kind === 'renew' && (await this.retryRenewal(j))) {
          // done
        } else if (j.kind === 'lookup' && j.awaiting === 'payment') {
          if (j.lookupPayment?.payment.state === 'pending') await this.lookupPay.check(j);
          else await this.lookupPay.again(j);
        } else if (pending === 'activate-code') {
          delete j.error;
          await this.settleActivation(j);
        } else if (pending === 'report-activation' || pending === 'report-unlock') {
          delete j.error;
          await this.report(j);
        } else if (j.step === 'key-read' && j.awaiting === 'none') {
          delete j.error;
          await this.advanceNow(j);
        } else if (j.kind === 'certificates' && j.step === 'status-checked') {
          delete j.error;
          j.step = 'key-read';
          await this.advanceNow(j);
        } else if (j.error) {
          delete j.error;
          await this.persist(j);
        }
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
      return this.view();
    });
  }

  /** Renew's retry without the key's PIN: a lost issuance answer, the old certificate's revocation, the report. */
  private async retryRenewal(j: ServiceRecord): Promise<boolean> {
    const pending = j.pending?.effect;
    if (j.awaiting === 'payment') {
      if (j.renewal?.payment?.state === 'pending') await this.renew.checkPayment(j);
      else await this.renew.startPayment(j);
      return true;
    }
    if (pending === 'renew-issue') {
      delete j.error;
      await this.renew.settleIssuance(j);
      if (j.status === 'active' && !j.pending) {
        // Issued: the certificate is written under the PIN.
        j.awaiting = 'current-pin';
        await this.persist(j);
      }
      return true;
    }
    if (
      pending === 'revoke-old' ||
      pending === 'report-renewal' ||
      j.step === 'old-removed' ||
      j.step === 'old-revoked'
    ) {
      delete j.error;
      await this.renew.finishWithoutKey(j);
      return true;
    }
    return false;
  }

  /**
   * One look at the service journey for the autopilot: the key or card it waits for, a key pulled before the
   * journey is committed to it, the machine step after a restart, the key and card left behind at the end.
   */
  async autopilotStep(): Promise<void> {
    if (this.isBusy) return;
    if (this.stalled) {
      await this.resumeAfterStoreFault();
      return;
    }
    await this.settleLeftRenewals();
    const j = this.current();
    if (!j) return;
    await this.watchCard(j);
    if (j.status === 'completed') {
      const inWriter = j.tokenSerial ? this.devices.tokenPresent(j.tokenSerial) : false;
      if (inWriter !== this.keyWasIn) {
        this.keyWasIn = inWriter;
        this.refreshView();
      }
      return;
    }
    this.keyWasIn = undefined;
    if (j.status !== 'active') return;
    if (j.awaiting === 'token') {
      if (this.devices.keyInWriter()) await this.readKey();
      else this.refusedKey = null;
      return;
    }
    if (j.tokenSerial && !this.devices.tokenPresent(j.tokenSerial)) {
      await this.keyPulled();
      return;
    }
    if ((j.awaiting === 'pin' || j.awaiting === 'current-pin') && j.error?.code === 'TOKEN_REMOVED') {
      // The key is back: the holder may type the PIN.
      await this.exclusive(async () => {
        const now = this.current();
        if (now?.id !== j.id || now.error?.code !== 'TOKEN_REMOVED') return;
        delete now.error;
        await this.persist(now);
      });
      return;
    }
    if (j.awaiting === 'id-card' || j.awaiting === 'scan-or-id-card') {
      await this.readCard();
      return;
    }
    if (j.awaiting === 'none' && !j.pending && !j.error && j.step === 'key-read') await this.advance();
  }

  /** Renewals their holder left after issuance: voided at central, or finished without the key (see renew.ts). */
  private async settleLeftRenewals(): Promise<void> {
    const now = this.now().getTime();
    const due = Object.values(this.store.data.services).filter(
      (s) => s.kind === 'renew' && s.status === 'in-doubt' && (this.settleAfter.get(s.id) ?? 0) <= now,
    );
    for (const j of due) {
      await this.exclusive(async () => {
        if (j.status !== 'in-doubt') return;
        try {
          const outcome = await this.renew.settleLeft(j, j.id);
          if (outcome === 'later') this.settleAfter.set(j.id, now + (this.opts.settleRetryMs ?? 30_000));
          else {
            this.settleAfter.delete(j.id);
            purgeService(j);
            if (this.store.data.activeServiceId !== j.id) forgetResult(j);
            await this.writeState();
          }
        } catch (err) {
          this.settleAfter.set(j.id, now + (this.opts.settleRetryMs ?? 30_000));
          if (!this.stopOnStoreFault(err)) throw err;
        }
      });
    }
  }

  /** The key left the writer mid-journey: before the journey is committed to it, wait for a key again. */
  private async keyPulled(): Promise<void> {
    await this.exclusive(async () => {
      const j = this.current();
      if (j?.status !== 'active' || !j.tokenSerial || this.devices.tokenPresent(j.tokenSerial)) return;
      if (j.error?.code === 'TOKEN_REMOVED') return;
      try {
        if (!j.pending && !committed(j.kind, j.step) && j.step !== 'unlock-granted') {
          await this.backToKey(j, new ApplianceError('TOKEN_REMOVED'));
        } else {
          // Committed to this key (the code is used, or the unlock granted): it must come back.
          j.error = errorBody('TOKEN_REMOVED');
          await this.persist(j);
        }
      } catch (err) {
        if (!this.stopOnStoreFault(err)) throw err;
      }
    });
  }

  private async watchCard(j: ServiceRecord): Promise<void> {
    if (this.cardUsedBy !== j.id) return;
    const present = await this.devices.idCardPresent().catch(() => null);
    if (present === null) return;
    // Only once the card was acted upon and the journey moved on does "take your card" apply.
    const movedOn = j.status === 'completed' || j.awaiting === 'pin';
    const left = present && movedOn;
    if (left !== this.cardLeft) {
      this.cardLeft = left;
      this.refreshView();
    }
  }

  /** After a failed write: once a write succeeds the journey goes on from its last durable record. */
  async resumeAfterStoreFault(): Promise<void> {
    if (!this.storeFault) return;
    await this.exclusive(async () => {
      const j = this.current();
      try {
        if (j) await this.persist(j);
        else {
          await this.writeState();
          this.storeFault = null;
          this.emit('service', null);
        }
      } catch {
        // still failing: the view keeps saying so
      }
    });
  }

  // ---------- ending ----------

  /** End the holder's session (idle timeout, cancel, staff): an open journey is abandoned (purged). */
  async wipe(reason: 'idle' | 'cancelled' | 'staff'): Promise<void> {
    let unpaid: string | undefined;
    await this.exclusive(async () => {
      const j = this.current();
      if (j) {
        // Paying when the session ends: the QR code's payment is closed at central (after the wipe).
        if (j.status === 'active' && j.awaiting === 'payment' && paymentOpen(j.renewal?.payment))
          unpaid = j.renewal?.order.orderId;
        unpaid ??= openLookupPayment(j);
        if (j.status === 'active') {
          const note = committed(j.kind, j.step, j.pending?.effect)
            ? `session ended (${reason}) at ${j.step} after the ${j.kind} was committed${j.pending ? ` (${j.pending.effect} in flight)` : ''}`
            : `session ended (${reason}) at ${j.step}`;
          // A renewal left after issuance is settled with central later (voided, or finished without the key).
          const leftRenewal = j.kind === 'renew' && committed(j.kind, j.step, j.pending?.effect);
          await this.end(
            j,
            leftRenewal ? 'in-doubt' : 'abandoned',
            note,
            reason === 'staff' ? errorBody('SESSION_ENDED_BY_STAFF') : undefined,
          );
        }
        forgetResult(j);
        this.store.data.activeServiceId = null;
        await this.writeState();
      }
      this.cardUsedBy = null;
      this.cardLeft = false;
      await this.opts.audit?.('system', 'session.wiped', { reason, service: true }).catch(() => undefined);
      this.emit('service', null);
      this.emit('wiped', { reason });
    });
    if (unpaid) void this.closePayment(unpaid, reason);
  }

  /**
   * Close an abandoned payment at central, best effort and never waited on: unreachable, central's sweep closes
   * it at its expiry; a payment that still arrives is kept there for a refund; paid after all, the order is paid
   * and the renewal (or the look-up's order) goes on another time.
   */
  private async closePayment(orderId: string, reason: string): Promise<void> {
    const outcome = await this.payments.cancel(orderId);
    await this.opts
      .audit?.('system', 'payment.cancelled', { reason, outcome, orderIdMasked: maskOrderId(orderId) })
      .catch(() => undefined);
  }

  /** After the result or error screen: back to the home screen. */
  async close(): Promise<void> {
    await this.exclusive(async () => {
      const j = this.current();
      if (j && j.status !== 'active') {
        forgetResult(j);
        this.store.data.activeServiceId = null;
        await this.writeState();
        this.cardUsedBy = null;
        this.cardLeft = false;
        this.emit('service', null);
        this.emit('wiped', { reason: 'completed' });
      }
    });
  }

  /** May the holder leave now? Not while an effect is under way or once the journey is committed. */
  cancellable(): boolean {
    const j = this.current();
    if (j?.status !== 'active') return true;
    return !j.pending && !committed(j.kind, j.step);
  }

  // ---------- recovery ----------

  /** On start: settle every open service journey from its last durable record (see service-table.ts). */
  async recover(): Promise<Array<{ id: string; outcome: string }>> {
    const outcomes: Array<{ id: string; outcome: string }> = [];
    for (const j of Object.values(this.store.data.services)) {
      if (j.status !== 'active') continue;
      const outcome = await this.exclusive(async () => {
        try {
          return await this.recoverOne(j);
        } catch (err) {
          if (this.stopOnStoreFault(err)) return 'waiting';
          throw err;
        }
      });
      outcomes.push({ id: j.id, outcome });
    }
    return outcomes;
  }

  /**
   * Renew after a restart: a lost issuance answer is asked for by its idempotency key; the revocation and the
   * report are re-run; any step on the key waits for the holder's PIN again (it finds what was done).
   */
  private async recoverRenewal(j: ServiceRecord): Promise<string> {
    const effect = j.pending?.effect;
    const step = j.step;
    // Paying: the QR code (or its payment, paid meanwhile) is asked about again by the payment screen.
    if (j.awaiting === 'payment' && !effect) return 'payment-again';
    const keySteps = [
      'identity-verified',
      'key-generated',
      'certificate-issued',
      'certificate-written',
      'verified',
    ];
    try {
      if (
        effect === 'revoke-old' ||
        effect === 'report-renewal' ||
        step === 'old-removed' ||
        step === 'old-revoked'
      ) {
        await this.renew.finishWithoutKey(j);
        return SERVICE_RECOVERY_OUTCOME['re-run'];
      }
      if (effect === 'renew-issue') {
        delete j.error;
        await this.renew.settleIssuance(j);
      }
    } catch (err) {
      const e = serviceError(err);
      if (e.code === 'STORE_UNAVAILABLE') throw e;
      j.error = e.toBody();
    }
    if (j.status !== 'active') return j.status;
    if (effect || keySteps.includes(step)) {
      j.awaiting = 'current-pin';
      await this.persist(j);
      return effect ? SERVICE_RECOVERY_OUTCOME[SERVICE_EFFECTS[effect].recovery] : 'pin-again';
    }
    if (j.awaiting === 'none' && step === 'key-read' && j.error) {
      delete j.error;
      await this.persist(j);
    }
    return 'resumed';
  }

  private async recoverOne(j: ServiceRecord): Promise<string> {
    if (j.kind === 'renew') return this.recoverRenewal(j);
    // A look-up's order being paid: the payment screen asks central again (paid meanwhile, or the code again).
    if (j.kind === 'lookup' && j.awaiting === 'payment') return 'payment-again';
    const effect = j.pending?.effect;
    if (!effect) {
      // Between effects: the journey waits for what its step waits for; a machine step interrupted (key read,
      // central not asked yet) is done again by the autopilot.
      if (j.step === 'pin-set' || j.step === 'pin-reset') {
        // The PIN is set: only the report is left.
        await this.report(j);
        return SERVICE_RECOVERY_OUTCOME['re-run'];
      }
      if (j.step === 'identity-verified') {
        // The card was read but the request not sent: the card again (the same unlockId).
        delete j.identity;
        j.awaiting = 'id-card';
        await this.persist(j, 'key-read');
        return SERVICE_RECOVERY_OUTCOME['ask-card-again'];
      }
      if (j.step === 'found' || (j.step === 'status-checked' && j.central)) {
        await this.end(j, 'completed', 'result recorded before a restart');
        return 'completed';
      }
      if (j.awaiting === 'none' && j.step === 'key-read' && j.error) {
        delete j.error;
        await this.persist(j);
      }
      return 'resumed';
    }
    const recovery = SERVICE_EFFECTS[effect].recovery;
    const outcome = SERVICE_RECOVERY_OUTCOME[recovery];
    switch (recovery) {
      case 'ask-central':
        delete j.error;
        await this.settleActivation(j);
        return outcome;
      case 'ask-card-again':
        // The card is not kept: it is read again (the holder places it again if it was taken), and the
        // request goes to central again under the same unlockId.
        delete j.pending;
        delete j.identity;
        delete j.error;
        j.awaiting = 'id-card';
        await this.persist(j, 'key-read');
        return outcome;
      case 'reset-pin': {
        j.awaiting = 'pin';
        if (!this.devices.tokenPresent(j.tokenSerial ?? '')) {
          // Reset once the key is back (the next PIN does it first).
          j.error = errorBody('TOKEN_REMOVED');
          await this.persist(j);
          return outcome;
        }
        try {
          await this.jobs.run(() => this.resetToTransport(j));
          j.error = errorBody('PIN_NOT_CONFIRMED');
          await this.persist(j);
        } catch (err) {
          const e = serviceError(err);
          if (e.code === 'STORE_UNAVAILABLE') throw e;
          j.error = e.toBody();
          await this.persist(j);
        }
        return outcome;
      }
      case 'ask-pin-again':
        delete j.pending;
        j.awaiting = 'pin';
        j.error = errorBody('PIN_NOT_CONFIRMED');
        await this.persist(j, 'unlock-granted');
        return outcome;
      case 're-run':
        await this.report(j);
        return outcome;
      default:
        // resume-with-pin, ask-by-idempotency-key: renew's rules (recoverRenewal).
        throw new ApplianceError('INTERNAL', `No ${j.kind} effect recovers by "${recovery}".`);
    }
  }
}
