// What the journey keeps of people, and when it lets go: the order snapshot holds ID numbers only as HMACs
// under a key derived on the appliance token (the open record is sealed on disk, see store/journey-keys.ts);
// once the journey is closed, names are masked and everything else that points at a person is dropped.
import { X509Certificate } from 'node:crypto';
import type { ApplianceOrder } from '@certkiosk/sync';
import { maskName } from './identity.js';
import type { CertificateSummary, JourneyRecord, OrderSnapshot } from './record.js';
import { maskCertificateSerial } from './replaced-certificate.js';

/** What the journey keeps of an order: only what identity matching, the CSR and the receipt need. */
export function orderSnapshot(order: ApplianceOrder): OrderSnapshot {
  const s: OrderSnapshot = {
    orderId: order.id,
    certificateType: order.certificateType,
    businessType: order.businessType,
    serviceYears: order.serviceYears,
    holderVerifiedOnline: order.holderVerifiedOnline,
    identitySalt: order.identitySalt,
  };
  if (order.organisationName) s.organisationName = order.organisationName;
  if (order.holder) s.holder = { ...order.holder };
  if (order.legalRepresentative) s.legalRepresentative = { ...order.legalRepresentative };
  if (order.handler) s.handler = { ...order.handler };
  if (order.pricePaidFen !== undefined) s.pricePaidFen = order.pricePaidFen;
  if (order.receiptUrl) s.receiptUrl = order.receiptUrl;
  // Masked at once: the done screen and the receipt need no more, and a closed journey keeps it (no purge).
  if (order.previousCertificateSerial)
    s.previousCertificateMasked = maskCertificateSerial(order.previousCertificateSerial);
  return s;
}

/**
 * Once a journey is closed it keeps nothing from which a person can be found: names masked, ID-number HMACs,
 * the pickup code and the CSR dropped, and the certificate (whose subject names the holder) kept by serial
 * and fingerprint only (with its expiry and masked subject for the done screen, see `forgetDoneScreen`).
 */
export function purgePersonalData(j: JourneyRecord): void {
  if (j.order) {
    // Without the salt and the HMACs nothing is left to try candidate ID numbers or names against.
    j.order.identitySalt = '';
    // The receipt link opens the order's status: the printed receipt (or its reprint item) has it, not the record.
    delete j.order.receiptUrl;
    for (const key of ['holder', 'handler', 'legalRepresentative'] as const) {
      const p = j.order[key];
      if (p) j.order[key] = { ...p, idHmac: '', nameHmac: '' };
    }
  }
  if (j.identity) {
    delete j.identity.idNumberHash;
    delete j.identity.statement;
  }
  delete j.pickupCode;
  if (j.pending) delete j.pending.csrPem;
  const cert = j.certificate;
  if (cert && 'pem' in cert) {
    const summary: CertificateSummary = {
      serialNumber: cert.serialNumber,
      fingerprint: new X509Certificate(cert.pem).fingerprint256.replace(/:/g, '').toLowerCase(),
      notAfter: cert.notAfter,
      subjectMasked: maskName(cert.subjectCommonName),
    };
    j.certificate = summary;
  }
}

/** After the done screen: the closed journey keeps its certificate's serial and fingerprint, nothing more. */
export function forgetDoneScreen(j: JourneyRecord): void {
  const cert = j.certificate;
  if (cert && !('pem' in cert))
    j.certificate = { serialNumber: cert.serialNumber, fingerprint: cert.fingerprint };
}
