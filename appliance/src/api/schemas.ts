// The appliance API's payloads as TypeBox schemas: validated by Fastify (requests), published as OpenAPI, and
// typing the client (Static<>). contract.ts keeps the documented TypeScript types the UI imports; the
// assertions at the end fail to compile when a schema and its contract type drift apart.
// Server side only at run time: the UI takes these as types (the client imports them with `import type`).
import { BUSINESS_TYPES, CERTIFICATE_TYPES } from '@certkiosk/config/facts';
import { INVOICE_TITLE_TYPES, type InvoiceTitleType, RENEWAL_RULES } from '@certkiosk/sync';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import {
  APPLIANCE_ERROR_CODES,
  type CentralLinkView,
  type ConsumableKind,
  type ConsumableView,
  DEVICE_DETAILS,
  DEVICE_KINDS,
  DEVICE_STATES,
  type DeviceStatusView,
  type ErrorBody,
  IN_DOUBT_RESOLUTIONS,
  type InvoiceRequestInput,
  type InvoiceTitle,
  type InvoiceView,
  type JourneyView,
  type KioskSettings,
  PAPER_LEVELS,
  PICKUP_STEPS,
  type ReplacedCertificateView,
  type ReprintView,
  type StaffKioskFacts,
} from './contract.js';
import { InDoubtEvidenceSchema, KioskServiceStateSchema } from './maintenance-schemas.js';
import {
  type ActivationView,
  HOME_SERVICES,
  type KeyCertificateView,
  KIOSK_PAYMENT_STATES,
  type LookupOrderView,
  RENEWAL_NOTICES,
  type RenewalView,
  SERVICE_KINDS,
  SERVICE_STEPS,
  type ServiceTokenView,
  type ServiceView,
} from './service-contract.js';

/** A string enum whose static type is the union of its values (as sync/src/contract/schemas.ts). */
const literals = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

const IsoTime = Type.String({ description: 'ISO 8601 time' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

// ---------- errors ----------

export const ErrorBodySchema = Type.Object(
  {
    code: literals(APPLIANCE_ERROR_CODES),
    message: Type.String({ description: 'English, for logs; the UI shows its own text for `code`' }),
    action: literals(['retry', 'call-staff', 'come-back-later', 'none'] as const),
    retryable: Type.Boolean(),
    params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
  },
  { description: 'Every non-2xx answer' },
);

// ---------- journeys ----------

const PickupStepSchema = literals(PICKUP_STEPS);
const JOURNEY_STATUSES = ['active', 'completed', 'failed', 'in-doubt', 'abandoned'] as const;
const JOURNEY_NEEDS = [
  'scan',
  'confirm-order',
  'id-card',
  'token',
  'wait',
  'pin',
  'take-items',
  'none',
] as const;

export const ReplacedCertificateViewSchema = Type.Object({
  serialMasked: Type.String({ description: 'the last eight hex digits of its serial, e.g. …b14b8c32' }),
  revoked: Type.Boolean({ description: 'revoked at central: from the moment the new certificate is issued' }),
});

export const OrderSummarySchema = Type.Object({
  orderId: Type.String(),
  certificateType: literals(CERTIFICATE_TYPES),
  businessType: literals(BUSINESS_TYPES),
  serviceYears: Type.Integer(),
  holderNameMasked: Type.Optional(Type.String()),
  organisationName: Type.Optional(Type.String()),
  replacesCertificate: Type.Optional(ReplacedCertificateViewSchema),
});

export const IdentityViewSchema = Type.Object({
  state: literals(['waiting', 'reading', 'matched', 'mismatched'] as const),
  nameMasked: Type.Optional(Type.String()),
  idNumberMasked: Type.Optional(Type.String()),
  reason: Type.Optional(literals(APPLIANCE_ERROR_CODES)),
  attemptsLeft: Type.Optional(Type.Integer()),
});

export const JourneyViewSchema = Type.Object({
  id: Type.String(),
  ref: Type.String({ description: 'Short reference number staff can look up, e.g. K3F9A2C' }),
  revision: Type.Integer(),
  cancellable: Type.Boolean(),
  keyInWriter: Type.Optional(Type.Boolean()),
  cardOnReader: Type.Optional(Type.Boolean()),
  kind: Type.Literal('pickup'),
  step: PickupStepSchema,
  status: literals(JOURNEY_STATUSES),
  need: literals(JOURNEY_NEEDS),
  order: Type.Optional(OrderSummarySchema),
  identity: Type.Optional(IdentityViewSchema),
  progress: Type.Object({
    steps: Type.Array(
      Type.Object({ step: PickupStepSchema, state: literals(['done', 'running', 'pending'] as const) }),
    ),
  }),
  receipt: Type.Optional(
    Type.Object({ state: literals(['printed', 'queued-for-reprint', 'pending'] as const) }),
  ),
  error: Type.Optional(ErrorBodySchema),
  certificate: Type.Optional(
    Type.Object({ subjectCommonName: Type.String(), serialNumber: Type.String(), notAfter: IsoTime }),
  ),
  idleWipeAt: Type.Optional(IsoTime),
  waiting: Type.Optional(
    Type.Object({
      on: Type.Literal('central'),
      since: IsoTime,
      attempts: Type.Integer(),
      nextRetryAt: Type.Optional(IsoTime),
    }),
  ),
});
export const NullableJourneySchema = Nullable(JourneyViewSchema);

// ---------- devices, settings, state ----------

export const DeviceStatusViewSchema = Type.Object({
  kind: literals(DEVICE_KINDS),
  state: literals(DEVICE_STATES),
  detail: Nullable(literals(DEVICE_DETAILS, { description: 'UI phrase: staff.detail.<code>' })),
  since: IsoTime,
});

export const KioskSettingsSchema = Type.Object({
  applianceId: Type.String(),
  hall: Type.String(),
  languages: Type.Array(literals(['zh-CN', 'en'] as const)),
  idleWarningMs: Type.Integer(),
  idleWipeMs: Type.Integer(),
  elderlyTimeoutFactor: Type.Number(),
  pinPolicy: Type.Object({
    minLength: Type.Integer(),
    maxLength: Type.Integer(),
    digitsOnly: Type.Boolean(),
    forbidSequences: Type.Boolean(),
    forbidRepeated: Type.Boolean(),
  }),
  serviceHotline: Type.String(),
  simControlUrl: Type.Optional(Type.String()),
});

// ---------- after-sales services (service-contract.ts) ----------

export const ServiceKindSchema = literals(SERVICE_KINDS);
/** Every step of every service (the view's `kind` says which list it is from). */
const SERVICE_STEP_VALUES = [...new Set(Object.values(SERVICE_STEPS).flat())] as Array<
  (typeof SERVICE_STEPS)[keyof typeof SERVICE_STEPS][number]
>;
export const HomeServiceSchema = literals(HOME_SERVICES);
export const KeyCertificateViewSchema = Type.Object({
  subjectMasked: Type.String(),
  serialNumber: Type.String(),
  issuer: Type.String(),
  notBefore: IsoTime,
  notAfter: IsoTime,
  daysLeft: Type.Integer({ description: 'whole days until notAfter (negative once expired)' }),
  status: literals(['good', 'revoked', 'unknown'] as const),
  revokedAt: Type.Optional(IsoTime),
  renewal: literals(RENEWAL_NOTICES),
  renewalOrderReady: Type.Optional(Type.Boolean()),
});
export const ServiceTokenViewSchema = Type.Object({
  model: Type.String(),
  serialMasked: Type.String(),
  pinLocked: Type.Boolean(),
});
export const ActivationViewSchema = Type.Object({
  orderIdMasked: Type.String(),
  holderNameMasked: Type.Optional(Type.String()),
  organisationName: Type.Optional(Type.String()),
  triesLeft: Type.Integer(),
  codeExpiresAt: Type.Optional(IsoTime),
});
export const LookupOrderViewSchema = Type.Object({
  orderIdMasked: Type.String(),
  kind: literals(BUSINESS_TYPES),
  certificateType: Type.String(),
  status: Type.String(),
  history: Type.Array(Type.Object({ status: Type.String(), at: IsoTime })),
  rejectReason: Type.Optional(Type.String()),
  remittanceCode: Type.Optional(Type.String()),
  holderNameMasked: Type.Optional(Type.String()),
  organisationName: Type.Optional(Type.String()),
  updatedAt: IsoTime,
  invoiceOffered: Type.Optional(
    Type.Boolean({ description: 'paid and collected (or invoiced): the result screen offers its invoice' }),
  ),
  payHere: Type.Optional(
    Type.Object(
      { amountFen: Type.Integer({ minimum: 0 }) },
      { description: 'a kiosk order awaiting payment: 在此支付 with the amount due (fen)' },
    ),
  ),
  paidHere: Type.Optional(
    Type.Object(
      { amountFen: Type.Integer({ minimum: 0 }), paidAt: IsoTime },
      { description: 'paid at this kiosk in this session' },
    ),
  ),
});
export const RenewalViewSchema = Type.Object({
  orderIdMasked: Type.String(),
  certificateType: Type.String(),
  rule: literals(RENEWAL_RULES),
  newCertificate: Type.Optional(
    Type.Object({ serialNumber: Type.String(), notBefore: IsoTime, notAfter: IsoTime }),
  ),
  oldRemoved: Type.Optional(Type.Boolean()),
  oldRevokedAt: Type.Optional(IsoTime),
  pinTriesLow: Type.Optional(Type.Boolean()),
});
export const KioskPaymentViewSchema = Type.Object({
  state: literals(KIOSK_PAYMENT_STATES),
  amountFen: Type.Integer({ minimum: 0, description: 'the amount in fen (分)' }),
  codeUrl: Type.Optional(Type.String({ description: 'the WeChat Pay link the QR code carries' })),
  expiresAt: Type.Optional(IsoTime),
  paidAt: Type.Optional(IsoTime),
});
export const ServiceViewSchema = Type.Object({
  id: Type.String(),
  ref: Type.String({ description: 'Short reference number staff can look up, e.g. K3F9A2C' }),
  revision: Type.Integer(),
  kind: ServiceKindSchema,
  step: literals(SERVICE_STEP_VALUES),
  status: literals(JOURNEY_STATUSES),
  need: literals([
    'token',
    'activation-code',
    'id-card',
    'scan-or-id-card',
    'pin',
    'payment',
    'current-pin',
    'wait',
    'result',
    'none',
  ] as const),
  cancellable: Type.Boolean(),
  token: Type.Optional(ServiceTokenViewSchema),
  certificate: Type.Optional(KeyCertificateViewSchema),
  activation: Type.Optional(ActivationViewSchema),
  identity: Type.Optional(IdentityViewSchema),
  orders: Type.Optional(Type.Array(LookupOrderViewSchema)),
  renewal: Type.Optional(RenewalViewSchema),
  payment: Type.Optional(KioskPaymentViewSchema),
  payingOrder: Type.Optional(
    Type.Integer({ minimum: 0, description: "look-up: the listed order's position being paid" }),
  ),
  unlocksLeftToday: Type.Optional(Type.Integer()),
  keyInWriter: Type.Optional(Type.Boolean()),
  cardOnReader: Type.Optional(Type.Boolean()),
  error: Type.Optional(ErrorBodySchema),
  idleWipeAt: Type.Optional(IsoTime),
});
export const NullableServiceSchema = Nullable(ServiceViewSchema);
export const StartServiceBodySchema = Type.Object(
  { kind: ServiceKindSchema },
  { additionalProperties: false },
);
/** The activation code as typed: 6 digits (anything else is refused before central is asked). */
export const ActivationCodeBodySchema = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 16 }) },
  { additionalProperties: false },
);

export const StateSchema = Type.Object({
  journey: NullableJourneySchema,
  /** Out of service (staff, maintenance screen): the UI shows the out-of-service page. */
  kioskService: Type.Optional(KioskServiceStateSchema),
  /** The after-sales service journey on screen (never beside an open pickup). */
  service: NullableServiceSchema,
  devices: Type.Array(DeviceStatusViewSchema),
});

// ---------- request bodies ----------

/** Body of a state-changing route that takes no input: `{}`, sent as application/json. */
export const EmptyBodySchema = Type.Object({}, { additionalProperties: false });
export const ScanBodySchema = Type.Object({ code: Type.String({ minLength: 1, maxLength: 4096 }) });
export const PinBodySchema = Type.Object(
  { pin: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export const TouchResponseSchema = Type.Object({ idleWipeAt: IsoTime });
export const HelpResponseSchema = Type.Object({
  ref: Type.String({
    description: 'The call’s reference (the same for every press while it is open): /api/staff/calls/:id/ack',
  }),
  at: Type.String({ description: 'ISO 8601 time the call was raised (the first press)' }),
  journeyRef: Type.Optional(
    Type.String({ description: 'The journey’s reference number, when one is active' }),
  ),
});

// ---------- the invoice of the order just collected (the done screen) ----------

const InvoiceTitleSchema = literals(INVOICE_TITLE_TYPES, {
  description: 'person (the invoice says 个人) or organisation (its name and credit code)',
});
/** What the holder typed: loose limits here; the credit code and the address get their own error codes. */
export const InvoiceRequestInputSchema = Type.Object(
  {
    title: InvoiceTitleSchema,
    organisationName: Type.Optional(Type.String({ maxLength: 200 })),
    creditCode: Type.Optional(Type.String({ maxLength: 64 })),
    email: Type.String({ maxLength: 320 }),
  },
  { additionalProperties: false },
);
const InvoiceRequested = {
  title: InvoiceTitleSchema,
  organisationName: Type.Optional(Type.String()),
  requestedAt: IsoTime,
  link: Type.Optional(
    Type.String({
      description: "the order's invoice link on central (the PDF once issued, the order's page until then)",
    }),
  ),
};
export const InvoiceViewSchema = Type.Union([
  Type.Object({ state: Type.Literal('none') }),
  Type.Object({
    state: Type.Literal('requested'),
    ...InvoiceRequested,
    amountFen: Type.Optional(Type.Integer({ description: "the order's paid amount, in fen" })),
  }),
  Type.Object({
    state: Type.Literal('issued'),
    ...InvoiceRequested,
    number: Type.String({ description: 'e.g. 2026-000123' }),
    amountFen: Type.Integer(),
    issuedAt: IsoTime,
    url: Type.String({ description: 'the PDF behind an unguessable link: shown as a QR code' }),
  }),
]);

/** A service's result screen: the order at this position (a renewal's order is 0; a look-up's by its place). */
export const OrderPositionParamsSchema = Type.Object({
  position: Type.String({ pattern: '^[0-9]{1,2}$', description: '0 for a renewal; a look-up order’s place' }),
});
export const InvoiceSlipOutcomeSchema = Type.Object({
  state: literals(['printed', 'queued-for-reprint'] as const, {
    description: 'printed, or kept for staff to print again (the printer could not)',
  }),
});

// ---------- staff ----------

export const STAFF_ROLE_VALUES = ['operator', 'administrator'] as const;
export const StaffRoleSchema = literals(STAFF_ROLE_VALUES, {
  description: 'operator: the maintenance screen; administrator: also the staff accounts',
});
/** A staff id as typed ("S001"; the store normalises case and refuses what is not 1–3 letters + 3–8 digits). */
const StaffIdSchema = Type.String({ minLength: 1, maxLength: 16, description: 'Staff id, e.g. "S001"' });
/** A staff PIN in a request body: never stored, logged or audited (the routes that take one are `secret`). */
const StaffPinSchema = Type.String({ minLength: 1, maxLength: 64 });

export const StaffLoginBodySchema = Type.Object(
  { staffId: StaffIdSchema, pin: StaffPinSchema },
  { additionalProperties: false },
);
export const StaffSessionSchema = Type.Object({
  token: Type.String({ description: '`authorization: Bearer <token>` on every staff route' }),
  staffId: Type.String(),
  name: Type.String(),
  role: StaffRoleSchema,
  idleExpiresAt: Type.String({
    description: 'ISO 8601 time: the session ends then unless another staff request comes first',
  }),
  expiresAt: Type.String({ description: 'ISO 8601 time: the session ends then however active' }),
});

export const StaffLockoutSchema = Type.Object({
  since: IsoTime,
  until: IsoTime,
  locked: Type.Boolean({ description: 'sign-in refused right now (else the next wrong PIN locks again)' }),
  failures: Type.Integer(),
});
export const StaffAccountViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: StaffRoleSchema,
  active: Type.Boolean(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  credentialChangedAt: IsoTime,
  lockout: Type.Optional(StaffLockoutSchema),
});
export const StaffAccountsResponseSchema = Type.Object({ accounts: Type.Array(StaffAccountViewSchema) });
export const StaffAddAccountBodySchema = Type.Object(
  {
    id: StaffIdSchema,
    name: Type.String({ minLength: 1, maxLength: 64 }),
    role: StaffRoleSchema,
    pin: StaffPinSchema,
  },
  { additionalProperties: false },
);
export const StaffNewPinBodySchema = Type.Object({ pin: StaffPinSchema }, { additionalProperties: false });
export const StaffChangeOwnPinBodySchema = Type.Object(
  { currentPin: StaffPinSchema, newPin: StaffPinSchema },
  { additionalProperties: false },
);
export const StaffRoleBodySchema = Type.Object({ role: StaffRoleSchema }, { additionalProperties: false });
export const StaffActiveBodySchema = Type.Object({ active: Type.Boolean() }, { additionalProperties: false });
/** What a management call changed (the module audited it already, with the same actor and action). */
export const StaffChangeSchema = Type.Object({
  actor: Type.String({ description: '`staff:<id>` of the administrator (or the staff member) who acted' }),
  action: Type.String({ description: 'The audit action, e.g. staff.account.add' }),
  staffId: Type.String({ description: 'The account acted on ("*" = the counter over all sign-ins)' }),
  details: Type.Record(Type.String(), Type.Unknown(), {
    description: 'As audited; `unchanged: true` when nothing changed (then nothing was audited)',
  }),
  at: IsoTime,
});
export const StaffAlarmSchema = Type.Union([
  Type.Object({
    kind: Type.Literal('staff-lockout'),
    staffId: Type.String({
      description: 'The staff id claimed (it may have no account); "*" = every sign-in',
    }),
    since: IsoTime,
    until: IsoTime,
    locked: Type.Boolean(),
    failures: Type.Integer(),
  }),
  Type.Object({ kind: Type.Literal('staff-no-administrator') }),
]);
export const StaffUnlockParamsSchema = Type.Object({
  id: Type.String({
    minLength: 1,
    maxLength: 16,
    description: 'A staff id, or "*" for the counter over all sign-ins',
  }),
});

/** An applicant's call for staff ("呼叫工作人员"), open until a member of staff acknowledges it. */
export const StaffCallSchema = Type.Object({
  id: Type.String({ description: 'The call’s reference, e.g. H4C2E9A' }),
  at: IsoTime,
  /** How often the applicant pressed while it was open. */
  presses: Type.Integer(),
  journeyRef: Type.Optional(Type.String()),
  step: Type.Optional(PickupStepSchema),
  status: Type.Optional(literals(JOURNEY_STATUSES)),
  need: Type.Optional(literals(JOURNEY_NEEDS)),
  error: Type.Optional(literals(APPLIANCE_ERROR_CODES)),
  acknowledgedAt: Type.Optional(IsoTime),
  acknowledgedBy: Type.Optional(Type.String({ description: 'The staff id who acknowledged it' })),
});
export const RefParamsSchema = Type.Object({
  ref: Type.String({ minLength: 1, maxLength: 32, description: 'A journey reference number, e.g. K3F9A2C' }),
});
/** A journey found by its reference number, as staff may see it: masked, no PIN, ID number or full name. */
export const JourneyLookupSchema = Type.Object({
  ref: Type.String(),
  id: Type.String(),
  status: literals(JOURNEY_STATUSES),
  step: PickupStepSchema,
  need: literals(JOURNEY_NEEDS),
  active: Type.Boolean({ description: 'the journey on the kiosk right now' }),
  errorCode: Type.Optional(literals(APPLIANCE_ERROR_CODES)),
  note: Type.Optional(Type.String()),
  orderId: Type.Optional(Type.String()),
  nameMasked: Type.Optional(Type.String()),
  startedAt: Type.Optional(IsoTime),
  updatedAt: IsoTime,
});

export const InDoubtItemSchema = Type.Object({
  id: Type.String(),
  step: PickupStepSchema,
  note: Type.Optional(Type.String()),
  orderId: Type.Optional(Type.String()),
  tokenSerial: Type.Optional(Type.String()),
  certificateSerial: Type.Optional(Type.String()),
  updatedAt: IsoTime,
  /** Last durable state, key serial and central's last answer (staff/in-doubt-evidence.ts). */
  evidence: Type.Optional(InDoubtEvidenceSchema),
});

export const CentralLinkViewSchema = Type.Object({
  state: literals(['reachable', 'unreachable', 'unknown'] as const, {
    description: "the sync agent's last exchange with central worked or not; unknown: none since start",
  }),
  since: Type.Optional(IsoTime),
  lastError: Type.Optional(literals(APPLIANCE_ERROR_CODES)),
  lastErrorAt: Type.Optional(IsoTime),
});
export const StaffKioskFactsSchema = Type.Object({
  applianceId: Type.String(),
  hall: Type.String({ description: 'The hall code (config appliance.hall)' }),
  hallName: Type.String({ description: 'config kiosk.hallName; the hall code when there is none' }),
  timeZone: Type.String({ description: 'IANA time zone of the hall (config kiosk.timeZone)' }),
  central: CentralLinkViewSchema,
  lastSyncAt: Nullable(IsoTime),
});
export const ConsumableViewSchema = Type.Union([
  Type.Object({
    kind: Type.Literal('blankKeys'),
    count: Nullable(Type.Integer({ description: 'blank keys left; null when the kiosk cannot count them' })),
  }),
  Type.Object({ kind: Type.Literal('paper'), level: literals(PAPER_LEVELS) }),
]);
export const ReprintViewSchema = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  queuedAt: IsoTime,
  holderNameMasked: Type.Optional(Type.String({ description: 'masked: 张*, 李*娜' })),
});

// ---------- maintenance: device self-tests and the blank-key stock ----------

export const DeviceKindParamsSchema = Type.Object({ kind: literals(DEVICE_KINDS) });
export const SelfTestResultSchema = Type.Union([
  Type.Object({ device: Type.Literal('printer'), ok: Type.Literal(true), printed: Type.Literal(true) }),
  Type.Object({
    device: Type.Literal('idReader'),
    ok: Type.Literal(true),
    card: Type.Object({
      nameMasked: Type.String({ description: 'masked: 张*' }),
      idNumberMasked: Type.String({ description: 'masked: 4403**********1238' }),
    }),
  }),
  Type.Object({
    device: Type.Literal('token'),
    ok: Type.Literal(true),
    slot: Nullable(Type.Object({ slotId: Type.String(), description: Type.String() })),
    key: Nullable(Type.Object({ model: Type.String(), serial: Type.String(), manufacturer: Type.String() })),
  }),
  Type.Object({
    device: Type.Literal('scanner'),
    ok: Type.Literal(true),
    scanned: Type.Object({
      length: Type.Integer(),
      kind: literals(['pickup-code', 'url', 'digits', 'text'] as const),
    }),
  }),
]);
export const BlankKeyRefillBodySchema = Type.Object(
  {
    // Any JSON value: the appliance itself answers a bad count with BLANK_KEY_COUNT_INVALID (one code, one
    // message on the screen), whether it is 0, negative, a fraction, too large, or not a number at all.
    count: Type.Unknown({
      description: 'keys added: a whole number from 1 to 1000 (else BLANK_KEY_COUNT_INVALID)',
    }),
  },
  { additionalProperties: false },
);
export const BlankKeyStockSchema = Type.Object({
  count: Type.Integer(),
  lowThreshold: Type.Integer(),
  low: Type.Boolean({ description: 'count below lowThreshold: the screen and the heartbeat warn' }),
  updatedAt: IsoTime,
});
export const DeviceInfoSchema = Type.Object({
  kind: literals(DEVICE_KINDS),
  model: Nullable(Type.String()),
  firmware: Nullable(Type.String()),
  lastError: Nullable(
    Type.Object({ state: literals(DEVICE_STATES), detail: Nullable(Type.String()), at: IsoTime }),
  ),
});

/** The maintenance screen's data. Beside what is typed here, the daemon adds what it knows (read tolerantly
 *  by kiosk-ui/src/lib/staff.ts), so further fields are allowed. */
export const StaffOverviewSchema = Type.Object(
  {
    /** Which kiosk, where, central reachable or not, the last successful sync: the top of the screen. */
    kiosk: StaffKioskFactsSchema,
    devices: Type.Array(DeviceStatusViewSchema),
    inDoubt: Type.Array(InDoubtItemSchema),
    version: Type.Optional(Type.String()),
    queue: Type.Optional(Type.Object({ depth: Type.Integer() }, { additionalProperties: true })),
    consumables: Type.Array(ConsumableViewSchema),
    /** Receipts queued for a reprint, oldest first. */
    reprints: Type.Array(ReprintViewSchema),
    parkedEvents: Type.Optional(Type.Integer()),
    spoiledKeys: Type.Optional(
      Type.Array(Type.Object({ serial: Type.String() }, { additionalProperties: true })),
    ),
    recentJourneys: Type.Optional(
      Type.Array(Type.Object({ id: Type.String() }, { additionalProperties: true })),
    ),
    /** Staff sign-in lockouts in force and a store without an active administrator. */
    staffAlarms: Type.Optional(Type.Array(StaffAlarmSchema)),
    /** Applicants' calls for staff not yet acknowledged, oldest first. */
    staffCalls: Type.Optional(Type.Array(StaffCallSchema)),
    /** Each device's model, firmware and last error (beside `devices`, its live status). */
    deviceInfo: Type.Optional(Type.Array(DeviceInfoSchema)),
    /** The recorded blank-key stock and its warning threshold. */
    blankKeyStock: Type.Optional(BlankKeyStockSchema),
  },
  { additionalProperties: true },
);

export const IdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
export const ResolveInDoubtBodySchema = Type.Object(
  {
    action: literals(IN_DOUBT_RESOLUTIONS),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export const ResolveInDoubtResponseSchema = Type.Object({ journey: NullableJourneySchema });
export const ReprintResponseSchema = Type.Object({ state: Type.String() });
export const AuditVerifyResponseSchema = Type.Object({
  ok: Type.Boolean(),
  records: Type.Integer(),
  firstBadSeq: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  /** The newest record's sequence number and hash, when the chain verified. */
  head: Type.Optional(Type.Object({ seq: Type.Integer(), hash: Type.String() })),
});

// ---------- diagnostics export ----------

const CountsSchema = Type.Record(Type.String(), Type.Integer());
/** What a technician takes away: no name, ID number, phone, PIN, pickup code, certificate or secret. */
export const DiagnosticsSchema = Type.Object(
  {
    kind: Type.Literal('certkiosk-diagnostics'),
    formatVersion: Type.Literal(1),
    generatedAt: IsoTime,
    generatedBy: Type.String({ description: '`staff:<id>` who exported it' }),
    softwareVersion: Type.String(),
    applianceId: Type.String(),
    hall: Type.String(),
    simulation: Type.Boolean(),
    devices: Type.Array(DeviceStatusViewSchema),
    store: Type.Object({
      journeys: Type.Object({ total: Type.Integer(), byStatus: CountsSchema, byStep: CountsSchema }),
      reprints: Type.Object({ total: Type.Integer(), byState: CountsSchema }),
      spoiledKeys: Type.Integer(),
      inDoubt: Type.Integer(),
    }),
    sync: Type.Optional(
      Type.Object(
        {
          outboxPending: Type.Integer(),
          outboxParked: Type.Integer(),
          delivered: Type.Optional(Type.Integer()),
          consecutiveFailures: Type.Optional(Type.Integer()),
          lastError: Type.Optional(Type.String()),
          heartbeat: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          inbox: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        },
        { additionalProperties: true },
      ),
    ),
    auditChain: Type.Object(
      {
        ok: Type.Boolean(),
        records: Type.Integer(),
        head: Type.Optional(Type.Object({ seq: Type.Integer(), hash: Type.String() })),
        firstBadSeq: Type.Optional(Type.Integer()),
        problem: Type.Optional(Type.String()),
      },
      { additionalProperties: true },
    ),
    auditTail: Type.Array(
      Type.Object(
        {
          seq: Type.Integer(),
          time: IsoTime,
          actor: Type.String(),
          action: Type.String(),
          details: Type.Record(Type.String(), Type.Unknown()),
          prevHash: Type.String(),
          hash: Type.String(),
          scrubbedForExport: Type.Optional(
            Type.Boolean({
              description: 'a field was masked for the export: this copy no longer hashes to `hash`',
            }),
          ),
        },
        { additionalProperties: true },
      ),
      { description: 'The newest audit records (at most 200), oldest first' },
    ),
    staffAlarms: Type.Array(StaffAlarmSchema),
    staffSessions: Type.Array(Type.Object({ staffId: Type.String(), since: IsoTime, lastSeenAt: IsoTime })),
    config: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The configuration without secrets (secret sources by kind only), PEMs as SHA-256',
    }),
    versions: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'software, node, openssl, platform and the native driver addons (pkcs11js, serialport)',
      }),
    ),
    recentLogs: Type.Optional(
      Type.Array(Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown())]), {
        description: "The daemon's recent log lines, oldest first, personal data masked",
      }),
    ),
    blankKeys: Type.Optional(
      Type.Object({ count: Type.Integer(), lowThreshold: Type.Integer(), low: Type.Boolean() }),
    ),
  },
  { additionalProperties: true },
);

// ---------- sim (emulator control; sim profile only) ----------

export const SimMemorySchema = Type.Object(
  {
    rss: Type.Number(),
    heapTotal: Type.Number(),
    heapUsed: Type.Number(),
    external: Type.Number(),
    arrayBuffers: Type.Number(),
    collected: Type.Boolean({ description: 'true when a full collection ran first (node --expose-gc)' }),
  },
  { additionalProperties: true },
);
export const SimScanBodySchema = Type.Object({
  code: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  phonePageUrl: Type.Optional(
    Type.String({
      maxLength: 2048,
      description:
        "The applicant's phone page on the configured central (its QR code is read from central's " +
        '/p/<viewToken>/pickup-code); a page elsewhere is refused',
    }),
  ),
});
export const SimScanResponseSchema = Type.Object({ scanned: Type.String() });
export const SimIdCardBodySchema = Type.Object({
  fixture: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
});
export const SimIdCardResponseSchema = Type.Object({ placed: Nullable(Type.String()) });
export const SimTokenBodySchema = Type.Object({
  action: literals(['insert', 'pull', 'lock-pin'] as const, {
    description: 'insert a key, pull the keys, or lock the PIN of a held key (as wrong PINs would)',
  }),
  key: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9-]{1,32}$',
      description:
        'a held key (e.g. "couriered": the demo\'s couriered key): insert it instead of a blank one, or lock its PIN',
    }),
  ),
});
export const SimTokenResponseSchema = Type.Union([
  Type.Object({ inserted: Type.String(), blanksLeft: Type.Integer() }),
  Type.Object({ pulled: Type.Array(Type.String()) }),
  Type.Object({
    locked: Type.String({ description: 'the token serial of the key whose PIN is now locked' }),
  }),
]);
export const SimPrinterBodySchema = Type.Object({
  paper: Type.Optional(literals(['ok', 'near-end', 'out'] as const)),
  coverOpen: Type.Optional(Type.Boolean()),
});
export const SimOkSchema = Type.Object({ ok: Type.Literal(true) });
export const SimReceiptsSchema = Type.Object({ count: Type.Integer() });
export const SimNotFoundSchema = Type.Object({ error: Type.String() });

// ---------- the schemas say what the contract says ----------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Compile-time only: each line fails when a schema's static type and the contract's type differ. */
export type SchemasMatchContract = [
  Assert<Same<Static<typeof ErrorBodySchema>, ErrorBody>>,
  Assert<Same<Static<typeof JourneyViewSchema>, JourneyView>>,
  Assert<Same<Static<typeof ReplacedCertificateViewSchema>, ReplacedCertificateView>>,
  Assert<Same<Static<typeof DeviceStatusViewSchema>, DeviceStatusView>>,
  Assert<Same<Static<typeof KioskSettingsSchema>, KioskSettings>>,
  Assert<Same<Static<typeof CentralLinkViewSchema>, CentralLinkView>>,
  Assert<Same<Static<typeof StaffKioskFactsSchema>, StaffKioskFacts>>,
  Assert<Same<Static<typeof ConsumableViewSchema>, ConsumableView>>,
  Assert<Same<ConsumableView['kind'], ConsumableKind>>,
  Assert<Same<Static<typeof ReprintViewSchema>, ReprintView>>,
  Assert<Same<Static<typeof KeyCertificateViewSchema>, KeyCertificateView>>,
  Assert<Same<Static<typeof ServiceTokenViewSchema>, ServiceTokenView>>,
  Assert<Same<Static<typeof ActivationViewSchema>, ActivationView>>,
  Assert<Same<Static<typeof LookupOrderViewSchema>, LookupOrderView>>,
  Assert<Same<Static<typeof RenewalViewSchema>, RenewalView>>,
  Assert<Same<Static<typeof ServiceViewSchema>, ServiceView>>,
  Assert<Same<Static<typeof InvoiceRequestInputSchema>, InvoiceRequestInput>>,
  Assert<Same<Static<typeof InvoiceViewSchema>, InvoiceView>>,
  Assert<Same<InvoiceTitle, InvoiceTitleType>>,
];

// ---------- reconciliation (the maintenance screen; the report is the contract's ReconciliationReportSchema) ----------

/** Any text: the desk checks the day itself, so every wrong day gets RECONCILIATION_DAY_INVALID and nothing is sent. */
const ReconciliationDayInput = Type.String({
  description: 'A Beijing calendar day, YYYY-MM-DD, begun already (default: yesterday in Beijing)',
});
export const ReconciliationRunBodySchema = Type.Object(
  { day: Type.Optional(ReconciliationDayInput) },
  { additionalProperties: false },
);
export const ReconciliationQuerySchema = Type.Object(
  { day: Type.Optional(ReconciliationDayInput) },
  { additionalProperties: false },
);
