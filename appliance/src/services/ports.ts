// What the service engine needs from central beyond the pickup engine's ports (journey/ports.ts): the
// after-sales calls of the agent's CentralClient. Every call about a key names it by its certificate serial
// and its token serial, both read from the key without a PIN.
import type {
  ActivationPreview,
  ActivationRequest,
  ActivationResponse,
  CertificateStatus,
  IdCard,
  OrderLookupResponse,
  UnlockRequest,
  UnlockResponse,
} from '@certkiosk/sync';

export interface ServiceCentralPort {
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
}
