// What the journey engine needs from the outside world, as narrow interfaces: central, the outbox, the
// devices, the appliance's own signing key, and the durable store. The daemon wires the real ones.
import type { IdCardReadResult, Receipt, TokenSummary, UsbKeyDriver } from '@certkiosk/firmware-bridge';
import type { ApplianceOrder, IssueCertificateRequest, IssuedCertificate, SyncEvent } from '@certkiosk/sync';
import type { ApplianceState, UsedNonce } from './record.js';

export interface CentralPort {
  /** The order behind a pickup code, if central would accept the code now (current nonce, approved, not
   *  issued); a refusal is a CentralClientError CENTRAL_REFUSED with central's code. */
  checkPickupCode(pickupCode: string): Promise<ApplianceOrder>;
  /** A wrong ID card for the order behind this code: central counts it per order (all scans, all kiosks). */
  reportIdentityFailure(
    pickupCode: string,
    reason: 'ID_MISMATCH_PERSON' | 'ID_CARD_EXPIRED' | 'ID_CARD_INVALID',
  ): Promise<{ attemptsLeft: number }>;
  issueCertificate(req: IssueCertificateRequest): Promise<IssuedCertificate>;
  /** The certificate issued under this idempotency key, or null when there is none. */
  getCertificateByIdempotencyKey(idempotencyKey: string): Promise<IssuedCertificate | null>;
  /** Revoke an issued certificate and return its order to approved (staff resolution of an in-doubt case). */
  voidCertificate(serialNumber: string, req: { journeyId: string; reason: string }): Promise<unknown>;
}

export interface EventSink {
  /** Durably queue the event for central (resolves once it is on disk). */
  enqueue(event: SyncEvent): Promise<unknown>;
}

export interface KioskDevices {
  readIdCard(): Promise<IdCardReadResult>;
  /** Is a card on the reader? (A "find card" only: the take-your-card reminder.) */
  idCardPresent(): Promise<boolean>;
  /** A blank key in the writer (slot id + token facts), or null when there is none. */
  blankToken(): { slotId: string; token: TokenSummary } | null;
  /** The holder's key in the writer — any key but the appliance's own — or null when there is none. */
  keyInWriter(): { slotId: string; token: TokenSummary } | null;
  /** Is the token with this serial in the writer now? */
  tokenPresent(serial: string): boolean;
  usbKey(): UsbKeyDriver;
  /** Run a sequence of USB-key operations as one job (no status polls or module rescans in between). */
  tokenJob<T>(fn: () => Promise<T>): Promise<T>;
  printReceipt(receipt: Receipt): Promise<void>;
}

export interface ApplianceKey {
  /** DER ECDSA P-256 / SHA-256 signature by the appliance key (on its own PKCS#11 token). */
  sign(data: Buffer): Promise<Buffer>;
  /** HMAC-SHA256 under a secret key that never leaves the appliance token (for keys derived from it). */
  hmac(data: Buffer): Promise<Buffer>;
  publicKeyPem: string;
}

export interface StateStore {
  readonly data: ApplianceState;
  /** Durably persist `data` before resolving. When the write fails, `data` is put back to what is durable
   *  (nothing advances, not even in memory) and the error is thrown. */
  write(): Promise<void>;
  /** Record a consumed pickup nonce (durable with the next write). */
  useNonce(nonce: string, used: UsedNonce): void;
  /** Give a nonce back (its issuance was voided: the code may be used again). */
  releaseNonce(nonce: string): void;
}
