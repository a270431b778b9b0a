// The pickup journey engine: a persisted state machine over the real drivers and central.
// Rules (see pickup-table.ts for the effects, their intents, results and recoveries):
// - Every side effect is bracketed by two durable records: its intent (JourneyRecord.pending, written before
//   the effect starts) and its result (the next step, written after). A write that fails advances nothing,
//   not even in memory, and the journey stops before the next effect.
// - Once issuance was requested, only central's answer or a staff decision may end the journey: a cancel, an
//   idle wipe, a pulled key or a restart with central down leave it waiting or in doubt, never abandoned.
// - A PIN change whose outcome is unknown never spends the holder's tries: the user PIN is reset with the
//   per-token SO-PIN and the holder is asked again.
import { randomBytes, randomUUID, verify, X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { checkPin, type PinPolicy } from '@certkiosk/config';
import {
  deriveSoPin,
  deriveTransportPin,
  isDeviceError,
  maskIdNumber,
  parseCertificate,
  type UsbKeyDriver,
} from '@certkiosk/firmware-bridge';
import {
  type ApplianceOrder,
  type IssuedCertificate,
  type SyncEvent,
  signIdentityStatement,
  verifyPickupCode,
} from '@certkiosk/sync';
import {
  type ApplianceErrorCode,
  type ErrorBody,
  type JourneyView,
  PICKUP_STEPS,
  type PickupStep,
  type WipeReason,
} from '../api/contract.js';
import { ApplianceError, errorBody } from '../errors.js';
import { journeyEvent, writeStore } from './durable.js';
import { checkIdentity, hashIdNumber, identityStatementFor, maskName } from './identity.js';
import { issuanceRecord, issuanceRecordBytes } from './issuance-record.js';
import { csrProfile, keyPairOnToken, PROFILE_ALGORITHM } from './key-pair.js';
import { OneAtATime } from './one-at-a-time.js';
import { forgetDoneScreen, orderSnapshot, purgePersonalData } from './personal-data.js';
import {
  type FaultPoint,
  issuanceMayExist,
  PICKUP_EFFECTS,
  type PickupEffect,
  RECOVERY_OUTCOME,
  type Recovery,
} from './pickup-table.js';
import type { ApplianceKey, CentralPort, EventSink, KioskDevices, StateStore } from './ports.js';
import { type ReceiptOptions, receiptData, receiptDocument } from './receipt.js';
import {
  type IssuedJourney,
  type JourneyFrom,
  type JourneyRecord,
  missingForStep,
  type Phase,
  reached,
} from './record.js';
import { TokenJobs } from './token-jobs.js';
import { asApplianceError, outcomeUnknown } from './translate-error.js';
import { journeyView } from './view.js';

export { asApplianceError } from './translate-error.js';

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
  /**
   * The USB-key models that may be personalised (manufacturer and model from CK_TOKEN_INFO); any other key is
   * refused before anything, the vendor SO-PIN included, is sent to it. Empty: any model (the sim).
   */
  allowedTokenModels?: ReadonlyArray<{ manufacturer: string; model: string }>;
  /** The key ID numbers are HMACed under (derived on the appliance token; held in memory only). */
  idHashKey: Buffer;
  /** How many different ID cards may be tried before the journey fails. */
  maxIdAttempts?: number;
  /** Waiting on central after issuance was sent: first retry after `initialMs`, doubling up to `maxMs`. */
  centralRetry?: { initialMs: number; maxMs: number };
  /** A journey waiting on central this long is handed to staff (in doubt); asking central goes on. */
  centralWaitLimitMs?: number;
  /**
   * The longest a USB-key job (prepare, keygen, write, PIN, test signature) may take. A PKCS#11 call cannot be
   * cancelled: past the limit the engine stops waiting for it, records nothing more from it, and the applicant
   * is offered retry or cancel (TOKEN_NOT_RESPONDING); once issuance may exist, cancel or idle hands it to staff.
   */
  tokenStepLimitMs?: number;
  now?: () => Date;
  /** Fault injection (test builds only): called at every side-effect boundary and after every step. */
  fault?: (point: FaultPoint) => void | Promise<void>;
  /**
   * The audit log: every change of a journey's step, status, need or error (masked data only), and every
   * session end, awaited once the change is durable (a failed audit write stops the journey like the store).
   */
  audit?: (actor: 'applicant' | 'system', action: string, details: Record<string, unknown>) => Promise<void>;
  /** Test hook: awaited right after a step is made durable (e.g. to pull the key at a chosen moment). */
  afterStep?: (step: PickupStep) => Promise<void> | void;
  /** What the receipt shows from config (kiosk.hallName, timeZone, serviceHotline); defaults: hall code, Asia/Shanghai. */
  receipt?: ReceiptOptions;
  /** The queue shared with the service engine: one writer of the store at a time (default: its own). */
  exclusive?: OneAtATime;
  /** An after-sales service journey is open (starting a pickup is refused: JOURNEY_BUSY). */
  serviceOpen?: () => boolean;
  /** The key of a completed after-sales service is still in the writer (a new pickup: TAKE_KEY_FIRST). */
  serviceKeyLeftBehind?: () => boolean;
}

type EngineEvents = {
  journey: [JourneyView | null];
  wiped: [{ reason: WipeReason }];
};

function need<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) {
    throw new ApplianceError('INTERNAL', `The journey record has no ${what} at this step.`);
  }
  return value;
}

/** The journey as its phase types it; a record that lacks what its phase guarantees is corrupt (INTERNAL). */
function at<P extends Phase>(j: JourneyRecord, phase: P): JourneyFrom<P> {
  if (reached(j, phase)) return j;
  const missing = missingForStep(j);
  throw new ApplianceError(
    'INTERNAL',
    `Journey ${j.id} (${j.status} at ${j.step}) has not reached ${phase}${missing.length ? `: no ${missing.join(', ')}` : ''}.`,
  );
}

export class PickupEngine extends EventEmitter<EngineEvents> {
  private readonly one: OneAtATime;
  private readonly jobs: TokenJobs;
  private readonly now: () => Date;
  /** Set while the store refuses writes: the journey stops and the UI says "call staff". */
  private storeFault: ErrorBody | null = null;

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
    this.one = opts.exclusive ?? new OneAtATime();
    this.jobs = new TokenJobs(devices, opts.tokenStepLimitMs ?? 90_000);
  }

  // ---------- reading ----------

  current(): JourneyRecord | null {
    const id = this.store.data.activeJourneyId;
    return id ? (this.store.data.journeys[id] ?? null) : null;
  }

  view(): JourneyView | null {
    const j = this.current();
    return j ? this.viewOf(j) : null;
  }

  private viewOf(j: JourneyRecord): JourneyView {
    const v = journeyView(j);
    // The done screen stays until the holder has taken the key.
    if (j.status === 'completed' && j.token) v.keyInWriter = this.devices.tokenPresent(j.token.serial);
    if (this.cardLeftOnReader === j.id && this.cardReadAndPassed(j)) v.cardOnReader = true;
    if (this.storeFault && j.status === 'active') v.error = this.storeFault;
    return v;
  }

  journey(id: string): JourneyRecord | undefined {
    return this.store.data.journeys[id];
  }

  /** A key left in the writer: a pickup's written key, or the key of a completed after-sales service. */
  private keyLeftBehind(): boolean {
    return this.ownKeyLeftBehind() || !!this.opts.serviceKeyLeftBehind?.();
  }

  /** A key with a certificate on it (a completed or in-doubt journey's) still in the writer. */
  ownKeyLeftBehind(): boolean {
    return Object.values(this.store.data.journeys).some(
      (o) =>
        (o.status === 'completed' || o.status === 'in-doubt') &&
        !!o.token &&
        this.devices.tokenPresent(o.token.serial),
    );
  }

  /** The journey whose holder's ID card was seen on the reader after it was read (the autopilot looks). */
  private cardLeftOnReader: string | null = null;

  /** The card was read and the journey went on past the ID-card step (so the card should be taken back). */
  cardReadAndPassed(j: JourneyRecord): boolean {
    // A completed journey went through identity verification; an open one has, once it reached that phase.
    return j.status === 'completed' || (j.status === 'active' && reached(j, 'identity-verified'));
  }

  /** The autopilot's finding: the current journey's card is (still) on the reader, or not. */
  noteCardOnReader(present: boolean): void {
    const j = this.current();
    const now = present && j && this.cardReadAndPassed(j) ? j.id : null;
    if (now === this.cardLeftOnReader) return;
    this.cardLeftOnReader = now;
    this.refreshView();
  }

  /** Tell the UI again how the current journey looks (a device changed what the view says). */
  refreshView(): void {
    this.emit('journey', this.view());
  }

  /** Every journey kept (open ones and the newest closed ones). */
  journeys(): JourneyRecord[] {
    return Object.values(this.store.data.journeys);
  }

  inDoubt(): JourneyRecord[] {
    return Object.values(this.store.data.journeys).filter((j) => j.status === 'in-doubt');
  }

  get isBusy(): boolean {
    return this.one.busy;
  }

  /** The store refused a write: the journey is stopped until the disk takes writes again. */
  get stalled(): boolean {
    return this.storeFault !== null;
  }

  /**
   * After a failed write (disk full, read-only), called periodically: once a write succeeds the journey goes
   * on from its last durable record — the machine step runs again, or the applicant is asked again.
   */
  async resumeAfterStoreFault(): Promise<void> {
    if (!this.storeFault) return;
    const j = this.current();
    try {
      if (
        j?.status === 'active' &&
        j.awaiting === 'none' &&
        stepIndex(j.step) < stepIndex('certificate-written')
      ) {
        await this.personaliseToken();
      } else if (j?.status === 'active' && stepIndex(j.step) >= stepIndex('verified')) {
        await this.exclusive(() => this.finish(at(j, 'certificate-issued')));
      } else if (j) {
        await this.exclusive(() => this.persist(j));
      } else {
        await this.exclusive(async () => {
          await this.writeState();
          this.storeFault = null;
          this.emit('journey', this.view());
        });
      }
    } catch {
      // still failing: the view keeps saying so, and the next call tries again
    }
  }

  // ---------- persistence ----------

  private transportPin(serial: string): string {
    return deriveTransportPin(this.opts.soPinMasterSecret, serial);
  }

  /** Make the journey durable; a failed write throws STORE_UNAVAILABLE and leaves memory as on disk. */
  private async persist(j: JourneyRecord, step?: PickupStep): Promise<void> {
    this.assertLiveTokenRun();
    if (step) j.step = step;
    j.updatedAt = this.now().toISOString();
    j.revision = (j.revision ?? 0) + 1;
    this.store.data.journeys[j.id] = j;
    await this.writeState();
    await this.auditChange(j);
    if (this.storeFault) this.storeFault = null;
    if (step) {
      await this.opts.fault?.(`step:${step}`);
      await this.opts.afterStep?.(step);
    }
    this.emit('journey', this.store.data.activeJourneyId === j.id ? this.viewOf(j) : this.view());
  }

  /** A USB-key job within `tokenStepLimitMs` (token-jobs.ts): past it, TOKEN_NOT_RESPONDING and disowned. */
  private tokenJob<T>(fn: () => Promise<T>): Promise<T> {
    return this.jobs.run(fn);
  }

  /** The USB-key driver as a job sees it: a job given up on gets no answer from the key (it throws instead). */
  private usbKey(): UsbKeyDriver {
    return this.jobs.usbKey();
  }

  private assertLiveTokenRun(): void {
    this.jobs.assertLive();
  }

  private lastAudited = '';

  /** Audit a durable change of the journey (once per step, status, need and error), with masked data only. */
  private async auditChange(j: JourneyRecord): Promise<void> {
    if (!this.opts.audit) return;
    const v = journeyView(j);
    const key = `${v.id}:${v.step}:${v.status}:${v.need}:${v.error?.code ?? ''}`;
    if (key === this.lastAudited) return;
    try {
      await this.opts.audit('applicant', `journey.${v.status === 'active' ? v.step : v.status}`, {
        journeyId: v.id,
        need: v.need,
        ...(v.order ? { orderId: v.order.orderId } : {}),
        ...(v.identity?.idNumberMasked ? { idNumber: v.identity.idNumberMasked } : {}),
        ...(v.error ? { error: v.error.code } : {}),
      });
    } catch (err) {
      this.storeFault = errorBody(
        'STORE_UNAVAILABLE',
        `The kiosk cannot write its audit log: ${(err as Error).message}`,
      );
      this.emit('journey', this.view());
      throw new ApplianceError('STORE_UNAVAILABLE', undefined, undefined, { cause: err });
    }
    this.lastAudited = key;
  }

  /** Write the store; a failure stops the journey (view: STORE_UNAVAILABLE) with memory as on disk. */
  private async writeState(): Promise<void> {
    try {
      await writeStore(this.store);
    } catch (err) {
      // The store has put its data back to what is durable; a caller's journey object is now stale.
      this.storeFault = (err as ApplianceError).toBody();
      this.emit('journey', this.view());
      throw new ApplianceError('STORE_UNAVAILABLE', undefined, undefined, { cause: err });
    }
  }

  /** Write the intent of an effect before starting it. */
  private async intend(j: JourneyRecord, effect: PickupEffect, extra: { csrPem?: string } = {}) {
    j.pending = { effect, since: this.now().toISOString(), ...extra };
    await this.persist(j);
    await this.opts.fault?.(`before:${effect}`);
  }

  /** Record the result of an effect: its step, with the intent cleared. */
  private async done(j: JourneyRecord, effect: PickupEffect): Promise<void> {
    await this.opts.fault?.(`after:${effect}`);
    delete j.pending;
    await this.persist(j, PICKUP_EFFECTS[effect].to);
  }

  private async emitEvent(
    type: string,
    j: JourneyRecord,
    payload: Record<string, unknown>,
    id?: string,
  ): Promise<void> {
    this.assertLiveTokenRun();
    // Deterministic per journey and type, so an event re-emitted after a crash is deduplicated by central.
    const event: SyncEvent = journeyEvent({
      applianceId: this.opts.applianceId,
      journeyId: j.id,
      type,
      attempt: j.attempt,
      at: this.now(),
      payload,
      ...(j.order ? { orderId: j.order.orderId } : {}),
      ...(id ? { id } : {}),
    });
    await this.events.enqueue(event);
  }

  /** Run engine actions one at a time, in arrival order (an action that arrives mid-step waits for it). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.one.run(fn);
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

  // ---------- the one writer of each end ----------

  /** End a journey as failed, abandoned or completed (personal data purged), or hand it to staff (in doubt). */
  private async end(
    j: JourneyRecord,
    status: 'failed' | 'abandoned' | 'in-doubt' | 'completed',
    note: string,
    error?: ErrorBody,
    opts: { byStaff?: boolean; event?: { type: string; payload: Record<string, unknown> } } = {},
  ): Promise<void> {
    if (
      !opts.byStaff &&
      status !== 'in-doubt' &&
      status !== 'completed' &&
      issuanceMayExist(j.step, j.pending?.effect)
    ) {
      // Only central's answer or staff may end a journey whose certificate may exist.
      throw new ApplianceError('INTERNAL', `refusing to end journey ${j.id} as ${status} after issuance`);
    }
    j.status = status;
    j.awaiting = 'none';
    j.note = note;
    delete j.waiting;
    if (opts.byStaff) delete j.pending;
    if (error) j.error = error;
    else if (status === 'completed') delete j.error;
    if (status === 'in-doubt' && !error) j.error = errorBody('ISSUANCE_IN_DOUBT');
    if (status !== 'in-doubt') purgePersonalData(j);
    if ((status === 'failed' || status === 'abandoned') && j.token) this.spoilKey(j, note);
    await this.persist(j, status === 'completed' ? 'completed' : undefined);
    if (opts.event) {
      await this.emitEvent(opts.event.type, j, { step: j.step, ...opts.event.payload });
    } else if (status === 'failed') {
      await this.emitEvent('journey.failed', j, { step: j.step, reason: j.error?.code ?? 'INTERNAL' });
    } else if (status === 'in-doubt') {
      await this.emitEvent('journey.in-doubt', j, {
        step: j.step,
        reason: note,
        ...(j.certificate ? { serialNumber: j.certificate.serialNumber } : {}),
      });
    }
  }

  /** A key that was prepared for a journey that did not finish with it: out of stock until staff reset it. */
  private spoilKey(j: JourneyRecord, reason: string): void {
    const serial = j.token?.serial;
    if (!serial || this.store.data.spoiledKeys.some((k) => k.serial === serial)) return;
    this.store.data.spoiledKeys.push({ serial, journeyId: j.id, at: this.now().toISOString(), reason });
  }

  // ---------- applicant actions ----------

  /** Start a pickup journey (attract screen tapped). An unfinished one is returned as it is. */
  async start(): Promise<JourneyView> {
    return this.exclusive(async () => {
      const existing = this.current();
      if (existing && existing.status === 'active') return this.viewOf(existing);
      // One journey at a time: an after-sales service is open (its holder is at the kiosk).
      if (this.opts.serviceOpen?.()) {
        throw new ApplianceError('JOURNEY_BUSY', 'An after-sales service is open: finish or leave it first.');
      }
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
      // The last holder's key is still in the writer: the scan screen says so until it is taken.
      if (this.keyLeftBehind()) j.error = errorBody('TAKE_KEY_FIRST');
      const previous = this.store.data.activeJourneyId;
      this.store.data.activeJourneyId = j.id;
      // Not a step yet: nothing is scanned. Stored so an abandoned start is visible.
      try {
        await this.persist(j);
      } catch (err) {
        this.store.data.activeJourneyId = previous;
        throw err;
      }
      return this.viewOf(j);
    });
  }

  /** A pickup code arrived (from the scanner or typed): verified offline, then checked with central. */
  async scan(code: string): Promise<JourneyView> {
    if (this.current()?.status !== 'active') await this.start();
    return this.exclusive(async () => {
      const j = this.requireActive('scan');
      delete j.error;
      // A written key left in the writer goes home with its holder, not to the next applicant.
      if (this.keyLeftBehind()) return this.refuse(j, new ApplianceError('TAKE_KEY_FIRST'));
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
      j.pickupExpiresAt = new Date(check.payload.exp * 1000).toISOString();
      await this.persist(j, 'scanned');

      // Central's current view of the code: superseded, used, not approved are refused now, not at issuance.
      let order: ApplianceOrder;
      try {
        order = await this.central.checkPickupCode(j.pickupCode);
      } catch (err) {
        return this.refuse(j, asApplianceError(err), { backToScan: true });
      }
      if (order.id !== check.payload.orderId) {
        return this.refuse(j, new ApplianceError('PICKUP_CODE_FORGED'), { backToScan: true });
      }
      if (['issued', 'activated', 'invoiced'].includes(order.status)) {
        return this.refuse(j, new ApplianceError('ORDER_ALREADY_ISSUED'), { backToScan: true });
      }
      if (order.status !== 'approved' || order.delivery !== 'kiosk') {
        return this.refuse(j, new ApplianceError('ORDER_NOT_APPROVED'), { backToScan: true });
      }
      j.order = orderSnapshot(order);
      j.awaiting = 'confirm-order';
      await this.persist(j, 'order-verified');
      return this.viewOf(j);
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
      delete j.pickupExpiresAt;
      delete j.order;
    }
    await this.persist(j);
    return this.viewOf(j);
  }

  async confirm(): Promise<JourneyView> {
    return this.exclusive(async () => {
      const j = this.requireActive('confirm-order');
      delete j.error;
      j.awaiting = 'id-card';
      j.identity = { attempts: 0 };
      await this.persist(j);
      return this.viewOf(j);
    });
  }

  /** Read the ID card on the reader and match it against the order. Called by the reader poll loop. */
  async readIdentity(): Promise<JourneyView> {
    return this.exclusive(async () => {
      const j = this.requireActive('id-card');
      const { order } = at(j, 'order-verified');
      let result: Awaited<ReturnType<KioskDevices['readIdCard']>>;
      try {
        result = await this.devices.readIdCard();
      } catch (err) {
        j.error = errorBody('ID_CARD_UNREADABLE', (err as Error).message);
        await this.persist(j);
        return this.viewOf(j);
      }
      if (result.state === 'no-card') {
        if (j.error?.code === 'ID_CARD_UNREADABLE') {
          delete j.error;
          await this.persist(j);
        }
        return this.viewOf(j);
      }
      const card = result.card;
      j.identity ??= { attempts: 0 };
      const identity = j.identity;
      // The same wrong card left on the reader counts once.
      const masked = maskIdNumber(card.idNumber);
      if (identity.lastReason && identity.idNumberMasked === masked) return this.viewOf(j);
      const check = checkIdentity(card, order, this.now());
      if (!check.ok) {
        // Central's count first: the screen reads this record meanwhile, and must not show a refusal
        // without its reason and tries left.
        const left = await this.idTriesLeftAfterFailure(j, order.orderId, check.code);
        identity.nameMasked = maskName(card.name);
        identity.idNumberMasked = masked;
        identity.lastReason = check.code;
        identity.attempts = (this.opts.maxIdAttempts ?? 3) - left;
        identity.attemptsLeft = left;
        if (left <= 0) {
          await this.end(j, 'failed', `identity: ${check.detail}`, errorBody('ID_ATTEMPTS_EXHAUSTED'));
          return this.viewOf(j);
        }
        j.error = errorBody(check.code, undefined, { attemptsLeft: left });
        await this.persist(j);
        return this.viewOf(j);
      }
      identity.nameMasked = maskName(card.name);
      identity.idNumberMasked = masked;
      identity.role = check.role;
      delete identity.lastReason;
      delete identity.attemptsLeft;
      identity.idNumberHash = hashIdNumber(this.opts.idHashKey, card.idNumber);
      // Signed now, sent with the issuance request: central checks it against the order's own HMACs.
      identity.statement = await signIdentityStatement(
        identityStatementFor(card, order, check.role, this.opts.applianceId, this.now()),
        (data) => this.applianceKey.sign(data),
      );
      delete j.error;
      j.awaiting = 'token';
      await this.persist(j, 'identity-verified');
      return this.viewOf(j);
    });
  }

  /**
   * Count a wrong card for the order and answer the tries left: central's count decides (it spans scans and
   * kiosks); when central cannot be asked, this kiosk's own count per order does, so a re-scan gives nothing.
   */
  private async idTriesLeftAfterFailure(
    j: JourneyRecord,
    orderId: string,
    reason: 'ID_MISMATCH_PERSON' | 'ID_CARD_EXPIRED' | 'ID_CARD_INVALID',
  ): Promise<number> {
    const max = this.opts.maxIdAttempts ?? 3;
    const local = (this.store.data.idFailures[orderId]?.count ?? 0) + 1;
    let left = max - local;
    if (j.pickupCode) {
      try {
        left = (await this.central.reportIdentityFailure(j.pickupCode, reason)).attemptsLeft;
      } catch (err) {
        if (asApplianceError(err).code === 'ID_ATTEMPTS_EXHAUSTED') left = 0;
      }
    }
    left = Math.max(0, left);
    this.store.data.idFailures[orderId] = {
      count: max - left,
      expiresAt: j.pickupExpiresAt ?? new Date(this.now().getTime() + 7 * 86_400_000).toISOString(),
    };
    return left;
  }

  /** A blank key is in the writer: prepare it, generate the key pair, have the certificate issued and write it. */
  async personaliseToken(): Promise<JourneyView> {
    return this.exclusive(async () => {
      const j = this.requireActive();
      const machineStep = j.awaiting === 'none' && stepIndex(j.step) < stepIndex('certificate-written');
      if (j.awaiting !== 'token' && !machineStep) throw new ApplianceError('WRONG_STEP');
      try {
        if (j.pending?.effect === 'request-issuance') {
          // The request is out: only central's answer moves on (no key needed to ask again).
          await this.requestIssuance(j);
          if (j.status === 'active' && j.step === 'certificate-issued') {
            await this.tokenJob(() => this.writeCertificate(at(j, 'certificate-issued')));
          }
        } else {
          // As one device job: the device manager neither polls nor rescans the module meanwhile.
          await this.tokenJob(() => this.runTokenSteps(j));
        }
      } catch (err) {
        await this.onTokenStepError(j, err);
      }
      return this.view() ?? this.viewOf(j);
    });
  }

  private async runTokenSteps(j: JourneyRecord): Promise<void> {
    const usbKey = this.usbKey();
    const { order } = at(j, 'identity-verified');
    if (stepIndex(j.step) < stepIndex('token-ready')) {
      const blank = this.devices.blankToken();
      if (!blank) throw new ApplianceError('TOKEN_ABSENT');
      const allowed = this.opts.allowedTokenModels ?? [];
      const { manufacturer, model } = blank.token;
      if (allowed.length && !allowed.some((m) => m.manufacturer === manufacturer && m.model === model)) {
        throw new ApplianceError('TOKEN_MODEL_NOT_ALLOWED', undefined, { manufacturer, model });
      }
      j.awaiting = 'none';
      delete j.error;
      const label = `CK-${order.orderId}`.slice(0, 32);
      const keyIdHex = randomBytes(8).toString('hex');
      // Known before the effect, so a crash mid-init leaves the key's serial on record (spoiled, not lost).
      if (blank.token.serial)
        j.token = {
          serial: blank.token.serial,
          label,
          keyIdHex,
          algorithm: PROFILE_ALGORITHM[order.certificateType],
        };
      await this.intend(j, 'prepare-token');
      // prepareBlankKey re-initialises: some modules assign the serial only then (SoftHSM); the transport
      // PIN is derived from the final serial.
      const prepared = await usbKey.prepareBlankKeyAsync(
        blank.token.serial ? { serial: blank.token.serial } : blank.slotId,
        {
          label,
          masterSecret: this.opts.soPinMasterSecret,
          transportPin: (serial) => this.transportPin(serial),
          ...(blank.token.flags.initialized && this.opts.blankKeySoPin
            ? { currentSoPin: this.opts.blankKeySoPin }
            : {}),
        },
      );
      j.token = {
        serial: prepared.serial,
        label: prepared.label,
        keyIdHex,
        algorithm: PROFILE_ALGORITHM[order.certificateType],
      };
      await this.done(j, 'prepare-token');
    }
    const { token } = at(j, 'token-ready');
    const ref = { serial: token.serial };
    const transportPin = this.transportPin(token.serial);
    const keyId = Buffer.from(token.keyIdHex, 'hex');

    if (stepIndex(j.step) < stepIndex('key-generated')) {
      // A key pair left by an earlier try whose result was never recorded is read back, not made twice.
      const kp = await keyPairOnToken(
        usbKey,
        ref,
        transportPin,
        {
          keyId,
          algorithm: token.algorithm,
          label: `${order.orderId} signing key`,
          retrying: j.pending?.effect === 'generate-key',
        },
        () => this.intend(j, 'generate-key'),
      );
      token.spkiSha256 = kp.spkiSha256;
      token.evidence = { ...kp.evidence };
      // Order + journey + attempt: a retry of this request reuses it; a new key pair or journey does not.
      j.idempotencyKey = `${order.orderId}:${j.id.slice(0, 8)}:${j.attempt}`;
      await this.done(j, 'generate-key');
    }

    if (stepIndex(j.step) < stepIndex('certificate-issued')) {
      const csr = await usbKey.csr(ref, transportPin, keyId, csrProfile(order));
      await this.intend(j, 'request-issuance', { csrPem: csr.pem });
      await this.requestIssuance(j);
    }

    if (j.status === 'active' && j.step === 'certificate-issued')
      await this.writeCertificate(at(j, 'certificate-issued'));
  }

  /**
   * Send (or send again) the issuance request under the journey's idempotency key. Central's certificate moves
   * the journey on; central's "no" ends it (the key is spoiled); no answer leaves it waiting, retried with
   * backoff by `retryWaiting`, and never ends it.
   */
  private async requestIssuance(j: JourneyRecord): Promise<void> {
    const { order, token, idempotencyKey: key, pickupCode, identity } = at(j, 'key-generated');
    let answer: IssuedCertificate;
    try {
      answer = await this.central.issueCertificate({
        orderId: order.orderId,
        idempotencyKey: key,
        pickupCode,
        csrPem: need(j.pending?.csrPem, 'CSR'),
        keyEvidence: {
          tokenSerial: token.serial,
          ...token.evidence,
        },
        identityStatement: identity.statement,
      });
    } catch (err) {
      const e = asApplianceError(err);
      // Lost answer or a refusal of a repeat: central knows whether it issued under this key.
      const found = await this.central.getCertificateByIdempotencyKey(key).catch(() => null);
      if (found) {
        answer = found;
      } else if (outcomeUnknown(e)) {
        await this.waitForCentral(j, e);
        return;
      } else {
        // Central said no to this request: nothing was issued under it.
        delete j.pending;
        await this.end(j, 'failed', `central refused the issuance: ${e.code} ${e.message}`, e.toBody());
        return;
      }
    }
    await this.recordIssued(j, answer);
  }

  private async recordIssued(j: JourneyRecord, answer: IssuedCertificate): Promise<void> {
    const cert = parseCertificate(answer.certificatePem);
    j.certificate = {
      serialNumber: answer.serialNumber,
      pem: answer.certificatePem,
      chainPem: answer.chainPem,
      notBefore: answer.notBefore,
      notAfter: answer.notAfter,
      subjectCommonName: /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? '',
      publicKeySha256: answer.publicKeySha256,
    };
    if (j.pickupNonce) {
      this.store.useNonce(j.pickupNonce, {
        journeyId: j.id,
        expiresAt: j.pickupExpiresAt ?? new Date(this.now().getTime() + 30 * 86_400_000).toISOString(),
      });
    }
    delete j.waiting;
    if (j.status === 'active') delete j.error;
    // Events go to the durable outbox before the step they report is persisted: a crash in between
    // re-sends the same event id, which central deduplicates; the other order could lose it.
    await this.emitEvent('certificate.issued', j, {
      serialNumber: answer.serialNumber,
      tokenSerial: j.token?.serial,
    });
    await this.done(j, 'request-issuance');
  }

  private async waitForCentral(j: JourneyRecord, e: ApplianceError): Promise<void> {
    const retry = this.opts.centralRetry ?? { initialMs: 2_000, maxMs: 60_000 };
    const attempts = (j.waiting?.attempts ?? 0) + 1;
    const since = j.waiting?.since ?? this.now().toISOString();
    const delay = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempts - 1, 16));
    j.waiting = {
      on: 'central',
      since,
      attempts,
      nextRetryAt: new Date(this.now().getTime() + delay).toISOString(),
    };
    j.awaiting = 'none';
    j.error = errorBody('ISSUANCE_PENDING', e.message, { attempts });
    const limit = this.opts.centralWaitLimitMs ?? 3 * 60_000;
    if (j.status === 'active' && this.now().getTime() - Date.parse(since) >= limit) {
      await this.end(
        j,
        'in-doubt',
        `no answer from central for ${Math.round(limit / 1000)} s after the issuance request`,
        errorBody('STEP_TIMEOUT'),
      );
      return;
    }
    await this.persist(j);
  }

  /**
   * Called periodically (autopilot): a journey waiting on central whose retry time has come asks again; an
   * in-doubt journey whose issuance outcome is unknown asks central by idempotency key.
   */
  async retryWaiting(): Promise<void> {
    const due = (j: JourneyRecord) =>
      !j.waiting?.nextRetryAt || Date.parse(j.waiting.nextRetryAt) <= this.now().getTime();
    const active = this.current();
    if (active?.status === 'active' && active.waiting && due(active)) await this.personaliseToken();
    for (const j of this.inDoubt()) {
      const key = j.idempotencyKey;
      if (j.pending?.effect !== 'request-issuance' || !key || !due(j)) continue;
      await this.exclusive(async () => {
        const found = await this.central.getCertificateByIdempotencyKey(key).catch((err) => {
          void err;
          return undefined;
        });
        if (found) {
          j.note = `certificate ${found.serialNumber} was issued; the key did not receive it`;
          await this.recordIssued(j, found);
        } else {
          const attempts = (j.waiting?.attempts ?? 0) + 1;
          const retry = this.opts.centralRetry ?? { initialMs: 2_000, maxMs: 60_000 };
          j.waiting = {
            on: 'central',
            since: j.waiting?.since ?? this.now().toISOString(),
            attempts,
            nextRetryAt: new Date(this.now().getTime() + retry.maxMs).toISOString(),
          };
          await this.persist(j);
        }
      });
    }
  }

  private async writeCertificate(j: IssuedJourney): Promise<void> {
    const cert = new X509Certificate(j.certificate.pem);
    if (j.token.spkiSha256 && j.certificate.publicKeySha256 !== j.token.spkiSha256) {
      throw new ApplianceError('CERTIFICATE_KEY_MISMATCH');
    }
    const chain = j.certificate.chainPem.map((p) => new X509Certificate(p));
    await this.intend(j, 'write-certificate');
    // Idempotent: a certificate already under this id with the same value is not written again, so a
    // re-run after a crash never leaves a second leaf. The driver checks the key match again.
    await this.usbKey().importCertificate(
      { serial: j.token.serial },
      this.transportPin(j.token.serial),
      Buffer.from(j.token.keyIdHex, 'hex'),
      cert,
      chain,
    );
    await this.emitEvent('certificate.written', j, {
      serialNumber: j.certificate.serialNumber,
      tokenSerial: j.token.serial,
    });
    j.awaiting = 'pin';
    delete j.error;
    await this.done(j, 'write-certificate');
  }

  private async onTokenStepError(j: JourneyRecord, err: unknown): Promise<void> {
    const e = asApplianceError(err);
    if (e.code === 'STORE_UNAVAILABLE') {
      // Nothing more can be recorded: the journey stops here and the view says "call staff".
      this.storeFault = e.toBody();
      this.emit('journey', this.view());
      return;
    }
    if (j.status !== 'active') return;
    const pendingIssuance = j.pending?.effect === 'request-issuance';
    if (issuanceMayExist(j.step, j.pending?.effect) && !pendingIssuance) {
      if (['TOKEN_REMOVED', 'TOKEN_ABSENT', 'TOKEN_FAILED', 'CERTIFICATE_KEY_MISMATCH'].includes(e.code)) {
        // The certificate exists but is not on the key: only staff can decide (retry the write, or void).
        await this.end(
          j,
          'in-doubt',
          `certificate ${j.certificate?.serialNumber} issued, write failed: ${e.code}`,
        );
        return;
      }
      j.error = e.toBody();
      await this.persist(j);
      return;
    }
    if (pendingIssuance) {
      await this.waitForCentral(j, e);
      return;
    }
    if (
      [
        'TOKEN_REMOVED',
        'TOKEN_ABSENT',
        'TOKEN_NOT_BLANK',
        'KEY_EVIDENCE_REFUSED',
        'TOKEN_MODEL_NOT_ALLOWED',
      ].includes(e.code)
    ) {
      // Before issuance nothing is lost: a new key pair on whatever blank key comes next.
      if (j.token) this.spoilKey(j, `removed at ${j.step}: ${e.code}`);
      if (stepIndex(j.step) >= stepIndex('token-ready') || j.pending) {
        j.attempt++;
        delete j.token;
        delete j.idempotencyKey;
        delete j.pending;
        j.step = 'identity-verified';
      }
      j.awaiting = 'token';
      j.error = e.toBody();
      await this.persist(j);
      return;
    }
    // Token errors before issuance: stay where we are; retry resumes from the last durable step.
    j.error = e.toBody();
    await this.persist(j);
  }

  /**
   * The holder's PIN: accepted once, passed to the driver, forgotten; then the test signature with it. The
   * engine never logs in with a PIN it is not sure of: whenever the token's user PIN is unknown to it (a change
   * whose outcome was lost, or a PIN set before a restart), the PIN is first reset with the per-token SO-PIN
   * and the holder's PIN is set again — no holder try is ever spent.
   */
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
      const ij = at(j, 'certificate-issued');
      const ref = { serial: ij.token.serial };
      const usbKey = this.usbKey();
      try {
        await this.tokenJob(async () => {
          if (ij.step !== 'certificate-written' || ij.pending) await this.resetUserPin(ij);
          await this.intend(ij, 'change-pin');
          await usbKey.setPin(ref, this.transportPin(ij.token.serial), pin, this.opts.pinPolicy);
          ij.awaiting = 'pin';
          await this.done(ij, 'change-pin');
          await this.intend(ij, 'test-signature');
          await this.verifyWithPin(ij, pin);
        });
      } catch (err) {
        const e = asApplianceError(err);
        if (e.code === 'STORE_UNAVAILABLE') return this.view() ?? this.viewOf(j);
        if (e.code === 'VERIFY_FAILED') {
          await this.end(
            ij,
            'in-doubt',
            'the test signature did not verify against the new certificate',
            e.toBody(),
          );
          return this.viewOf(ij);
        }
        if (!this.devices.tokenPresent(ij.token.serial)) {
          // The key is out: the PIN step waits for it (an intent left pending is settled by a reset once the
          // key is back); if the holder leaves, the idle wipe hands the journey to staff.
          ij.awaiting = 'pin';
          ij.error = errorBody('TOKEN_REMOVED');
          await this.persist(ij);
          return this.viewOf(ij);
        }
        if (e.code === 'TOKEN_NOT_RESPONDING') {
          // A wedged key would not answer a reset either; the holder's retry resets first (the intent stays).
          ij.error = e.toBody();
          await this.persist(ij);
          return this.viewOf(ij);
        }
        if (ij.pending || ij.step !== 'certificate-written') {
          // The PIN may or may not have changed: reset it with the SO-PIN and ask the holder again.
          try {
            await this.tokenJob(() => this.resetUserPin(ij));
            return this.viewOf(ij);
          } catch (resetErr) {
            const r = asApplianceError(resetErr);
            if (r.code === 'STORE_UNAVAILABLE') return this.view() ?? this.viewOf(j);
            ij.error = r.toBody();
            await this.persist(ij);
            return this.viewOf(ij);
          }
        }
        ij.error = e.toBody();
        await this.persist(ij);
        return this.viewOf(ij);
      }
      ij.awaiting = 'none';
      delete ij.error;
      await this.done(ij, 'test-signature');
      await this.finish(ij);
      return this.viewOf(ij);
    });
  }

  /**
   * Reset the user PIN to the transport PIN with the per-token SO-PIN (C_InitPIN): no user try is spent. The
   * journey is back at certificate-written, waiting for the holder to set the PIN.
   */
  private async resetUserPin(j: IssuedJourney): Promise<void> {
    await this.usbKey().resetUserPin(
      { serial: j.token.serial },
      deriveSoPin(this.opts.soPinMasterSecret, j.token.serial),
      this.transportPin(j.token.serial),
    );
    delete j.pending;
    j.awaiting = 'pin';
    j.error = errorBody('PIN_NOT_CONFIRMED');
    await this.persist(j, 'certificate-written');
  }

  private async verifyWithPin(j: IssuedJourney, pin: string): Promise<void> {
    const data = Buffer.concat([Buffer.from(`certkiosk verification ${j.id} `), randomBytes(16)]);
    const signature = await this.usbKey().withSession({ serial: j.token.serial }, pin, (s) =>
      s.signer(Buffer.from(j.token.keyIdHex, 'hex')).sign(data),
    );
    const cert = new X509Certificate(j.certificate.pem);
    if (!verify('sha256', data, cert.publicKey, signature)) throw new ApplianceError('VERIFY_FAILED');
  }

  /** Receipt (never blocks issuance), issuance record, activation, completion. */
  private async finish(j: IssuedJourney): Promise<void> {
    if (stepIndex(j.step) < stepIndex('receipt-printed')) await this.printReceipt(j);

    await this.intend(j, 'report-completion');
    // The counter only moves forward; a record re-made after a crash keeps its event id (deduplicated).
    const counter = ++this.store.data.issuanceCounter;
    const record = issuanceRecord(j, this.opts.applianceId, counter, this.now());
    const signature = await this.applianceKey.sign(issuanceRecordBytes(record));
    await this.emitEvent('issuance.record', j, { record, signature: signature.toString('base64') });
    await this.emitEvent('certificate.activated', j, { serialNumber: j.certificate.serialNumber });
    await this.opts.fault?.('after:report-completion');
    delete j.pending;
    await this.end(j, 'completed', 'completed');
  }

  /** Print the receipt; paper out or a dead printer queues it for reprint instead of blocking issuance. */
  private async printReceipt(j: IssuedJourney): Promise<void> {
    const data = receiptData(
      j,
      { kioskId: this.opts.applianceId, hall: this.opts.hall, ...this.opts.receipt },
      this.now(),
    );
    await this.intend(j, 'print-receipt');
    try {
      await this.devices.printReceipt(receiptDocument(data));
      j.receipt = { state: 'printed' };
      await this.emitEvent('receipt.printed', j, { serialNumber: j.certificate.serialNumber });
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
        serialNumber: j.certificate.serialNumber,
        reason: j.note,
      });
    }
    await this.done(j, 'print-receipt');
  }

  /** Retry the failed automatic step (central was down, token hiccup). */
  async retry(): Promise<JourneyView> {
    const j = this.requireActive();
    if (j.awaiting === 'none' && stepIndex(j.step) < stepIndex('certificate-written'))
      return this.personaliseToken();
    return this.viewOf(j);
  }

  /**
   * End the applicant's session (idle timeout, cancel, staff). Nothing whose certificate may exist is dropped:
   * such a journey goes to staff as in doubt.
   */
  async wipe(reason: 'idle' | 'cancelled' | 'staff'): Promise<void> {
    await this.exclusive(async () => {
      const j = this.current();
      if (j) {
        if (j.status === 'active') {
          if (issuanceMayExist(j.step, j.pending?.effect)) {
            await this.end(
              j,
              'in-doubt',
              `session ended (${reason}) after issuance was requested (step ${j.step})`,
            );
          } else {
            await this.end(
              j,
              'abandoned',
              `session ended (${reason}) at step ${j.step}`,
              reason === 'staff' ? errorBody('SESSION_ENDED_BY_STAFF') : undefined,
            );
          }
        }
        forgetDoneScreen(j);
        this.store.data.activeJourneyId = null;
        await this.writeState();
      }
      await this.opts.audit?.('system', 'session.wiped', { reason }).catch(() => undefined);
      this.emit('journey', null);
      this.emit('wiped', { reason });
    });
  }

  /** After the done or error screen: return to attract. */
  async close(): Promise<void> {
    await this.exclusive(async () => {
      const j = this.current();
      if (j && j.status !== 'active') {
        forgetDoneScreen(j);
        this.store.data.activeJourneyId = null;
        await this.writeState();
        this.emit('journey', null);
        this.emit('wiped', { reason: 'completed' });
      }
    });
  }

  // ---------- recovery ----------

  /** On start: settle every unfinished journey from its last durable record (see pickup-table.ts). */
  async recover(): Promise<Array<{ id: string; outcome: string }>> {
    const outcomes: Array<{ id: string; outcome: string }> = [];
    for (const j of Object.values(this.store.data.journeys)) {
      if (j.status !== 'active') continue;
      const missing = missingForStep(j);
      if (missing.length) {
        // A record that lacks what its step guarantees cannot be resumed safely: staff look at it.
        await this.exclusive(() =>
          this.end(j, 'in-doubt', `record incomplete at ${j.step}: no ${missing.join(', ')}`),
        );
        outcomes.push({ id: j.id, outcome: 'in-doubt' });
        continue;
      }
      const outcome = await this.exclusive(() => this.recoverOne(j));
      outcomes.push({ id: j.id, outcome });
    }
    return outcomes;
  }

  /** The recovery rule for a journey: its pending effect's, or that of the effect leading out of its step. */
  private recoveryOf(j: JourneyRecord): Recovery | 'none' {
    if (j.pending) return PICKUP_EFFECTS[j.pending.effect].recovery;
    if (stepIndex(j.step) < stepIndex('certificate-issued')) return 'roll-back';
    if (j.step === 'certificate-issued') return 'read-back';
    if (j.step === 'certificate-written') return 'none';
    if (j.step === 'pin-set') return 'reset-pin';
    return 're-run';
  }

  private async recoverOne(j: JourneyRecord): Promise<string> {
    const recovery = this.recoveryOf(j);
    if (recovery === 'roll-back') {
      delete j.pending;
      if (this.store.data.activeJourneyId === j.id) this.store.data.activeJourneyId = null;
      await this.end(
        j,
        'failed',
        `interrupted at ${j.step} by a restart; the order can be collected again`,
        errorBody('NO_ACTIVE_JOURNEY'),
      );
      return RECOVERY_OUTCOME[recovery];
    }
    if (recovery === 'ask-central') {
      // Not settled here (central may be down): the journey waits, and retryWaiting asks central soon.
      j.awaiting = 'none';
      j.waiting = {
        on: 'central',
        since: j.waiting?.since ?? this.now().toISOString(),
        attempts: j.waiting?.attempts ?? 0,
        nextRetryAt: this.now().toISOString(),
      };
      j.error = errorBody('ISSUANCE_PENDING');
      await this.persist(j);
      return RECOVERY_OUTCOME[recovery];
    }
    const present = j.token ? this.devices.tokenPresent(j.token.serial) : false;
    if (recovery === 're-run' && stepIndex(j.step) >= stepIndex('verified')) {
      await this.finish(at(j, 'certificate-issued'));
      return RECOVERY_OUTCOME[recovery];
    }
    if (!present) {
      await this.end(
        j,
        'in-doubt',
        `restart at ${j.step}${j.pending ? ` (${j.pending.effect})` : ''}; the key is not in the writer`,
      );
      return 'in-doubt';
    }
    const ij = at(j, 'certificate-issued');
    try {
      await this.tokenJob(async () => {
        if (recovery === 'read-back') await this.writeCertificate(ij);
        else if (recovery === 'reset-pin') await this.resetUserPin(ij);
        else {
          delete ij.pending;
          ij.awaiting = 'pin';
          await this.persist(ij);
        }
      });
    } catch (err) {
      await this.onTokenStepError(ij, err);
      return ij.status === 'active' ? 'waiting' : ij.status;
    }
    return recovery === 'none' ? 'resumed' : RECOVERY_OUTCOME[recovery];
  }

  // ---------- staff ----------

  /** Staff: end the applicant's current session (a requested issuance goes to staff, in doubt). */
  async endSession(): Promise<void> {
    await this.wipe('staff');
  }

  /** Staff resolution of an in-doubt journey: write the certificate again (the key is back in the writer). */
  async resolveRetryWrite(id: string): Promise<JourneyView> {
    return this.exclusive(async () => {
      const j = this.store.data.journeys[id];
      if (j?.status !== 'in-doubt') throw new ApplianceError('WRONG_STEP', 'No such journey in doubt.');
      if (!j.certificate) {
        throw new ApplianceError(
          'ISSUANCE_PENDING',
          'Central has not confirmed a certificate for this journey yet: nothing to write.',
        );
      }
      if (j.voidRequested) {
        // Central may already have revoked it: a voided certificate must never reach a key.
        throw new ApplianceError(
          'WRONG_STEP',
          'A void was requested for this journey: finish it with revoke-void.',
        );
      }
      const ij = at(j, 'certificate-issued');
      if (!this.devices.tokenPresent(ij.token.serial)) {
        throw new ApplianceError('TOKEN_ABSENT', `Insert the USB key with serial ${ij.token.serial} first.`);
      }
      const active = this.current();
      if (active && active.status === 'active' && active.id !== id) {
        throw new ApplianceError('JOURNEY_BUSY', 'An applicant is using the kiosk: end that session first.');
      }
      ij.status = 'active';
      delete ij.error;
      this.store.data.activeJourneyId = ij.id;
      try {
        await this.tokenJob(async () => {
          if (stepIndex(ij.step) < stepIndex('certificate-written')) await this.writeCertificate(ij);
          else if (ij.pending || ij.step !== 'certificate-written') await this.resetUserPin(ij);
          else {
            delete ij.pending;
            ij.awaiting = 'pin';
            await this.persist(ij);
          }
        });
      } catch (err) {
        const e = asApplianceError(err);
        ij.status = 'in-doubt';
        ij.error = e.toBody();
        this.store.data.activeJourneyId = null;
        await this.persist(ij);
        return this.viewOf(ij);
      }
      return this.viewOf(ij);
    });
  }

  /**
   * Staff resolution: revoke the certificate at central (it shows in the CRL) and void this issuance; the order
   * returns to approved, so the holder collects again with a new key. Without a certificate (central never
   * issued under this key) the journey is simply voided.
   */
  async resolveRevokeVoid(id: string, reason: string): Promise<JourneyView> {
    return this.exclusive(async () => {
      const j = this.store.data.journeys[id];
      if (j?.status !== 'in-doubt') throw new ApplianceError('WRONG_STEP', 'No such journey in doubt.');
      let serial = j.certificate?.serialNumber;
      if (!serial && j.idempotencyKey) {
        // Central decides whether anything was issued; if it cannot be asked, nothing is decided.
        try {
          serial = (await this.central.getCertificateByIdempotencyKey(j.idempotencyKey))?.serialNumber;
        } catch (err) {
          throw asApplianceError(err);
        }
      }
      if (serial) {
        // The intent first: from here on, the certificate is never written (retry-write is refused).
        j.voidRequested = { at: this.now().toISOString(), reason };
        await this.persist(j);
        try {
          await this.central.voidCertificate(serial, { journeyId: j.id, reason });
        } catch (err) {
          throw asApplianceError(err);
        }
      }
      if (j.pickupNonce) this.store.releaseNonce(j.pickupNonce);
      const note = serial
        ? `certificate ${serial} revoked and voided by staff: ${reason}`
        : `voided by staff (no certificate was issued): ${reason}`;
      await this.end(j, 'failed', note, undefined, {
        byStaff: true,
        event: { type: 'journey.voided', payload: { reason, ...(serial ? { serialNumber: serial } : {}) } },
      });
      return this.viewOf(j);
    });
  }

  async markResolved(id: string, note: string): Promise<void> {
    await this.exclusive(async () => {
      const j = this.store.data.journeys[id];
      if (j?.status !== 'in-doubt') throw new ApplianceError('WRONG_STEP', 'No such journey in doubt.');
      await this.end(j, 'failed', note, undefined, {
        byStaff: true,
        event: { type: 'journey.failed', payload: { reason: 'resolved-by-staff', note } },
      });
    });
  }
}

export function stepIndex(step: PickupStep): number {
  return PICKUP_STEPS.indexOf(step);
}
