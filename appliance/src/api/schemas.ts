// The appliance API's payloads as TypeBox schemas: validated by Fastify (requests), published as OpenAPI, and
// typing the client (Static<>). contract.ts keeps the documented TypeScript types the UI imports; the
// assertions at the end fail to compile when a schema and its contract type drift apart.
// Server side only at run time: the UI takes these as types (the client imports them with `import type`).
import { BUSINESS_TYPES, CERTIFICATE_TYPES } from '@certkiosk/config/facts';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import {
  APPLIANCE_ERROR_CODES,
  DEVICE_KINDS,
  DEVICE_STATES,
  type DeviceStatusView,
  type ErrorBody,
  IN_DOUBT_RESOLUTIONS,
  type JourneyView,
  type KioskSettings,
  PICKUP_STEPS,
} from './contract.js';

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

export const OrderSummarySchema = Type.Object({
  orderId: Type.String(),
  certificateType: literals(CERTIFICATE_TYPES),
  businessType: literals(BUSINESS_TYPES),
  serviceYears: Type.Integer(),
  holderNameMasked: Type.Optional(Type.String()),
  organisationName: Type.Optional(Type.String()),
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
  revision: Type.Integer(),
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
  detail: Nullable(Type.String()),
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

export const StateSchema = Type.Object({
  journey: NullableJourneySchema,
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

// ---------- staff ----------

export const StaffLoginBodySchema = Type.Object({ pin: Type.String({ maxLength: 64 }) });
export const StaffSessionSchema = Type.Object({ token: Type.String(), expiresAt: IsoTime });

export const InDoubtItemSchema = Type.Object({
  id: Type.String(),
  step: PickupStepSchema,
  note: Type.Optional(Type.String()),
  orderId: Type.Optional(Type.String()),
  tokenSerial: Type.Optional(Type.String()),
  certificateSerial: Type.Optional(Type.String()),
  updatedAt: IsoTime,
});

/** The maintenance screen's data. Beside devices and inDoubt, the daemon adds what it knows (read tolerantly
 *  by kiosk-ui/src/lib/staff.ts), so further fields are allowed. */
export const StaffOverviewSchema = Type.Object(
  {
    devices: Type.Array(DeviceStatusViewSchema),
    inDoubt: Type.Array(InDoubtItemSchema),
    version: Type.Optional(Type.String()),
    queue: Type.Optional(Type.Object({ depth: Type.Integer() }, { additionalProperties: true })),
    /** Consumable → level (blankKeys: a count or null when unknown; paper: ok, near-end, out…). */
    consumables: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
    ),
    reprints: Type.Optional(
      Type.Array(Type.Object({ id: Type.String(), state: Type.String() }, { additionalProperties: true })),
    ),
    parkedEvents: Type.Optional(Type.Integer()),
    spoiledKeys: Type.Optional(
      Type.Array(Type.Object({ serial: Type.String() }, { additionalProperties: true })),
    ),
    recentJourneys: Type.Optional(
      Type.Array(Type.Object({ id: Type.String() }, { additionalProperties: true })),
    ),
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
});

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
export const SimTokenBodySchema = Type.Object({ action: literals(['insert', 'pull'] as const) });
export const SimTokenResponseSchema = Type.Union([
  Type.Object({ inserted: Type.String(), blanksLeft: Type.Integer() }),
  Type.Object({ pulled: Type.Array(Type.String()) }),
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
  Assert<Same<Static<typeof DeviceStatusViewSchema>, DeviceStatusView>>,
  Assert<Same<Static<typeof KioskSettingsSchema>, KioskSettings>>,
];
