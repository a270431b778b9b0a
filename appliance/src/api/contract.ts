// The appliance ↔ kiosk-ui contract: every route, payload, event and error code the UI may rely on.
// Pure types and constants (its only runtime import is the pure config/facts) so the UI bundle can take it.

// ---------- journeys ----------

/** Steps of the pickup journey, in order. One source of truth for engine, API and UI. */
export const PICKUP_STEPS = [
  'scanned',
  'order-verified',
  'identity-verified',
  'token-ready',
  'key-generated',
  'certificate-issued',
  'certificate-written',
  'pin-set',
  'verified',
  'receipt-printed',
  'completed',
] as const;
export type PickupStep = (typeof PICKUP_STEPS)[number];

/** Terminal or waiting states besides the steps. */
export type JourneyStatus = 'active' | 'completed' | 'failed' | 'in-doubt' | 'abandoned';

/** What the journey waits for from the applicant right now (drives which screen the UI shows). */
export type JourneyNeed =
  | 'scan' // attract/scan screen: show a pickup QR to the scanner
  | 'confirm-order' // order summary: tap confirm
  | 'id-card' // place the ID card on the reader
  | 'token' // take a blank USB key and insert it
  | 'wait' // machine work in progress (key generation, issuance, writing): show progress
  | 'pin' // set the PIN twice on the keypad
  | 'take-items' // done: take the key and the receipt
  | 'none';

export type { BusinessType, CertificateType } from '@certkiosk/config/facts';

import type { BusinessType, CertificateType } from '@certkiosk/config/facts';

export interface OrderSummary {
  orderId: string;
  certificateType: CertificateType;
  businessType: BusinessType;
  serviceYears: number;
  /** Masked for display: 张*、李*娜. */
  holderNameMasked?: string;
  organisationName?: string;
  /** 补办 (reissue): the certificate this order replaces — the holder's lost key's. */
  replacesCertificate?: ReplacedCertificateView;
}

/**
 * The certificate a reissue replaces: its serial masked to the last eight hex digits (`…b14b8c32`), and
 * `revoked` from the moment the new certificate is issued (central revokes the old one before it signs the new
 * one), so the order screen can say "will be revoked" and the done screen "your old certificate is revoked".
 */
export interface ReplacedCertificateView {
  serialMasked: string;
  revoked: boolean;
}

export interface IdentityView {
  state: 'waiting' | 'reading' | 'matched' | 'mismatched';
  /** Masked name and ID number of the card read (never the full number). */
  nameMasked?: string;
  idNumberMasked?: string;
  /** Error code explaining a mismatch (ID_MISMATCH_PERSON, ID_CARD_EXPIRED, …). */
  reason?: ApplianceErrorCode;
  attemptsLeft?: number;
}

export interface ProgressView {
  /** The machine steps the UI lists while the applicant waits, with their state. */
  steps: Array<{ step: PickupStep; state: 'done' | 'running' | 'pending' }>;
}

export interface ReceiptView {
  state: 'printed' | 'queued-for-reprint' | 'pending';
}

export interface JourneyView {
  id: string;
  /** A short reference number staff can look up (`GET /api/staff/journeys/:ref`), shown on error screens and
   *  notices: 'K' + the first 6 letters/digits of the id in upper case, e.g. K3F9A2C (journey-ref.ts). */
  ref: string;
  /** Goes up with every durable change: a view older than one already shown must be ignored. */
  revision: number;
  /** Completed journeys: the holder's key is still in the writer (the done screen asks them to take it). */
  keyInWriter?: boolean;
  /** The card was read and the journey moved on, but the card still lies on the reader ("请取回身份证"). */
  cardOnReader?: boolean;
  /** The applicant may still cancel: false once central issued the certificate (then: finish, or call staff). */
  cancellable: boolean;
  kind: 'pickup';
  /** Last step made durable. */
  step: PickupStep;
  status: JourneyStatus;
  need: JourneyNeed;
  order?: OrderSummary;
  identity?: IdentityView;
  progress: ProgressView;
  receipt?: ReceiptView;
  /** Present when the journey failed or an action was refused; `retryable` tells the UI to offer "try again". */
  error?: ErrorBody;
  /** Certificate facts shown at the end (subject CN, serial, validity). */
  certificate?: { subjectCommonName: string; serialNumber: string; notAfter: string };
  /** ISO time the server will wipe the session if nothing happens. */
  idleWipeAt?: string;
  /** Present while the journey waits on central (issuance sent, answer not yet known): the kiosk retries by
   *  itself; the UI shows that it is waiting, with "try now" and "cancel" (a cancel hands it to staff). */
  waiting?: { on: 'central'; since: string; attempts: number; nextRetryAt?: string };
}

// ---------- the invoice of the order just collected (the done screen) ----------

/** Whom the invoice is made out to (发票抬头): the holder as a person, or an organisation with its credit code. */
export type InvoiceTitle = 'person' | 'organisation';

/**
 * `POST /api/journeys/current/invoice-request`: asked on the done screen of a completed pickup, for its order. The
 * appliance checks the credit code (GB 32100) and the address before central is asked, and keeps none of it: the
 * e-mail and the title go to central only. A person's invoice is made out to 个人.
 */
export interface InvoiceRequestInput {
  title: InvoiceTitle;
  /** An organisation's name as registered (at most 100 characters); a person gives none. */
  organisationName?: string;
  /** An organisation's unified social credit code (18 characters; spaces and hyphens are dropped). */
  creditCode?: string;
  /** Where the electronic invoice is sent. */
  email: string;
}

/** The order's invoice as the done screen shows it: none asked for yet, requested (replaceable), or issued. */
export type InvoiceView =
  | { state: 'none' }
  | {
      state: 'requested';
      title: InvoiceTitle;
      /** An organisation's name as central recorded it (a person's title is not shown). */
      organisationName?: string;
      requestedAt: string;
      /** The order's paid amount, in fen: what the invoice will say. */
      amountFen?: number;
      /** The order's invoice link on central (the PDF once issued, the order's page until then): the slip's QR. */
      link?: string;
    }
  | {
      state: 'issued';
      title: InvoiceTitle;
      organisationName?: string;
      requestedAt: string;
      /** The invoice number, e.g. 2026-000123. */
      number: string;
      /** The amount invoiced, in fen. */
      amountFen: number;
      issuedAt: string;
      /** The PDF behind an unguessable link: the screen shows it as a QR code for the holder's phone. */
      url: string;
      /** The order's invoice link on central (leads to the PDF): the slip's QR. */
      link?: string;
    };

// ---------- devices ----------

// Defined once in config/src/facts.ts (pure: the UI bundle takes it as it is).
export {
  CONSUMABLE_KINDS,
  type ConsumableKind,
  DEVICE_DETAILS,
  DEVICE_KINDS,
  DEVICE_STATES,
  type DeviceDetail,
  type DeviceKind,
  type DeviceState,
  PAPER_LEVELS,
  type PaperLevel,
} from '@certkiosk/config/facts';

import type { DeviceDetail, DeviceKind, DeviceState, PaperLevel } from '@certkiosk/config/facts';

export interface DeviceStatusView {
  kind: DeviceKind;
  state: DeviceState;
  /** What the state means in detail (paper-out, cover-open, token-absent, disconnected, …: DEVICE_DETAILS; the
   *  UI's phrase is `staff.detail.<code>`), or null when there is nothing to add. */
  detail: DeviceDetail | null;
  since: string;
}

// ---------- maintenance screen (GET /api/staff/overview) ----------

/** The sync agent's contact with central: its last exchange (events, heartbeat, change feed) worked or not. */
export interface CentralLinkView {
  /** unknown: no exchange since the daemon started. */
  state: 'reachable' | 'unreachable' | 'unknown';
  /** ISO time the state began (absent while unknown). */
  since?: string;
  /** Why the last failed exchange failed (CENTRAL_UNAVAILABLE, CENTRAL_REFUSED), and when. */
  lastError?: ApplianceErrorCode;
  lastErrorAt?: string;
}

/** What the top of the maintenance screen shows: which kiosk, where, and how it stands with central. */
export interface StaffKioskFacts {
  /** config appliance.id */
  applianceId: string;
  /** The hall's code (config appliance.hall) and name (config kiosk.hallName; the code when there is none). */
  hall: string;
  hallName: string;
  /** IANA time zone of the hall (config kiosk.timeZone): the screen shows times in it. */
  timeZone: string;
  central: CentralLinkView;
  /** ISO time of the last exchange with central that worked (the last successful sync); null: none since
   *  the daemon started. */
  lastSyncAt: string | null;
}

/** A consumable and its level (the UI: `staff.consumable.<kind>`, `staff.paper.<level>`). */
export type ConsumableView =
  | {
      kind: 'blankKeys' /** Blank keys left in the tray; null when the kiosk cannot count them. */;
      count: number | null;
    }
  | { kind: 'paper'; level: PaperLevel };

/** A receipt waiting to be printed again (its printer had no paper or failed): masked data only. */
export interface ReprintView {
  id: string;
  orderId: string;
  /** ISO time it was queued. */
  queuedAt: string;
  /** The holder's name, masked (config/src/masks.ts): 张*, 李*娜. Never the full name. */
  holderNameMasked?: string;
}

// ---------- kiosk settings the UI needs ----------

export interface KioskSettings {
  applianceId: string;
  hall: string;
  languages: Array<'zh-CN' | 'en'>;
  idleWarningMs: number;
  idleWipeMs: number;
  /** Elderly-friendly mode multiplies both idle times by this. */
  elderlyTimeoutFactor: number;
  pinPolicy: {
    minLength: number;
    maxLength: number;
    digitsOnly: boolean;
    forbidSequences: boolean;
    forbidRepeated: boolean;
  };
  /** Customer-service hours and phone shown on the done screen. */
  serviceHotline: string;
  /** Present only in the sim profile: where the emulator control page is. */
  simControlUrl?: string;
}

// ---------- errors ----------

/** Every error code the API can answer with; the UI's locale files have one message per code. */
export const APPLIANCE_ERROR_CODES = [
  // pickup code / order
  'PICKUP_CODE_MALFORMED',
  'PICKUP_CODE_FORGED',
  'PICKUP_CODE_EXPIRED',
  'PICKUP_CODE_WRONG_HALL',
  'PICKUP_CODE_USED',
  'PICKUP_CODE_SUPERSEDED',
  'ORDER_NOT_APPROVED',
  'ORDER_ALREADY_ISSUED',
  'ORDER_NOT_FOUND',
  // identity
  'ID_CARD_NOT_PRESENT',
  'ID_CARD_UNREADABLE',
  'ID_CARD_EXPIRED',
  'ID_CARD_INVALID',
  'ID_MISMATCH_PERSON',
  'ID_ATTEMPTS_EXHAUSTED',
  // USB key
  'TOKEN_ABSENT',
  'TOKEN_NOT_BLANK',
  'TOKEN_REMOVED',
  'TOKEN_FAILED',
  'TOKEN_PIN_POLICY',
  'PIN_NOT_CONFIRMED',
  // central / issuance
  'CENTRAL_UNAVAILABLE',
  'CENTRAL_REFUSED',
  'ISSUANCE_PENDING',
  'ISSUANCE_IN_DOUBT',
  'CERTIFICATE_KEY_MISMATCH',
  'VERIFY_FAILED',
  // printer (never blocks issuance; reported for the receipt only)
  'PRINTER_UNAVAILABLE',
  // staff reprints: the printer needs a hand first, or the receipt is no longer queued
  'PRINTER_OUT_OF_PAPER',
  'PRINTER_COVER_OPEN',
  'REPRINT_UNKNOWN',
  // maintenance: blank-key refills and device self-tests
  'BLANK_KEY_COUNT_INVALID',
  'SELF_TEST_SESSION_OPEN',
  'SELF_TEST_NOTHING_SCANNED',
  // session / API
  'NO_ACTIVE_JOURNEY',
  'JOURNEY_BUSY',
  'WRONG_STEP',
  'PIN_ALREADY_SET',
  'BAD_REQUEST',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'HOST_NOT_ALLOWED',
  'ORIGIN_NOT_ALLOWED',
  'STAFF_AUTH_REQUIRED',
  'STAFF_PIN_WRONG',
  'DEVICE_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'STEP_TIMEOUT',
  'TOKEN_NOT_RESPONDING',
  'KEY_EVIDENCE_REFUSED',
  'TOKEN_MODEL_NOT_ALLOWED',
  'CANCEL_NOT_ALLOWED',
  'TAKE_KEY_FIRST',
  'SESSION_ENDED_BY_STAFF',
  'INTERNAL',
  // maintenance screen lookups
  'JOURNEY_REF_UNKNOWN',
  'STAFF_CALL_UNKNOWN',
  // staff accounts (maintenance screen sign-in and account management)
  'STAFF_LOCKED',
  'STAFF_FORBIDDEN',
  'STAFF_PIN_TOO_WEAK',
  'STAFF_ACCOUNT_UNKNOWN',
  'STAFF_ACCOUNT_EXISTS',
  'STAFF_ACCOUNT_INVALID',
  'STAFF_ACCOUNT_DISABLED',
  'STAFF_LAST_ADMINISTRATOR',
  // after-sales services (service-contract.ts): the key in the writer, activation, unlock, look-up
  'KEY_NOT_OURS',
  'ACTIVATION_NOT_AVAILABLE',
  'ACTIVATION_ALREADY_DONE',
  'ACTIVATION_CODE_WRONG',
  'ACTIVATION_LOCKED',
  'ACTIVATION_CODE_EXPIRED',
  'CERTIFICATE_REVOKED',
  'PIN_NOT_LOCKED',
  'UNLOCK_CARD_MISMATCH',
  'UNLOCK_LIMIT_REACHED',
  'LOOKUP_CODE_UNKNOWN',
  // renew (续期)
  'RENEWAL_ORDER_NOT_FOUND',
  'RENEWAL_NOT_PAID',
  'CERTIFICATE_EXPIRED',
  'CURRENT_PIN_WRONG',
  'CURRENT_PIN_LOCKED',
  // paying at the kiosk (WeChat Pay Native: renew, and a look-up's order awaiting payment)
  'PAYMENT_EXPIRED',
  'PAYMENT_NOT_AVAILABLE',
  'PAYMENT_PROVIDER_FAILED',
  // invoices (the done screen): what the holder typed, checked before central is asked; central's refusals
  'INVOICE_ORGANISATION_NAME_INVALID',
  'INVOICE_CREDIT_CODE_MISSING',
  'USCC_WRONG_LENGTH',
  'USCC_FORBIDDEN_CHARACTER',
  'USCC_CHECK_MISMATCH',
  'USCC_ORGANISATION_CODE_MISMATCH',
  'INVOICE_EMAIL_INVALID',
  'INVOICE_REQUEST_INVALID',
  'INVOICE_NOT_AVAILABLE',
  // reconciliation (the maintenance screen): a wrong day, checked before anything is sent; a day central never ran
  'RECONCILIATION_DAY_INVALID',
  'RECONCILIATION_NOT_FOUND',
  // invoices of a service's result screen (renewal, look-up): an order not on that screen
  'INVOICE_ORDER_UNKNOWN',
  // paying a look-up's listed order at the kiosk: an order not on that screen
  'PAYMENT_ORDER_UNKNOWN',
  // kiosk control and maintenance (issue 15): out of service, a restart during a session, audit filters,
  // a parked event no longer parked
  'KIOSK_OUT_OF_SERVICE',
  'RESTART_SESSION_RUNNING',
  'AUDIT_FILTER_INVALID',
  'PARKED_EVENT_UNKNOWN',
] as const;
export type ApplianceErrorCode = (typeof APPLIANCE_ERROR_CODES)[number];

/** Every non-2xx body. `message` is English for logs; the UI shows its locale's text for `code`. */
export interface ErrorBody {
  code: ApplianceErrorCode;
  message: string;
  /** What the applicant can do: try again now, call staff, or come back later. */
  action: 'retry' | 'call-staff' | 'come-back-later' | 'none';
  retryable: boolean;
  params?: Record<string, string | number>;
}

// ---------- routes (all JSON, all on 127.0.0.1) ----------
//
// The route table with every request and response schema is routes.ts (published at GET /openapi.json); the
// typed client is client.ts. Every request passes http-policy.ts: Host must be 127.0.0.1/localhost/[::1] with
// the kiosk's port (421 HOST_NOT_ALLOWED), a foreign Origin is refused (403 ORIGIN_NOT_ALLOWED), and every
// POST/DELETE is `content-type: application/json` (415 UNSUPPORTED_MEDIA_TYPE), bodiless ones sending `{}`.
// Malformed JSON → 400 BAD_REQUEST; a body over 64 KiB → 413 BODY_TOO_LARGE.
//
// GET  /api/kiosk                      → KioskSettings
// GET  /api/state                      → { journey: JourneyView | null, service: ServiceView | null,
//                                          devices: DeviceStatusView[] }
// GET  /api/events                     → text/event-stream; events below
// POST /api/journeys                   {} → JourneyView   (start a pickup journey; need = 'scan')
// POST /api/journeys/current/scan      { code: string } → JourneyView   (what the scanner device also feeds)
// POST /api/journeys/current/confirm   {} → JourneyView   (order summary confirmed → need = 'id-card')
// POST /api/journeys/current/pin       { pin: string } → JourneyView   (accepted once; never stored or logged)
// POST /api/journeys/current/touch     {} → { idleWipeAt }   ("more time": resets the idle timer)
// POST /api/journeys/current/retry     {} → JourneyView   (retry the failed step when error.retryable)
// DELETE /api/journeys/current         {} → 204   (cancel: wipe the session now)
// POST /api/journeys/current/invoice-request  InvoiceRequestInput → InvoiceView   (the done screen of a completed
//      pickup only, else WRONG_STEP; the credit code and the e-mail are checked before central is asked — a bad
//      one: its own code, nothing sent; a second request replaces the first until the invoice is issued)
// GET  /api/journeys/current/invoice   → InvoiceView   (central's answer: none, requested, issued with its link)
// POST /api/journeys/current/invoice-slip  {} → { state: 'printed' | 'queued-for-reprint' }   (the invoice slip)
// POST /api/services/current/orders/:position/invoice-request, GET …/invoice, POST …/invoice-slip   (the same for a
//      completed renewal's order, position 0, or a look-up's listed order; another: INVOICE_ORDER_UNKNOWN)
// The after-sales services (activate, certificates, unlock, lookup): service-contract.ts.
// POST /api/help                       {} → { ref, at, journeyRef? }   ("call staff": one open call per session;
//      a repeated press answers the same call; the journey is not changed)
//
// Staff (maintenance screen), header `authorization: Bearer <token>` from login (per-person accounts; every
// sign-in, sign-out and change audited as `staff:<id>`, never a PIN):
// POST /api/staff/login                { staffId, pin } → { token, staffId, name, role, idleExpiresAt, expiresAt }
//      (STAFF_PIN_WRONG with params.attemptsLeft; from the 5th wrong PIN in a row the id is locked:
//       429 STAFF_LOCKED with params.retryAfter and a Retry-After header, even for the right PIN)
// POST /api/staff/logout               {} → 204
// POST /api/staff/me/pin               { currentPin, newPin } → StaffChange   (any role)
// GET  /api/staff/accounts             → { accounts }          (administrators; 403 STAFF_FORBIDDEN otherwise)
// POST /api/staff/accounts             { id, name, role, pin } → StaffChange                  (administrators)
// POST /api/staff/accounts/:id/pin | /role | /active | /unlock  → StaffChange                  (administrators)
// GET  /api/staff/diagnostics          → the diagnostics bundle (no name, ID number, phone, PIN, pickup code)
// GET  /api/staff/overview             → { kiosk: StaffKioskFacts, devices, consumables: ConsumableView[], queue,
//      inDoubt, reprints: ReprintView[], version, staffAlarms, staffCalls, … }
// POST /api/staff/in-doubt/:id/resolve { action: InDoubtResolution, note? } → { journey: JourneyView | null }
//      (retry-write: the key is back in the writer, write the certificate again and resume;
//       revoke-void: central revokes the certificate (CRL) and the order returns to approved, so the holder
//       collects again with a new key; mark-resolved: staff handled it with central operations)
// POST /api/staff/session/end          {} → 204   (end the applicant's current session; audited; an issuance
//      that was already requested is handed to staff as in doubt, never dropped)
// POST /api/staff/reprints/:id         {} → { state }   (409 PRINTER_OUT_OF_PAPER / PRINTER_COVER_OPEN when
//      the printer needs a hand first, 503 DEVICE_UNAVAILABLE, 404 REPRINT_UNKNOWN)
// GET  /api/staff/audit/verify         → { ok, records, firstBadSeq? }
// POST /api/staff/calls/:id/ack        {} → StaffCall   (an applicant's call for staff was handled; audited)
// GET  /api/staff/journeys/:ref        → JourneyLookup   (a journey by its reference number, masked; 404
//      JOURNEY_REF_UNKNOWN)
//
// Sim profile only:
// (registered only while central's URL is loopback; /sim/scan reads a phone page's code from central only)
// GET  /sim                            → the emulator control page (HTML)
// POST /sim/scan { code } | /sim/id-card { fixture | null }
// POST /sim/token { action: 'insert' | 'pull', key?: 'couriered' | … (a held key instead of a blank one) }
// POST /sim/printer { paper: 'ok' | 'near-end' | 'out', coverOpen: boolean }
// GET  /sim/receipts/latest.png

/** How staff may close an in-doubt journey (UI buttons and API agree on these names). */
export const IN_DOUBT_RESOLUTIONS = ['retry-write', 'revoke-void', 'mark-resolved'] as const;
export type InDoubtResolution = (typeof IN_DOUBT_RESOLUTIONS)[number];

/** Why a session ended. */
export type WipeReason = 'idle' | 'cancelled' | 'completed' | 'staff';

/** Server-sent events on /api/events: `event: <name>` with a JSON `data:` line. */
export interface ServerEvents {
  journey: JourneyView | null;
  /** The after-sales service journey (service-contract.ts), null once it is left. */
  service: import('./service-contract.js').ServiceView | null;
  device: DeviceStatusView;
  /** Sent after `idleWarningMs` without activity; the wipe follows `idleWipeMs` (≥ 20 s) later unless the
   *  applicant taps "more time" (`/touch`). The UI shows the countdown to `wipeAt`. */
  'idle-warning': { wipeAt: string };
  /** The session was wiped (idle or cancelled): the UI returns to the attract screen and forgets everything. */
  wiped: { reason: WipeReason };
  /** Staff took the kiosk out of service (or put it back): the UI shows the out-of-service page meanwhile. */
  'kiosk-service': KioskServiceState;
}

/** In service, or out of service since when (kept across restarts; set by staff on the maintenance screen). */
export interface KioskServiceState {
  outOfService: boolean;
  since?: string;
  /** The hall's name, shown on the out-of-service page. */
  hallName?: string;
}
