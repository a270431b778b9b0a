// 补办 (reissue): the certificate a reissue order replaces — the holder's lost key's — as the kiosk shows it on
// screen and on the receipt: masked, and revoked from the moment the new certificate is issued, because central
// revokes it in its own committed transaction before it signs the new one (ORDER_KINDS: revoked-before-issuance).
import { normaliseCertificateSerial, ORDER_KINDS } from '@certkiosk/sync';
import type { ReplacedCertificateView } from '../api/contract.js';
import type { JourneyRecord } from './record.js';

/** Enough of the serial to recognise it (on a CRL, in a statement), too little to look the certificate up by. */
const SERIAL_DIGITS_SHOWN = 8;

/** `0164d9f6…b14b8c32` → `…b14b8c32`: the last hex digits of the serial as central stores it. */
export function maskCertificateSerial(serial: string): string {
  return `…${normaliseCertificateSerial(serial).slice(-SERIAL_DIGITS_SHOWN)}`;
}

/** The certificate the journey's order replaces, or undefined when the order replaces none. */
export function replacedCertificate(
  j: Pick<JourneyRecord, 'order' | 'certificate'>,
): ReplacedCertificateView | undefined {
  const serialMasked = j.order?.previousCertificateMasked;
  if (!j.order || !serialMasked) return undefined;
  // Central's answer with the new certificate is the proof: it is only given after the revocation committed.
  const revokedBeforeIssuance =
    ORDER_KINDS[j.order.businessType].previousCertificateFate === 'revoked-before-issuance';
  return { serialMasked, revoked: revokedBeforeIssuance && j.certificate !== undefined };
}
