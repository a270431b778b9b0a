// What the journey engine needs from the outside world, as narrow interfaces: central, the outbox, the
// devices, the appliance's own signing key, and the durable store. The daemon wires the real ones.
import type { IdCardReadResult, Receipt, TokenSummary, UsbKeyDriver } from '@certkiosk/firmware-bridge';
import type { IssueCertificateRequest, IssuedCertificate, Order, SyncEvent } from '@certkiosk/sync';
import type { ApplianceState } from './record.js';

export interface CentralPort {
  /** Throws ApplianceError ORDER_NOT_FOUND, CENTRAL_UNAVAILABLE or CENTRAL_REFUSED. */
  getOrder(orderId: string): Promise<Order>;
  issueCertificate(req: IssueCertificateRequest): Promise<IssuedCertificate>;
  /** The certificate issued under this idempotency key, or null when there is none. */
  getCertificateByIdempotencyKey(idempotencyKey: string): Promise<IssuedCertificate | null>;
}

export interface EventSink {
  /** Durably queue the event for central (resolves once it is on disk). */
  enqueue(event: SyncEvent): Promise<unknown>;
}

export interface KioskDevices {
  readIdCard(): Promise<IdCardReadResult>;
  /** A blank key in the writer (slot id + token facts), or null when there is none. */
  blankToken(): { slotId: string; token: TokenSummary } | null;
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
  publicKeyPem: string;
}

export interface StateStore {
  readonly data: ApplianceState;
  /** Durably persist `data` (write temp, fsync, rename, fsync dir) before resolving. */
  write(): Promise<void>;
}
