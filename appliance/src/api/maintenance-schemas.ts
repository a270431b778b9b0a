// Schemas of the maintenance screen's sync, audit-log, in-doubt evidence and kiosk-control routes (issue 15).
// Entries of the route table (routes.ts) use them; the typed client (client.ts) is typed by them.
import { type TSchema, Type } from '@sinclair/typebox';

const IsoTime = Type.String({ description: 'ISO 8601 time' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A string enum whose static type is the union of its values (as schemas.ts). */
const literals = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

// ---------- in-doubt evidence ----------

/** What central said last about the issuance of an in-doubt journey, as the journey record keeps it. */
export const CentralAnswerSchema = Type.Object({
  kind: literals(['issued', 'void-requested', 'unreachable', 'refused', 'no-answer', 'not-asked'] as const, {
    description:
      'issued: central issued a certificate (serial); void-requested: staff asked central to revoke and void; ' +
      'unreachable / refused: the last call failed (code); no-answer: the request was sent, no answer recorded; ' +
      'not-asked: no issuance requested',
  }),
  certificateSerial: Type.Optional(Type.String()),
  code: Type.Optional(Type.String({ description: 'the error code of the last failed call' })),
  at: Type.Optional(IsoTime),
});
/** The evidence staff decide an in-doubt journey on: the last durable state, the key, central's answer. */
export const InDoubtEvidenceSchema = Type.Object({
  /** The step the journey record last reached (written before the next side effect began). */
  step: Type.String(),
  /** The side effect that had begun and whose result is not recorded (the journey's `pending` intent). */
  pendingEffect: Type.Optional(Type.String({ description: 'e.g. request-issuance, write-certificate' })),
  pendingSince: Type.Optional(IsoTime),
  tokenSerial: Type.Optional(Type.String()),
  central: CentralAnswerSchema,
  errorCode: Type.Optional(Type.String()),
});

// ---------- sync ----------

export const ParkedEventViewSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  orderId: Type.Optional(Type.String()),
  occurredAt: IsoTime,
  parkedAt: IsoTime,
  /** Central's refusal: its HTTP status and error code. */
  refusal: Type.Object({ status: Type.Integer(), code: Type.String() }),
});
export const SyncStatusSchema = Type.Object({
  queueDepth: Type.Integer(),
  parked: Type.Array(ParkedEventViewSchema),
  lastSyncAt: Nullable(IsoTime),
  central: literals(['reachable', 'unreachable', 'unknown'] as const),
  lastError: Type.Optional(Type.String()),
  lastErrorAt: Type.Optional(IsoTime),
});
export const SyncNowResultSchema = Type.Object({
  /** The outbox's attempt: idle (nothing queued), delivered, parked (only refusals), failed. */
  delivery: literals(['idle', 'delivered', 'parked', 'failed'] as const),
  heartbeat: literals(['sent', 'failed', 'off'] as const),
  /** The error code of what failed (CENTRAL_UNAVAILABLE, CENTRAL_REFUSED…). */
  error: Type.Optional(Type.String()),
  status: SyncStatusSchema,
});
export const ParkedActionResponseSchema = Type.Object({
  id: Type.String(),
  action: literals(['retried', 'discarded'] as const),
  status: SyncStatusSchema,
});

// ---------- audit log ----------

/** Any text: the API checks each filter itself, so a bad one is 400 AUDIT_FILTER_INVALID (params.field). */
export const AuditQuerySchema = Type.Object({
  from: Type.Optional(Type.String({ description: 'ISO 8601 time: records at or after it' })),
  to: Type.Optional(Type.String({ description: 'ISO 8601 time: records before it' })),
  actor: Type.Optional(Type.String({ description: 'applicant, system, staff:<id> or a staff id (S001)' })),
  action: Type.Optional(
    Type.String({ description: 'an action or its prefix, e.g. staff. or in-doubt.resolve' }),
  ),
  before: Type.Optional(Type.String({ description: 'paging: records with a smaller sequence number' })),
  limit: Type.Optional(Type.String({ description: 'page size, 1–100 (default 50)' })),
});
export const AuditRecordViewSchema = Type.Object({
  seq: Type.Integer(),
  time: IsoTime,
  actor: Type.String(),
  action: Type.String(),
  /** As stored: already redacted (no PIN, ID numbers masked). */
  details: Type.Record(Type.String(), Type.Unknown()),
});
export const AuditPageSchema = Type.Object({
  /** Newest first. */
  records: Type.Array(AuditRecordViewSchema),
  /** Pass as `before` for the next (older) page; absent on the last page. */
  nextBefore: Type.Optional(Type.Integer()),
});

// ---------- kiosk control ----------

export const KioskServiceStateSchema = Type.Object({
  outOfService: Type.Boolean(),
  since: Type.Optional(IsoTime),
  hallName: Type.Optional(Type.String()),
});
export const KioskServiceBodySchema = Type.Object(
  { outOfService: Type.Boolean() },
  { additionalProperties: false },
);
export const RestartBodySchema = Type.Object(
  {
    force: Type.Optional(
      Type.Boolean({ description: 'restart although an applicant session is running (after a confirm)' }),
    ),
  },
  { additionalProperties: false },
);
export const RestartResponseSchema = Type.Object({ restarting: Type.Literal(true) });
