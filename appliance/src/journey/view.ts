// JourneyRecord (what is stored) → JourneyView (what the UI may see): masked data only, and the need.
import { type JourneyNeed, type JourneyView, PICKUP_STEPS, type PickupStep } from '../api/contract.js';
import { journeyRef } from '../api/journey-ref.js';
import { maskName } from './identity.js';
import type { JourneyRecord } from './record.js';
import { replacedCertificate } from './replaced-certificate.js';

/** The machine steps the applicant watches while waiting. */
const WAIT_STEPS: PickupStep[] = [
  'token-ready',
  'key-generated',
  'certificate-issued',
  'certificate-written',
];

function need(j: JourneyRecord): JourneyNeed {
  if (j.status === 'completed') return 'take-items';
  if (j.status !== 'active') return 'none';
  switch (j.awaiting) {
    case 'scan':
      return 'scan';
    case 'confirm-order':
      return 'confirm-order';
    case 'id-card':
      return 'id-card';
    case 'token':
      return 'token';
    case 'pin':
      return 'pin';
    default:
      return 'wait';
  }
}

/** May the applicant cancel? Not once central issued the certificate: cancelling could only lose it (finish, or
 *  call staff; the idle wipe and staff still end the session, and hand the journey to staff in doubt). */
export function cancellable(j: Pick<JourneyRecord, 'status' | 'step'>): boolean {
  return j.status === 'active' && PICKUP_STEPS.indexOf(j.step) < PICKUP_STEPS.indexOf('certificate-issued');
}

export function journeyView(j: JourneyRecord): JourneyView {
  const at = PICKUP_STEPS.indexOf(j.step);
  const running = j.status === 'active' && j.awaiting === 'none';
  const view: JourneyView = {
    id: j.id,
    ref: journeyRef(j.id),
    revision: j.revision ?? 0,
    cancellable: cancellable(j),
    kind: 'pickup',
    step: j.step,
    status: j.status,
    need: need(j),
    progress: {
      steps: WAIT_STEPS.map((step) => {
        const i = PICKUP_STEPS.indexOf(step);
        return { step, state: i <= at ? 'done' : running && i === at + 1 ? 'running' : 'pending' };
      }),
    },
  };
  if (j.order) {
    const holder = j.order.holder?.nameMasked;
    const replaces = replacedCertificate(j);
    view.order = {
      orderId: j.order.orderId,
      certificateType: j.order.certificateType,
      businessType: j.order.businessType,
      serviceYears: j.order.serviceYears,
      ...(holder ? { holderNameMasked: holder } : {}),
      ...(j.order.organisationName ? { organisationName: j.order.organisationName } : {}),
      ...(replaces ? { replacesCertificate: replaces } : {}),
    };
  }
  if (j.identity && (j.awaiting === 'id-card' || j.identity.role)) {
    view.identity = {
      state: j.identity.role ? 'matched' : j.identity.lastReason ? 'mismatched' : 'waiting',
      ...(j.identity.nameMasked ? { nameMasked: j.identity.nameMasked } : {}),
      ...(j.identity.idNumberMasked ? { idNumberMasked: j.identity.idNumberMasked } : {}),
      ...(j.identity.lastReason ? { reason: j.identity.lastReason } : {}),
      ...(j.identity.lastReason && j.identity.attemptsLeft !== undefined
        ? { attemptsLeft: j.identity.attemptsLeft }
        : {}),
    };
  }
  if (j.receipt) view.receipt = { state: j.receipt.state };
  if (j.waiting && j.status === 'active') view.waiting = { ...j.waiting };
  if (j.error) view.error = j.error;
  const cert = j.certificate;
  if (cert?.notAfter) {
    // The subject names the holder: masked on screen too.
    const subject = 'pem' in cert ? maskName(cert.subjectCommonName) : (cert.subjectMasked ?? '');
    view.certificate = {
      subjectCommonName: subject,
      serialNumber: cert.serialNumber,
      notAfter: cert.notAfter,
    };
  }
  return view;
}
