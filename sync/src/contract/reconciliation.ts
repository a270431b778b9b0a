// Reconciliation on the wire (issue 14 §4): the typed lines a daily run reports, a run, a report, and the records a
// kiosk sends with its own run (its outbox history of the day). Shared by central (which runs it) and the kiosk (which
// sends its records and shows its lines on the maintenance screen). Central's labels, CSV and pages stay in
// central/reconciliation.
import { type Static, type TUnsafe, Type } from '@sinclair/typebox';

/** A string union from a const list; made of literals (not Type.Unsafe) so TypeBox's Value.Check reads it too. */
const literals = <const T extends readonly string[]>(values: T) =>
  Type.Union(values.map((v) => Type.Literal(v))) as unknown as TUnsafe<T[number]>;
const IsoTime = Type.String({ format: 'date-time' });

/** Every kind of difference a reconciliation reports. A line states what each side recorded; it never proposes a fix. */
export const RECONCILIATION_LINE_KINDS = [
  'missing-on-a-side',
  'amount-differs',
  'state-differs',
  'payment-without-order',
  'refund-pending',
  'activation-differs',
] as const;
export type LineKind = (typeof RECONCILIATION_LINE_KINDS)[number];

/** The three sources compared: the kiosk's records, central's own, the payment provider's trade bill. */
export const RECONCILIATION_SIDES = ['kiosk', 'central', 'provider'] as const;
export type ReconciliationSide = (typeof RECONCILIATION_SIDES)[number];
/** What a line is about (its keys: out_trade_no, order id, certificate serial, invoice number). */
export const RECONCILIATION_SUBJECTS = ['payment', 'order', 'certificate', 'invoice'] as const;
export type ReconciliationSubject = (typeof RECONCILIATION_SUBJECTS)[number];

const OTHER_KINDS = RECONCILIATION_LINE_KINDS.filter(
  (k): k is Exclude<LineKind, 'missing-on-a-side'> => k !== 'missing-on-a-side',
);

const lineFields = {
  subject: literals(RECONCILIATION_SUBJECTS),
  /** The kiosk the difference concerns, which is shown it; absent: operations only (no kiosk was involved). */
  applianceId: Type.Optional(Type.String()),
  orderId: Type.Optional(Type.String()),
  outTradeNo: Type.Optional(Type.String()),
  certificateSerial: Type.Optional(Type.String()),
  invoiceNumber: Type.Optional(Type.String()),
  /** What the kiosk's records say (events central received, and the records it submitted for the day). */
  kiosk: Type.Optional(Type.String()),
  /** What central's orders, payments, certificates and invoices say. */
  central: Type.Optional(Type.String()),
  /** What the provider's trade bill of the day says. */
  provider: Type.Optional(Type.String()),
  /** The difference in one sentence. */
  message: Type.String(),
};

/** One difference. `missing-on-a-side` names the side that lacks the record. */
export const ReconciliationLineSchema = Type.Union([
  Type.Object(
    { kind: Type.Literal('missing-on-a-side'), side: literals(RECONCILIATION_SIDES), ...lineFields },
    { additionalProperties: false },
  ),
  Type.Object({ kind: literals(OTHER_KINDS), ...lineFields }, { additionalProperties: false }),
]);
export type ReconciliationLine = Static<typeof ReconciliationLineSchema>;

/** Who started a run: the daily timer, an operator, or a kiosk (which keeps only its own lines). */
export const RECONCILIATION_TRIGGERS = ['schedule', 'operator', 'appliance'] as const;
export type ReconciliationTrigger = (typeof RECONCILIATION_TRIGGERS)[number];

/**
 * The provider's side of a run: the day's trade bill read in full; read, but with lines the parser could not read
 * or a summary count that does not match (so nothing is reported as missing at the provider); or not obtained
 * (not generated yet, provider unreachable: no provider comparison at all).
 */
export const PROVIDER_BILL_STATES = ['complete', 'incomplete', 'unavailable'] as const;
export type ProviderBillState = (typeof PROVIDER_BILL_STATES)[number];

export const ReconciliationRunSchema = Type.Object({
  id: Type.Integer(),
  /** The Beijing calendar day compared (YYYY-MM-DD). */
  day: Type.String(),
  trigger: literals(RECONCILIATION_TRIGGERS),
  /** A kiosk's own run: only its lines were kept. */
  applianceId: Type.Optional(Type.String()),
  providerBill: literals(PROVIDER_BILL_STATES),
  /** Why the bill is incomplete or unavailable. */
  providerNote: Type.Optional(Type.String()),
  startedAt: IsoTime,
  finishedAt: IsoTime,
  lineCount: Type.Integer(),
});
export type ReconciliationRun = Static<typeof ReconciliationRunSchema>;

export const ReconciliationReportSchema = Type.Object({
  run: ReconciliationRunSchema,
  lines: Type.Array(ReconciliationLineSchema),
});
export type ReconciliationReport = Static<typeof ReconciliationReportSchema>;

/** Checked by the service (RECONCILIATION_DAY_INVALID), so every wrong day gets the same specific refusal. */
export const ReconciliationDaySchema = Type.String({
  maxLength: 32,
  description: 'A Beijing calendar day, YYYY-MM-DD, not in the future',
});

/** The kiosk events reconciliation reads: issuance (issued, written, completed, renewed), activation, payment. */
export const KIOSK_RECORD_TYPES = [
  'certificate.issued',
  'certificate.written',
  'issuance.record',
  'certificate.renewed',
  'certificate.activated',
  'payment.taken',
] as const;
export type KioskRecordType = (typeof KIOSK_RECORD_TYPES)[number];

/**
 * One event of the kiosk's outbox history of the day, as the kiosk recorded it (delivered, still queued, or parked
 * after central refused it). A pickup's activation reaches central only as such an event, so only the kiosk can say
 * that one went missing.
 */
export const KioskRecordSchema = Type.Object(
  {
    eventId: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' }),
    type: literals(KIOSK_RECORD_TYPES),
    orderId: Type.Optional(Type.String({ maxLength: 64 })),
    serialNumber: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type KioskRecord = Static<typeof KioskRecordSchema>;

export const KioskRunRequestSchema = Type.Object(
  {
    day: ReconciliationDaySchema,
    /** Optional: the kiosk's own records of the day; kept, and used by every later run of the day. */
    records: Type.Optional(Type.Array(KioskRecordSchema, { maxItems: 5000 })),
  },
  { additionalProperties: false },
);
export type KioskRunRequest = Static<typeof KioskRunRequestSchema>;
