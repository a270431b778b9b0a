// The issuance record: what the appliance signs, with its own key on its own token, for every certificate
// it put on a key (token serial, public-key hash, key evidence, order, hashed ID number, counter, time).
import type { IssuedJourney, KeyEvidenceRecord } from './record.js';

export interface IssuanceRecord {
  version: 1;
  kioskId: string;
  orderId: string;
  tokenSerial: string;
  publicKeySha256: string;
  keyEvidence: KeyEvidenceRecord;
  idNumberSaltedHash: string;
  certificateSerial: string;
  counter: number;
  time: string;
}

export function issuanceRecord(
  j: IssuedJourney,
  kioskId: string,
  counter: number,
  time: Date,
): IssuanceRecord {
  return {
    version: 1,
    kioskId,
    orderId: j.order.orderId,
    tokenSerial: j.token.serial,
    publicKeySha256: j.token.spkiSha256,
    keyEvidence: j.token.evidence,
    idNumberSaltedHash: j.identity.idNumberHash,
    certificateSerial: j.certificate.serialNumber,
    counter,
    time: time.toISOString(),
  };
}

/** The exact bytes signed: the record as JSON. */
export function issuanceRecordBytes(record: IssuanceRecord): Buffer {
  return Buffer.from(JSON.stringify(record));
}
