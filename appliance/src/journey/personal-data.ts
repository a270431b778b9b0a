// What the journey keeps of people, and when it lets go: the order snapshot holds ID numbers only as HMACs
// under a key derived on the appliance token (the open record is sealed on disk, see store/journey-keys.ts);
// once the journey is closed, names are masked and everything else that points at a person is dropped.
import { X509Certificate } from 'node:crypto';
import type { Order } from '@certkiosk/sync';
import { hashIdNumber, maskName } from './identity.js';
import type { CertificateSummary, JourneyRecord, OrderSnapshot } from './record.js';

/** What the journey keeps of an order: only what identity matching, the CSR and the receipt need. */
export function orderSnapshot(order: Order, idKey: Buffer | string): OrderSnapshot {
  const person = (p?: { name: string; idNumber: string }) =>
    p ? { name: p.name, idNumberHash: hashIdNumber(idKey, p.idNumber) } : undefined;
  const s: OrderSnapshot = {
    orderId: order.id,
    certificateType: order.certificateType,
    businessType: order.businessType,
    serviceYears: order.serviceYears,
    holderVerifiedOnline: order.holderVerifiedOnline,
  };
  if (order.organisation) s.organisationName = order.organisation.name;
  const holder = person(order.holder);
  if (holder) s.holder = holder;
  const legal = person(order.legalRepresentative);
  if (legal) s.legalRepresentative = legal;
  const handler = person(order.handler);
  if (handler) s.handler = handler;
  return s;
}

/**
 * Once a journey is closed it keeps nothing from which a person can be found: names masked, ID-number HMACs,
 * the pickup code and the CSR dropped, and the certificate (whose subject names the holder) kept by serial
 * and fingerprint only (with its expiry and masked subject for the done screen, see `forgetDoneScreen`).
 */
export function purgePersonalData(j: JourneyRecord): void {
  if (j.order) {
    for (const key of ['holder', 'handler', 'legalRepresentative'] as const) {
      const p = j.order[key];
      if (p) j.order[key] = { name: maskName(p.name), idNumberHash: '' };
    }
  }
  if (j.identity) delete j.identity.idNumberHash;
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
