// What the service engine needs from central beyond the pickup engine's ports (journey/ports.ts): the
// after-sales calls of the agent's CentralClient. Every call about a key names it by its certificate serial
// and its token serial, both read from the key without a PIN.
import type {
  ActivationPreview,
  ActivationRequest,
  ActivationResponse,
  ApplianceRevokeRequest,
  CertificateStatus,
  IdCard,
  IssuedCertificate,
  OrderLookupResponse,
  RenewalIssueRequest,
  RenewalOrderResponse,
  Revocation,
  UnlockRequest,
  UnlockResponse,
  VoidCertificateRequest,
  VoidCertificateResponse,
} from '@certkiosk/sync';
import type { PaymentCentralPort } from '../payments/kiosk-payment.js';

export interface ServiceCentralPort extends PaymentCentralPort {
  /** Good or revoked, masked owner, renewal (CENTRAL_REFUSED CERTIFICATE_NOT_OURS for a key not ours). */
  certificateStatus(serialNumber: string, tokenSerial: string): Promise<CertificateStatus>;
  /** The shipped order of a couriered key, before its code. */
  activationPreview(serialNumber: string, tokenSerial: string): Promise<ActivationPreview>;
  /** The code for the key: a wrong one is refused with `details.attemptsLeft`; the same kiosk's retry of the
   *  right one answers the same. */
  activate(req: ActivationRequest): Promise<ActivationResponse>;
  /** Asked before a locked PIN is reset; the card is sent once and never kept; a retried unlockId counts once. */
  requestUnlock(req: UnlockRequest): Promise<UnlockResponse>;
  lookupByIdCard(card: IdCard): Promise<OrderLookupResponse>;
  lookupByCode(code: string): Promise<OrderLookupResponse>;
  // ---- renew ----
  /** The renewal order of the certificate on the key, paid or to be paid here (`payment.due`);
   *  RENEWAL_ORDER_NOT_FOUND, RENEWAL_NOT_PAID… */
  renewalFor(certificateSerial: string, tokenSerial: string): Promise<RenewalOrderResponse>;
  /** Issue the renewal's certificate (idempotent by idempotencyKey). */
  issueRenewal(req: RenewalIssueRequest): Promise<IssuedCertificate>;
  /** The certificate issued under an idempotency key, or null when none is (or it was voided). */
  getCertificateByIdempotencyKey(key: string): Promise<IssuedCertificate | null>;
  /** Revoke the renewed certificate once its replacement is verified on the key (idempotent). */
  revokeForOrder(serialNumber: string, req: ApplianceRevokeRequest): Promise<Revocation>;
  /** Void a renewal's certificate that never made it onto the key (the order is paid again). */
  voidCertificate(serialNumber: string, req: VoidCertificateRequest): Promise<VoidCertificateResponse>;
}
