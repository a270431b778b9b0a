// The appliance API as data: every route's method, URL, tag, auth, request and response schemas. The server
// (server.ts, sim/routes.ts) attaches a handler to each entry by name and registers nothing else under /api or
// /sim; OpenAPI (/openapi.json) is generated from these entries; the typed client (client.ts) is typed by them.
import { ReconciliationReportSchema } from '@certkiosk/sync';
import { type TSchema, Type } from '@sinclair/typebox';
import {
  AuditPageSchema,
  AuditQuerySchema,
  KioskServiceBodySchema,
  KioskServiceStateSchema,
  ParkedActionResponseSchema,
  RestartBodySchema,
  RestartResponseSchema,
  SyncNowResultSchema,
  SyncStatusSchema,
} from './maintenance-schemas.js';
import {
  ActivationCodeBodySchema,
  AuditVerifyResponseSchema,
  BlankKeyRefillBodySchema,
  BlankKeyStockSchema,
  DeviceKindParamsSchema,
  DiagnosticsSchema,
  EmptyBodySchema,
  ErrorBodySchema,
  HelpResponseSchema,
  IdParamsSchema,
  InvoiceRequestInputSchema,
  InvoiceSlipOutcomeSchema,
  InvoiceViewSchema,
  JourneyLookupSchema,
  JourneyViewSchema,
  KioskSettingsSchema,
  OrderPositionParamsSchema,
  PinBodySchema,
  ReconciliationQuerySchema,
  ReconciliationRunBodySchema,
  RefParamsSchema,
  ReprintResponseSchema,
  ResolveInDoubtBodySchema,
  ResolveInDoubtResponseSchema,
  ScanBodySchema,
  SelfTestResultSchema,
  ServiceViewSchema,
  SimIdCardBodySchema,
  SimIdCardResponseSchema,
  SimMemorySchema,
  SimNotFoundSchema,
  SimOkSchema,
  SimPrinterBodySchema,
  SimReceiptsSchema,
  SimScanBodySchema,
  SimScanResponseSchema,
  SimTokenBodySchema,
  SimTokenResponseSchema,
  StaffAccountsResponseSchema,
  StaffActiveBodySchema,
  StaffAddAccountBodySchema,
  StaffCallSchema,
  StaffChangeOwnPinBodySchema,
  StaffChangeSchema,
  StaffLoginBodySchema,
  StaffNewPinBodySchema,
  StaffOverviewSchema,
  StaffRoleBodySchema,
  StaffSessionSchema,
  StaffUnlockParamsSchema,
  StartServiceBodySchema,
  StateSchema,
  TouchResponseSchema,
} from './schemas.js';

export type RouteMethod = 'GET' | 'POST' | 'DELETE';
export type RouteTag = 'applicant' | 'staff' | 'sim';
/**
 * `staff`: a bearer token from POST /api/staff/login (checked by the StaffAuth of staff-auth.ts), any role;
 * `administrator`: the same, and the signed-in account's role must be administrator (else 403 STAFF_FORBIDDEN).
 */
export type RouteAuth = 'none' | 'staff' | 'administrator';
/** What a 2xx answer carries. */
export type RouteKind = 'json' | 'event-stream' | 'html' | 'png';

export interface RouteDef {
  method: RouteMethod;
  url: string;
  tag: RouteTag;
  auth: RouteAuth;
  kind: RouteKind;
  summary: string;
  params?: TSchema;
  /** Every POST/DELETE has one (bodiless ones take `{}`): the API accepts only application/json bodies. */
  body?: TSchema;
  /** The query string's fields (GET only). */
  query?: TSchema;
  /** The success answer: its status and schema (for `json`, the JSON body; else the content's schema). */
  ok: { status: 200 | 204; schema: TSchema };
  /** Answers other than the ErrorBody of every 4xx/5xx. */
  otherAnswers?: Record<number, TSchema>;
  /** The body carries a PIN: requests are logged at warn level only, so it never reaches a log line. */
  secret?: boolean;
}

const route = <const D extends RouteDef>(d: D): D => d;
const NoContent = Type.Null({ description: 'No content' });
const Html = Type.String({ description: 'text/html' });
const EventStream = Type.String({
  description:
    'text/event-stream: `event: journey|service|device|idle-warning|wiped` with a JSON `data:` line',
});
const Png = Type.String({ format: 'binary', description: 'image/png' });

export const ROUTES = {
  // ---------- applicant ----------
  kiosk: route({
    method: 'GET',
    url: '/api/kiosk',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: 'The settings the UI needs (languages, idle timings, PIN policy, hotline)',
    ok: { status: 200, schema: KioskSettingsSchema },
  }),
  state: route({
    method: 'GET',
    url: '/api/state',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'The current pickup journey (or null), the current service journey (or null), every device status',
    ok: { status: 200, schema: StateSchema },
  }),
  events: route({
    method: 'GET',
    url: '/api/events',
    tag: 'applicant',
    auth: 'none',
    kind: 'event-stream',
    summary: 'Server-sent events: journey, service, device, idle-warning, wiped (contract.ts ServerEvents)',
    ok: { status: 200, schema: EventStream },
  }),
  startJourney: route({
    method: 'POST',
    url: '/api/journeys',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: "Start a pickup journey (need = 'scan')",
    body: EmptyBodySchema,
    ok: { status: 200, schema: JourneyViewSchema },
  }),
  scan: route({
    method: 'POST',
    url: '/api/journeys/current/scan',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: 'A scanned pickup code (what the scanner device also feeds)',
    body: ScanBodySchema,
    ok: { status: 200, schema: JourneyViewSchema },
  }),
  confirm: route({
    method: 'POST',
    url: '/api/journeys/current/confirm',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: "The order summary was confirmed (need → 'id-card')",
    body: EmptyBodySchema,
    ok: { status: 200, schema: JourneyViewSchema },
  }),
  setPin: route({
    method: 'POST',
    url: '/api/journeys/current/pin',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: 'The holder’s PIN (accepted once; never stored or logged)',
    body: PinBodySchema,
    ok: { status: 200, schema: JourneyViewSchema },
    secret: true,
  }),
  touch: route({
    method: 'POST',
    url: '/api/journeys/current/touch',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: '"More time": resets the idle timer',
    body: EmptyBodySchema,
    ok: { status: 200, schema: TouchResponseSchema },
  }),
  retry: route({
    method: 'POST',
    url: '/api/journeys/current/retry',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: 'Retry the failed step (when error.retryable) or ask central again now',
    body: EmptyBodySchema,
    ok: { status: 200, schema: JourneyViewSchema },
  }),
  endJourney: route({
    method: 'DELETE',
    url: '/api/journeys/current',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: 'Cancel or finish: wipe the session now (an issuance already requested goes to staff)',
    body: EmptyBodySchema,
    ok: { status: 204, schema: NoContent },
  }),
  requestInvoice: route({
    method: 'POST',
    url: '/api/journeys/current/invoice-request',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'The done screen of a completed pickup: request the invoice of its order (a person, or an organisation with ' +
      'its name and unified social credit code; the e-mail address). The credit code and the address are checked ' +
      'before central is asked (USCC_*, INVOICE_CREDIT_CODE_MISSING, INVOICE_EMAIL_INVALID…: nothing sent); a ' +
      'second request replaces the first until the invoice is issued (then INVOICE_NOT_AVAILABLE). Nothing of it ' +
      'is kept on the kiosk',
    body: InvoiceRequestInputSchema,
    ok: { status: 200, schema: InvoiceViewSchema },
  }),
  invoice: route({
    method: 'GET',
    url: '/api/journeys/current/invoice',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'The done screen of a completed pickup: the invoice of its order as central has it (none, requested, or ' +
      'issued with its number, amount and PDF link)',
    ok: { status: 200, schema: InvoiceViewSchema },
  }),
  callStaff: route({
    method: 'POST',
    url: '/api/help',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      '"Call staff": raises a call staff see on the maintenance screen (and central in the heartbeat) until one ' +
      'acknowledges it; one open call per session (a repeated press answers the same ref); the journey is not changed',
    body: EmptyBodySchema,
    ok: { status: 200, schema: HelpResponseSchema },
  }),

  // ---------- applicant: after-sales services (service-contract.ts) ----------
  startService: route({
    method: 'POST',
    url: '/api/services',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'Start an after-sales service journey (activate, certificates, unlock, lookup). Refused while a pickup or ' +
      'another service is open (JOURNEY_BUSY) or while the last holder’s key is in the writer (TAKE_KEY_FIRST)',
    body: StartServiceBodySchema,
    ok: { status: 200, schema: ServiceViewSchema },
  }),
  serviceCode: route({
    method: 'POST',
    url: '/api/services/current/code',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'Activation: the 6-digit code from the courier letter (a wrong one: ACTIVATION_CODE_WRONG with ' +
      'params.triesLeft; ACTIVATION_LOCKED, ACTIVATION_CODE_EXPIRED end the journey)',
    body: ActivationCodeBodySchema,
    ok: { status: 200, schema: ServiceViewSchema },
  }),
  serviceScan: route({
    method: 'POST',
    url: '/api/services/current/scan',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: 'Look-up: a scanned order / pickup QR code or receipt link (what the scanner device also feeds)',
    body: ScanBodySchema,
    ok: { status: 200, schema: ServiceViewSchema },
  }),
  servicePin: route({
    method: 'POST',
    url: '/api/services/current/pin',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: 'Activation and unlock: the holder’s new PIN (accepted once; never stored or logged)',
    body: PinBodySchema,
    ok: { status: 200, schema: ServiceViewSchema },
    secret: true,
  }),
  servicePayment: route({
    method: 'GET',
    url: '/api/services/current/payment',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'Paying at the kiosk (need = payment): ask central how the WeChat Pay payment stands — paid moves the ' +
      'renewal on to the current PIN, a look-up back to its list (payment.taken reported once), closed shows it ' +
      'expired; the screen polls ' +
      'this (it does not count as the holder’s activity)',
    ok: { status: 200, schema: ServiceViewSchema },
  }),
  servicePayAgain: route({
    method: 'POST',
    url: '/api/services/current/payment',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'Paying at the kiosk (need = payment): show the QR code again after it expired (重新支付 — a new payment ' +
      'at central) or after WeChat Pay could not be reached (PAYMENT_PROVIDER_FAILED)',
    body: EmptyBodySchema,
    ok: { status: 200, schema: ServiceViewSchema },
  }),
  payServiceOrder: route({
    method: 'POST',
    url: '/api/services/current/orders/:position/payment',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'A look-up’s result screen: pay the listed order awaiting payment at a kiosk here (在此支付 — need = payment, ' +
      'the WeChat Pay QR code with the amount and its expiry); again while paying it: the code again, or a new one ' +
      'after it expired. Only an order the list shows: another position is PAYMENT_ORDER_UNKNOWN, a listed order ' +
      'not awaiting payment at a kiosk PAYMENT_NOT_AVAILABLE — central not asked',
    params: OrderPositionParamsSchema,
    body: EmptyBodySchema,
    ok: { status: 200, schema: ServiceViewSchema },
  }),
  serviceOrderPayment: route({
    method: 'GET',
    url: '/api/services/current/orders/:position/payment',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'A look-up’s order being paid: ask central how its payment stands — paid brings the list back with the ' +
      'order paid (payment.taken reported once), closed shows it expired; polled (not the holder’s activity)',
    params: OrderPositionParamsSchema,
    ok: { status: 200, schema: ServiceViewSchema },
  }),
  leaveServiceOrderPayment: route({
    method: 'DELETE',
    url: '/api/services/current/orders/:position/payment',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'A look-up’s order being paid: back to the list (返回列表); its payment is closed at central (a payment that ' +
      'still arrives is kept there for a refund)',
    params: OrderPositionParamsSchema,
    body: EmptyBodySchema,
    ok: { status: 200, schema: ServiceViewSchema },
  }),
  serviceRetry: route({
    method: 'POST',
    url: '/api/services/current/retry',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary: 'Retry the failed step (central was down, the key hiccuped) or ask central again now',
    body: EmptyBodySchema,
    ok: { status: 200, schema: ServiceViewSchema },
  }),
  endService: route({
    method: 'DELETE',
    url: '/api/services/current',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'Leave the service (or its result screen); refused with CANCEL_NOT_ALLOWED while a side effect is under ' +
      'way or once the activation code was used and the PIN is not yet set',
    body: EmptyBodySchema,
    ok: { status: 204, schema: NoContent },
  }),

  // ---------- applicant: invoices beyond the done screen (slips; a service's result screen) ----------
  printInvoiceSlip: route({
    method: 'POST',
    url: '/api/journeys/current/invoice-slip',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'The done screen of a completed pickup: print the slip of its order’s invoice (order id masked, amount, ' +
      'the number once issued or 已申请, a QR code of the order’s invoice link) through the receipt printer; a ' +
      'printer that cannot print queues it for reprint. INVOICE_NOT_AVAILABLE before an invoice was asked for',
    body: EmptyBodySchema,
    ok: { status: 200, schema: InvoiceSlipOutcomeSchema },
  }),
  requestServiceInvoice: route({
    method: 'POST',
    url: '/api/services/current/orders/:position/invoice-request',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'A completed renewal’s (position 0) or look-up’s (the listed order’s position) result screen: request the ' +
      'invoice of that order, checked as on the done screen. Only an order the screen shows: another position is ' +
      'INVOICE_ORDER_UNKNOWN, a listed order not paid and collected INVOICE_NOT_AVAILABLE — nothing sent',
    params: OrderPositionParamsSchema,
    body: InvoiceRequestInputSchema,
    ok: { status: 200, schema: InvoiceViewSchema },
  }),
  serviceInvoice: route({
    method: 'GET',
    url: '/api/services/current/orders/:position/invoice',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'A completed renewal’s or look-up’s result screen: the invoice of the order at that position as central ' +
      'has it (none, requested, or issued with its number, amount and PDF link)',
    params: OrderPositionParamsSchema,
    ok: { status: 200, schema: InvoiceViewSchema },
  }),
  printServiceInvoiceSlip: route({
    method: 'POST',
    url: '/api/services/current/orders/:position/invoice-slip',
    tag: 'applicant',
    auth: 'none',
    kind: 'json',
    summary:
      'A completed renewal’s or look-up’s result screen: print the slip of that order’s invoice (as ' +
      '/api/journeys/current/invoice-slip)',
    params: OrderPositionParamsSchema,
    body: EmptyBodySchema,
    ok: { status: 200, schema: InvoiceSlipOutcomeSchema },
  }),

  // ---------- staff (maintenance screen) ----------
  staffLogin: route({
    method: 'POST',
    url: '/api/staff/login',
    tag: 'staff',
    auth: 'none',
    kind: 'json',
    summary:
      'Staff sign-in with a staff id and that account’s PIN; the token goes in `authorization: Bearer <token>`. ' +
      'A wrong PIN: 401 STAFF_PIN_WRONG (params.attemptsLeft); from the 5th in a row the id is locked: 429 ' +
      'STAFF_LOCKED with params.retryAfter and a Retry-After header (seconds), even for the right PIN',
    body: StaffLoginBodySchema,
    ok: { status: 200, schema: StaffSessionSchema },
    secret: true,
  }),
  staffLogout: route({
    method: 'POST',
    url: '/api/staff/logout',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary: 'Sign out: the token is refused from now on (audited as staff.logout)',
    body: EmptyBodySchema,
    ok: { status: 204, schema: NoContent },
  }),
  changeOwnStaffPin: route({
    method: 'POST',
    url: '/api/staff/me/pin',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'Change one’s own PIN (any role): a wrong current PIN counts as a failed sign-in; other sessions of the ' +
      'account end',
    body: StaffChangeOwnPinBodySchema,
    ok: { status: 200, schema: StaffChangeSchema },
    secret: true,
  }),
  staffAccounts: route({
    method: 'GET',
    url: '/api/staff/accounts',
    tag: 'staff',
    auth: 'administrator',
    kind: 'json',
    summary: 'Administrators: every staff account with its role, state and lockout (never a PIN or hash)',
    ok: { status: 200, schema: StaffAccountsResponseSchema },
  }),
  addStaffAccount: route({
    method: 'POST',
    url: '/api/staff/accounts',
    tag: 'staff',
    auth: 'administrator',
    kind: 'json',
    summary:
      'Administrators: add an account (id like S001, name, role, a PIN of 6–12 digits not easy to guess)',
    body: StaffAddAccountBodySchema,
    ok: { status: 200, schema: StaffChangeSchema },
    secret: true,
  }),
  resetStaffPin: route({
    method: 'POST',
    url: '/api/staff/accounts/:id/pin',
    tag: 'staff',
    auth: 'administrator',
    kind: 'json',
    summary: 'Administrators: set a new PIN for an account (its sessions end, its lockout is cleared)',
    params: IdParamsSchema,
    body: StaffNewPinBodySchema,
    ok: { status: 200, schema: StaffChangeSchema },
    secret: true,
  }),
  setStaffRole: route({
    method: 'POST',
    url: '/api/staff/accounts/:id/role',
    tag: 'staff',
    auth: 'administrator',
    kind: 'json',
    summary: 'Administrators: make an account an operator or an administrator (never the last administrator)',
    params: IdParamsSchema,
    body: StaffRoleBodySchema,
    ok: { status: 200, schema: StaffChangeSchema },
  }),
  setStaffActive: route({
    method: 'POST',
    url: '/api/staff/accounts/:id/active',
    tag: 'staff',
    auth: 'administrator',
    kind: 'json',
    summary: 'Administrators: disable (its sessions end) or enable an account (never the last administrator)',
    params: IdParamsSchema,
    body: StaffActiveBodySchema,
    ok: { status: 200, schema: StaffChangeSchema },
  }),
  unlockStaff: route({
    method: 'POST',
    url: '/api/staff/accounts/:id/unlock',
    tag: 'staff',
    auth: 'administrator',
    kind: 'json',
    summary:
      'Administrators: end a sign-in lockout now (a staff id, or "*" for the lockout of every sign-in)',
    params: StaffUnlockParamsSchema,
    body: EmptyBodySchema,
    ok: { status: 200, schema: StaffChangeSchema },
  }),
  staffOverview: route({
    method: 'GET',
    url: '/api/staff/overview',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary: 'Devices, consumables, sync queue, in-doubt journeys, reprints, spoiled keys, version',
    ok: { status: 200, schema: StaffOverviewSchema },
  }),
  resolveInDoubt: route({
    method: 'POST',
    url: '/api/staff/in-doubt/:id/resolve',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'Close an in-doubt journey: retry-write (key back in the writer), revoke-void (central revokes, the ' +
      'order is collectable again), mark-resolved (handled with central operations)',
    params: IdParamsSchema,
    body: ResolveInDoubtBodySchema,
    ok: { status: 200, schema: ResolveInDoubtResponseSchema },
  }),
  endSession: route({
    method: 'POST',
    url: '/api/staff/session/end',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary: "End the applicant's session (audited; an issuance already requested goes to staff as in doubt)",
    body: EmptyBodySchema,
    ok: { status: 204, schema: NoContent },
  }),
  reprint: route({
    method: 'POST',
    url: '/api/staff/reprints/:id',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary: 'Print a queued receipt again',
    params: IdParamsSchema,
    body: EmptyBodySchema,
    ok: { status: 200, schema: ReprintResponseSchema },
  }),
  ackStaffCall: route({
    method: 'POST',
    url: '/api/staff/calls/:id/ack',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary: "An applicant's call for staff was handled (audited as staff.call.ack with the staff id)",
    params: IdParamsSchema,
    body: EmptyBodySchema,
    ok: { status: 200, schema: StaffCallSchema },
  }),
  lookupJourney: route({
    method: 'GET',
    url: '/api/staff/journeys/:ref',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'A journey by the reference number its screen showed (K3F9A2C): status, step, error, note, order, masked ' +
      'name (404 JOURNEY_REF_UNKNOWN)',
    params: RefParamsSchema,
    ok: { status: 200, schema: JourneyLookupSchema },
  }),
  verifyAudit: route({
    method: 'GET',
    url: '/api/staff/audit/verify',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary: 'Check the hash chain of the audit log',
    ok: { status: 200, schema: AuditVerifyResponseSchema },
  }),
  deviceSelfTest: route({
    method: 'POST',
    url: '/api/staff/devices/:kind/self-test',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'Self-test one device through its driver (audited as device.self-test with the staff id): printer a test ' +
      'page, idReader a card read shown masked, token the slot and key model/serial, scanner one code (length and ' +
      'kind). 409 SELF_TEST_SESSION_OPEN while an applicant session is open; a device refusal as its own code',
    params: DeviceKindParamsSchema,
    body: EmptyBodySchema,
    ok: { status: 200, schema: SelfTestResultSchema },
  }),
  refillBlankKeys: route({
    method: 'POST',
    url: '/api/staff/consumables/blank-keys',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'Record blank keys loaded into the kiosk (audited as consumables.blank-keys.refill with the staff id); ' +
      '400 BLANK_KEY_COUNT_INVALID unless a whole number from 1 to 1000, nothing changed',
    body: BlankKeyRefillBodySchema,
    ok: { status: 200, schema: BlankKeyStockSchema },
  }),
  staffDiagnostics: route({
    method: 'GET',
    url: '/api/staff/diagnostics',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'A diagnostics bundle for a technician (audited): version, devices, store counts, sync queue, audit-chain ' +
      'check and the last 200 audit records, staff alarms, the configuration without secrets. No name, ID ' +
      'number, phone, PIN, pickup code or certificate',
    ok: { status: 200, schema: DiagnosticsSchema },
  }),
  runReconciliation: route({
    method: 'POST',
    url: '/api/staff/reconciliation',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'Reconcile a Beijing day (default yesterday) now: the kiosk’s records of the day (event id, type, order, ' +
      'certificate serial) go to central, which answers this kiosk’s lines (audited as reconciliation.run; ' +
      '400 RECONCILIATION_DAY_INVALID with nothing sent, 503 CENTRAL_UNAVAILABLE)',
    body: ReconciliationRunBodySchema,
    ok: { status: 200, schema: ReconciliationReportSchema },
  }),
  reconciliationReport: route({
    method: 'GET',
    url: '/api/staff/reconciliation',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'Central’s newest reconciliation of a day (default yesterday) with this kiosk’s lines ' +
      '(404 RECONCILIATION_NOT_FOUND before any run, 503 CENTRAL_UNAVAILABLE)',
    query: ReconciliationQuerySchema,
    ok: { status: 200, schema: ReconciliationReportSchema },
  }),

  // ---------- staff: sync, audit log, kiosk control (issue 15; handlers in maintenance-routes.ts) ----------
  syncStatus: route({
    method: 'GET',
    url: '/api/staff/sync',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'The sync queue: depth, parked events (type, when, central’s refusal code), last sync, last error',
    ok: { status: 200, schema: SyncStatusSchema },
  }),
  syncNow: route({
    method: 'POST',
    url: '/api/staff/sync/now',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary: 'Deliver the outbox and send a heartbeat now; answers the result (audited as sync.now)',
    body: EmptyBodySchema,
    ok: { status: 200, schema: SyncNowResultSchema },
  }),
  retryParkedEvent: route({
    method: 'POST',
    url: '/api/staff/sync/parked/:id/retry',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary: 'Queue a parked event again (audited; 404 PARKED_EVENT_UNKNOWN)',
    params: IdParamsSchema,
    body: EmptyBodySchema,
    ok: { status: 200, schema: ParkedActionResponseSchema },
  }),
  discardParkedEvent: route({
    method: 'POST',
    url: '/api/staff/sync/parked/:id/discard',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary: 'Give up on a parked event (audited with its type and refusal; 404 PARKED_EVENT_UNKNOWN)',
    params: IdParamsSchema,
    body: EmptyBodySchema,
    ok: { status: 200, schema: ParkedActionResponseSchema },
  }),
  searchAudit: route({
    method: 'GET',
    url: '/api/staff/audit',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'The audit log, newest first, filtered by time (from/to), actor and action, in pages of at most 100 ' +
      '(400 AUDIT_FILTER_INVALID with params.field). Records as stored (redacted)',
    query: AuditQuerySchema,
    ok: { status: 200, schema: AuditPageSchema },
  }),
  kioskService: route({
    method: 'GET',
    url: '/api/staff/kiosk/service',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary: 'In service or out of service since when',
    ok: { status: 200, schema: KioskServiceStateSchema },
  }),
  setKioskService: route({
    method: 'POST',
    url: '/api/staff/kiosk/service',
    tag: 'staff',
    auth: 'staff',
    kind: 'json',
    summary:
      'Take the kiosk out of service (no new session starts: KIOSK_OUT_OF_SERVICE; kept across restarts) or ' +
      'put it back (audited as kiosk.out-of-service / kiosk.in-service)',
    body: KioskServiceBodySchema,
    ok: { status: 200, schema: KioskServiceStateSchema },
  }),
  restartDaemon: route({
    method: 'POST',
    url: '/api/staff/kiosk/restart',
    tag: 'staff',
    auth: 'administrator',
    kind: 'json',
    summary:
      'Administrators: restart the kiosk daemon (audited; 409 RESTART_SESSION_RUNNING while an applicant ' +
      'session runs, unless force). It flushes, exits with code 75 and its supervisor starts it again',
    body: RestartBodySchema,
    ok: { status: 200, schema: RestartResponseSchema },
  }),

  // ---------- sim profile only (emulator control; registered only while central is on loopback) ----------
  simPage: route({
    method: 'GET',
    url: '/sim',
    tag: 'sim',
    auth: 'none',
    kind: 'html',
    summary: 'The emulator control page',
    ok: { status: 200, schema: Html },
  }),
  simMemory: route({
    method: 'GET',
    url: '/sim/memory',
    tag: 'sim',
    auth: 'none',
    kind: 'json',
    summary: "The process's memory (after a full collection when node runs with --expose-gc)",
    ok: { status: 200, schema: SimMemorySchema },
  }),
  simScan: route({
    method: 'POST',
    url: '/sim/scan',
    tag: 'sim',
    auth: 'none',
    kind: 'json',
    summary: "The scanner reads a code, or the QR code of the applicant's phone page on central",
    body: SimScanBodySchema,
    ok: { status: 200, schema: SimScanResponseSchema },
  }),
  simIdCard: route({
    method: 'POST',
    url: '/sim/id-card',
    tag: 'sim',
    auth: 'none',
    kind: 'json',
    summary: 'Put a card fixture on the ID reader (null lifts the card)',
    body: SimIdCardBodySchema,
    ok: { status: 200, schema: SimIdCardResponseSchema },
  }),
  simToken: route({
    method: 'POST',
    url: '/sim/token',
    tag: 'sim',
    auth: 'none',
    kind: 'json',
    summary:
      'Insert a blank USB key from the tray or a held key (the demo’s couriered key…), pull the keys, or lock a ' +
      'held key’s PIN',
    body: SimTokenBodySchema,
    ok: { status: 200, schema: SimTokenResponseSchema },
  }),
  simPrinter: route({
    method: 'POST',
    url: '/sim/printer',
    tag: 'sim',
    auth: 'none',
    kind: 'json',
    summary: 'Paper level and cover of the receipt printer',
    body: SimPrinterBodySchema,
    ok: { status: 200, schema: SimOkSchema },
  }),
  simReceipts: route({
    method: 'GET',
    url: '/sim/receipts',
    tag: 'sim',
    auth: 'none',
    kind: 'json',
    summary: 'How many receipts were printed',
    ok: { status: 200, schema: SimReceiptsSchema },
  }),
  simLatestReceipt: route({
    method: 'GET',
    url: '/sim/receipts/latest.png',
    tag: 'sim',
    auth: 'none',
    kind: 'png',
    summary: 'The last printed receipt as an image',
    ok: { status: 200, schema: Png },
    otherAnswers: { 404: SimNotFoundSchema },
  }),
} as const satisfies Record<string, RouteDef>;

export type Routes = typeof ROUTES;
export type RouteName = keyof Routes;

/** Names of the routes the sim composition attaches (tag 'sim'); the daemon attaches every other one. */
export const SIM_ROUTE_NAMES = (Object.keys(ROUTES) as RouteName[]).filter((n) => ROUTES[n].tag === 'sim');

/** The Fastify route schema of an entry: its request schemas, the success answer and ErrorBody for 4xx/5xx. */
export function fastifySchema(def: RouteDef): Record<string, unknown> {
  const content = (type: string) => ({
    description: def.summary,
    content: { [type]: { schema: def.ok.schema } },
  });
  const ok =
    def.kind === 'json'
      ? def.ok.schema
      : content(def.kind === 'html' ? 'text/html' : def.kind === 'png' ? 'image/png' : 'text/event-stream');
  return {
    summary: def.summary,
    tags: [def.tag],
    ...(def.auth !== 'none' ? { security: [{ staffToken: [] }] } : {}),
    ...(def.auth === 'administrator'
      ? { description: 'Administrators only (else 403 STAFF_FORBIDDEN).' }
      : {}),
    ...(def.params ? { params: def.params } : {}),
    ...(def.query ? { querystring: def.query } : {}),
    ...(def.body ? { body: def.body } : {}),
    response: {
      [def.ok.status]: ok,
      ...(def.otherAnswers ?? {}),
      '4xx': ErrorBodySchema,
      '5xx': ErrorBodySchema,
    },
  };
}
