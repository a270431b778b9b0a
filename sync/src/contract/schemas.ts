// The wire contract of the central API (v1): TypeBox schemas (validated by Fastify, published as OpenAPI)
// and the TypeScript types derived from them. The appliance and the sync agent import these.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { RENEWAL_RULES } from './after-sales.js';
import { ORDER_ACTION_NAMES, ORDER_STATUSES } from './order-status.js';

/** A string enum whose static type is the union of its values. */
const literals = <const T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

import { BUSINESS_TYPES, CERTIFICATE_TYPES, DEVICE_STATES } from '@certkiosk/config';

export {
  BUSINESS_TYPES,
  type BusinessType,
  CERTIFICATE_TYPES,
  type CertificateType,
} from '@certkiosk/config';
export const DELIVERY_METHODS = ['kiosk', 'courier'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];
export const DEVICE_STATUSES = DEVICE_STATES;

export const IdNumberSchema = Type.String({
  pattern: '^([0-9]{17}[0-9X]|[A-Z]{3}[0-9]{12})$',
  description:
    'ID number: 18 characters (GB 11643: resident ID card, HK/Macao/Taiwan residence permit, 2023 foreign permanent residence card) or the 15-character foreign permanent residence number (3 letters, 12 digits)',
});
export const UsccSchema = Type.String({
  pattern: '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$',
  description: 'Unified social credit code (统一社会信用代码)',
});
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });
const IsoTime = Type.String({ format: 'date-time' });
/** Lower-case hex SHA-256 / HMAC-SHA256. */
const Hex256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
/** Standard base64 (with padding). */
const Base64 = Type.String({ minLength: 4, maxLength: 1024, pattern: '^[A-Za-z0-9+/]+={0,2}$' });
/** A scanned pickup code (QR content), as sent to central. */
const PickupCodeToken = Type.String({ minLength: 10, maxLength: 2048 });
/** A certificate serial as hex, as in the certificate (a leading 00 sign byte is accepted). */
export const CertificateSerialSchema = Type.String({ pattern: '^[0-9a-fA-F]{1,42}$' });
/** The serial number of a USB key (PKCS#11 CK_TOKEN_INFO.serialNumber, blank-trimmed). */
export const TokenSerialSchema = Type.String({ minLength: 1, maxLength: 64 });

export const CertificateTypeSchema = literals(CERTIFICATE_TYPES);
export const BusinessTypeSchema = literals(BUSINESS_TYPES);
export const OrderStatusSchema = literals(ORDER_STATUSES);
export const OrderActionSchema = literals(ORDER_ACTION_NAMES);
export const RevocationReasonSchema = literals(REVOCATION_REASONS);

export const PersonSchema = Type.Object(
  { name: Name, idNumber: IdNumberSchema, phone: Type.Optional(Type.String({ maxLength: 20 })) },
  { additionalProperties: false },
);
export type Person = Static<typeof PersonSchema>;
export const OrganisationSchema = Type.Object(
  { name: Name, unifiedSocialCreditCode: UsccSchema },
  { additionalProperties: false },
);
export type Organisation = Static<typeof OrganisationSchema>;

/** Error body of every non-2xx answer (the same shape Fastify uses for its own errors). */
export const ApiErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
  /** Tries left, where a refusal spends one (ACTIVATION_CODE_WRONG). */
  attemptsLeft: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type ApiError = Static<typeof ApiErrorSchema>;

// ---- orders ----

export const CreateOrderRequestSchema = Type.Object(
  {
    certificateType: CertificateTypeSchema,
    businessType: BusinessTypeSchema,
    serviceYears: Type.Integer({ minimum: 1, maximum: 5 }),
    hall: Id,
    delivery: literals(DELIVERY_METHODS),
    applicant: Type.Object(
      { name: Name, phone: Type.String({ maxLength: 20 }) },
      { additionalProperties: false },
    ),
    organisation: Type.Optional(OrganisationSchema),
    /** The certificate holder (natural-person and organisation-individual). */
    holder: Type.Optional(PersonSchema),
    /** Legal representative (organisation certificates). */
    legalRepresentative: Type.Optional(PersonSchema),
    /** Handler (经办人) who applies and may collect on the organisation's behalf. */
    handler: Type.Optional(PersonSchema),
    /**
     * Renewal and reissue (ORDER_KINDS): the certificate of ours it renews or replaces. Its order's organisation
     * and people are the new order's (given ones must be the same persons); other kinds name none.
     */
    previousCertificateSerial: Type.Optional(CertificateSerialSchema),
  },
  { additionalProperties: false },
);
export type CreateOrderRequest = Static<typeof CreateOrderRequestSchema>;

export const OrderSchema = Type.Object({
  id: Type.String(),
  status: OrderStatusSchema,
  certificateType: CertificateTypeSchema,
  businessType: BusinessTypeSchema,
  serviceYears: Type.Integer(),
  hall: Type.String(),
  delivery: literals(DELIVERY_METHODS),
  /** Price in fen (1/100 yuan), from the price table. */
  priceFen: Type.Integer(),
  paymentMethod: Type.Optional(literals(['wechat', 'transfer'] as const)),
  /** 6-digit code the payer quotes on a bank transfer. */
  remittanceCode: Type.Optional(Type.String()),
  transferDeclaredAt: Type.Optional(IsoTime),
  applicant: Type.Object({ name: Type.String(), phone: Type.String() }),
  organisation: Type.Optional(OrganisationSchema),
  holder: Type.Optional(PersonSchema),
  legalRepresentative: Type.Optional(PersonSchema),
  handler: Type.Optional(PersonSchema),
  /** Organisation-individual: the holder already verified online, so the handler may collect. */
  holderVerifiedOnline: Type.Boolean(),
  rejectReason: Type.Optional(Type.String()),
  createdAt: IsoTime,
  /** Submission time used for first-come-first-served review (a resubmission counts as a new one). */
  submittedAt: IsoTime,
  updatedAt: IsoTime,
  /** Expiry of the current pickup code, when the order is approved for kiosk pickup. */
  pickupExpiresAt: Type.Optional(IsoTime),
  certificateSerial: Type.Optional(Type.String()),
  /** Renewal and reissue: the certificate it renews or replaces. */
  previousCertificateSerial: Type.Optional(Type.String()),
});
export type Order = Static<typeof OrderSchema>;

export const OrderActionRequestSchema = Type.Object(
  {
    action: OrderActionSchema,
    /** Required for `reject`. */
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    /** For `verify-identity` on organisation-individual orders. */
    holderVerifiedOnline: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type OrderActionRequest = Static<typeof OrderActionRequestSchema>;

export const OrderActionResponseSchema = Type.Object({
  order: OrderSchema,
  /** Present after `approve` for kiosk delivery: the signed pickup code (QR content). */
  pickupCode: Type.Optional(Type.String()),
  /** Present after `ship`: the 6-digit activation code pushed to the holder. */
  activationCode: Type.Optional(Type.String()),
});
export type OrderActionResponse = Static<typeof OrderActionResponseSchema>;

export const PickupCodeResponseSchema = Type.Object({ token: Type.String(), expiresAt: IsoTime });
export type PickupCodeResponse = Static<typeof PickupCodeResponseSchema>;

/** Scan-time check: would central accept this pickup code for issuance now? (Answer: the order.) */
export const PickupCodeCheckRequestSchema = Type.Object(
  { pickupCode: PickupCodeToken },
  { additionalProperties: false },
);
export type PickupCodeCheckRequest = Static<typeof PickupCodeCheckRequestSchema>;

/** A wrong ID card at the kiosk for the order behind this pickup code: central counts it per order. */
export const IdentityFailureRequestSchema = Type.Object(
  {
    pickupCode: PickupCodeToken,
    reason: literals(['ID_MISMATCH_PERSON', 'ID_CARD_EXPIRED', 'ID_CARD_INVALID'] as const),
  },
  { additionalProperties: false },
);
export type IdentityFailureRequest = Static<typeof IdentityFailureRequestSchema>;
export const IdentityFailureResponseSchema = Type.Object({
  orderId: Type.String(),
  /** Tries left for the order (0: the code is refused at scan time until staff reset it). */
  attemptsLeft: Type.Integer({ minimum: 0 }),
});
export type IdentityFailureResponse = Static<typeof IdentityFailureResponseSchema>;

/**
 * A person of an order as an appliance may see them: masked for display, and HMACs to match an ID card
 * against. `idHmac` = hex HMAC-SHA256(key = the order's identitySalt bytes, data = normaliseIdNumber(idNumber));
 * `nameHmac` = the same over normalisePersonName(name) (UTF-8). See `personMatchHmac` (contract/identity.ts).
 */
export const PersonMatchSchema = Type.Object(
  { nameMasked: Type.String(), idNumberMasked: Type.String(), idHmac: Hex256, nameHmac: Hex256 },
  { additionalProperties: false },
);
export type PersonMatch = Static<typeof PersonMatchSchema>;

/**
 * What an appliance gets of an order, and only by presenting its pickup code (`POST /v1/pickup-codes/check`):
 * no ID number, full name or phone — people only as PersonMatch under the order's identitySalt.
 */
export const ApplianceOrderSchema = Type.Object({
  id: Type.String(),
  status: OrderStatusSchema,
  delivery: literals(DELIVERY_METHODS),
  certificateType: CertificateTypeSchema,
  businessType: BusinessTypeSchema,
  serviceYears: Type.Integer(),
  /** Organisation-individual: the holder already verified online, so the handler may collect. */
  holderVerifiedOnline: Type.Boolean(),
  organisationName: Type.Optional(Type.String()),
  hall: Type.String(),
  /** Base64 of 32 random bytes, per order, stable: the HMAC key of the PersonMatch values. */
  identitySalt: Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' }),
  holder: Type.Optional(PersonMatchSchema),
  legalRepresentative: Type.Optional(PersonMatchSchema),
  handler: Type.Optional(PersonMatchSchema),
  /** What the applicant paid for the order, in fen (printed on the receipt). */
  pricePaidFen: Type.Optional(Type.Integer({ minimum: 0 })),
  /**
   * The order's receipt page on central (`<public URL>/lookup/<order id>/<receipt token>`): masked status and
   * invoice request, for the receipt's QR code. The token is random per order, so the order id alone opens
   * nothing.
   */
  receiptUrl: Type.Optional(Type.String({ maxLength: 512 })),
  /** Renewal and reissue: the certificate it renews (on the key in the writer) or replaces (lost). */
  previousCertificateSerial: Type.Optional(Type.String()),
});
export type ApplianceOrder = Static<typeof ApplianceOrderSchema>;

/** `GET /v1/orders/:id` for an appliance: the order's state only — no people, no identity salt. */
export const ApplianceOrderStatusSchema = Type.Object({
  id: Type.String(),
  status: OrderStatusSchema,
  delivery: literals(DELIVERY_METHODS),
  certificateType: CertificateTypeSchema,
  hall: Type.String(),
  updatedAt: IsoTime,
});
export type ApplianceOrderStatus = Static<typeof ApplianceOrderStatusSchema>;

export const OrderHistoryEntrySchema = Type.Object({
  action: OrderActionSchema,
  from: OrderStatusSchema,
  to: OrderStatusSchema,
  note: Type.Optional(Type.String()),
  at: IsoTime,
});
export type OrderHistoryEntry = Static<typeof OrderHistoryEntrySchema>;
export const OrderHistoryResponseSchema = Type.Object({ history: Type.Array(OrderHistoryEntrySchema) });
export type OrderHistoryResponse = Static<typeof OrderHistoryResponseSchema>;

export const OrderListResponseSchema = Type.Object({ orders: Type.Array(OrderSchema) });
export type OrderListResponse = Static<typeof OrderListResponseSchema>;

export const PriceTableSchema = Type.Object({
  currency: Type.Literal('CNY'),
  /** fen per certificate type and service years (index 0 = 1 year). */
  prices: Type.Record(Type.String(), Type.Array(Type.Integer())),
});
export type PriceTable = Static<typeof PriceTableSchema>;

// ---- certificate issuance ----

export const KeyEvidenceSchema = Type.Object(
  {
    tokenSerial: Type.String({ maxLength: 64 }),
    /** CKA_LOCAL: the key pair was generated on the token. */
    local: Type.Boolean(),
    /** CKA_NEVER_EXTRACTABLE. */
    neverExtractable: Type.Boolean(),
    /** CKA_ALWAYS_SENSITIVE. */
    alwaysSensitive: Type.Boolean(),
    /** CKA_SENSITIVE. */
    sensitive: Type.Boolean(),
    /** CKA_EXTRACTABLE. */
    extractable: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type KeyEvidence = Static<typeof KeyEvidenceSchema>;

export const IDENTITY_ROLES = ['holder', 'handler', 'legal-representative'] as const;
export type IdentityRole = (typeof IDENTITY_ROLES)[number];
export const IdentityRoleSchema = literals(IDENTITY_ROLES);
/** The one matching rule so far: the card's ID-number HMAC and name HMAC both equal the role's. */
export const IDENTITY_MATCH_RULE = 'id-hmac+name-hmac/v1';

/** What the kiosk states after reading an ID card that matched the order (signed: SignedIdentityStatement). */
export const IdentityStatementSchema = Type.Object(
  {
    orderId: Id,
    applianceId: Id,
    role: IdentityRoleSchema,
    /** HMAC (hex) under the order's identitySalt of the card's normalised ID number. */
    cardIdHmac: Hex256,
    /** HMAC (hex) under the order's identitySalt of the card's normalised name. */
    cardNameHmac: Hex256,
    matchRule: Type.Literal(IDENTITY_MATCH_RULE),
    /** When the card was checked (central accepts IDENTITY_STATEMENT_MAX_AGE_MS old at most). */
    checkedAt: IsoTime,
  },
  { additionalProperties: false },
);
export type IdentityStatement = Static<typeof IdentityStatementSchema>;
/**
 * The statement and the appliance key's ECDSA P-256 / SHA-256 DER signature (base64) over
 * identityStatementBytes(statement) — the same key that signs the appliance's requests.
 */
export const SignedIdentityStatementSchema = Type.Object(
  { statement: IdentityStatementSchema, signature: Base64 },
  { additionalProperties: false },
);
export type SignedIdentityStatement = Static<typeof SignedIdentityStatementSchema>;

/** What every issuance request carries besides its admission (pickup code, or the certificate renewed). */
const issuanceFields = {
  orderId: Id,
  /** Derived by the appliance from order + attempt; the same key always returns the same certificate. */
  idempotencyKey: Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9:._-]+$' }),
  /** PKCS#10 in PEM. RSA ≥ 2048 or EC P-256/P-384. */
  csrPem: Type.String({ minLength: 100, maxLength: 16384 }),
  /** PKCS#11 attributes of the key pair; must satisfy KEY_EVIDENCE_RULE (@certkiosk/config), else KEY_EVIDENCE_REFUSED. */
  keyEvidence: KeyEvidenceSchema,
  /** The kiosk's signed statement that an ID card matched a person allowed to collect this order. */
  identityStatement: SignedIdentityStatementSchema,
};

/** Issuance for an order collected with its pickup code (new, reissue: ORDER_KINDS[kind].admission). */
export const IssueCertificateRequestSchema = Type.Object(
  {
    ...issuanceFields,
    /** The scanned pickup code; must be the order's current one. */
    pickupCode: PickupCodeToken,
  },
  { additionalProperties: false },
);
export type IssueCertificateRequest = Static<typeof IssueCertificateRequestSchema>;

/**
 * Issuance for a renewal (续期), admitted by the certificate it renews on the key in the writer instead of a
 * pickup code: the new key pair is generated on that key (keyEvidence.tokenSerial is the certificate's key).
 */
export const RenewalIssueRequestSchema = Type.Object(
  {
    ...issuanceFields,
    /** The serial of the certificate on the key in the writer: the one the renewal order names. */
    previousCertificateSerial: CertificateSerialSchema,
  },
  { additionalProperties: false },
);
export type RenewalIssueRequest = Static<typeof RenewalIssueRequestSchema>;

/** The body of `POST /v1/certificates`: one admission or the other. */
export const AnyIssueRequestSchema = Type.Union([IssueCertificateRequestSchema, RenewalIssueRequestSchema]);
export type AnyIssueRequest = IssueCertificateRequest | RenewalIssueRequest;

export const IssuedCertificateSchema = Type.Object({
  orderId: Type.String(),
  idempotencyKey: Type.String(),
  /** Hex, as in the certificate (positive 128-bit random). */
  serialNumber: Type.String(),
  certificatePem: Type.String(),
  /** Issuing CA then root, PEM. */
  chainPem: Type.Array(Type.String()),
  notBefore: IsoTime,
  notAfter: IsoTime,
  issuedAt: IsoTime,
  /** SHA-256 (hex) of the certificate's SubjectPublicKeyInfo DER. */
  publicKeySha256: Type.String(),
  profile: CertificateTypeSchema,
});
export type IssuedCertificate = Static<typeof IssuedCertificateSchema>;

/** Operator's view of an issued certificate: who issued it, on what evidence, and what became of it. */
export const AdminCertificateSchema = Type.Object({
  serialNumber: Type.String(),
  orderId: Type.String(),
  profile: CertificateTypeSchema,
  /** The appliance that issued it (absent for certificates from before appliances were recorded). */
  applianceId: Type.Optional(Type.String()),
  idempotencyKey: Type.String(),
  publicKeySha256: Type.String(),
  notBefore: IsoTime,
  notAfter: IsoTime,
  issuedAt: IsoTime,
  keyEvidence: Type.Optional(KeyEvidenceSchema),
  /** The key (token serial) the certificate's key pair is on. */
  tokenSerial: Type.Optional(Type.String()),
  /** The certificate (PEM). */
  certificatePem: Type.Optional(Type.String()),
  /** The kiosk's signed identity check, as verified at issuance. */
  identityStatement: Type.Optional(SignedIdentityStatementSchema),
  revokedAt: Type.Optional(IsoTime),
  revocationReason: Type.Optional(RevocationReasonSchema),
  voidedAt: Type.Optional(IsoTime),
  voidJourneyId: Type.Optional(Type.String()),
  voidReason: Type.Optional(Type.String()),
});
export type AdminCertificate = Static<typeof AdminCertificateSchema>;
export const AdminCertificateListResponseSchema = Type.Object({
  certificates: Type.Array(AdminCertificateSchema),
});
export type AdminCertificateListResponse = Static<typeof AdminCertificateListResponseSchema>;

export const RevokeRequestSchema = Type.Object(
  { reason: RevocationReasonSchema },
  { additionalProperties: false },
);
export type RevokeRequest = Static<typeof RevokeRequestSchema>;

export const RevocationSchema = Type.Object({
  serialNumber: Type.String(),
  reason: RevocationReasonSchema,
  revokedAt: IsoTime,
});
export type Revocation = Static<typeof RevocationSchema>;

/** Staff resolution of an in-doubt issuance at the kiosk that issued the certificate. */
export const VoidCertificateRequestSchema = Type.Object(
  {
    /** The kiosk journey whose issuance is voided (kept in the order history). */
    journeyId: Id,
    /** Why staff voided it, for operations (e.g. "key pulled before the certificate was written"). */
    reason: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
  },
  { additionalProperties: false },
);
export type VoidCertificateRequest = Static<typeof VoidCertificateRequestSchema>;

export const VoidCertificateResponseSchema = Type.Object({
  serialNumber: Type.String(),
  /** The order, back to `approved`: the holder collects again with the same pickup code and a new key pair. */
  order: ApplianceOrderSchema,
  /** When the certificate was revoked (it is in the CRL from then on). */
  revokedAt: IsoTime,
  voidedAt: IsoTime,
});
export type VoidCertificateResponse = Static<typeof VoidCertificateResponseSchema>;

/** Room left for e-seal signing (not implemented yet; answers 501). */
export const SealSignRequestSchema = Type.Object(
  { orderId: Id, sealImageSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) },
  { additionalProperties: false },
);

// ---- appliances ----

export const EnrolRequestSchema = Type.Object(
  {
    applianceId: Id,
    hall: Id,
    /** SPKI PEM of the appliance's EC P-256 key (in its PKCS#11 slot). The enrol request is signed with it. */
    publicKeyPem: Type.String({ minLength: 50, maxLength: 4096 }),
    softwareVersion: Type.Optional(Type.String({ maxLength: 64 })),
    /**
     * The one-time code an operator registered this appliance with (`POST /admin/v1/appliances`), e.g.
     * `ABCD-EFGH-JKLM-NPQR` (case, spaces and dashes ignored). Required for a new appliance or a new key,
     * except on a loopback demo central with auto-approve; re-enrolling the enrolled key needs none.
     */
    enrolmentCode: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type EnrolRequest = Static<typeof EnrolRequestSchema>;

export const ApplianceSchema = Type.Object({
  applianceId: Type.String(),
  hall: Type.String(),
  status: literals(['pending', 'approved', 'revoked'] as const),
  enrolledAt: IsoTime,
  approvedAt: Type.Optional(IsoTime),
  lastHeartbeatAt: Type.Optional(IsoTime),
  softwareVersion: Type.Optional(Type.String()),
  /** SHA-256 of the enrolled key's SPKI DER, hex in groups of four (keyFingerprint()): compare before approving. */
  keyFingerprint: Type.String(),
});
export type Appliance = Static<typeof ApplianceSchema>;

/** Operator: register an appliance before it enrols; the answer carries its one-time enrolment code. */
export const RegisterApplianceRequestSchema = Type.Object(
  {
    applianceId: Id,
    hall: Id,
    /** How long the code stays valid (default 7). */
    validDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
  },
  { additionalProperties: false },
);
export type RegisterApplianceRequest = Static<typeof RegisterApplianceRequestSchema>;
export const RegisterApplianceResponseSchema = Type.Object({
  applianceId: Type.String(),
  hall: Type.String(),
  /** Shown once (central keeps only its hash); single use. Any earlier unused code of this id stops working. */
  enrolmentCode: Type.String(),
  expiresAt: IsoTime,
});
export type RegisterApplianceResponse = Static<typeof RegisterApplianceResponseSchema>;

/** Operator: approve an enrolled appliance, optionally naming the fingerprint read on the kiosk. */
export const ApproveApplianceRequestSchema = Type.Object(
  { keyFingerprint: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })) },
  { additionalProperties: false },
);
export type ApproveApplianceRequest = Static<typeof ApproveApplianceRequestSchema>;

/** Alarms the appliance itself reports in its heartbeat (staff sign-in locked, no administrator left, an
 *  applicant's call for staff not yet acknowledged at the kiosk, staff took the kiosk out of service, the
 *  kiosk's recorded blank-key stock below its threshold — subject: the count). */
export const APPLIANCE_ALARM_KINDS = [
  'staff-lockout',
  'staff-no-administrator',
  'staff-call',
  'out-of-service',
  'blank-keys-low',
] as const;
export type ApplianceAlarmKind = (typeof APPLIANCE_ALARM_KINDS)[number];
/** Alarms central raises from what heartbeats say (or stop saying): open while the condition holds, cleared by
 *  the first heartbeat without it (fleet-alarms.ts). */
export const CONDITION_ALARM_KINDS = [
  'heartbeat-stale',
  'device-error',
  'paper-out',
  'low-stock',
  'in-doubt',
  'parked-events',
] as const;
export type ConditionAlarmKind = (typeof CONDITION_ALARM_KINDS)[number];
export const ALARM_KINDS = [
  'audit-truncated',
  'audit-forked',
  'audit-bad-signature',
  ...APPLIANCE_ALARM_KINDS,
  ...CONDITION_ALARM_KINDS,
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];
export const AlarmSchema = Type.Object({
  id: Type.Integer(),
  applianceId: Type.String(),
  kind: literals(ALARM_KINDS),
  message: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  raisedAt: IsoTime,
  lastSeenAt: IsoTime,
  /** How many times it was seen while open. */
  occurrences: Type.Integer(),
  acknowledgedAt: Type.Optional(IsoTime),
  /** A condition alarm whose condition ended (a heartbeat without it) before anyone acknowledged it. */
  clearedAt: Type.Optional(IsoTime),
});
export type Alarm = Static<typeof AlarmSchema>;
export const AlarmListResponseSchema = Type.Object({ alarms: Type.Array(AlarmSchema) });
export type AlarmListResponse = Static<typeof AlarmListResponseSchema>;

/** The newest audit head central accepted from an appliance. */
export const StoredAuditHeadSchema = Type.Object({
  seq: Type.Integer(),
  hash: Type.String(),
  at: IsoTime,
  receivedAt: IsoTime,
});

/** The operator's view of an appliance: what it reports, plus its last audit head and open alarms. */
export const AdminApplianceSchema = Type.Composite([
  ApplianceSchema,
  Type.Object({
    auditHead: Type.Optional(StoredAuditHeadSchema),
    /** Open (unacknowledged) alarms. */
    alarms: Type.Array(AlarmSchema),
  }),
]);
export type AdminAppliance = Static<typeof AdminApplianceSchema>;
export const ApplianceListResponseSchema = Type.Object({ appliances: Type.Array(AdminApplianceSchema) });
export type ApplianceListResponse = Static<typeof ApplianceListResponseSchema>;

// ---- events (outbox → central) ----

export const EVENT_TYPES = [
  'certificate.issued',
  'certificate.written',
  'certificate.activated',
  'issuance.record',
  'receipt.printed',
  'journey.failed',
  'journey.in-doubt',
  'payment.taken',
  'invoice.requested',
  'receipt.queued',
] as const;

export const EventSchema = Type.Object(
  {
    /** Unique per event (UUID recommended); central ignores an id it has seen. */
    id: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' }),
    type: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9.-]*$' }),
    occurredAt: IsoTime,
    orderId: Type.Optional(Id),
    payload: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type SyncEvent = Static<typeof EventSchema>;
export const EventBatchSchema = Type.Object(
  { events: Type.Array(EventSchema, { minItems: 1, maxItems: 500 }) },
  { additionalProperties: false },
);
export type EventBatch = Static<typeof EventBatchSchema>;
export const EventBatchResponseSchema = Type.Object({
  accepted: Type.Integer(),
  duplicates: Type.Integer(),
  /** Ids of events newly stored or already known: the agent may drop all of these from its outbox. */
  acknowledged: Type.Array(Type.String()),
});
export type EventBatchResponse = Static<typeof EventBatchResponseSchema>;

// ---- change feed (central → appliance) ----

export const CHANGE_TYPES = ['order.updated', 'certificate.revoked', 'prices.updated'] as const;
export const ChangeSchema = Type.Object({
  /** Opaque cursor of this change; pass the last one you processed as `cursor`. */
  cursor: Type.String(),
  type: literals(CHANGE_TYPES),
  at: IsoTime,
  orderId: Type.Optional(Type.String()),
  payload: Type.Record(Type.String(), Type.Unknown()),
});
export type Change = Static<typeof ChangeSchema>;
export const ChangeFeedQuerySchema = Type.Object({
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
export const ChangeFeedResponseSchema = Type.Object({
  changes: Type.Array(ChangeSchema),
  /** Cursor to ask from next time (unchanged when there was nothing new). */
  cursor: Type.String(),
  hasMore: Type.Boolean(),
});
export type ChangeFeedResponse = Static<typeof ChangeFeedResponseSchema>;

// ---- heartbeat ----

/**
 * The head (newest record) of the appliance's hash-chained audit log, signed by the appliance key (ECDSA
 * P-256 / SHA-256 DER, base64) over auditHeadBytes({applianceId, seq, hash, at}).
 */
export const AuditHeadSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 0 }),
    /** The record's hash (hex SHA-256). */
    hash: Hex256,
    /** Time of that record (ISO), as the appliance states it. */
    at: IsoTime,
    signature: Base64,
  },
  { additionalProperties: false },
);
export type AuditHead = Static<typeof AuditHeadSchema>;

export const HeartbeatRequestSchema = Type.Object(
  {
    softwareVersion: Type.String({ maxLength: 64 }),
    devices: Type.Array(
      Type.Object(
        {
          device: Type.String({ maxLength: 32 }),
          status: literals(DEVICE_STATUSES),
          detail: Type.Optional(Type.String({ maxLength: 64 })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 32 },
    ),
    consumables: Type.Object(
      {
        paper: literals(['ok', 'low', 'out', 'unknown'] as const),
        blankKeys: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
    /** Outbox events not yet delivered. */
    queueDepth: Type.Integer({ minimum: 0 }),
    /** Outbox events central refused: set aside, waiting for staff to retry or discard them. */
    parkedEvents: Type.Integer({ minimum: 0 }),
    inDoubt: Type.Optional(Type.Integer({ minimum: 0 })),
    uptimeS: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The appliance audit log's newest record, signed: central alarms on a head going back or forking. */
    auditHead: Type.Optional(AuditHeadSchema),
    /** What the appliance itself raises (e.g. staff sign-in locked after wrong PINs); central keeps each open. */
    alarms: Type.Optional(
      Type.Array(
        Type.Object(
          {
            kind: literals(APPLIANCE_ALARM_KINDS),
            /** e.g. the staff id whose sign-in is locked ('*' for all), or the journey reference of a call for
             *  staff ('no journey' when none was on screen). */
            subject: Type.Optional(Type.String({ maxLength: 64 })),
            since: IsoTime,
          },
          { additionalProperties: false },
        ),
        { maxItems: 50 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type HeartbeatRequest = Static<typeof HeartbeatRequestSchema>;
export const HeartbeatResponseSchema = Type.Object({
  serverTime: IsoTime,
  /** Newest change-feed cursor for this appliance: poll the feed when it is past yours. */
  latestCursor: Type.String(),
});
export type HeartbeatResponse = Static<typeof HeartbeatResponseSchema>;

// ---- bank statements ----

export const StatementLineResultSchema = Type.Object({
  line: Type.Integer({ description: '1-based line number in the CSV (header is line 1)' }),
  amountFen: Type.Optional(Type.Integer()),
  remark: Type.String(),
  orderId: Type.Optional(Type.String()),
  candidates: Type.Optional(Type.Array(Type.String())),
  reason: Type.Optional(Type.String()),
  /** The line's entry in the operator queue (ambiguous and unmatched lines). */
  queueId: Type.Optional(Type.Integer()),
});
export type StatementLineResult = Static<typeof StatementLineResultSchema>;
export const StatementImportResponseSchema = Type.Object({
  /** Lines that paid exactly one order (now paid). */
  matched: Type.Array(StatementLineResultSchema),
  /** Credits no order fits (queued for an operator). */
  unmatched: Type.Array(StatementLineResultSchema),
  /** Credits several orders fit, or several lines paying one order (queued for an operator). */
  ambiguous: Type.Array(StatementLineResultSchema),
  /** Debits and zero amounts: money that left the account is no payment for an order (not stored). */
  ignored: Type.Array(StatementLineResultSchema),
  /** Lines an earlier import already took (matched, or queued): nothing happens to them again. */
  alreadyImported: Type.Array(StatementLineResultSchema),
});
export type StatementImportResponse = Static<typeof StatementImportResponseSchema>;

export const STATEMENT_QUEUE_KINDS = ['ambiguous', 'unmatched'] as const;
export const STATEMENT_QUEUE_STATES = ['open', 'assigned', 'dismissed'] as const;
/** A statement line an operator decides on: assign it to an order (paid) or dismiss it with a reason. */
export const QueuedStatementLineSchema = Type.Object({
  id: Type.Integer(),
  kind: literals(STATEMENT_QUEUE_KINDS),
  reason: Type.String(),
  /** Orders the line could be for (by remittance code), as the matcher saw them. */
  candidates: Type.Array(Type.String()),
  line: Type.Integer({ description: 'Line number in the CSV it was imported from' }),
  date: Type.String(),
  amountFen: Type.Integer(),
  payer: Type.String(),
  remark: Type.String(),
  reference: Type.String(),
  queuedAt: IsoTime,
  state: literals(STATEMENT_QUEUE_STATES),
  /** Assigned: the order it paid. */
  orderId: Type.Optional(Type.String()),
  resolvedBy: Type.Optional(Type.String()),
  /** Assigned: the operator's note, if any; dismissed: the reason. */
  resolutionNote: Type.Optional(Type.String()),
  resolvedAt: Type.Optional(IsoTime),
});
export type QueuedStatementLine = Static<typeof QueuedStatementLineSchema>;
export const StatementQueueResponseSchema = Type.Object({ lines: Type.Array(QueuedStatementLineSchema) });
/** Who decides (the admin token is shared, so the operator names themself) and, optionally, why. */
export const AssignStatementLineRequestSchema = Type.Object(
  {
    orderId: Type.String({ maxLength: 64 }),
    operator: Type.String({ maxLength: 64 }),
    note: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);
export type AssignStatementLineRequest = Static<typeof AssignStatementLineRequestSchema>;
export const DismissStatementLineRequestSchema = Type.Object(
  {
    operator: Type.String({ maxLength: 64 }),
    reason: Type.String({ maxLength: 300 }),
  },
  { additionalProperties: false },
);
export type DismissStatementLineRequest = Static<typeof DismissStatementLineRequestSchema>;
export const AssignStatementLineResponseSchema = Type.Object({
  line: QueuedStatementLineSchema,
  order: OrderSchema,
});

// ---- after-sales at the kiosk: certificates on a key, activation, renewal, revocation, unlock, look-up ----

/** The key in the writer, as a kiosk reads it without a PIN: the certificate's serial and the key's serial. */
export const KeyQuerySchema = Type.Object(
  { tokenSerial: TokenSerialSchema },
  { additionalProperties: false },
);
export type KeyQuery = Static<typeof KeyQuerySchema>;

export const RenewalRuleSchema = literals(RENEWAL_RULES);

/**
 * `GET /v1/certificates/:serialNumber?tokenSerial=…`: a certificate of ours on the key in the writer — no more
 * than the certificate itself shows (less: people and organisation masked), plus whether it is revoked and
 * what renewal offers. Issuer, subject and validity the kiosk reads from the certificate on the key.
 */
export const CertificateStatusSchema = Type.Object({
  serialNumber: Type.String(),
  status: literals(['good', 'revoked'] as const),
  revokedAt: Type.Optional(IsoTime),
  revocationReason: Type.Optional(RevocationReasonSchema),
  certificateType: CertificateTypeSchema,
  notBefore: IsoTime,
  notAfter: IsoTime,
  /** The issuing CA's distinguished name. */
  issuer: Type.String(),
  holderNameMasked: Type.Optional(Type.String()),
  organisationNameMasked: Type.Optional(Type.String()),
  /** The order it was issued for, masked (maskOrderId). */
  orderIdMasked: Type.String(),
  renewal: Type.Object({
    /** The profile's rule: the kiosk revokes this certificate once its renewal is verified, or lets it expire. */
    rule: RenewalRuleSchema,
    windowDays: Type.Integer(),
    /** Good and within windowDays of its expiry (renewalOffered()). */
    offered: Type.Boolean(),
    /** The renewal order naming this certificate, if any: `ready` when paid and not collected yet. */
    order: Type.Optional(
      Type.Object({
        idMasked: Type.String(),
        status: OrderStatusSchema,
        hall: Type.String(),
        ready: Type.Boolean(),
      }),
    ),
  }),
});
export type CertificateStatus = Static<typeof CertificateStatusSchema>;

/** `GET /v1/activations/:serialNumber?tokenSerial=…`: the shipped order of a couriered key, before its code. */
export const ActivationPreviewSchema = Type.Object({
  certificateSerial: Type.String(),
  orderIdMasked: Type.String(),
  certificateType: CertificateTypeSchema,
  holderNameMasked: Type.Optional(Type.String()),
  organisationNameMasked: Type.Optional(Type.String()),
  /** When the activation code stops working (ACTIVATION_VALIDITY_DAYS after shipping). */
  codeExpiresAt: IsoTime,
  /** Wrong codes left before it locks. */
  attemptsLeft: Type.Integer({ minimum: 0 }),
});
export type ActivationPreview = Static<typeof ActivationPreviewSchema>;

export const ActivationRequestSchema = Type.Object(
  {
    certificateSerial: CertificateSerialSchema,
    tokenSerial: TokenSerialSchema,
    code: Type.String({ pattern: '^[0-9]{6}$' }),
  },
  { additionalProperties: false },
);
export type ActivationRequest = Static<typeof ActivationRequestSchema>;
export const ActivationResponseSchema = Type.Object({
  certificateSerial: Type.String(),
  orderIdMasked: Type.String(),
  status: Type.Literal('activated'),
  activatedAt: IsoTime,
});
export type ActivationResponse = Static<typeof ActivationResponseSchema>;

/** `GET /v1/renewals?certificateSerial=…&tokenSerial=…`: the paid renewal order of the certificate on the key. */
export const RenewalQuerySchema = Type.Object(
  { certificateSerial: CertificateSerialSchema, tokenSerial: TokenSerialSchema },
  { additionalProperties: false },
);
export type RenewalQuery = Static<typeof RenewalQuerySchema>;
export const RenewalOrderResponseSchema = Type.Object({
  /** As with a pickup code: people masked, with HMACs under the order's identitySalt to match the ID card. */
  order: ApplianceOrderSchema,
  previousCertificate: Type.Object({
    serialNumber: Type.String(),
    notAfter: IsoTime,
    /** What the kiosk does with it once the new certificate is on the key and verified. */
    renewalRule: RenewalRuleSchema,
  }),
  /**
   * Present while the renewal is to be paid at the kiosk first (a kiosk order awaiting payment): the amount due
   * (WeChat Pay Native, `/v1/payments/native`). Absent for a paid renewal.
   */
  payment: Type.Optional(Type.Object({ due: Type.Literal(true), amountFen: Type.Integer({ minimum: 1 }) })),
});
export type RenewalOrderResponse = Static<typeof RenewalOrderResponseSchema>;

/** `POST /v1/certificates/:serialNumber/revoke` by a kiosk: only for the renewal or reissue order naming it. */
export const ApplianceRevokeRequestSchema = Type.Object(
  {
    /** RFC 5280 reason: superseded (renewal, broken key) or keyCompromise (lost key); ORDER_KINDS says which. */
    reason: RevocationReasonSchema,
    orderId: Id,
  },
  { additionalProperties: false },
);
export type ApplianceRevokeRequest = Static<typeof ApplianceRevokeRequestSchema>;

/** An ID card as read at the kiosk: sent to central inside the signed request, never kept on the kiosk. */
export const IdCardSchema = Type.Object(
  { idNumber: IdNumberSchema, name: Name },
  { additionalProperties: false },
);
export type IdCard = Static<typeof IdCardSchema>;

/** `POST /v1/unlocks`: the kiosk asks before it resets a locked PIN (counted per key per day, audited). */
export const UnlockRequestSchema = Type.Object(
  {
    /** Unique per unlock (UUID): a retried request counts once. */
    unlockId: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' }),
    certificateSerial: CertificateSerialSchema,
    tokenSerial: TokenSerialSchema,
    /** The ID card of the person asking: must be a person allowed to collect the certificate's order. */
    card: IdCardSchema,
  },
  { additionalProperties: false },
);
export type UnlockRequest = Static<typeof UnlockRequestSchema>;
export const UnlockResponseSchema = Type.Object({
  unlockId: Type.String(),
  /** Unlocks of this key still allowed today (China Standard Time day). */
  unlocksLeftToday: Type.Integer({ minimum: 0 }),
  grantedAt: IsoTime,
});
export type UnlockResponse = Static<typeof UnlockResponseSchema>;

/** `POST /v1/lookups/by-id-card`: the orders of the person whose card is in the reader. */
export const IdCardLookupRequestSchema = Type.Object({ card: IdCardSchema }, { additionalProperties: false });
export type IdCardLookupRequest = Static<typeof IdCardLookupRequestSchema>;
/** `POST /v1/lookups/by-code`: one order by its pickup code or its receipt link (the receipt's QR code). */
export const CodeLookupRequestSchema = Type.Object(
  { code: Type.String({ minLength: 10, maxLength: 2048 }) },
  { additionalProperties: false },
);
export type CodeLookupRequest = Static<typeof CodeLookupRequestSchema>;

/** An order as the look-up journey shows it: its progress in status codes (the UI words them), nothing more. */
export const LookupOrderSchema = Type.Object({
  id: Type.String(),
  businessType: BusinessTypeSchema,
  certificateType: CertificateTypeSchema,
  status: OrderStatusSchema,
  delivery: literals(DELIVERY_METHODS),
  hall: Type.String(),
  submittedAt: IsoTime,
  updatedAt: IsoTime,
  /** Each step, oldest first: the action and the status it led to. */
  history: Type.Array(Type.Object({ action: OrderActionSchema, status: OrderStatusSchema, at: IsoTime })),
  /** Why it was rejected (while rejected). */
  rejectReason: Type.Optional(Type.String()),
  /** The 6-digit code to quote on the bank transfer (while transfer-pending). */
  remittanceCode: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
  /** The amount due in fen (while awaiting payment): a kiosk order is paid at a kiosk of its hall. */
  amountFen: Type.Optional(Type.Integer({ minimum: 0 })),
  organisationName: Type.Optional(Type.String()),
  holderNameMasked: Type.Optional(Type.String()),
  /** Look-up by ID card: the card holder's roles on this order. */
  roles: Type.Optional(Type.Array(IdentityRoleSchema)),
});
export type LookupOrder = Static<typeof LookupOrderSchema>;
export const OrderLookupResponseSchema = Type.Object({ orders: Type.Array(LookupOrderSchema) });
export type OrderLookupResponse = Static<typeof OrderLookupResponseSchema>;

/** Operator (the CA's key workshop): certify a key to be couriered, for an approved courier order. */
export const WorkshopIssueRequestSchema = Type.Object(
  {
    /** PKCS#10 made on the key to be couriered. */
    csrPem: Type.String({ minLength: 100, maxLength: 16384 }),
    /** The key's serial: what the kiosk reads when the holder brings it to activate. */
    tokenSerial: TokenSerialSchema,
  },
  { additionalProperties: false },
);
export type WorkshopIssueRequest = Static<typeof WorkshopIssueRequestSchema>;
/** Operator: record the key a certificate the CA issued (couriered, or a demo seed) was written onto. */
export const TokenBindingRequestSchema = Type.Object(
  { tokenSerial: TokenSerialSchema },
  { additionalProperties: false },
);
export type TokenBindingRequest = Static<typeof TokenBindingRequestSchema>;

/** An unlock as operators see it (the audit of POST /v1/unlocks). */
export const AdminUnlockSchema = Type.Object({
  unlockId: Type.String(),
  applianceId: Type.String(),
  certificateSerial: Type.String(),
  tokenSerial: Type.String(),
  day: Type.String(),
  outcome: literals(['granted', 'identity-mismatch', 'limit-reached'] as const),
  at: IsoTime,
});
export type AdminUnlock = Static<typeof AdminUnlockSchema>;
export const AdminUnlockListResponseSchema = Type.Object({ unlocks: Type.Array(AdminUnlockSchema) });

/** Error responses to document on a route. */
export function errorResponses(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries(codes.map((c) => [c, ApiErrorSchema]));
}
