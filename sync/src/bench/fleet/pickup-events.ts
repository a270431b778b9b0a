// The events one pickup sends central, in the batches the journey emits them (appliance/src/journey/engine.ts:
// certificate.issued after issuance, certificate.written after the write, receipt.printed, then the signed
// issuance.record with certificate.activated at completion), with the journey's event ids and payload shape.
// The orders are the simulator's own (central stores the events; an unknown order moves nothing).
import { createHash, randomBytes } from 'node:crypto';
import type { SyncEvent } from '../../contract/schemas.js';

/** The POSTs of one pickup, in order; `at` is when the pickup happens. */
export function pickupEventBatches(kioskId: string, pickup: number, at: Date): SyncEvent[][] {
  const journeyId = `${kioskId}-J${pickup}`;
  const orderId = `${kioskId}-ORD-${pickup}`;
  const serialNumber = createHash('sha256').update(journeyId).digest('hex').slice(0, 32);
  const tokenSerial = `SIM-${kioskId}-${pickup}`;
  const event = (type: string, payload: Record<string, unknown>): SyncEvent => ({
    id: `${journeyId}:${type}:1`,
    type,
    occurredAt: at.toISOString(),
    orderId,
    payload: { applianceId: kioskId, journeyId, ...payload },
  });
  const record = {
    version: 1,
    kioskId,
    orderId,
    tokenSerial,
    publicKeySha256: createHash('sha256').update(tokenSerial).digest('hex'),
    keyEvidence: { kind: 'generated-on-token', attestation: randomBytes(96).toString('base64') },
    idNumberSaltedHash: createHash('sha256').update(orderId).digest('hex'),
    certificateSerial: serialNumber,
    counter: pickup,
    time: at.toISOString(),
  };
  return [
    [event('certificate.issued', { step: 'certificate-issued', serialNumber, tokenSerial })],
    [event('certificate.written', { step: 'certificate-written', serialNumber, tokenSerial })],
    [event('receipt.printed', { step: 'receipt-printed', serialNumber })],
    [
      // The record's signature is the kiosk key's ECDSA (≈ 72 bytes DER); central stores it unverified.
      event('issuance.record', { record, signature: randomBytes(72).toString('base64') }),
      event('certificate.activated', { serialNumber }),
    ],
  ];
}

/** Audit-log records a pickup adds on the kiosk (its steps and events); moves the heartbeat's audit head. */
export const AUDIT_RECORDS_PER_PICKUP = 12;
