// A small fetch-based client for the central endpoints an appliance calls. Requests are authenticated in a request
// session (contract/request-sessions.ts): one request signed with the appliance key (an async signer, so the key
// can stay on its PKCS#11 token) opens it, the later ones carry its ticket and a MAC. Every request has a timeout;
// every failure is a CentralClientError: CENTRAL_UNAVAILABLE, CENTRAL_REFUSED (central's code kept) or
// CENTRAL_BAD_RESPONSE.
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { CentralErrorCode } from '../contract/error-codes.js';
import { signAuditHead, signIdentityStatement } from '../contract/identity.js';
import { type InvoiceRequestBody, type InvoiceState, InvoiceStateSchema } from '../contract/invoices.js';
import {
  type NativePaymentResponse,
  NativePaymentResponseSchema,
  type PaymentStatus,
  PaymentStatusSchema,
} from '../contract/payments.js';
import {
  type KioskRecord,
  type ReconciliationReport,
  ReconciliationReportSchema,
} from '../contract/reconciliation.js';
import {
  macRequestHeaders,
  newSessionOffer,
  type RequestSession,
  SESSION_OPEN_PATH,
  SESSION_RENEW_BEFORE_MS,
  SessionOpenResponseSchema,
} from '../contract/request-sessions.js';
import { type EcdsaSigner, signRequest } from '../contract/request-signing.js';
import {
  type ActivationPreview,
  ActivationPreviewSchema,
  type ActivationRequest,
  type ActivationResponse,
  ActivationResponseSchema,
  type Appliance,
  type ApplianceOrder,
  ApplianceOrderSchema,
  type ApplianceOrderStatus,
  ApplianceOrderStatusSchema,
  type ApplianceRevokeRequest,
  ApplianceSchema,
  type AuditHead,
  type CertificateStatus,
  CertificateStatusSchema,
  ChangeFeedResponseSchema,
  type EnrolRequest,
  EventBatchResponseSchema,
  type HeartbeatRequest,
  HeartbeatResponseSchema,
  type IdCard,
  type IdentityFailureRequest,
  type IdentityFailureResponse,
  IdentityFailureResponseSchema,
  type IdentityStatement,
  type IssueCertificateRequest,
  IssuedCertificateSchema,
  type OrderLookupResponse,
  OrderLookupResponseSchema,
  type RenewalIssueRequest,
  type RenewalOrderResponse,
  RenewalOrderResponseSchema,
  type Revocation,
  RevocationSchema,
  type SignedIdentityStatement,
  type SyncEvent,
  type UnlockRequest,
  type UnlockResponse,
  UnlockResponseSchema,
  type VoidCertificateRequest,
  type VoidCertificateResponse,
  VoidCertificateResponseSchema,
} from '../contract/schemas.js';
import { registerContractFormats } from './contract-formats.js';
import { CentralClientError } from './errors.js';
import { pinnedFetch } from './pinned-fetch.js';

registerContractFormats();

export interface CentralClientOptions {
  /** e.g. `http://127.0.0.1:7410` (from config `central.url`). */
  baseUrl: string;
  applianceId: string;
  /** ECDSA P-256 / SHA-256 signer returning DER (PKCS#11 token, or `createKeySigner` in tests). */
  signer: EcdsaSigner;
  /** Per-request timeout, including reading the answer (default 10 s). */
  timeoutMs?: number;
  /** PEM of the only CA central's TLS certificate may chain to (config `central.caCertificate`). */
  caPem?: string;
  fetch?: typeof fetch;
  /**
   * Authenticate requests in a request session (default true): one request signed with the appliance key opens
   * it, later ones carry its MAC. false: every request is signed with the appliance key.
   */
  sessions?: boolean;
  /** The clock the session is renewed by (default Date.now; tests). Request timestamps stay Date.now. */
  now?: () => number;
}

type Method = 'GET' | 'POST';
/** How a request shows it is this appliance's: its request session's MAC, or the appliance key's signature. */
type Auth = 'session' | 'signature';

/** Central's codes for "this session's ticket is no good any more": open a new session and send again, once. */
const SESSION_REFUSED_CODES: ReadonlySet<string> = new Set<CentralErrorCode>([
  'AUTH_SESSION_INVALID',
  'AUTH_SESSION_EXPIRED',
]);

/**
 * How long a client signs every request after central answered the session opening with a bare 404 (a central
 * older than request sessions, during a rolling upgrade) before it tries to open one again.
 */
export const SESSIONS_ABSENT_RETRY_MS = 15 * 60_000;

/** Central's codes for "no certificate to write under this idempotency key". */
const NO_CERTIFICATE_CODES: ReadonlySet<string> = new Set<CentralErrorCode>([
  'CERTIFICATE_NOT_FOUND',
  'CERTIFICATE_VOIDED',
]);

export class CentralClient {
  readonly baseUrl: string;
  readonly applianceId: string;
  private readonly signer: EcdsaSigner;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly auth: Auth;
  private readonly now: () => number;
  /** The request session, or its opening in flight (shared by the requests waiting for it); in memory only. */
  private held: RequestSession | Promise<RequestSession> | undefined;
  /** Until when requests are signed because central has no request sessions (a bare 404 to the opening). */
  private signedUntilMs = 0;

  constructor(opts: CentralClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.applianceId = opts.applianceId;
    this.signer = opts.signer;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetchImpl = opts.fetch ?? (opts.caPem ? pinnedFetch(opts.caPem) : fetch);
    this.auth = (opts.sessions ?? true) ? 'session' : 'signature';
    this.now = opts.now ?? Date.now;
  }

  /**
   * Register this appliance's public key (signed with that key); an operator then approves it. A new
   * appliance or key needs the one-time `enrolmentCode` the operator registered it with (in `req` or as the
   * second argument); re-enrolling the enrolled key and a loopback auto-approve central need none.
   */
  enrol(req: EnrolRequest, enrolmentCode?: string): Promise<Appliance> {
    const body: EnrolRequest = enrolmentCode === undefined ? req : { ...req, enrolmentCode };
    // Signed with the key being enrolled (its proof of possession), never in a session of the key it replaces.
    return this.request('POST', '/v1/appliances/enrol', body, ApplianceSchema, 'signature');
  }

  /** An order's state only (no people): the order itself comes with its pickup code (checkPickupCode). */
  getOrder(orderId: string): Promise<ApplianceOrderStatus> {
    return this.request(
      'GET',
      `/v1/orders/${encodeURIComponent(orderId)}`,
      undefined,
      ApplianceOrderStatusSchema,
    );
  }

  /** Issue: the request carries the pickup code, key evidence and a signed identity statement. */
  issueCertificate(req: IssueCertificateRequest) {
    return this.request('POST', '/v1/certificates', req, IssuedCertificateSchema);
  }

  /**
   * Issue a renewal: like issueCertificate, admitted by the certificate it renews (on the key in the writer, where
   * the new key pair was generated) instead of a pickup code. Idempotent by idempotencyKey.
   */
  issueRenewal(req: RenewalIssueRequest) {
    return this.request('POST', '/v1/certificates', req, IssuedCertificateSchema);
  }

  /** Sign an identity statement with this appliance's key (for `issueCertificate`'s `identityStatement`). */
  signIdentityStatement(statement: IdentityStatement): Promise<SignedIdentityStatement> {
    return signIdentityStatement(statement, this.signer);
  }

  /** Sign the audit log's head with this appliance's key (for the heartbeat's `auditHead`). */
  signAuditHead(head: { seq: number; hash: string; at: string }): Promise<AuditHead> {
    return signAuditHead({ applianceId: this.applianceId, ...head }, this.signer);
  }

  private lastAuditHead: AuditHead | undefined;

  /**
   * The heartbeat's signed audit head: signed when the log's head moved (at: now), else the one signed before,
   * byte for byte. Central then knows it at once (no signature to check again), and a key on a token signs once
   * per change, not every 30 s. The heartbeat's own request signature proves it is fresh.
   */
  async currentAuditHead(head: { seq: number; hash: string }): Promise<AuditHead> {
    const last = this.lastAuditHead;
    if (last && last.seq === head.seq && last.hash === head.hash) return last;
    const signed = await this.signAuditHead({ ...head, at: new Date().toISOString() });
    this.lastAuditHead = signed;
    return signed;
  }

  /**
   * The certificate issued under an idempotency key (after a crash), or null when there is none to write:
   * central issued none, or staff voided it (CERTIFICATE_VOIDED — a voided certificate is never returned).
   */
  async getCertificateByIdempotencyKey(key: string) {
    try {
      return await this.request(
        'GET',
        `/v1/certificates/by-idempotency-key/${encodeURIComponent(key)}`,
        undefined,
        IssuedCertificateSchema,
      );
    } catch (e) {
      if (e instanceof CentralClientError && NO_CERTIFICATE_CODES.has(e.centralCode ?? '')) return null;
      throw e;
    }
  }

  /**
   * Scan-time check of a pickup code against central's current state (signature, hall, order status, expiry,
   * superseded): the order as an appliance may see it (ApplianceOrder: people masked + HMACs under the
   * order's identitySalt) when issuance would accept the code, else CENTRAL_REFUSED with central's code.
   */
  /** A wrong ID card for the order behind this code: central counts it per order and answers the tries left. */
  reportIdentityFailure(
    pickupCode: string,
    reason: IdentityFailureRequest['reason'],
  ): Promise<IdentityFailureResponse> {
    return this.request(
      'POST',
      '/v1/pickup-codes/identity-failure',
      { pickupCode, reason },
      IdentityFailureResponseSchema,
    );
  }

  checkPickupCode(pickupCode: string): Promise<ApplianceOrder> {
    return this.request('POST', '/v1/pickup-codes/check', { pickupCode }, ApplianceOrderSchema);
  }

  /**
   * Staff resolution of an in-doubt issuance by this appliance: central revokes the certificate and the order
   * returns to approved (same pickup code, new key pair). Idempotent: voiding again answers the same.
   */
  voidCertificate(serialNumber: string, req: VoidCertificateRequest): Promise<VoidCertificateResponse> {
    return this.request(
      'POST',
      `/v1/certificates/${encodeURIComponent(serialNumber)}/void`,
      req,
      VoidCertificateResponseSchema,
    );
  }

  postEvents(events: SyncEvent[]) {
    return this.request('POST', '/v1/events', { events }, EventBatchResponseSchema);
  }

  getChanges(cursor?: string, limit?: number) {
    const q = new URLSearchParams();
    if (cursor !== undefined) q.set('cursor', cursor);
    if (limit !== undefined) q.set('limit', String(limit));
    const qs = q.toString();
    return this.request('GET', `/v1/changes${qs ? `?${qs}` : ''}`, undefined, ChangeFeedResponseSchema);
  }

  heartbeat(req: HeartbeatRequest) {
    return this.request('POST', '/v1/heartbeat', req, HeartbeatResponseSchema);
  }

  // ---- after-sales: the key in the writer is named by its certificate serial and its token serial ----

  /** My certificates: good or revoked, masked owner and order, renewal rule and offer (CERTIFICATE_NOT_OURS). */
  certificateStatus(serialNumber: string, tokenSerial: string): Promise<CertificateStatus> {
    return this.request(
      'GET',
      `/v1/certificates/${encodeURIComponent(serialNumber)}?${new URLSearchParams({ tokenSerial })}`,
      undefined,
      CertificateStatusSchema,
    );
  }

  /** A couriered key before its activation code: masked holder and order, code expiry, tries left. */
  activationPreview(serialNumber: string, tokenSerial: string): Promise<ActivationPreview> {
    return this.request(
      'GET',
      `/v1/activations/${encodeURIComponent(serialNumber)}?${new URLSearchParams({ tokenSerial })}`,
      undefined,
      ActivationPreviewSchema,
    );
  }

  /** Activate a couriered key with its 6-digit code (a wrong one: CENTRAL_REFUSED, the tries left in the error). */
  activate(req: ActivationRequest): Promise<ActivationResponse> {
    return this.request('POST', '/v1/activations', req, ActivationResponseSchema);
  }

  /** The paid renewal order of the certificate on the key (an ApplianceOrder, to match the ID card against). */
  renewalFor(certificateSerial: string, tokenSerial: string): Promise<RenewalOrderResponse> {
    return this.request(
      'GET',
      `/v1/renewals?${new URLSearchParams({ certificateSerial, tokenSerial })}`,
      undefined,
      RenewalOrderResponseSchema,
    );
  }

  /** Revoke the certificate a renewal (after the new one is verified) or reissue order names; idempotent. */
  revokeForOrder(serialNumber: string, req: ApplianceRevokeRequest): Promise<Revocation> {
    return this.request(
      'POST',
      `/v1/certificates/${encodeURIComponent(serialNumber)}/revoke`,
      req,
      RevocationSchema,
    );
  }

  /** Ask before resetting a locked PIN (counted per key per day; the same unlockId counts once). */
  requestUnlock(req: UnlockRequest): Promise<UnlockResponse> {
    return this.request('POST', '/v1/unlocks', req, UnlockResponseSchema);
  }

  /** The orders of the person whose card was read (sent once, inside the signed request; keep nothing). */
  lookupByIdCard(card: IdCard): Promise<OrderLookupResponse> {
    return this.request('POST', '/v1/lookups/by-id-card', { card }, OrderLookupResponseSchema);
  }

  /** One order by a scanned pickup code or receipt link. */
  lookupByCode(code: string): Promise<OrderLookupResponse> {
    return this.request('POST', '/v1/lookups/by-code', { code }, OrderLookupResponseSchema);
  }

  // ---- kiosk payments (WeChat Pay Native) of the orders of this appliance's hall ----

  /**
   * Pay an order awaiting payment at this kiosk: the QR code link, amount and expiry (the open attempt's again
   * while it lasts). PAYMENT_NOT_AVAILABLE for an order not awaiting a kiosk payment; PAYMENT_PROVIDER_FAILED.
   */
  startNativePayment(orderId: string): Promise<NativePaymentResponse> {
    return this.request('POST', '/v1/payments/native', { orderId }, NativePaymentResponseSchema);
  }

  /** The order's newest payment: pending, paid, closed (cancelled or expired) or refund-pending. */
  paymentStatus(orderId: string): Promise<PaymentStatus> {
    return this.request('GET', `/v1/payments/${encodeURIComponent(orderId)}`, undefined, PaymentStatusSchema);
  }

  /** The kiosk session ended: close the open payment (paid there after all → paid); idempotent. */
  cancelPayment(orderId: string): Promise<PaymentStatus> {
    return this.request(
      'POST',
      `/v1/payments/${encodeURIComponent(orderId)}/cancel`,
      undefined,
      PaymentStatusSchema,
    );
  }

  // ---- invoices of the orders of this appliance's hall ----

  /**
   * Request the order's invoice, or replace the details of its request until it is issued. Central checks the
   * title, the credit code (USCC_* codes) and the address again; an order not collected yet or invoiced already:
   * INVOICE_NOT_AVAILABLE.
   */
  requestInvoice(orderId: string, body: InvoiceRequestBody): Promise<InvoiceState> {
    return this.request(
      'POST',
      `/v1/orders/${encodeURIComponent(orderId)}/invoice-request`,
      body,
      InvoiceStateSchema,
    );
  }

  /** The order's invoice: requested, or issued with its number, amount and PDF link (INVOICE_NOT_REQUESTED). */
  invoice(orderId: string): Promise<InvoiceState> {
    return this.request(
      'GET',
      `/v1/orders/${encodeURIComponent(orderId)}/invoice`,
      undefined,
      InvoiceStateSchema,
    );
  }

  // ---- reconciliation: this kiosk's share of a day's report (issue 14 §4) ----

  /**
   * Reconcile a Beijing day (YYYY-MM-DD) at central with this kiosk's own records of the day (kept there and used by
   * every later run of the day): this kiosk's lines only. A wrong day: CENTRAL_REFUSED RECONCILIATION_DAY_INVALID.
   */
  runReconciliation(day: string, records?: KioskRecord[]): Promise<ReconciliationReport> {
    return this.request(
      'POST',
      '/v1/reconciliations',
      { day, ...(records ? { records } : {}) },
      ReconciliationReportSchema,
    );
  }

  /** The newest report of a day that covered this kiosk, its lines only (RECONCILIATION_NOT_FOUND before any). */
  reconciliation(day: string): Promise<ReconciliationReport> {
    return this.request(
      'GET',
      `/v1/reconciliations/${encodeURIComponent(day)}`,
      undefined,
      ReconciliationReportSchema,
    );
  }

  /**
   * One authenticated call (in the request session unless `auth` is 'signature'); the answer is checked against
   * the contract schema before it is returned. When central no longer takes the session's ticket (invalid or
   * expired), the session is dropped and the call sent once more in a new one (central refused it before acting
   * on it); a second such refusal is thrown.
   */
  async request<S extends TSchema>(
    method: Method,
    path: string,
    body: unknown,
    schema: S,
    auth: Auth = this.auth,
  ): Promise<Static<S>> {
    const url = new URL(this.baseUrl + path);
    const where = { method, path: url.pathname + url.search };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let sent = 1; ; sent++) {
      const session = auth === 'session' ? await this.sessionIfCentralHasThem() : undefined;
      try {
        return await this.send(url, where, payload, await this.authHeaders(where, payload, session), schema);
      } catch (e) {
        if (!session || !isSessionRefusal(e)) throw e;
        this.dropSession(session);
        if (sent === 2) throw e;
      }
    }
  }

  /** The request's authentication headers: its session's ticket and MAC, or (no session) its signature. */
  private async authHeaders(
    where: { method: Method; path: string },
    payload: string | undefined,
    session: RequestSession | undefined,
  ): Promise<Record<string, string>> {
    if (session) return macRequestHeaders({ ...where, body: payload }, session);
    return signRequest({ applianceId: this.applianceId, ...where, body: payload }, this.signer);
  }

  /**
   * The request session to send in, or none (sign the request) while central is known to have no request
   * sessions: a central older than them answers the opening with a 404 carrying no code of ours.
   */
  private async sessionIfCentralHasThem(): Promise<RequestSession | undefined> {
    if (this.now() < this.signedUntilMs) return undefined;
    try {
      return await this.session();
    } catch (e) {
      if (!(e instanceof CentralClientError && e.status === 404 && e.centralCode === undefined)) throw e;
      this.signedUntilMs = this.now() + SESSIONS_ABSENT_RETRY_MS;
      return undefined;
    }
  }

  /**
   * The request session to send in: the one held, or a new one when there is none or it expires within
   * SESSION_RENEW_BEFORE_MS. Requests arriving meanwhile wait for the same opening.
   */
  private async session(): Promise<RequestSession> {
    const session = await (this.held ?? this.openSession());
    if (this.now() < session.expiresAtMs - SESSION_RENEW_BEFORE_MS) return session;
    this.dropSession(session);
    return this.held ?? this.openSession(); // another request may be renewing it already
  }

  /** Forget `session` unless it was replaced already (concurrent refusals of it open one new session). */
  private dropSession(session: RequestSession): void {
    if (this.held === session) this.held = undefined;
  }

  /** POST /v1/session, signed with the appliance key: held while in flight, then its session (none if it failed). */
  private openSession(): Promise<RequestSession> {
    const offer = newSessionOffer(this.applianceId);
    const opening = this.request(
      'POST',
      SESSION_OPEN_PATH,
      offer.body,
      SessionOpenResponseSchema,
      'signature',
    ).then((answer) => {
      try {
        return offer.finish(answer);
      } catch (e) {
        throw new CentralClientError(
          'CENTRAL_BAD_RESPONSE',
          `Central's answer to POST ${SESSION_OPEN_PATH} does not open a session (${(e as Error).message}).`,
          { method: 'POST', path: SESSION_OPEN_PATH },
        );
      }
    });
    this.held = opening;
    // Registered before any request awaits the opening, so they find it settled here.
    opening.then(
      (session) => {
        if (this.held === opening) this.held = session;
      },
      () => {
        if (this.held === opening) this.held = undefined;
      },
    );
    return opening;
  }

  /** Send one authenticated request; every failure becomes a CentralClientError. */
  private async send<S extends TSchema>(
    url: URL,
    where: { method: Method; path: string },
    payload: string | undefined,
    headers: Record<string, string>,
    schema: S,
  ): Promise<Static<S>> {
    const { method, path: signedPath } = where;
    let status: number;
    let text: string;
    try {
      const res = await this.fetchImpl(url, {
        method,
        headers: {
          ...headers,
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload ? { body: payload } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      const err = e as Error;
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
      const cause = timedOut ? `no answer within ${this.timeoutMs} ms` : causeOf(err);
      throw new CentralClientError(
        'CENTRAL_UNAVAILABLE',
        `Central at ${this.baseUrl} is unavailable for ${method} ${signedPath}: ${cause}.`,
        { ...where, cause },
      );
    }

    if (status >= 500) {
      throw new CentralClientError(
        'CENTRAL_UNAVAILABLE',
        `Central answered ${status} to ${method} ${signedPath}; it will be retried.`,
        { ...where, status, ...centralCodeOf(text) },
      );
    }
    if (status >= 400) {
      const { centralCode, message, attemptsLeft } = centralCodeOf(text);
      throw new CentralClientError(
        'CENTRAL_REFUSED',
        `Central refused ${method} ${signedPath} (${status} ${centralCode ?? 'no error code'}): ${message ?? 'no message'}`,
        {
          ...where,
          status,
          ...(centralCode ? { centralCode } : {}),
          ...(message ? { centralMessage: message } : {}),
          ...(attemptsLeft !== undefined ? { attemptsLeft } : {}),
        },
      );
    }
    if (status < 200 || status >= 300) {
      throw new CentralClientError(
        'CENTRAL_BAD_RESPONSE',
        `Central answered ${status} to ${method} ${signedPath}.`,
        {
          ...where,
          status,
        },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CentralClientError(
        'CENTRAL_BAD_RESPONSE',
        `Central's answer to ${method} ${signedPath} is not JSON; check the central URL.`,
        { ...where, status },
      );
    }
    if (!Value.Check(schema, parsed)) {
      const first = Value.Errors(schema, parsed).First();
      const at = first ? `${first.path || '/'}: ${first.message}` : 'unexpected shape';
      throw new CentralClientError(
        'CENTRAL_BAD_RESPONSE',
        `Central's answer to ${method} ${signedPath} does not match the contract (${at}).`,
        { ...where, status, cause: at },
      );
    }
    return parsed as Static<S>;
  }
}

/** Central no longer takes the session's ticket: open a new session (never for a bad MAC or a replayed nonce). */
function isSessionRefusal(e: unknown): boolean {
  return (
    e instanceof CentralClientError &&
    e.code === 'CENTRAL_REFUSED' &&
    SESSION_REFUSED_CODES.has(e.centralCode ?? '')
  );
}

function causeOf(e: Error): string {
  const c = (e as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? e.message;
}

function centralCodeOf(text: string): { centralCode?: string; message?: string; attemptsLeft?: number } {
  try {
    const v = JSON.parse(text) as { code?: unknown; message?: unknown; attemptsLeft?: unknown };
    return {
      ...(typeof v.code === 'string' ? { centralCode: v.code } : {}),
      ...(typeof v.message === 'string' ? { message: v.message } : {}),
      ...(Number.isInteger(v.attemptsLeft) ? { attemptsLeft: v.attemptsLeft as number } : {}),
    };
  } catch {
    return {};
  }
}
