// A stand-in for the appliance daemon (which is written in parallel): serves kiosk-ui/dist and speaks the
// contract's routes and SSE stream with scripted device behaviour. Tests drive it through the contract's
// sim routes (/sim/*) plus a few /__test/* routes for what only a fake can do (reset, forced errors, call log).
// Run: node e2e/dist/kiosk-ui/e2e/fake-appliance.js --port 4173 --dist dist
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { matchRoute, type RouteName, type RouteTypes } from '../../appliance/src/api/client.ts';
import type {
  ApplianceErrorCode,
  CentralLinkView,
  DeviceKind,
  DeviceStatusView,
  ErrorBody,
  IdentityView,
  InDoubtResolution,
  InvoiceView,
  JourneyView,
  KioskSettings,
  OrderSummary,
  PickupStep,
  ReprintView,
  ServerEvents,
  WipeReason,
} from '../../appliance/src/api/contract.ts';
import {
  APPLIANCE_ERROR_CODES,
  IN_DOUBT_RESOLUTIONS,
  PICKUP_STEPS,
} from '../../appliance/src/api/contract.ts';
import {
  checkRequest,
  loopbackHosts,
  originsOf,
  SECURITY_HEADERS,
  STATE_CHANGING_METHODS,
} from '../../appliance/src/api/http-policy.ts';
import { journeyRef, normaliseJourneyRef } from '../../appliance/src/api/journey-ref.ts';
import type {
  KeyCertificateView,
  LookupOrderView,
  RenewalNotice,
  RenewalView,
  ServiceKind,
  ServiceStep,
  ServiceView,
} from '../../appliance/src/api/service-contract.ts';
import { SERVICE_KINDS, SERVICE_STEPS } from '../../appliance/src/api/service-contract.ts';
import { APPLIANCE_ERRORS } from '../../appliance/src/errors.ts';
import { checkPin } from '../../config/src/pin-policy.ts';
import { INVOICE_TITLE_MAX_LENGTH, isInvoiceEmail } from '../../sync/src/contract/invoice-fields.ts';
import {
  beijingDay,
  previousDay,
  reconciliationDayProblem,
} from '../../sync/src/contract/reconciliation-day.ts';
import { normaliseUscc, type UsccProblemKind, usccProblem } from '../../sync/src/contract/uscc.ts';

const { values: args } = parseArgs({
  options: { port: { type: 'string', default: '4173' }, dist: { type: 'string', default: 'dist' } },
});
const DIST = resolve(args.dist);
/** The staff accounts every fresh world starts with: the sim profile's demo accounts (S001, S002). */
const SEED_STAFF: ReadonlyArray<{ id: string; name: string; role: StaffRole; pin: string }> = [
  { id: 'S001', name: '陈静', role: 'administrator', pin: '864213' },
  { id: 'S002', name: '王强', role: 'operator', pin: '975310' },
];
/** As the appliance's staff store: 5 wrong PINs in a row lock an id for 30 s, doubling with each further one. */
const STAFF_MAX_FAILURES = 5;
const STAFF_LOCK_MS = 30_000;
const STAFF_PIN_POLICY = {
  minLength: 6,
  maxLength: 12,
  digitsOnly: true,
  forbidSequences: true,
  forbidRepeated: true,
};
const STAFF_ID = /^[A-Z]{1,3}[0-9]{3,8}$/;

const DEFAULT_SETTINGS: KioskSettings = {
  applianceId: 'KIOSK-FAKE-001',
  hall: 'SZ-FUTIAN',
  languages: ['zh-CN', 'en'],
  idleWarningMs: 60_000,
  idleWipeMs: 30_000,
  elderlyTimeoutFactor: 1.5,
  pinPolicy: { minLength: 6, maxLength: 8, digitsOnly: true, forbidSequences: true, forbidRepeated: true },
  serviceHotline: '0755-8888 6666（9:00–17:00）',
};

const ORDERS: Record<string, OrderSummary> = {
  'CK1-DEMO-0001': {
    orderId: 'ORD-2025-000123',
    certificateType: 'organisation',
    businessType: 'new',
    serviceYears: 2,
    holderNameMasked: '张*',
    organisationName: '深圳市示例科技有限公司',
  },
  // 补办 replace: an approved reissue order (the holder's key was lost), picked up like any order.
  'CK1-REISSUE-0001': {
    orderId: 'ORD-2025-000456',
    certificateType: 'natural-person',
    businessType: 'reissue',
    serviceYears: 1,
    holderNameMasked: '张*',
    replacesCertificate: { serialMasked: '…9a2f7b3e', revoked: false },
  },
};
const BAD_CODES: Record<string, { code: ApplianceErrorCode; action: ErrorBody['action'] }> = {
  'CK1-FORGED': { code: 'PICKUP_CODE_FORGED', action: 'call-staff' },
  'CK1-EXPIRED': { code: 'PICKUP_CODE_EXPIRED', action: 'retry' },
  'CK1-USED': { code: 'PICKUP_CODE_USED', action: 'call-staff' },
};
/** The emulator's card fixtures this fake knows: who is on them, as the appliance would show them (masked). */
const CARDS: Record<string, { nameMasked: string; idNumberMasked: string; problem?: ApplianceErrorCode }> = {
  'han-zhang-wei': { nameMasked: '张*', idNumberMasked: '4403**********1238' },
  'expired-li-na': { nameMasked: '李*', idNumberMasked: '5101**********0021', problem: 'ID_CARD_EXPIRED' },
  'mongol-batu': { nameMasked: '巴*', idNumberMasked: '1501**********0015', problem: 'ID_MISMATCH_PERSON' },
};
const MATCHING_CARD = 'han-zhang-wei';
const MACHINE_STEPS: PickupStep[] = [
  'token-ready',
  'key-generated',
  'certificate-issued',
  'certificate-written',
];
const FINISH_STEPS: PickupStep[] = ['pin-set', 'verified', 'receipt-printed'];
const ID_ATTEMPTS = 3;
/** As central issues them (16 random bytes in hex, 00 before a high first byte): long, with no place to break. */
const FAKE_CERT_SERIAL = '00c45a3c910e7712ab04e1f86d2b9a5c37';

interface Journey {
  view: JourneyView;
  idFailures: number;
  lastActivity: number;
  /** Serial of the blank key taken for this journey (spoiled if the journey ends without it). */
  tokenSerial?: string;
  /** The issuance request went out (from then on the certificate may exist: only central or staff end it). */
  issuanceSent?: boolean;
  /** Set when central issued (the done screen shows it; staff see it on an in-doubt item). */
  certificateSerial?: string;
  /** A machine step that did not finish: what a retry (the applicant's "try now", or the appliance's own
   *  timer while it waits on central) runs again. */
  held?: { kind: 'stall' | 'issuance'; resume: () => void; timer?: ReturnType<typeof setTimeout> };
}

/** How the fake's central answers the issuance request (set through /__test/central). */
interface CentralBehaviour {
  /** ok: issues; refuse: says no (the journey ends failed, as the appliance does, and the key is spoiled);
   *  pending: no answer (the request is out: the journey waits on central and asks again every retryMs). */
  mode: 'ok' | 'refuse' | 'pending';
  /** The refusal's code and action (refuse only). */
  code: ApplianceErrorCode;
  action: ErrorBody['action'];
  retryMs: number;
}

interface InDoubtEntry {
  id: string;
  orderId: string;
  step: PickupStep;
  note: string;
  tokenSerial?: string;
  certificateSerial?: string;
  updatedAt: string;
}

/** An applicant's call for staff, open until staff acknowledge it (one per session, as the appliance). */
interface StaffCallEntry {
  id: string;
  at: string;
  presses: number;
  /** The journey's id, or '' without a journey. */
  session: string;
  journeyRef?: string;
  step?: PickupStep;
  status?: JourneyView['status'];
  need?: JourneyView['need'];
  error?: ApplianceErrorCode;
}

/** What the fake keeps of every journey for the reference-number lookup (as the appliance's store). */
interface JourneyHistory {
  view: JourneyView;
  startedAt: string;
  updatedAt: string;
  note?: string;
  /** Kept after the view dropped them (the appliance keeps the order id and masked names on the record). */
  orderId?: string;
  nameMasked?: string;
}

interface SpoiledKeyEntry {
  serial: string;
  journeyId: string;
  at: string;
  reason: string;
}

/** A held key the sim can insert (service-contract.ts /sim/token `key`): the demo's couriered key, 张伟's key
 *  ('renewal', or 'holder'); a blank key (no `key`) carries no certificate of ours. Only 'renewal' has a paid
 *  renewal order at central; `pin` is the key's current user PIN (renew asks for it). */
type HeldKey = 'couriered' | 'renewal' | 'holder';
const HELD_KEYS: Record<
  HeldKey,
  { tokenSerial: string; certificateSerial: string; subject: string; daysLeft: number; pin: string }
> = {
  couriered: {
    tokenSerial: 'HELDKEY0C0001',
    certificateSerial: '0a11c0e71e2d',
    subject: '深圳市示例科技有限公司',
    daysLeft: 730,
    pin: '864209',
  },
  renewal: {
    tokenSerial: 'HELDKEY0R0002',
    certificateSerial: '0b22d1f82f3e',
    subject: '张*',
    daysLeft: 45,
    pin: '731946',
  },
  holder: {
    tokenSerial: 'HELDKEY0H0003',
    certificateSerial: '0c33e2a93a4f',
    subject: '张*',
    daysLeft: 200,
    pin: '305917',
  },
};
/** The new certificate a renewal writes (as central issues serials: hex, 00 before a high first byte). */
const RENEWED_CERT_SERIAL = '00d7e1a5c3b90412ef6a8b2c4d5e6f7081';
/** Wrong current PINs before the key locks (a real key says so with CKF_USER_PIN_LOCKED). */
const KEY_PIN_TRIES = 3;
/** The machine part of a renewal (SERVICE_STEPS.renew after the holder, before completed). */
type RenewStep = ServiceStep<'renew'>;
const RENEW_STEPS: readonly RenewStep[] = SERVICE_STEPS.renew;
const RENEW_WORK = RENEW_STEPS.slice(
  RENEW_STEPS.indexOf('identity-verified') + 1,
  RENEW_STEPS.indexOf('completed'),
);
/** The code printed in the demo's courier letter. */
const ACTIVATION_CODE = '246810';
const ACTIVATION_TRIES = 5;
const UNLOCKS_PER_DAY = 3;

/** The after-sales service journey on the fake (service-contract.ts). */
interface Service {
  view: ServiceView;
  key?: HeldKey;
}

interface World {
  settings: KioskSettings;
  stepMs: number;
  journey: Journey | null;
  service: Service | null;
  /** The held key in the writer (null: none, or a blank one). */
  heldKey: HeldKey | null;
  /** Keys whose user PIN is locked (/sim/token lock-pin). */
  lockedKeys: Set<HeldKey>;
  /** Activation tries left per held key (central's count: it survives the journey). */
  activationTries: Map<HeldKey, number>;
  activated: Set<HeldKey>;
  unlocksLeft: Map<HeldKey, number>;
  /** Wrong current PINs typed on each key since its last right one (renew; the key's own count). */
  keyPinFailures: Map<HeldKey, number>;
  /** Keys renewed in this world (their renewal order is used up). */
  renewed: Set<HeldKey>;
  /** /__test/key: the certificate on the next keys read (days left, revoked), how long a service's PIN step
   *  takes, and the profile's rule for the old certificate of a renewal. */
  keyKnobs: {
    daysLeft?: number;
    revoked?: boolean;
    pinMs?: number;
    renewalRule?: RenewalView['rule'];
    /** The renewal order awaits payment at the kiosk (this amount, in fen); its QR code lasts `payMs`. */
    payFen?: number;
    payMs?: number;
  };
  /** /__test/pay: the phone paid the QR code shown (WeChat Pay, as central would learn it). */
  paidAt: string | null;
  /** QR codes shown in this world (each new attempt its own code). */
  paymentAttempts: number;
  devices: Record<DeviceKind, DeviceStatusView>;
  tokenPresent: boolean;
  /** The card fixture lying on the reader, if any (read as soon as the journey asks for it). */
  cardOnReader: string | null;
  paper: 'ok' | 'near-end' | 'out';
  coverOpen: boolean;
  nextErrors: Map<string, ErrorBody>;
  /** Every /api and /sim request; bodies too, except PINs (applicant's and staff's), which are never kept. */
  calls: Array<{ method: string; path: string; at: number; body?: unknown }>;
  /** Staff accounts (PINs in memory: this is a test fake) and signed-in sessions by token. */
  staffAccounts: Map<string, FakeStaffAccount>;
  staffSessions: Map<string, { staffId: string; createdAt: number; lastSeen: number }>;
  staffFailures: Map<string, { failures: number; since: number; lockedUntil?: number }>;
  /** A staff session ends after this long without a staff request (the appliance's default: 5 min). */
  staffIdleMs: number;
  inDoubt: InDoubtEntry[];
  /** Receipts queued for a reprint (the printer had no paper when the journey finished). */
  reprints: ReprintView[];
  /** The top of the maintenance screen: the hall's name and time zone, central and the last sync (as the
   *  appliance's sync agent reports them; /__test/sync changes them). */
  hallName: string;
  timeZone: string;
  centralLink: CentralLinkView;
  lastSyncAt: string | null;
  spoiledKeys: SpoiledKeyEntry[];
  staffCalls: StaffCallEntry[];
  /** Every journey of this world by its id. */
  history: Map<string, JourneyHistory>;
  /** Sync events set aside; absent from the overview unless a test sets it (the field is optional). */
  parkedEvents: number | undefined;
  central: CentralBehaviour;
  /** The next time the machine reaches this step it stops on this retryable error (a token hiccup…). */
  stall: { step: PickupStep; error: ErrorBody } | null;
  /** The next time the machine runs one of these steps it takes this long (ms), with no error (a slow key). */
  slow: Map<PickupStep, number>;
  keysTaken: number;
  /** The done screen's order's invoice at the fake's central (a new journey starts with none). */
  invoice: InvoiceView;
  /** What the fake's central was asked to record (invoice requests that passed the kiosk's checks), in order. */
  centralInvoiceCalls: Array<{ orderId: string; body: FakeInvoiceBody }>;
  timers: Set<ReturnType<typeof setTimeout>>;
  /** The invoices of service results' orders at the fake's central, by `<service id>:<position>`. */
  serviceInvoices: Record<string, InvoiceView>;
  /** Invoice slips the kiosk printed (or queued for reprint), in order: for which order, and what it said. */
  slips: Array<{ orderId: string; state: 'printed' | 'queued-for-reprint'; invoice: InvoiceView }>;
}

type StaffRole = 'operator' | 'administrator';
interface FakeStaffAccount {
  id: string;
  name: string;
  role: StaffRole;
  pin: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  credentialChangedAt: string;
}

const now = () => new Date().toISOString();
const device = (
  kind: DeviceKind,
  state: DeviceStatusView['state'],
  detail: DeviceStatusView['detail'],
): DeviceStatusView => ({
  kind,
  state,
  detail,
  since: now(),
});

function freshWorld(
  settings: Partial<KioskSettings> = {},
  stepMs = 350,
  parkedEvents: number | undefined = undefined,
  staffIdleMs = 5 * 60_000,
): World {
  return {
    settings: { ...DEFAULT_SETTINGS, ...settings },
    stepMs,
    journey: null,
    service: null,
    heldKey: null,
    lockedKeys: new Set(),
    activationTries: new Map(),
    activated: new Set(),
    unlocksLeft: new Map(),
    keyPinFailures: new Map(),
    renewed: new Set(),
    paidAt: null,
    paymentAttempts: 0,
    keyKnobs: {},
    devices: {
      token: device('token', 'online', 'token-absent'),
      idReader: device('idReader', 'online', null),
      printer: device('printer', 'online', null),
      scanner: device('scanner', 'online', null),
    },
    tokenPresent: false,
    cardOnReader: null,
    paper: 'ok',
    coverOpen: false,
    nextErrors: new Map(),
    calls: [],
    staffAccounts: new Map(
      SEED_STAFF.map((a) => [
        a.id,
        { ...a, active: true, createdAt: now(), updatedAt: now(), credentialChangedAt: now() },
      ]),
    ),
    staffSessions: new Map(),
    staffFailures: new Map(),
    staffIdleMs,
    inDoubt: [],
    reprints: [],
    hallName: '福田区政务服务中心',
    timeZone: 'Asia/Shanghai',
    centralLink: { state: 'reachable', since: now() },
    lastSyncAt: now(),
    spoiledKeys: [],
    staffCalls: [],
    history: new Map(),
    parkedEvents,
    central: { mode: 'ok', code: 'CENTRAL_REFUSED', action: 'call-staff', retryMs: 5000 },
    stall: null,
    slow: new Map(),
    keysTaken: 0,
    invoice: { state: 'none' },
    centralInvoiceCalls: [],
    timers: new Set(),
    serviceInvoices: {},
    slips: [],
  };
}

let world = freshWorld();
const clients = new Set<ServerResponse>();

// ---------- events ----------

function publish<K extends keyof ServerEvents>(name: K, data: ServerEvents[K]): void {
  const frame = `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  for (const res of clients) res.write(frame);
}

function later(ms: number, fn: () => void): void {
  const t = setTimeout(() => {
    world.timers.delete(t);
    fn();
  }, ms);
  world.timers.add(t);
}

function clearTimers(): void {
  for (const t of world.timers) clearTimeout(t);
  world.timers.clear();
}

function setDevice(
  kind: DeviceKind,
  state: DeviceStatusView['state'],
  detail: DeviceStatusView['detail'],
): void {
  world.devices[kind] = device(kind, state, detail);
  publish('device', world.devices[kind]);
}

// ---------- idle (config semantics: warn after idleWarningMs quiet, wipe idleWipeMs after the warning) ----------

let idleTimers: Array<ReturnType<typeof setTimeout>> = [];

function wipeAtOf(j: Journey): number {
  return j.lastActivity + world.settings.idleWarningMs + world.settings.idleWipeMs;
}

function armIdle(): void {
  for (const t of idleTimers) clearTimeout(t);
  idleTimers = [];
  const j = world.journey;
  if (!j || j.view.need === 'wait') return;
  const wipeAt = wipeAtOf(j);
  const id = j.view.id;
  idleTimers.push(
    setTimeout(
      () => {
        if (world.journey?.view.id === id)
          publish('idle-warning', { wipeAt: new Date(wipeAt).toISOString() });
      },
      wipeAt - world.settings.idleWipeMs - Date.now(),
    ),
    setTimeout(() => {
      if (world.journey?.view.id === id) endSession('idle');
    }, wipeAt - Date.now()),
  );
}

function touched(): void {
  if (!world.journey) return;
  world.journey.lastActivity = Date.now();
  armIdle();
}

function wipe(reason: WipeReason): void {
  clearTimers();
  for (const t of idleTimers) clearTimeout(t);
  idleTimers = [];
  world.journey = null;
  publish('journey', null);
  publish('wiped', { reason });
}

/** As the appliance: once the issuance request is out (or done), the certificate may exist. */
function issuanceMayExist(j: Journey): boolean {
  return j.issuanceSent === true || stepIndex(j.view.step) >= stepIndex('certificate-issued');
}

function spoilKey(j: Journey, reason: string): void {
  const serial = j.tokenSerial;
  if (!serial || world.spoiledKeys.some((k) => k.serial === serial)) return;
  world.spoiledKeys.push({ serial, journeyId: j.view.id, at: now(), reason });
}

/** The journey goes to staff, in doubt (listed on the maintenance screen until resolved). */
function handToStaff(j: Journey, note: string): void {
  if (world.inDoubt.some((i) => i.id === j.view.id)) return;
  world.inDoubt.push({
    id: j.view.id,
    orderId: j.view.order?.orderId ?? '?',
    step: j.view.step,
    note,
    ...(j.tokenSerial ? { tokenSerial: j.tokenSerial } : {}),
    ...(j.certificateSerial ? { certificateSerial: j.certificateSerial } : {}),
    updatedAt: now(),
  });
}

/** End a journey where it stands: failed (personal data dropped, key spoiled) or in doubt (kept for staff). */
function endJourney(j: Journey, status: 'failed' | 'in-doubt', error: ErrorBody, note: string): void {
  if (j.held?.timer) clearTimeout(j.held.timer);
  delete j.held;
  if (status === 'in-doubt') handToStaff(j, note);
  else spoilKey(j, note);
  world.history.set(j.view.id, { ...world.history.get(j.view.id)!, note });
  update({
    status,
    need: 'none',
    error,
    waiting: undefined,
    ...(status === 'failed' ? { order: undefined, identity: undefined } : {}),
  });
}

/** The session ends (cancel, idle, staff), as the appliance's wipe: a journey whose certificate may exist
 *  goes to staff in doubt, an active one is abandoned (its key spoiled), an ended one is closed. */
function endSession(reason: 'idle' | 'cancelled' | 'staff'): void {
  const j = world.journey;
  if (j?.view.status === 'active') {
    if (issuanceMayExist(j)) {
      const note = `session ended (${reason}) after issuance was requested`;
      handToStaff(j, note);
      remember(j, { status: 'in-doubt', note });
    } else {
      const note = `session ended (${reason}) at step ${j.view.step}`;
      spoilKey(j, note);
      remember(j, { status: 'abandoned', note });
    }
  }
  wipe(j && j.view.status !== 'active' && reason !== 'staff' ? 'completed' : reason);
}

// ---------- journey ----------

function view(): JourneyView | null {
  const j = world.journey;
  if (!j) return null;
  const idle = j.view.need === 'wait' ? {} : { idleWipeAt: new Date(wipeAtOf(j)).toISOString() };
  return { ...structuredClone(j.view), ...idle };
}

function changed(): void {
  touched();
  publish('journey', view());
}

/** A field given as undefined is removed from the view (the appliance omits what does not apply). */
function update(patch: { [K in keyof JourneyView]?: JourneyView[K] | undefined }): void {
  if (!world.journey) return;
  const next = { ...world.journey.view, ...patch, revision: world.journey.view.revision + 1 } as JourneyView;
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete next[key as keyof JourneyView];
  }
  // As the appliance: no cancel once central issued the certificate.
  next.cancellable =
    next.status === 'active' && PICKUP_STEPS.indexOf(next.step) < PICKUP_STEPS.indexOf('certificate-issued');
  // As the appliance: the card was read, the journey moved on, and the card still lies on the reader.
  const passedCard =
    next.status === 'completed' ||
    (next.status === 'active' &&
      PICKUP_STEPS.indexOf(next.step) >= PICKUP_STEPS.indexOf('identity-verified'));
  if (world.cardOnReader && passedCard) next.cardOnReader = true;
  else delete next.cardOnReader;
  world.journey.view = next;
  remember(world.journey);
  changed();
}

/** The journey's latest state, for a lookup by its reference number later. */
function remember(j: Journey, ended?: { status: JourneyView['status']; note: string }): void {
  const at = now();
  const h = world.history.get(j.view.id);
  const view = structuredClone(j.view);
  if (ended) Object.assign(view, { status: ended.status, need: 'none' });
  world.history.set(j.view.id, {
    view,
    startedAt: h?.startedAt ?? at,
    updatedAt: at,
    ...(ended?.note || h?.note ? { note: ended?.note ?? h?.note } : {}),
    ...(j.view.order?.orderId || h?.orderId ? { orderId: j.view.order?.orderId ?? h?.orderId } : {}),
    ...(j.view.identity?.nameMasked || j.view.order?.holderNameMasked || h?.nameMasked
      ? { nameMasked: j.view.identity?.nameMasked ?? j.view.order?.holderNameMasked ?? h?.nameMasked }
      : {}),
  });
}

function stepIndex(step: PickupStep): number {
  return PICKUP_STEPS.indexOf(step);
}

function progressOf(done: number): JourneyView['progress'] {
  const all = [...MACHINE_STEPS, ...FINISH_STEPS];
  return {
    steps: all.map((step, i) => ({ step, state: i < done ? 'done' : i === done ? 'running' : 'pending' })),
  };
}

function startJourney(): Journey {
  clearTimers();
  world.invoice = { state: 'none' };
  const id = randomUUID();
  world.journey = {
    view: {
      id,
      ref: journeyRef(id),
      revision: 1,
      cancellable: true,
      kind: 'pickup',
      step: 'scanned',
      status: 'active',
      need: 'scan',
      progress: progressOf(-1),
    },
    idFailures: 0,
    lastActivity: Date.now(),
  };
  remember(world.journey);
  changed();
  return world.journey;
}

function errorBody(
  code: ApplianceErrorCode,
  action: ErrorBody['action'],
  retryable = action === 'retry',
): ErrorBody {
  return { code, message: `${code} (fake appliance)`, action, retryable };
}

/** The scanner (or the UI) fed a code. Returns the refusal, if any. */
function scan(code: string): ErrorBody | null {
  const j = world.journey ?? startJourney();
  if (j.view.need !== 'scan') return errorBody('WRONG_STEP', 'none');
  const bad = BAD_CODES[code];
  const order = ORDERS[code];
  const refusal = bad
    ? errorBody(bad.code, bad.action)
    : order
      ? null
      : errorBody('PICKUP_CODE_MALFORMED', 'retry');
  if (refusal) {
    update({ error: refusal });
    return refusal;
  }
  update({ order, step: 'order-verified', need: 'confirm-order', error: undefined });
  return null;
}

function presentCard(fixture: string | null): void {
  world.cardOnReader = fixture;
  // As the appliance: the reader's status says nothing of a card (DEVICE_DETAILS has no such code).
  world.devices.idReader = device('idReader', 'online', null);
  publish('device', world.devices.idReader);
  if (world.journey && world.journey.view.need !== 'id-card') update({});
  readCard();
  if (world.service) serviceCard();
}

function readCard(): void {
  const j = world.journey;
  const fixture = world.cardOnReader;
  if (j?.view.need !== 'id-card') return;
  if (!fixture) {
    if (j.view.identity?.state === 'mismatched') update({ identity: { state: 'waiting' } });
    return;
  }
  update({ identity: { state: 'reading' }, error: undefined });
  const id = j.view.id;
  later(world.stepMs, () => {
    if (world.journey?.view.id !== id) return;
    const card = CARDS[fixture];
    const problem: ApplianceErrorCode | undefined = !card
      ? 'ID_CARD_UNREADABLE'
      : fixture === MATCHING_CARD
        ? undefined
        : (card.problem ?? 'ID_MISMATCH_PERSON');
    if (!problem && card) {
      update({
        identity: { state: 'matched', nameMasked: card.nameMasked, idNumberMasked: card.idNumberMasked },
      });
      later(world.stepMs * 2, () => {
        if (world.journey?.view.id !== id) return;
        update({ step: 'identity-verified', need: 'token' });
        // A key inserted early is taken as soon as it is asked for.
        if (world.tokenPresent) token('insert');
      });
      return;
    }
    j.idFailures += 1;
    const attemptsLeft = ID_ATTEMPTS - j.idFailures;
    const identity: IdentityView = {
      state: 'mismatched',
      ...(card ? { nameMasked: card.nameMasked, idNumberMasked: card.idNumberMasked } : {}),
      reason: problem ?? 'ID_CARD_UNREADABLE',
      attemptsLeft,
    };
    if (attemptsLeft <= 0) {
      update({
        identity,
        status: 'failed',
        need: 'none',
        error: errorBody('ID_ATTEMPTS_EXHAUSTED', 'call-staff'),
      });
    } else {
      update({ identity, error: errorBody(identity.reason!, 'retry') });
    }
  });
}

function runSteps(steps: PickupStep[], offset: number, then: () => void): void {
  const j = world.journey;
  if (!j) return;
  const id = j.view.id;
  const alive = () => world.journey?.view.id === id && world.journey.view.status === 'active';
  const next = (i: number) => {
    if (!alive()) return;
    if (i >= steps.length) return then();
    if (steps[i] === 'certificate-issued') j.issuanceSent = true; // the request goes out as the step starts
    update({ progress: progressOf(offset + i) });
    const slowMs = world.slow.get(steps[i]!);
    world.slow.delete(steps[i]!);
    later(slowMs ?? world.stepMs, () => {
      if (!alive()) return;
      const step = steps[i]!;
      const finish = () => {
        if (!alive()) return;
        // 补办: central revoked the lost key's certificate before it signed the new one.
        const replaced = j.view.order?.replacesCertificate;
        if (step === 'certificate-issued' && replaced && j.view.order)
          j.view.order = { ...j.view.order, replacesCertificate: { ...replaced, revoked: true } };
        update({ step, progress: progressOf(offset + i + 1) });
        next(i + 1);
      };
      const stall = world.stall;
      if (stall?.step === step) {
        // A hiccup on this step: it waits, with a retryable error, for the applicant's retry.
        world.stall = null;
        j.held = { kind: 'stall', resume: finish };
        update({ error: stall.error });
        return;
      }
      if (step === 'certificate-issued') askCentral(j, finish);
      else finish();
    });
  };
  next(0);
}

/** The issuance request (sent again under the same key on every retry) and central's answer. */
function askCentral(j: Journey, onIssued: () => void): void {
  if (j.held?.timer) clearTimeout(j.held.timer);
  delete j.held;
  j.issuanceSent = true;
  const central = world.central;
  if (central.mode === 'ok') {
    delete j.issuanceSent;
    j.certificateSerial = FAKE_CERT_SERIAL;
    update({ waiting: undefined, error: undefined });
    onIssued();
    return;
  }
  if (central.mode === 'refuse') {
    // Central said no: nothing was issued under this request, so the journey ends (failed) instead of waiting.
    delete j.issuanceSent;
    endJourney(
      j,
      'failed',
      errorBody(central.code, central.action, central.action === 'retry'),
      `central refused the issuance: ${central.code}`,
    );
    return;
  }
  // No answer: the request is out, the journey waits on central and asks again by itself.
  const attempts = (j.view.waiting?.attempts ?? 0) + 1;
  const since = j.view.waiting?.since ?? now();
  const id = j.view.id;
  const timer = setTimeout(() => {
    world.timers.delete(timer);
    if (world.journey?.view.id === id && world.journey.held?.kind === 'issuance') askCentral(j, onIssued);
  }, central.retryMs);
  world.timers.add(timer);
  j.held = { kind: 'issuance', resume: onIssued, timer };
  update({
    waiting: {
      on: 'central',
      since,
      attempts,
      nextRetryAt: new Date(Date.now() + central.retryMs).toISOString(),
    },
    error: { ...errorBody('ISSUANCE_PENDING', 'retry', true), params: { attempts } },
  });
}

/** POST /retry on an active journey: a held machine step runs again; anything else is answered as it is. */
function retryHeld(j: Journey): void {
  const held = j.held;
  if (!held || j.view.need !== 'wait') return;
  if (held.kind === 'issuance') {
    askCentral(j, held.resume);
    return;
  }
  delete j.held;
  update({ error: undefined });
  const id = j.view.id;
  later(world.stepMs, () => {
    if (world.journey?.view.id === id) held.resume();
  });
}

function token(action: 'insert' | 'pull'): void {
  world.tokenPresent = action === 'insert';
  setDevice('token', 'online', world.tokenPresent ? 'token-present' : 'token-absent');
  const j = world.journey;
  if (j?.view.need === 'take-items') update({ keyInWriter: world.tokenPresent });
  if (j?.view.status !== 'active') return;
  if (action === 'insert' && j.view.need === 'token') {
    world.keysTaken += 1;
    j.tokenSerial = `FAKEKEY${String(world.keysTaken).padStart(5, '0')}`;
    update({ need: 'wait', error: undefined });
    runSteps(MACHINE_STEPS, 0, () => update({ need: 'pin' }));
    return;
  }
  if (action === 'pull' && j.view.need === 'wait') {
    if (j.issuanceSent && j.view.waiting) return; // the answer is still awaited; the write will notice
    clearTimers();
    if (issuanceMayExist(j)) {
      endJourney(
        j,
        'in-doubt',
        errorBody('ISSUANCE_IN_DOUBT', 'call-staff'),
        `certificate issued, write failed: TOKEN_REMOVED`,
      );
    } else {
      // Before issuance nothing is lost: a new key pair on the next blank key (the appliance's behaviour).
      delete j.held;
      delete j.tokenSerial;
      update({
        step: 'identity-verified',
        need: 'token',
        error: errorBody('TOKEN_REMOVED', 'retry'),
        progress: progressOf(-1),
      });
    }
  }
}

function printer(paper: World['paper'], coverOpen: boolean): void {
  world.paper = paper;
  world.coverOpen = coverOpen;
  const detail = coverOpen
    ? 'cover-open'
    : paper === 'ok'
      ? null
      : paper === 'out'
        ? 'paper-out'
        : 'paper-near-end';
  setDevice('printer', detail && detail !== 'paper-near-end' ? 'user-action-needed' : 'online', detail);
}

function setPin(pin: string): ErrorBody | null {
  const j = world.journey;
  if (!j) return errorBody('NO_ACTIVE_JOURNEY', 'none');
  if (j.view.need !== 'pin')
    return errorBody(j.view.step === 'pin-set' ? 'PIN_ALREADY_SET' : 'WRONG_STEP', 'none');
  if (checkPin(pin, world.settings.pinPolicy).length > 0) return errorBody('TOKEN_PIN_POLICY', 'retry');
  update({ need: 'wait', error: undefined });
  runSteps(FINISH_STEPS, MACHINE_STEPS.length, () => {
    const printed = world.paper !== 'out';
    if (!printed) {
      const holder = j.view.order?.holderNameMasked ?? j.view.identity?.nameMasked;
      world.reprints.push({
        id: randomUUID(),
        orderId: j.view.order?.orderId ?? '?',
        queuedAt: now(),
        ...(holder ? { holderNameMasked: holder } : {}),
      });
    }
    update({
      need: 'take-items',
      // As the appliance: the done screen waits until the holder takes the key.
      keyInWriter: world.tokenPresent,
      receipt: { state: printed ? 'printed' : 'queued-for-reprint' },
      certificate: {
        subjectCommonName: j.view.order?.organisationName ?? 'certificate holder',
        serialNumber: j.certificateSerial ?? FAKE_CERT_SERIAL,
        notAfter: new Date(Date.now() + 2 * 365 * 86_400_000).toISOString(),
      },
    });
  });
  return null;
}

// ---------- after-sales services (service-contract.ts) ----------

const DAY_MS = 86_400_000;

function renewalOf(daysLeft: number, revoked: boolean): RenewalNotice {
  if (revoked) return 'revoked';
  if (daysLeft <= 0) return 'expired';
  if (daysLeft <= 30) return 'urgent';
  if (daysLeft <= 90) return 'offer';
  return 'none';
}

function certificateOf(key: HeldKey): KeyCertificateView {
  const held = HELD_KEYS[key];
  const daysLeft = world.keyKnobs.daysLeft ?? held.daysLeft;
  const revoked = world.keyKnobs.revoked === true;
  const notAfter = new Date(Date.now() + daysLeft * DAY_MS + DAY_MS / 2);
  return {
    subjectMasked: held.subject,
    serialNumber: held.certificateSerial,
    issuer: 'CertKiosk Demo CA',
    notBefore: new Date(notAfter.getTime() - 2 * 365 * DAY_MS).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft,
    status: revoked ? 'revoked' : 'good',
    ...(revoked ? { revokedAt: now() } : {}),
    renewal: renewalOf(daysLeft, revoked),
  };
}

function serviceChanged(): void {
  const s = world.service;
  publish('service', s ? structuredClone(s.view) : null);
}

/** As the appliance's service view: a field given as undefined is removed; cancellable follows the status. */
function serviceUpdate(patch: { [K in keyof ServiceView]?: ServiceView[K] | undefined }): void {
  const s = world.service;
  if (!s) return;
  const next = { ...s.view, ...patch, revision: s.view.revision + 1 } as ServiceView;
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete next[key as keyof ServiceView];
  }
  if (next.status !== 'active') next.cancellable = false;
  else if (patch.cancellable === undefined && next.need !== 'wait') next.cancellable = true;
  if (next.status === 'completed' && next.kind !== 'lookup') next.keyInWriter = world.heldKey === s.key;
  s.view = next;
  serviceChanged();
}

function serviceFailed(error: ErrorBody): void {
  serviceUpdate({ status: 'failed', need: 'none', error });
}

function startService(kind: ServiceKind): Service {
  clearTimers();
  const id = randomUUID();
  world.service = {
    view: {
      id,
      ref: journeyRef(id),
      revision: 1,
      kind,
      step: 'started',
      status: 'active',
      need: kind === 'lookup' ? 'scan-or-id-card' : 'token',
      cancellable: true,
      ...(kind === 'lookup' ? { identity: { state: 'waiting' as const } } : {}),
    },
  };
  serviceChanged();
  // A key (or a card) already there is taken as soon as it is asked for.
  if (kind !== 'lookup' && world.tokenPresent) serviceKeyInserted();
  if (kind === 'lookup' && world.cardOnReader) serviceCard();
  return world.service;
}

function endService(reason: 'cancelled' | 'completed' | 'idle' | 'staff'): void {
  clearTimers();
  world.service = null;
  publish('service', null);
  publish('wiped', { reason });
}

/** A key in the writer while the service waits for one: read it (a blank key is not ours), then per kind. */
function serviceKeyInserted(): void {
  const s = world.service;
  if (s?.view.status !== 'active' || s.view.need !== 'token') return;
  const key = world.heldKey;
  if (!key) {
    serviceUpdate({ error: errorBody('KEY_NOT_OURS', 'retry') });
    return;
  }
  s.key = key;
  const held = HELD_KEYS[key];
  serviceUpdate({
    step: 'key-read',
    need: 'wait',
    cancellable: true,
    error: undefined,
    token: {
      model: 'FAKE-KEY 3000',
      serialMasked: `${'*'.repeat(held.tokenSerial.length - 4)}${held.tokenSerial.slice(-4)}`,
      pinLocked: world.lockedKeys.has(key),
    },
    certificate: certificateOf(key),
  });
  const id = s.view.id;
  later(world.stepMs, () => {
    const now_ = world.service;
    if (now_?.view.id !== id || now_.view.status !== 'active') return;
    const cert = now_.view.certificate!;
    switch (now_.view.kind) {
      case 'certificates':
        serviceUpdate({ step: 'status-checked' });
        serviceUpdate({ step: 'completed', status: 'completed', need: 'result' });
        return;
      case 'activate': {
        if (cert.status === 'revoked') return serviceFailed(errorBody('CERTIFICATE_REVOKED', 'none'));
        if (world.activated.has(key)) return serviceFailed(errorBody('ACTIVATION_ALREADY_DONE', 'none'));
        if (key !== 'couriered') return serviceFailed(errorBody('ACTIVATION_NOT_AVAILABLE', 'call-staff'));
        const triesLeft = world.activationTries.get(key) ?? ACTIVATION_TRIES;
        if (triesLeft <= 0) return serviceFailed(errorBody('ACTIVATION_LOCKED', 'call-staff'));
        serviceUpdate({
          step: 'order-found',
          need: 'activation-code',
          activation: {
            orderIdMasked: 'ORD-2025-****88',
            holderNameMasked: '张*',
            organisationName: '深圳市示例科技有限公司',
            triesLeft,
            codeExpiresAt: new Date(Date.now() + 20 * DAY_MS).toISOString(),
          },
        });
        return;
      }
      case 'unlock':
        if (!world.lockedKeys.has(key)) return serviceFailed(errorBody('PIN_NOT_LOCKED', 'none'));
        if (cert.status === 'revoked') return serviceFailed(errorBody('CERTIFICATE_REVOKED', 'none'));
        serviceUpdate({ need: 'id-card', identity: { state: 'waiting' } });
        serviceCard();
        return;
      case 'renew':
        // As central answers: a revoked or expired certificate cannot be renewed; only a paid order renews.
        if (cert.status === 'revoked') return serviceFailed(errorBody('CERTIFICATE_REVOKED', 'none'));
        if (cert.daysLeft <= 0) return serviceFailed(errorBody('CERTIFICATE_EXPIRED', 'none'));
        if (world.lockedKeys.has(key)) return serviceFailed(errorBody('CURRENT_PIN_LOCKED', 'none'));
        if (key !== 'renewal' || world.renewed.has(key))
          return serviceFailed(errorBody('RENEWAL_ORDER_NOT_FOUND', 'none'));
        serviceUpdate({
          step: 'order-found',
          need: 'id-card',
          identity: { state: 'waiting' },
          renewal: {
            orderIdMasked: 'ORD-2025-****77',
            certificateType: 'natural-person',
            rule: world.keyKnobs.renewalRule ?? 'revoke-previous',
            ...(world.keyPinFailures.get(key) ? { pinTriesLow: true } : {}),
          },
          ...(world.keyKnobs.payFen && !world.paidAt
            ? { payment: { state: 'due' as const, amountFen: world.keyKnobs.payFen } }
            : {}),
        });
        serviceCard();
        return;
      case 'lookup':
        return;
    }
  });
}

/** The card on the reader while the service asks for one (unlock: the holder's; look-up: whose orders). */
function serviceCard(): void {
  const s = world.service;
  const fixture = world.cardOnReader;
  if (s?.view.status !== 'active' || !fixture) return;
  if (s.view.need !== 'id-card' && s.view.need !== 'scan-or-id-card') return;
  serviceUpdate({ identity: { state: 'reading' }, error: undefined });
  const id = s.view.id;
  later(world.stepMs, () => {
    const cur = world.service;
    if (cur?.view.id !== id || cur.view.status !== 'active') return;
    const card = CARDS[fixture];
    if (!card) {
      serviceUpdate({
        identity: { state: 'mismatched', reason: 'ID_CARD_UNREADABLE' },
        error: errorBody('ID_CARD_UNREADABLE', 'retry'),
      });
      return;
    }
    const masks = { nameMasked: card.nameMasked, idNumberMasked: card.idNumberMasked };
    if (cur.view.kind === 'lookup') {
      serviceFound(fixture === MATCHING_CARD ? demoOrders() : [], { state: 'matched', ...masks });
      return;
    }
    if (cur.view.kind === 'renew') {
      // Central checks the card against the certificate's holder; another card may be placed.
      if (fixture !== MATCHING_CARD) {
        serviceUpdate({
          identity: { state: 'mismatched', ...masks, reason: 'ID_MISMATCH_PERSON' },
          error: errorBody('ID_MISMATCH_PERSON', 'retry'),
        });
        return;
      }
      const due = cur.view.payment && cur.view.payment.state !== 'paid';
      serviceUpdate({
        step: 'identity-verified',
        need: due ? 'payment' : 'current-pin',
        identity: { state: 'matched', ...masks },
        error: undefined,
      });
      if (due) showPaymentCode();
      return;
    }
    // Unlock: central checks the card against the certificate's holder (a mismatch uses one of today's unlocks).
    const key = cur.key!;
    const left = world.unlocksLeft.get(key) ?? UNLOCKS_PER_DAY;
    if (left <= 0) return serviceFailed(errorBody('UNLOCK_LIMIT_REACHED', 'call-staff'));
    world.unlocksLeft.set(key, left - 1);
    if (fixture !== MATCHING_CARD) {
      serviceUpdate({
        identity: { state: 'mismatched', ...masks, reason: 'UNLOCK_CARD_MISMATCH' },
        error: errorBody('UNLOCK_CARD_MISMATCH', 'retry'),
      });
      return;
    }
    serviceUpdate({
      step: 'unlock-granted',
      need: 'pin',
      identity: { state: 'matched', ...masks },
      unlocksLeftToday: left - 1,
      error: undefined,
    });
  });
}

function demoOrders(): LookupOrderView[] {
  const day = (n: number) => new Date(Date.now() - n * DAY_MS).toISOString();
  return [
    // With /__test/key { payFen }: a reissue (补办) awaiting payment at the kiosk, paid here from the list (the
    // newest order: central lists them newest first).
    ...(world.keyKnobs.payFen
      ? [
          {
            orderIdMasked: 'ORD-2025-****91',
            kind: 'reissue' as const,
            certificateType: 'natural-person',
            status: 'awaiting-payment',
            history: [
              { status: 'submitted', at: day(1) },
              { status: 'awaiting-payment', at: day(1) },
            ],
            holderNameMasked: '张*',
            updatedAt: day(1),
            payHere: { amountFen: world.keyKnobs.payFen },
          },
        ]
      : []),
    {
      orderIdMasked: 'ORD-2025-****23',
      kind: 'new',
      certificateType: 'organisation',
      status: 'rejected',
      history: [
        { status: 'submitted', at: day(9) },
        { status: 'paid', at: day(8) },
        { status: 'under-review', at: day(7) },
        { status: 'rejected', at: day(6) },
      ],
      rejectReason: '营业执照照片不清晰',
      organisationName: '深圳市示例科技有限公司',
      holderNameMasked: '张*',
      updatedAt: day(6),
    },
    {
      orderIdMasked: 'ORD-2025-****57',
      kind: 'renewal',
      certificateType: 'natural-person',
      status: 'transfer-pending',
      history: [
        { status: 'submitted', at: day(2) },
        { status: 'transfer-pending', at: day(2) },
      ],
      remittanceCode: '583216',
      holderNameMasked: '张*',
      updatedAt: day(2),
    },
    {
      orderIdMasked: 'ORD-2024-****88',
      kind: 'new',
      certificateType: 'natural-person',
      status: 'activated',
      history: [
        { status: 'submitted', at: day(40) },
        { status: 'paid', at: day(40) },
        { status: 'approved', at: day(38) },
        { status: 'issued', at: day(37) },
        { status: 'activated', at: day(37) },
      ],
      holderNameMasked: '张*',
      updatedAt: day(37),
      invoiceOffered: true,
    },
  ];
}

function serviceFound(orders: LookupOrderView[], identity?: ServiceView['identity']): void {
  serviceUpdate({
    step: 'completed',
    status: 'completed',
    need: 'result',
    orders,
    identity: identity ?? undefined,
    error: undefined,
  });
}

function serviceScan(code: string): ErrorBody | null {
  const s = world.service;
  if (s?.view.status !== 'active') return errorBody('NO_ACTIVE_JOURNEY', 'none');
  if (s.view.need !== 'scan-or-id-card') return errorBody('WRONG_STEP', 'none');
  if (!ORDERS[code]) {
    serviceUpdate({ error: errorBody('LOOKUP_CODE_UNKNOWN', 'retry') });
    return null;
  }
  serviceFound(demoOrders());
  return null;
}

function serviceCodeTyped(code: string): ErrorBody | null {
  const s = world.service;
  if (s?.view.status !== 'active') return errorBody('NO_ACTIVE_JOURNEY', 'none');
  if (s.view.need !== 'activation-code' || !s.key) return errorBody('WRONG_STEP', 'none');
  if (!/^[0-9]{6}$/.test(code.trim())) return errorBody('BAD_REQUEST', 'none');
  if (code.trim() === ACTIVATION_CODE) {
    world.activated.add(s.key);
    world.activationTries.delete(s.key);
    serviceUpdate({ step: 'code-accepted', need: 'pin', error: undefined });
    return null;
  }
  const triesLeft = (world.activationTries.get(s.key) ?? ACTIVATION_TRIES) - 1;
  world.activationTries.set(s.key, triesLeft);
  if (triesLeft <= 0) {
    serviceFailed(errorBody('ACTIVATION_LOCKED', 'call-staff'));
    return null;
  }
  serviceUpdate({
    activation: { ...s.view.activation!, triesLeft },
    error: { ...errorBody('ACTIVATION_CODE_WRONG', 'retry'), params: { triesLeft } },
  });
  return null;
}

function servicePinSet(pin: string): ErrorBody | null {
  const s = world.service;
  if (s?.view.status !== 'active') return errorBody('NO_ACTIVE_JOURNEY', 'none');
  if (s.view.need === 'current-pin' && s.key) return currentPinTyped(s, s.key, pin);
  if (s.view.need !== 'pin' || !s.key) return errorBody('WRONG_STEP', 'none');
  if (checkPin(pin, world.settings.pinPolicy).length > 0) return errorBody('TOKEN_PIN_POLICY', 'retry');
  const key = s.key;
  // The side effect is under way: no leaving until it is done.
  serviceUpdate({ need: 'wait', cancellable: false, error: undefined });
  const id = s.view.id;
  later(world.keyKnobs.pinMs ?? world.stepMs * 2, () => {
    if (world.service?.view.id !== id) return;
    world.lockedKeys.delete(key);
    serviceUpdate({
      step: s.view.kind === 'unlock' ? 'pin-reset' : 'pin-set',
      token: s.view.token ? { ...s.view.token, pinLocked: false } : undefined,
    });
    serviceUpdate({ step: 'completed', status: 'completed', need: 'result' });
  });
  return null;
}

/** Renew: the key's current PIN. A wrong one is the key's refusal (tries are few from then on; the last try
 *  locks the key); the right one starts the machine part. */
function currentPinTyped(s: Service, key: HeldKey, pin: string): ErrorBody | null {
  const renewal = s.view.renewal!;
  if (pin !== HELD_KEYS[key].pin) {
    const failures = (world.keyPinFailures.get(key) ?? 0) + 1;
    world.keyPinFailures.set(key, failures);
    if (failures >= KEY_PIN_TRIES) {
      world.lockedKeys.add(key);
      serviceFailed(errorBody('CURRENT_PIN_LOCKED', 'none'));
      return null;
    }
    serviceUpdate({
      renewal: { ...renewal, pinTriesLow: true },
      error: errorBody('CURRENT_PIN_WRONG', 'retry'),
    });
    return null;
  }
  world.keyPinFailures.delete(key);
  const { pinTriesLow: _low, ...rest } = renewal;
  // The new key pair goes onto the key from now on: no leaving until the renewal is done.
  serviceUpdate({ need: 'wait', cancellable: false, error: undefined, renewal: rest });
  runRenewal(s, key);
  return null;
}

/** Paying at the kiosk: a new QR code (central's new attempt) lasting the knob's time (5 minutes). */
function showPaymentCode(): void {
  const p = world.service?.view.payment;
  if (!p) return;
  world.paymentAttempts += 1;
  serviceUpdate({
    error: undefined,
    payment: {
      state: 'pending',
      amountFen: p.amountFen,
      codeUrl: `weixin://wxpay/bizpayurl?pr=FAKE${world.paymentAttempts}`,
      expiresAt: new Date(Date.now() + (world.keyKnobs.payMs ?? 5 * 60_000)).toISOString(),
    },
  });
}

/** The payment screen's poll: paid → the current PIN; past its expiry unpaid → expired (as central closes it). */
function checkPayment(): void {
  const v = world.service?.view;
  const p = v?.payment;
  if (v?.status !== 'active' || v.need !== 'payment' || p?.state !== 'pending') return;
  if (world.paidAt) {
    if (v.kind === 'lookup') {
      lookupPaymentEnded(world.paidAt);
      return;
    }
    serviceUpdate({
      need: 'current-pin',
      error: undefined,
      payment: { state: 'paid', amountFen: p.amountFen, paidAt: world.paidAt },
    });
    return;
  }
  if (Date.parse(p.expiresAt!) <= Date.now())
    serviceUpdate({
      error: errorBody('PAYMENT_EXPIRED', 'retry'),
      payment: { state: 'expired', amountFen: p.amountFen, expiresAt: p.expiresAt! },
    });
}

/** A look-up's listed order, paid here (在此支付): refused as the appliance refuses it, else its QR code. */
function payListedOrder(position: string): ErrorBody | null {
  const v = world.service?.view;
  if (!v) return errorBody('NO_ACTIVE_JOURNEY', 'none');
  const n = Number(position);
  if (v.kind === 'lookup' && v.status === 'active' && v.need === 'payment') {
    if (v.payingOrder !== n) return refusal('PAYMENT_ORDER_UNKNOWN');
    if (v.payment?.state !== 'pending') showPaymentCode();
    return null;
  }
  if (v.kind !== 'lookup' || v.status !== 'completed') return errorBody('WRONG_STEP', 'none');
  const order = v.orders?.[n];
  if (!order) return refusal('PAYMENT_ORDER_UNKNOWN');
  if (!order.payHere) return refusal('PAYMENT_NOT_AVAILABLE');
  world.paidAt = null;
  serviceUpdate({
    status: 'active',
    step: 'paying',
    need: 'payment',
    payingOrder: n,
    payment: { state: 'due', amountFen: order.payHere.amountFen },
    error: undefined,
  });
  showPaymentCode();
  return null;
}

/** A look-up's payment ended: back to the list — the order paid (`paidAt`) or, left unpaid, as it was. */
function lookupPaymentEnded(paidAt: string | null): void {
  const v = world.service?.view;
  if (!v || v.payingOrder === undefined) return;
  const at = v.payingOrder;
  const orders = (v.orders ?? []).map((o, i) => {
    if (i !== at || !paidAt || !o.payHere) return o;
    const { payHere, ...rest } = o;
    return {
      ...rest,
      status: 'paid',
      history: [...o.history, { status: 'paid', at: paidAt }],
      updatedAt: paidAt,
      paidHere: { amountFen: payHere.amountFen, paidAt },
    };
  });
  serviceFound(orders);
  serviceUpdate({ payingOrder: undefined, payment: undefined });
}

/** The machine part of a renewal, a step at a time: the new key pair (as long as a service's PIN step takes),
 *  the new certificate issued and written, its test signature, the old one removed, then revoked or left. */
function runRenewal(s: Service, key: HeldKey): void {
  const id = s.view.id;
  const alive = () => world.service?.view.id === id && world.service.view.status === 'active';
  const next = (i: number) => {
    const step = RENEW_WORK[i];
    if (!step) {
      world.renewed.add(key);
      serviceUpdate({ step: 'completed', status: 'completed', need: 'result' });
      return;
    }
    later(i === 0 ? (world.keyKnobs.pinMs ?? world.stepMs) : world.stepMs, () => {
      if (!alive()) return;
      const renewal = { ...world.service!.view.renewal! };
      if (step === 'certificate-issued') {
        const notBefore = new Date();
        renewal.newCertificate = {
          serialNumber: RENEWED_CERT_SERIAL,
          notBefore: notBefore.toISOString(),
          notAfter: new Date(notBefore.getTime() + 365 * DAY_MS).toISOString(),
        };
      }
      if (step === 'old-removed') renewal.oldRemoved = true;
      if (step === 'old-revoked' && renewal.rule === 'revoke-previous') renewal.oldRevokedAt = now();
      serviceUpdate({ step, renewal });
      next(i + 1);
    });
  };
  next(0);
}

// ---------- HTTP ----------
// The appliance's own request rules and headers (http-policy.ts), its route list (client.ts: a handler per
// route of the route table, checked at compile time) and its error statuses (errors.ts): the fake cannot drift.

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ogg': 'audio/ogg',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** A 2xx answer of a route, typed by the route table (the JSON the real appliance answers with). */
function ok<K extends RouteName>(res: ServerResponse, _route: K, body: RouteTypes[K]['ok']): void {
  send(res, 200, body);
}

const fail = (res: ServerResponse, e: ErrorBody) => send(res, APPLIANCE_ERRORS[e.code][0], e);

/** As the appliance (Fastify, 64 KiB limit): too large → 413, not JSON → 400. */
const BODY_LIMIT = 64 * 1024;
async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | ErrorBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > BODY_LIMIT) return errorBody('BODY_TOO_LARGE', 'none');
    chunks.push(c as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return errorBody('BAD_REQUEST', 'none');
  }
}

function serveStatic(path: string, res: ServerResponse): void {
  const rel = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
  let file = join(DIST, rel);
  if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) {
    // SPA fallback: any unknown path without a file extension gets the app.
    if (extname(rel)) {
      send(res, 404, errorBody('BAD_REQUEST', 'none'));
      return;
    }
    file = join(DIST, 'index.html');
  }
  const isIndex = file.endsWith('index.html');
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': isIndex ? 'no-store' : 'public, max-age=31536000, immutable',
  });
  createReadStream(file).pipe(res);
}

function events(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.write('retry: 1000\n\n');
  res.write(`event: journey\ndata: ${JSON.stringify(view())}\n\n`);
  for (const d of Object.values(world.devices)) res.write(`event: device\ndata: ${JSON.stringify(d)}\n\n`);
  clients.add(res);
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  req.on('close', () => {
    clearInterval(ping);
    clients.delete(res);
  });
}

/** The signed-in staff account of a request (its idle timer restarts), or null. */
function staffAuthorised(req: IncomingMessage): FakeStaffAccount | null {
  const auth = req.headers.authorization ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
  const session = world.staffSessions.get(token);
  if (!session) return null;
  const account = world.staffAccounts.get(session.staffId);
  if (!account?.active || Date.now() - session.lastSeen >= world.staffIdleMs) {
    world.staffSessions.delete(token);
    return null;
  }
  session.lastSeen = Date.now();
  return account;
}

const staffSessionEnd = (createdAt: number) => createdAt + 8 * 3_600_000;

/** The staff check of a route: 401 without a session, 403 for an operator on an administrator route. */
function staffFor(
  req: IncomingMessage,
  res: ServerResponse,
  role: StaffRole = 'operator',
): FakeStaffAccount | null {
  const who = staffAuthorised(req);
  if (!who) {
    fail(res, errorBody('STAFF_AUTH_REQUIRED', 'none'));
    return null;
  }
  if (role === 'administrator' && who.role !== 'administrator') {
    fail(res, errorBody('STAFF_FORBIDDEN', 'none'));
    return null;
  }
  return who;
}

function staffLockedMs(id: string): number {
  const until = world.staffFailures.get(id)?.lockedUntil ?? 0;
  return Math.max(0, until - Date.now());
}

function staffLocked(res: ServerResponse, ms: number): void {
  const retryAfter = Math.ceil(ms / 1000);
  res.setHeader('retry-after', String(retryAfter));
  fail(res, { ...errorBody('STAFF_LOCKED', 'none', true), params: { retryAfter } });
}

function staffChange(
  who: FakeStaffAccount,
  action: string,
  staffId: string,
  details: Record<string, unknown> = {},
) {
  return { actor: `staff:${who.id}`, action, staffId, details: { staffId, ...details }, at: now() };
}

function staffPinProblem(pin: unknown): ErrorBody | null {
  if (typeof pin !== 'string') return errorBody('BAD_REQUEST', 'none');
  const problems = checkPin(pin, STAFF_PIN_POLICY);
  return problems.length
    ? { ...errorBody('STAFF_PIN_TOO_WEAK', 'none', true), params: { problems: problems.join(',') } }
    : null;
}

function otherActiveAdministrators(id: string): number {
  return [...world.staffAccounts.values()].filter(
    (a) => a.id !== id && a.active && a.role === 'administrator',
  ).length;
}

function staffAlarms(): RouteTypes['staffDiagnostics']['ok']['staffAlarms'] {
  return [...world.staffFailures.entries()].flatMap(([staffId, f]) =>
    f.lockedUntil !== undefined
      ? [
          {
            kind: 'staff-lockout' as const,
            staffId,
            since: new Date(f.since).toISOString(),
            until: new Date(f.lockedUntil).toISOString(),
            locked: f.lockedUntil > Date.now(),
            failures: f.failures,
          },
        ]
      : [],
  );
}

/** The staff routes of the fake (accounts, sign-in, lockout), as the appliance answers them. */
const STAFF_HANDLERS = {
  staffLogin: ({ res, body }: Ctx) => {
    const staffId = typeof body['staffId'] === 'string' ? body['staffId'].trim().toUpperCase() : '';
    const pin = body['pin'];
    if (typeof body['staffId'] !== 'string' || typeof pin !== 'string') {
      return fail(res, errorBody('BAD_REQUEST', 'none'));
    }
    const locked = staffLockedMs(staffId);
    if (locked > 0) return staffLocked(res, locked);
    const account = world.staffAccounts.get(staffId);
    if (!account || account.pin !== pin) {
      const f = world.staffFailures.get(staffId) ?? { failures: 0, since: Date.now() };
      f.failures += 1;
      if (f.failures >= STAFF_MAX_FAILURES) {
        f.lockedUntil = Date.now() + STAFF_LOCK_MS * 2 ** (f.failures - STAFF_MAX_FAILURES);
      }
      world.staffFailures.set(staffId, f);
      if (f.lockedUntil) return staffLocked(res, staffLockedMs(staffId));
      return fail(res, {
        ...errorBody('STAFF_PIN_WRONG', 'none'),
        params: { attemptsLeft: STAFF_MAX_FAILURES - f.failures },
      });
    }
    if (!account.active) return fail(res, errorBody('STAFF_ACCOUNT_DISABLED', 'none'));
    world.staffFailures.delete(staffId);
    const token = randomBytes(16).toString('hex');
    const at = Date.now();
    world.staffSessions.set(token, { staffId, createdAt: at, lastSeen: at });
    ok(res, 'staffLogin', {
      token,
      staffId,
      name: account.name,
      role: account.role,
      idleExpiresAt: new Date(Math.min(at + world.staffIdleMs, staffSessionEnd(at))).toISOString(),
      expiresAt: new Date(staffSessionEnd(at)).toISOString(),
    });
  },
  staffLogout: ({ req, res }: Ctx) => {
    if (!staffFor(req, res)) return;
    world.staffSessions.delete((req.headers.authorization ?? '').slice(7));
    send(res, 204);
  },
  changeOwnStaffPin: ({ req, res, body }: Ctx) => {
    const who = staffFor(req, res);
    if (!who) return;
    if (body['currentPin'] !== who.pin) {
      return fail(res, { ...errorBody('STAFF_PIN_WRONG', 'none'), params: { attemptsLeft: 4 } });
    }
    const weak = staffPinProblem(body['newPin']);
    if (weak) return fail(res, weak);
    who.pin = String(body['newPin']);
    who.credentialChangedAt = now();
    ok(res, 'changeOwnStaffPin', staffChange(who, 'staff.account.credential-change', who.id));
  },
  staffAccounts: ({ req, res }: Ctx) => {
    if (!staffFor(req, res, 'administrator')) return;
    ok(res, 'staffAccounts', {
      accounts: [...world.staffAccounts.values()].map(({ pin: _pin, ...a }) => {
        const f = world.staffFailures.get(a.id);
        return f?.lockedUntil !== undefined
          ? {
              ...a,
              lockout: {
                since: new Date(f.since).toISOString(),
                until: new Date(f.lockedUntil).toISOString(),
                locked: f.lockedUntil > Date.now(),
                failures: f.failures,
              },
            }
          : a;
      }),
    });
  },
  addStaffAccount: ({ req, res, body }: Ctx) => {
    const who = staffFor(req, res, 'administrator');
    if (!who) return;
    const id = String(body['id'] ?? '')
      .trim()
      .toUpperCase();
    const name = String(body['name'] ?? '').trim();
    const role = body['role'];
    if (!STAFF_ID.test(id))
      return fail(res, { ...errorBody('STAFF_ACCOUNT_INVALID', 'none'), params: { field: 'id' } });
    if (!name) return fail(res, { ...errorBody('STAFF_ACCOUNT_INVALID', 'none'), params: { field: 'name' } });
    if (role !== 'operator' && role !== 'administrator') {
      return fail(res, { ...errorBody('STAFF_ACCOUNT_INVALID', 'none'), params: { field: 'role' } });
    }
    const weak = staffPinProblem(body['pin']);
    if (weak) return fail(res, weak);
    if (world.staffAccounts.has(id)) return fail(res, errorBody('STAFF_ACCOUNT_EXISTS', 'none'));
    world.staffAccounts.set(id, {
      id,
      name,
      role,
      pin: String(body['pin']),
      active: true,
      createdAt: now(),
      updatedAt: now(),
      credentialChangedAt: now(),
    });
    world.staffFailures.delete(id);
    ok(res, 'addStaffAccount', staffChange(who, 'staff.account.add', id, { name, role }));
  },
  resetStaffPin: ({ req, res, body, params }: Ctx) => {
    const who = staffFor(req, res, 'administrator');
    if (!who) return;
    const account = world.staffAccounts.get(String(params['id']).toUpperCase());
    if (!account) return fail(res, errorBody('STAFF_ACCOUNT_UNKNOWN', 'none'));
    const weak = staffPinProblem(body['pin']);
    if (weak) return fail(res, weak);
    account.pin = String(body['pin']);
    account.credentialChangedAt = now();
    world.staffFailures.delete(account.id);
    for (const [token, s] of world.staffSessions)
      if (s.staffId === account.id && account.id !== who.id) world.staffSessions.delete(token);
    ok(res, 'resetStaffPin', staffChange(who, 'staff.account.credential-reset', account.id));
  },
  setStaffRole: ({ req, res, body, params }: Ctx) => {
    const who = staffFor(req, res, 'administrator');
    if (!who) return;
    const account = world.staffAccounts.get(String(params['id']).toUpperCase());
    if (!account) return fail(res, errorBody('STAFF_ACCOUNT_UNKNOWN', 'none'));
    const role = body['role'];
    if (role !== 'operator' && role !== 'administrator') return fail(res, errorBody('BAD_REQUEST', 'none'));
    if (
      account.role === 'administrator' &&
      role === 'operator' &&
      otherActiveAdministrators(account.id) === 0
    ) {
      return fail(res, errorBody('STAFF_LAST_ADMINISTRATOR', 'none'));
    }
    const from = account.role;
    account.role = role;
    account.updatedAt = now();
    ok(res, 'setStaffRole', staffChange(who, 'staff.account.role', account.id, { from, to: role }));
  },
  setStaffActive: ({ req, res, body, params }: Ctx) => {
    const who = staffFor(req, res, 'administrator');
    if (!who) return;
    const account = world.staffAccounts.get(String(params['id']).toUpperCase());
    if (!account) return fail(res, errorBody('STAFF_ACCOUNT_UNKNOWN', 'none'));
    const active = body['active'] === true;
    if (!active && account.role === 'administrator' && otherActiveAdministrators(account.id) === 0) {
      return fail(res, errorBody('STAFF_LAST_ADMINISTRATOR', 'none'));
    }
    account.active = active;
    account.updatedAt = now();
    if (!active)
      for (const [token, s] of world.staffSessions)
        if (s.staffId === account.id) world.staffSessions.delete(token);
    ok(
      res,
      'setStaffActive',
      staffChange(who, active ? 'staff.account.enable' : 'staff.account.disable', account.id),
    );
  },
  unlockStaff: ({ req, res, params }: Ctx) => {
    const who = staffFor(req, res, 'administrator');
    if (!who) return;
    const id = String(params['id']).toUpperCase();
    const had = world.staffFailures.get(id);
    world.staffFailures.delete(id);
    ok(
      res,
      'unlockStaff',
      staffChange(who, 'staff.lockout.cleared', id, had ? { failures: had.failures } : { unchanged: true }),
    );
  },
  staffDiagnostics: ({ req, res }: Ctx) => {
    const who = staffFor(req, res);
    if (!who) return;
    ok(res, 'staffDiagnostics', {
      kind: 'certkiosk-diagnostics',
      formatVersion: 1,
      generatedAt: now(),
      generatedBy: `staff:${who.id}`,
      softwareVersion: '0.0.0-fake',
      applianceId: world.settings.applianceId,
      hall: world.settings.hall,
      simulation: true,
      devices: Object.values(world.devices),
      store: {
        journeys: { total: 0, byStatus: {}, byStep: {} },
        reprints: {
          total: world.reprints.length,
          byState: world.reprints.length ? { queued: world.reprints.length } : {},
        },
        spoiledKeys: world.spoiledKeys.length,
        inDoubt: world.inDoubt.length,
      },
      auditChain: { ok: true, records: 0 },
      auditTail: [],
      staffAlarms: staffAlarms(),
      staffSessions: [...world.staffSessions.values()].map((s) => ({
        staffId: s.staffId,
        since: new Date(s.createdAt).toISOString(),
        lastSeenAt: new Date(s.lastSeen).toISOString(),
      })),
      config: { fake: true },
    });
  },
} satisfies Partial<Record<RouteName, (ctx: Ctx) => void>>;

// ---------- reconciliation (the maintenance screen's 对账): central played by the fake ----------

type ReconReport = RouteTypes['reconciliationReport']['ok'];
/** Central's kiosk runs by day; `down`: central cannot be reached; `clean`: the next runs find no difference. */
const fakeReconciliation = { runs: new Map<string, ReconReport>(), down: false, clean: false, nextId: 1 };

/** The differences a run of the fake finds: one activation the kiosk made and central lacks, one payment. */
function reconLines(day: string): ReconReport['lines'] {
  if (fakeReconciliation.clean) return [];
  const applianceId = world.settings.applianceId;
  return [
    {
      kind: 'activation-differs',
      subject: 'certificate',
      applianceId,
      orderId: `ORD-${day.replaceAll('-', '')}-7`,
      certificateSerial: '5f3a9c01d2',
      kiosk: 'activated: certificate.activated (listed by the kiosk, not received)',
      central: 'not activated (order issued)',
      message: 'The kiosk activated the certificate of this order; central has not activated the order.',
    },
    {
      kind: 'missing-on-a-side',
      side: 'kiosk',
      subject: 'payment',
      applianceId,
      orderId: `ORD-${day.replaceAll('-', '')}-9`,
      outTradeNo: `CK${day.replaceAll('-', '')}09`,
      central: 'paid 100.00 元',
      kiosk: 'no payment.taken received',
      message: 'Central recorded 100.00 元 paid at this kiosk; the kiosk has no record of taking it.',
    },
  ];
}

/** The day asked (yesterday in Beijing by default), or the refusal the appliance gives a wrong one. */
function reconDay(raw: unknown): string | ErrorBody {
  const day = typeof raw === 'string' ? raw : previousDay(beijingDay(Date.now()));
  return reconciliationDayProblem(day, Date.now()).problem === null
    ? day
    : errorBody('RECONCILIATION_DAY_INVALID', 'retry');
}

const RECONCILIATION_HANDLERS = {
  runReconciliation: ({ req, res, body }: Ctx) => {
    if (!staffFor(req, res)) return;
    const day = reconDay(body['day']);
    if (typeof day !== 'string') return fail(res, day);
    if (fakeReconciliation.down) return fail(res, errorBody('CENTRAL_UNAVAILABLE', 'come-back-later', true));
    const at = now();
    const lines = reconLines(day);
    const report: ReconReport = {
      run: {
        id: fakeReconciliation.nextId++,
        day,
        trigger: 'appliance',
        applianceId: world.settings.applianceId,
        providerBill: 'complete',
        startedAt: at,
        finishedAt: at,
        lineCount: lines.length,
      },
      lines,
    };
    fakeReconciliation.runs.set(day, report);
    ok(res, 'runReconciliation', report);
  },
  reconciliationReport: ({ req, res }: Ctx) => {
    if (!staffFor(req, res)) return;
    const day = reconDay(new URL(req.url ?? '/', 'http://fake').searchParams.get('day') ?? undefined);
    if (typeof day !== 'string') return fail(res, day);
    if (fakeReconciliation.down) return fail(res, errorBody('CENTRAL_UNAVAILABLE', 'come-back-later', true));
    const report = fakeReconciliation.runs.get(day);
    return report
      ? ok(res, 'reconciliationReport', report)
      : fail(res, errorBody('RECONCILIATION_NOT_FOUND', 'none'));
  },
} satisfies Partial<Record<RouteName, (ctx: Ctx) => void>>;

/** Routes whose body carries a PIN: never kept in the call log. */
const SECRET_ROUTES: ReadonlySet<RouteName> = new Set([
  'setPin',
  'servicePin',
  'staffLogin',
  'addStaffAccount',
  'resetStaffPin',
  'changeOwnStaffPin',
]);

/** The next applicant action waits this long before it is handled (a frozen daemon); 0: answered at once. */
let frozenMs = 0;

function nextError(route: string): ErrorBody | undefined {
  const e = world.nextErrors.get(route);
  world.nextErrors.delete(route);
  return e;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  body: Record<string, unknown>;
  params: Record<string, string>;
}

/** Resolve an in-doubt journey as the appliance does (its schema is checked first: 400 before 401). */
function resolveInDoubt({ req, res, body, params }: Ctx) {
  const action = body['action'] as InDoubtResolution;
  if (!IN_DOUBT_RESOLUTIONS.includes(action)) return fail(res, errorBody('BAD_REQUEST', 'none'));
  if (!staffAuthorised(req)) return fail(res, errorBody('STAFF_AUTH_REQUIRED', 'none'));
  const id = params['id']!;
  const item = world.inDoubt.find((i) => i.id === id);
  if (!item) return fail(res, errorBody('WRONG_STEP', 'none'));
  world.inDoubt = world.inDoubt.filter((i) => i.id !== id);
  const ended = (status: JourneyView['status'], step: PickupStep): JourneyView => ({
    id,
    ref: journeyRef(id),
    revision: 1,
    cancellable: false,
    kind: 'pickup',
    step,
    status,
    need: status === 'completed' ? 'take-items' : 'none',
    progress: { steps: [] },
  });
  const spoil = (reason: string) => {
    if (item.tokenSerial && !world.spoiledKeys.some((k) => k.serial === item.tokenSerial))
      world.spoiledKeys.push({ serial: item.tokenSerial, journeyId: id, at: now(), reason });
  };
  switch (action) {
    case 'retry-write':
      return ok(res, 'resolveInDoubt', { journey: ended('completed', 'completed') });
    case 'revoke-void':
      // Central revokes the certificate and the order is collectable again; the key is out of stock.
      spoil(
        item.certificateSerial
          ? `certificate ${item.certificateSerial} revoked and voided by staff`
          : 'voided by staff (no certificate was issued)',
      );
      return ok(res, 'resolveInDoubt', { journey: ended('failed', item.step) });
    case 'mark-resolved':
      spoil('resolved by staff');
      return ok(res, 'resolveInDoubt', { journey: null });
  }
}

/** One handler per route of the appliance's route table; null where only the real appliance can answer. */
// ---------- the done screen's invoice (as the appliance's invoices/invoice-desk.ts) ----------

/** What central is asked to record, as the contract's InvoiceRequestBody. */
interface FakeInvoiceBody {
  titleType: 'person' | 'organisation';
  title: string;
  taxId?: string;
  email: string;
}

const USCC_CODES: Record<UsccProblemKind, ApplianceErrorCode> = {
  length: 'USCC_WRONG_LENGTH',
  character: 'USCC_FORBIDDEN_CHARACTER',
  check: 'USCC_CHECK_MISMATCH',
  'organisation-check': 'USCC_ORGANISATION_CODE_MISMATCH',
};

/** A refusal with the appliance's action and retryability for its code. */
function refusal(code: ApplianceErrorCode, params?: Record<string, string | number>): ErrorBody {
  const [, action, retryable] = APPLIANCE_ERRORS[code];
  return { ...errorBody(code, action, retryable), ...(params ? { params } : {}) };
}

/** The holder's request checked as the appliance does (the contract's credit-code and e-mail checks). */
function invoiceBody(body: Record<string, unknown>): FakeInvoiceBody | ErrorBody {
  const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  const email = text('email').trim();
  if (body['title'] === 'person') {
    if (text('organisationName').trim() || text('creditCode').trim()) return errorBody('BAD_REQUEST', 'none');
    return isInvoiceEmail(email)
      ? { titleType: 'person', title: '个人', email }
      : refusal('INVOICE_EMAIL_INVALID');
  }
  if (body['title'] !== 'organisation') return errorBody('BAD_REQUEST', 'none');
  const name = text('organisationName').trim();
  if (!name || name.length > INVOICE_TITLE_MAX_LENGTH)
    return refusal('INVOICE_ORGANISATION_NAME_INVALID', { max: INVOICE_TITLE_MAX_LENGTH });
  const taxId = normaliseUscc(text('creditCode'));
  if (!taxId) return refusal('INVOICE_CREDIT_CODE_MISSING');
  const problem = usccProblem(taxId);
  if (problem)
    return refusal(USCC_CODES[problem.kind], {
      ...(problem.length !== undefined ? { length: problem.length } : {}),
      ...(problem.position !== undefined ? { position: problem.position } : {}),
      ...(problem.character !== undefined ? { character: problem.character } : {}),
    });
  if (!isInvoiceEmail(email)) return refusal('INVOICE_EMAIL_INVALID');
  return { titleType: 'organisation', title: name, taxId, email };
}

/** The done screen's order (a completed pickup still on screen: here, one asking to take the items), or the
 *  appliance's refusal. */
function doneScreenOrder(): string | ErrorBody {
  const v = world.journey?.view;
  if (!v) return errorBody('NO_ACTIVE_JOURNEY', 'none');
  return v.need === 'take-items' && v.order ? v.order.orderId : errorBody('WRONG_STEP', 'none');
}

/** An order a service's result screen offers an invoice for, by its position (as invoices/invoice-orders.ts):
 *  the fake's central keys its invoice by `<service id>:<position>`. */
function serviceResultOrder(position: string): { key: string; orderId: string } | ErrorBody {
  const v = world.service?.view;
  if (!v) return errorBody('NO_ACTIVE_JOURNEY', 'none');
  if (v.status !== 'completed' || (v.kind !== 'renew' && v.kind !== 'lookup'))
    return errorBody('WRONG_STEP', 'none');
  const n = Number(position);
  const key = `${v.id}:${n}`;
  if (v.kind === 'renew')
    return n === 0 && v.renewal
      ? { key, orderId: v.renewal.orderIdMasked }
      : refusal('INVOICE_ORDER_UNKNOWN');
  const order = v.orders?.[n];
  if (!order) return refusal('INVOICE_ORDER_UNKNOWN');
  return order.invoiceOffered ? { key, orderId: order.orderIdMasked } : refusal('INVOICE_NOT_AVAILABLE');
}

/** Central records (or replaces, until issued) a request that passed the kiosk's checks. */
function recordInvoice(
  orderId: string,
  current: InvoiceView,
  request: FakeInvoiceBody,
): InvoiceView | ErrorBody {
  world.centralInvoiceCalls.push({ orderId, body: request });
  if (current.state === 'issued') return refusal('INVOICE_NOT_AVAILABLE');
  return {
    state: 'requested',
    title: request.titleType,
    ...(request.titleType === 'organisation' ? { organisationName: request.title } : {}),
    requestedAt: current.state === 'requested' ? current.requestedAt : now(),
    amountFen: 20_000,
    link:
      (current.state === 'requested' ? current.link : undefined) ??
      `http://127.0.0.1:${args.port}/lookup/${encodeURIComponent(orderId)}/${randomBytes(16).toString('base64url')}/invoice`,
  };
}

/** The slip of an order's invoice: printed, or queued for staff when the printer has no paper. */
function printSlip(
  orderId: string,
  invoice: InvoiceView,
): { state: 'printed' | 'queued-for-reprint' } | ErrorBody {
  if (invoice.state === 'none') return refusal('INVOICE_NOT_AVAILABLE');
  const state = world.paper === 'out' ? 'queued-for-reprint' : 'printed';
  if (state === 'queued-for-reprint') world.reprints.push({ id: randomUUID(), orderId, queuedAt: now() });
  world.slips.push({ orderId, state, invoice: structuredClone(invoice) });
  return { state };
}

const fakeSyncStatus = (): RouteTypes['syncStatus']['ok'] => ({
  queueDepth: 0,
  parked: [],
  lastSyncAt: null,
  central: 'unknown',
});

const HANDLERS: { readonly [K in RouteName]: ((ctx: Ctx) => void) | null } = {
  kiosk: ({ res }) => ok(res, 'kiosk', world.settings),
  state: ({ res }) =>
    ok(res, 'state', {
      journey: view(),
      service: world.service ? structuredClone(world.service.view) : null,
      devices: Object.values(world.devices),
    }),
  events: ({ req, res }) => events(req, res),
  startJourney: ({ res }) => {
    if (world.service) return fail(res, errorBody('JOURNEY_BUSY', 'none'));
    // Starting twice (a tap racing a scan) keeps the journey that is waiting for its code.
    if (world.journey?.view.need !== 'scan') {
      if (world.journey) endSession('cancelled');
      startJourney();
    }
    ok(res, 'startJourney', view()!);
  },
  scan: ({ res, body }) => {
    const refusal = scan(String(body['code'] ?? ''));
    return refusal ? fail(res, refusal) : ok(res, 'scan', view()!);
  },
  confirm: ({ res }) => {
    if (world.journey?.view.need !== 'confirm-order') return fail(res, errorBody('WRONG_STEP', 'none'));
    update({ step: 'order-verified', need: 'id-card', identity: { state: 'waiting' } });
    const answer = view()!;
    readCard();
    ok(res, 'confirm', answer);
  },
  setPin: ({ res, body }) => {
    const refusal = setPin(String(body['pin'] ?? ''));
    return refusal ? fail(res, refusal) : ok(res, 'setPin', view()!);
  },
  touch: ({ res }) => {
    touched();
    ok(res, 'touch', { idleWipeAt: new Date(wipeAtOf(world.journey!)).toISOString() });
  },
  retry: ({ res }) => {
    // An ended journey cannot be retried (the appliance's requireActive); a held machine step runs again.
    const j = world.journey!;
    if (j.view.status !== 'active') return fail(res, errorBody('NO_ACTIVE_JOURNEY', 'none'));
    retryHeld(j);
    ok(res, 'retry', view()!);
  },
  callStaff: ({ res }) => {
    // As the appliance: one open call per session (the journey on screen, or none); the journey is untouched.
    const v = world.journey?.view;
    const session = v?.id ?? '';
    let call = world.staffCalls.find((c) => c.session === session);
    if (call) call.presses += 1;
    else {
      call = {
        id: `H${randomBytes(3).toString('hex').toUpperCase()}`,
        at: now(),
        presses: 1,
        session,
        ...(v
          ? {
              journeyRef: v.ref,
              step: v.step,
              status: v.status,
              need: v.need,
              ...(v.error ? { error: v.error.code } : {}),
            }
          : {}),
      };
      world.staffCalls.push(call);
    }
    ok(res, 'callStaff', {
      ref: call.id,
      at: call.at,
      ...(call.journeyRef ? { journeyRef: call.journeyRef } : {}),
    });
  },
  requestInvoice: ({ res, body }) => {
    const orderId = doneScreenOrder();
    if (typeof orderId !== 'string') return fail(res, orderId);
    const request = invoiceBody(body);
    if ('code' in request) return fail(res, request);
    // Central takes no request once the invoice is issued.
    const recorded = recordInvoice(orderId, world.invoice, request);
    if ('code' in recorded) return fail(res, recorded);
    world.invoice = recorded;
    ok(res, 'requestInvoice', world.invoice);
  },
  invoice: ({ res }) => {
    const orderId = doneScreenOrder();
    if (typeof orderId !== 'string') return fail(res, orderId);
    ok(res, 'invoice', world.invoice);
  },
  printInvoiceSlip: ({ res }) => {
    const orderId = doneScreenOrder();
    if (typeof orderId !== 'string') return fail(res, orderId);
    const printed = printSlip(orderId, world.invoice);
    return 'code' in printed ? fail(res, printed) : ok(res, 'printInvoiceSlip', printed);
  },
  requestServiceInvoice: ({ res, body, params }) => {
    const order = serviceResultOrder(params['position'] ?? '');
    if ('code' in order) return fail(res, order);
    const request = invoiceBody(body);
    if ('code' in request) return fail(res, request);
    const recorded = recordInvoice(
      order.orderId,
      world.serviceInvoices[order.key] ?? { state: 'none' },
      request,
    );
    if ('code' in recorded) return fail(res, recorded);
    world.serviceInvoices[order.key] = recorded;
    ok(res, 'requestServiceInvoice', recorded);
  },
  serviceInvoice: ({ res, params }) => {
    const order = serviceResultOrder(params['position'] ?? '');
    if ('code' in order) return fail(res, order);
    ok(res, 'serviceInvoice', world.serviceInvoices[order.key] ?? { state: 'none' });
  },
  printServiceInvoiceSlip: ({ res, params }) => {
    const order = serviceResultOrder(params['position'] ?? '');
    if ('code' in order) return fail(res, order);
    const printed = printSlip(order.orderId, world.serviceInvoices[order.key] ?? { state: 'none' });
    return 'code' in printed ? fail(res, printed) : ok(res, 'printServiceInvoiceSlip', printed);
  },
  endJourney: ({ res }) => {
    if (world.journey?.view.need === 'take-items') wipe('completed');
    else if (world.journey) endSession('cancelled');
    send(res, 204);
  },
  ...STAFF_HANDLERS,
  ...RECONCILIATION_HANDLERS,
  // The device self-tests and blank-key refills run against the real stack only (e2e-real).
  deviceSelfTest: null,
  refillBlankKeys: null,
  staffOverview: ({ req, res }) => {
    if (!staffAuthorised(req)) return fail(res, errorBody('STAFF_AUTH_REQUIRED', 'none'));
    ok(res, 'staffOverview', {
      kiosk: {
        applianceId: world.settings.applianceId,
        hall: world.settings.hall,
        hallName: world.hallName,
        timeZone: world.timeZone,
        central: world.centralLink,
        lastSyncAt: world.lastSyncAt,
      },
      staffAlarms: staffAlarms(),
      devices: Object.values(world.devices),
      consumables: [
        { kind: 'blankKeys', count: 24 - world.keysTaken },
        { kind: 'paper', level: world.paper === 'out' ? 'out' : world.paper === 'near-end' ? 'low' : 'ok' },
      ],
      queue: { depth: world.inDoubt.length },
      inDoubt: world.inDoubt,
      reprints: world.reprints,
      spoiledKeys: world.spoiledKeys,
      staffCalls: world.staffCalls.map(({ session: _session, ...call }) => call),
      ...(world.parkedEvents !== undefined ? { parkedEvents: world.parkedEvents } : {}),
      version: '0.0.0-fake',
    });
  },
  resolveInDoubt,
  endSession: ({ req, res }) => {
    if (!staffAuthorised(req)) return fail(res, errorBody('STAFF_AUTH_REQUIRED', 'none'));
    // As the appliance: always 204; the session (if any) ends and the screen is told (reason 'staff').
    if (world.journey) endSession('staff');
    else wipe('staff');
    send(res, 204);
  },
  reprint: ({ req, res, params }) => {
    if (!staffAuthorised(req)) return fail(res, errorBody('STAFF_AUTH_REQUIRED', 'none'));
    // As the appliance: a receipt no longer queued, then the printer's own refusal (the receipt stays queued).
    if (!world.reprints.some((r) => r.id === params['id']))
      return fail(res, errorBody('REPRINT_UNKNOWN', 'none'));
    if (world.paper === 'out') return fail(res, errorBody('PRINTER_OUT_OF_PAPER', 'none', true));
    if (world.coverOpen) return fail(res, errorBody('PRINTER_COVER_OPEN', 'none', true));
    world.reprints = world.reprints.filter((r) => r.id !== params['id']);
    ok(res, 'reprint', { state: 'printed' });
  },
  ackStaffCall: ({ req, res, params }) => {
    const who = staffFor(req, res);
    if (!who) return;
    const id = String(params['id']).trim().toUpperCase();
    const call = world.staffCalls.find((c) => c.id === id);
    if (!call) return fail(res, errorBody('STAFF_CALL_UNKNOWN', 'none'));
    world.staffCalls = world.staffCalls.filter((c) => c !== call);
    const { session: _session, ...view } = call;
    ok(res, 'ackStaffCall', { ...view, acknowledgedAt: now(), acknowledgedBy: who.id });
  },
  lookupJourney: ({ req, res, params }) => {
    if (!staffFor(req, res)) return;
    const ref = normaliseJourneyRef(String(params['ref']));
    const h = [...world.history.values()]
      .filter((x) => x.view.ref === ref)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
    if (!ref || !h)
      return fail(res, { ...errorBody('JOURNEY_REF_UNKNOWN', 'none'), params: { ref: ref ?? '' } });
    const active = world.journey?.view.id === h.view.id;
    const v = active ? world.journey!.view : h.view;
    ok(res, 'lookupJourney', {
      ref,
      id: v.id,
      status: v.status,
      step: v.step,
      need: v.need,
      active,
      ...(v.error ? { errorCode: v.error.code } : {}),
      ...(h.note ? { note: h.note } : {}),
      ...(h.orderId ? { orderId: h.orderId } : {}),
      ...(h.nameMasked ? { nameMasked: h.nameMasked } : {}),
      startedAt: h.startedAt,
      updatedAt: h.updatedAt,
    });
  },
  verifyAudit: null,
  // The maintenance screen's sync, audit search and kiosk control (issue 15): an empty queue and log, always in
  // service (the real appliance and appliance/src/api/staff-maintenance.test.ts cover them).
  syncStatus: ({ req, res }) => {
    if (staffFor(req, res)) ok(res, 'syncStatus', fakeSyncStatus());
  },
  syncNow: ({ req, res }) => {
    if (staffFor(req, res))
      ok(res, 'syncNow', { delivery: 'idle', heartbeat: 'off', status: fakeSyncStatus() });
  },
  retryParkedEvent: ({ req, res }) => {
    if (staffFor(req, res)) fail(res, errorBody('PARKED_EVENT_UNKNOWN', 'none'));
  },
  discardParkedEvent: ({ req, res }) => {
    if (staffFor(req, res)) fail(res, errorBody('PARKED_EVENT_UNKNOWN', 'none'));
  },
  searchAudit: ({ req, res }) => {
    if (staffFor(req, res)) ok(res, 'searchAudit', { records: [] });
  },
  kioskService: ({ req, res }) => {
    if (staffFor(req, res)) ok(res, 'kioskService', { outOfService: false });
  },
  setKioskService: null,
  restartDaemon: null,
  simPage: null,
  simMemory: null,
  simScan: ({ res, body }) => {
    const code = String(body['code'] ?? '');
    // The scanner feeds a look-up waiting for a code; another service ignores it; else it is a pickup code.
    if (world.service) serviceScan(code);
    else scan(code);
    ok(res, 'simScan', { scanned: `${code.slice(0, 24)}…` });
  },
  simIdCard: ({ res, body }) => {
    const fixture = typeof body['fixture'] === 'string' ? body['fixture'] : null;
    presentCard(fixture);
    ok(res, 'simIdCard', { placed: fixture });
  },
  simToken: ({ res, body }) => {
    if (body['action'] === 'lock-pin') {
      const key = body['key'] as HeldKey;
      if (!(key in HELD_KEYS)) return fail(res, errorBody('BAD_REQUEST', 'none'));
      world.lockedKeys.add(key);
      return ok(res, 'simToken', { locked: key } as unknown as RouteTypes['simToken']['ok']);
    }
    const action = body['action'] === 'pull' ? 'pull' : 'insert';
    const before = world.journey?.tokenSerial;
    const held = body['key'];
    world.heldKey =
      action === 'insert' && typeof held === 'string' && held in HELD_KEYS ? (held as HeldKey) : null;
    token(action);
    if (world.service) {
      if (action === 'insert') serviceKeyInserted();
      else if (world.service.view.status === 'completed' && world.service.view.kind !== 'lookup')
        serviceUpdate({});
      else if (world.service.view.status === 'active' && world.service.view.need === 'token')
        serviceUpdate({ error: undefined });
    }
    if (action === 'pull') return ok(res, 'simToken', { pulled: before ? [before] : [] });
    ok(res, 'simToken', {
      inserted: world.journey?.tokenSerial ?? 'FAKEKEY-BLANK',
      blanksLeft: 24 - world.keysTaken,
    });
  },
  simPrinter: ({ res, body }) => {
    printer((body['paper'] as World['paper']) ?? 'ok', body['coverOpen'] === true);
    ok(res, 'simPrinter', { ok: true });
  },
  simReceipts: null,
  simLatestReceipt: null,
  // The after-sales services: not faked yet (the real appliance's suites play them).
  startService: ({ res, body }) => {
    const kind = body['kind'] as ServiceKind;
    if (!SERVICE_KINDS.includes(kind)) return fail(res, errorBody('BAD_REQUEST', 'none'));
    if (world.journey || world.service) return fail(res, errorBody('JOURNEY_BUSY', 'none'));
    startService(kind);
    ok(res, 'startService', structuredClone(world.service!.view));
  },
  serviceCode: ({ res, body }) => {
    const refusal = serviceCodeTyped(String(body['code'] ?? ''));
    return refusal ? fail(res, refusal) : ok(res, 'serviceCode', structuredClone(world.service!.view));
  },
  serviceScan: ({ res, body }) => {
    const refusal = serviceScan(String(body['code'] ?? ''));
    return refusal ? fail(res, refusal) : ok(res, 'serviceScan', structuredClone(world.service!.view));
  },
  servicePin: ({ res, body }) => {
    const refusal = servicePinSet(String(body['pin'] ?? ''));
    return refusal ? fail(res, refusal) : ok(res, 'servicePin', structuredClone(world.service!.view));
  },
  servicePayment: ({ res }) => {
    const s = world.service;
    if (!s) return fail(res, errorBody('NO_ACTIVE_JOURNEY', 'none'));
    checkPayment();
    ok(res, 'servicePayment', structuredClone(world.service!.view));
  },
  servicePayAgain: ({ res }) => {
    const s = world.service;
    if (s?.view.status !== 'active' || s.view.need !== 'payment')
      return fail(res, errorBody('WRONG_STEP', 'none'));
    showPaymentCode();
    ok(res, 'servicePayAgain', structuredClone(world.service!.view));
  },
  payServiceOrder: ({ res, params }) => {
    const refused = payListedOrder(params['position'] ?? '');
    return refused ? fail(res, refused) : ok(res, 'payServiceOrder', structuredClone(world.service!.view));
  },
  serviceOrderPayment: ({ res, params }) => {
    const v = world.service?.view;
    if (!v) return fail(res, errorBody('NO_ACTIVE_JOURNEY', 'none'));
    if (v.status === 'active' && v.payingOrder !== Number(params['position']))
      return fail(res, refusal('PAYMENT_ORDER_UNKNOWN'));
    checkPayment();
    ok(res, 'serviceOrderPayment', structuredClone(world.service!.view));
  },
  leaveServiceOrderPayment: ({ res, params }) => {
    const v = world.service?.view;
    if (v?.status !== 'active' || v.kind !== 'lookup' || v.need !== 'payment')
      return fail(res, errorBody('WRONG_STEP', 'none'));
    if (v.payingOrder !== Number(params['position'])) return fail(res, refusal('PAYMENT_ORDER_UNKNOWN'));
    lookupPaymentEnded(world.paidAt);
    ok(res, 'leaveServiceOrderPayment', structuredClone(world.service!.view));
  },
  serviceRetry: ({ res }) => {
    const s = world.service;
    if (s?.view.status !== 'active') return fail(res, errorBody('NO_ACTIVE_JOURNEY', 'none'));
    ok(res, 'serviceRetry', structuredClone(s.view));
  },
  endService: ({ res }) => {
    const s = world.service;
    if (s && s.view.status === 'active' && !s.view.cancellable)
      return fail(res, errorBody('CANCEL_NOT_ALLOWED', 'none'));
    if (s) endService(s.view.status === 'active' ? 'cancelled' : 'completed');
    send(res, 204);
  },
};

/** What only a fake can do: reset, forced errors, central's behaviour, stalls, the call log. */
function testRoute(key: string, res: ServerResponse, body: Record<string, unknown>): boolean {
  switch (key) {
    case 'POST /__test/reset': {
      if (world.journey) wipe('cancelled');
      if (world.service) endService('cancelled');
      clearTimers();
      world = freshWorld(
        (body['settings'] as Partial<KioskSettings>) ?? {},
        Number(body['stepMs'] ?? 350),
        typeof body['parkedEvents'] === 'number' ? body['parkedEvents'] : undefined,
        typeof body['staffIdleMs'] === 'number' ? body['staffIdleMs'] : undefined,
      );
      for (const d of Object.values(world.devices)) publish('device', d);
      Object.assign(fakeReconciliation, { runs: new Map(), down: false, clean: false });
      send(res, 204);
      return true;
    }
    case 'POST /__test/reconciliation': {
      // Central for the maintenance screen's reconciliation: unreachable, and whether runs find differences.
      fakeReconciliation.down = body['down'] === true;
      fakeReconciliation.clean = body['clean'] === true;
      send(res, 204);
      return true;
    }
    case 'POST /__test/freeze': {
      frozenMs = Number(body['ms'] ?? 0);
      send(res, 204);
      return true;
    }
    case 'POST /__test/next-error': {
      const code = body['code'] as ApplianceErrorCode;
      if (!APPLIANCE_ERROR_CODES.includes(code)) fail(res, errorBody('BAD_REQUEST', 'none'));
      else {
        const action = (body['action'] as ErrorBody['action']) ?? 'retry';
        world.nextErrors.set(String(body['route']), errorBody(code, action));
        send(res, 204);
      }
      return true;
    }
    case 'POST /__test/central': {
      // How central answers the next issuance requests: ok | refuse (code, action) | pending (retryMs).
      const mode = body['mode'];
      const code = (body['code'] ?? 'CENTRAL_REFUSED') as ApplianceErrorCode;
      if (
        (mode !== 'ok' && mode !== 'refuse' && mode !== 'pending') ||
        !APPLIANCE_ERROR_CODES.includes(code)
      ) {
        fail(res, errorBody('BAD_REQUEST', 'none'));
        return true;
      }
      world.central = {
        mode,
        code,
        action: (body['action'] as ErrorBody['action']) ?? 'call-staff',
        retryMs: Number(body['retryMs'] ?? 5000),
      };
      send(res, 204);
      return true;
    }
    case 'POST /__test/stall': {
      // The next time the machine reaches this step it stops on this retryable error (a token hiccup…).
      const code = body['code'] as ApplianceErrorCode;
      const step = body['step'] as PickupStep;
      if (!APPLIANCE_ERROR_CODES.includes(code) || !MACHINE_STEPS.includes(step)) {
        fail(res, errorBody('BAD_REQUEST', 'none'));
        return true;
      }
      world.stall = {
        step,
        error: errorBody(code, (body['action'] as ErrorBody['action']) ?? 'retry', true),
      };
      send(res, 204);
      return true;
    }
    case 'POST /__test/slow': {
      // The next time the machine runs this step (before or after the PIN) it takes `ms`, without an error.
      const step = body['step'] as PickupStep;
      const ms = Number(body['ms']);
      if (![...MACHINE_STEPS, ...FINISH_STEPS].includes(step) || !(ms >= 0)) {
        fail(res, errorBody('BAD_REQUEST', 'none'));
        return true;
      }
      world.slow.set(step, ms);
      send(res, 204);
      return true;
    }
    case 'POST /__test/sync': {
      // What the sync agent says of central: reachable (now, and a sync now) or unreachable with an error code.
      const state = body['state'];
      const code = (body['lastError'] ?? 'CENTRAL_UNAVAILABLE') as ApplianceErrorCode;
      if ((state !== 'reachable' && state !== 'unreachable') || !APPLIANCE_ERROR_CODES.includes(code)) {
        fail(res, errorBody('BAD_REQUEST', 'none'));
        return true;
      }
      const at = now();
      world.centralLink =
        state === 'reachable' ? { state, since: at } : { state, since: at, lastError: code, lastErrorAt: at };
      if (state === 'reachable') world.lastSyncAt = at;
      send(res, 204);
      return true;
    }
    case 'POST /__test/key': {
      // The certificate on the held keys read from now on: days left, revoked.
      world.keyKnobs = {
        ...(typeof body['daysLeft'] === 'number' ? { daysLeft: body['daysLeft'] } : {}),
        ...(body['revoked'] === true ? { revoked: true } : {}),
        // How long setting the key's new PIN (renew: making the new key pair) takes: the wait screen stays.
        ...(typeof body['pinMs'] === 'number' ? { pinMs: body['pinMs'] } : {}),
        // The profile's rule for the old certificate of a renewal (revoke-previous unless told).
        ...(body['renewalRule'] === 'let-expire' || body['renewalRule'] === 'revoke-previous'
          ? { renewalRule: body['renewalRule'] }
          : {}),
        // The renewal order awaits payment at the kiosk (amount in fen), its QR code lasting payMs.
        ...(typeof body['payFen'] === 'number' ? { payFen: body['payFen'] } : {}),
        ...(typeof body['payMs'] === 'number' ? { payMs: body['payMs'] } : {}),
      };
      send(res, 204);
      return true;
    }
    case 'POST /__test/pay': {
      // The phone pays the QR code shown (the provider's notification reaches central).
      world.paidAt = now();
      send(res, 204);
      return true;
    }
    case 'GET /__test/calls':
      send(res, 200, world.calls);
      return true;
    case 'GET /__test/invoice': {
      // What the fake's central was asked to record, and the invoice as it stands.
      send(res, 200, {
        central: world.centralInvoiceCalls,
        invoice: world.invoice,
        serviceInvoices: world.serviceInvoices,
        slips: world.slips,
      });
      return true;
    }
    case 'POST /__test/invoice': {
      // Finance issues the requested invoices (the done screen's, the service results'; PDFs behind unguessable
      // links).
      const issue = (v: InvoiceView, seq: number): InvoiceView => {
        if (v.state !== 'requested') return v;
        const number = `${new Date().getFullYear()}-${String(seq).padStart(6, '0')}`;
        const { amountFen: _a, ...requested } = v;
        return {
          ...requested,
          state: 'issued',
          number,
          amountFen: 20_000,
          issuedAt: now(),
          url: `http://127.0.0.1:${args.port}/v1/invoices/${number}/${randomBytes(16).toString('base64url')}.pdf`,
        };
      };
      const waiting = [world.invoice, ...Object.values(world.serviceInvoices)].filter(
        (v) => v.state === 'requested',
      );
      if (waiting.length === 0) {
        fail(res, errorBody('BAD_REQUEST', 'none'));
        return true;
      }
      world.invoice = issue(world.invoice, 123);
      let seq = 124;
      for (const [key, v] of Object.entries(world.serviceInvoices))
        world.serviceInvoices[key] = issue(v, seq++);
      send(res, 204);
      return true;
    }
  }
  return false;
}

const POLICY = {
  hosts: loopbackHosts(Number(args.port)),
  origins: originsOf(loopbackHosts(Number(args.port))),
};

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  const url = new URL(req.url ?? '/', 'http://fake');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  // The appliance's rules first: Host, Origin, JSON content type for anything that changes state.
  const refusal = checkRequest(
    {
      method,
      host: header('host'),
      origin: header('origin'),
      contentType: header('content-type'),
      fetchSite: header('sec-fetch-site'),
      fetchMode: header('sec-fetch-mode'),
    },
    POLICY,
  );
  if (refusal) return fail(res, errorBody(refusal, 'none'));
  let body: Record<string, unknown> = {};
  if (STATE_CHANGING_METHODS.has(method)) {
    const parsed = await readJson(req);
    if (isErrorBody(parsed)) return fail(res, parsed);
    body = parsed;
  }
  if (path.startsWith('/api/') || path.startsWith('/sim/')) {
    // PINs are never kept, not even by the fake.
    const named = matchRoute(method, path);
    const secret = named !== null && SECRET_ROUTES.has(named.name);
    world.calls.push({ method, path, at: Date.now(), ...(method === 'POST' && !secret ? { body } : {}) });
  }
  if (testRoute(`${method} ${path}`, res, body)) return;
  // A frozen daemon: the next applicant action is answered only after this long (then handled as usual).
  if (frozenMs > 0 && path.startsWith('/api/journeys') && method !== 'GET') {
    const ms = frozenMs;
    frozenMs = 0;
    await new Promise((r) => setTimeout(r, ms));
  }
  const match = matchRoute(method, path);
  const handler = match ? HANDLERS[match.name] : null;
  if (match && handler) {
    if (path.startsWith('/api/journeys/current')) {
      const forced = nextError(path.slice('/api/journeys/current/'.length) || 'current');
      if (forced) return fail(res, forced);
      // DELETE with nothing to end is a no-op (204), as on the appliance.
      if (!world.journey && method !== 'DELETE') return fail(res, errorBody('NO_ACTIVE_JOURNEY', 'none'));
    }
    return handler({ req, res, body, params: match.params });
  }
  if (
    path === '/sim' ||
    path.startsWith('/api/') ||
    path.startsWith('/sim/') ||
    path.startsWith('/__test/')
  ) {
    return fail(res, errorBody('BAD_REQUEST', 'none'));
  }
  if (method !== 'GET' && method !== 'HEAD') return fail(res, errorBody('BAD_REQUEST', 'none'));
  return serveStatic(path, res);
}

function isErrorBody(v: Record<string, unknown> | ErrorBody): v is ErrorBody {
  return typeof v['code'] === 'string' && typeof v['action'] === 'string' && 'retryable' in v;
}

const server = createServer((req, res) => {
  route(req, res).catch((e: unknown) => {
    if (!res.headersSent) send(res, 500, errorBody('INTERNAL', 'call-staff'));
    process.stderr.write(`fake-appliance: ${String(e)}\n`);
  });
});
server.listen(Number(args.port), '127.0.0.1', () => {
  process.stdout.write(`fake appliance on http://127.0.0.1:${args.port} serving ${DIST}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const res of clients) res.end();
    server.close(() => process.exit(0));
  });
}
