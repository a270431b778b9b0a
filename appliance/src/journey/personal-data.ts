// What the journey keeps of people, and when it lets go: the order snapshot holds ID numbers only as
// salted hashes, and once the journey no longer needs full names they are masked.
import type { Order } from '@certkiosk/sync';
import { hashIdNumber, maskName } from './identity.js';
import type { JourneyRecord, OrderSnapshot } from './record.js';

/** What the journey keeps of an order: only what identity matching, the CSR and the receipt need. */
export function orderSnapshot(order: Order, salt: string): OrderSnapshot {
  const person = (p?: { name: string; idNumber: string }) =>
    p ? { name: p.name, idNumberHash: hashIdNumber(salt, p.idNumber) } : undefined;
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

/** Keep only masked data once the journey no longer needs the people's full details: names masked, the
 *  pickup code dropped, and the certificate (whose subject names the holder) kept only by its serial. */
export function purgePersonalData(j: JourneyRecord): void {
  if (j.order) {
    for (const key of ['holder', 'handler', 'legalRepresentative'] as const) {
      const p = j.order[key];
      if (p) j.order[key] = { name: maskName(p.name), idNumberHash: p.idNumberHash };
    }
  }
  delete j.pickupCode;
  if (j.certificate) {
    j.certificate.subjectCommonName = maskName(j.certificate.subjectCommonName);
    j.certificate.pem = '';
    j.certificate.chainPem = [];
  }
}
