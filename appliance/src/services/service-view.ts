// ServiceRecord (what is stored) → ServiceView (what the UI may see): masked data only, the need, and the
// certificate's facts with the days left and the renewal notice worked out for now.

import { daysLeft, RENEWAL_WINDOW_DAYS } from '@certkiosk/sync';
import { journeyRef } from '../api/journey-ref.js';
import type { KeyCertificateView, RenewalNotice, ServiceNeed, ServiceView } from '../api/service-contract.js';
import { kioskPaymentView } from '../payments/kiosk-payment.js';
import type { KeyFacts, ServiceRecord } from './service-record.js';
import { committed } from './service-table.js';

const DAY_MS = 24 * 3600 * 1000;
/** Renewal is said prominently this many days before expiry. */
export const RENEWAL_URGENT_DAYS = 30;

/** What the holder is told about renewal: offered within 90 days, urgent within 30, expired, or revoked. */
export function renewalNotice(notAfter: string, revoked: boolean, nowMs: number): RenewalNotice {
  if (revoked) return 'revoked';
  const left = Date.parse(notAfter) - nowMs;
  if (left <= 0) return 'expired';
  if (left <= RENEWAL_URGENT_DAYS * DAY_MS) return 'urgent';
  if (left <= RENEWAL_WINDOW_DAYS * DAY_MS) return 'offer';
  return 'none';
}

export function keyCertificateView(
  key: KeyFacts,
  central: ServiceRecord['central'],
  nowMs: number,
): KeyCertificateView {
  const revoked = central?.status === 'revoked';
  return {
    subjectMasked: key.subjectMasked,
    serialNumber: key.certificateSerial,
    issuer: key.issuer,
    notBefore: key.notBefore,
    notAfter: key.notAfter,
    daysLeft: daysLeft(key.notAfter, nowMs),
    status: central?.status ?? 'unknown',
    ...(central?.revokedAt ? { revokedAt: central.revokedAt } : {}),
    renewal: renewalNotice(key.notAfter, revoked, nowMs),
    ...(central?.renewalOrderReady ? { renewalOrderReady: true } : {}),
  };
}

function need(j: ServiceRecord): ServiceNeed {
  if (j.status === 'completed') return 'result';
  if (j.status !== 'active') return 'none';
  // My certificates with central unreachable: the local facts are the result (retry asks central again).
  if (j.kind === 'certificates' && j.step === 'status-checked') return 'result';
  if (j.awaiting === 'none') return 'wait';
  return j.awaiting;
}

/** All but the last four characters masked. */
export function maskSerial(serial: string): string {
  return serial.length <= 4 ? serial : `${'*'.repeat(serial.length - 4)}${serial.slice(-4)}`;
}

export function serviceView(j: ServiceRecord, nowMs: number): ServiceView {
  const view: ServiceView = {
    id: j.id,
    ref: journeyRef(j.id),
    revision: j.revision ?? 0,
    kind: j.kind,
    step: j.step,
    status: j.status,
    need: need(j),
    cancellable: j.status === 'active' && !j.pending && !committed(j.kind, j.step),
  };
  if (j.key) {
    view.token = {
      model: j.key.model,
      serialMasked: maskSerial(j.key.tokenSerial),
      pinLocked: j.key.pinLocked,
    };
    if (j.kind !== 'lookup') view.certificate = keyCertificateView(j.key, j.central, nowMs);
  }
  if (j.activation) {
    const { activatedAt: _a, ...activation } = j.activation;
    view.activation = activation;
  }
  if (j.identity) {
    view.identity = {
      state: j.identity.lastReason ? 'mismatched' : 'matched',
      nameMasked: j.identity.nameMasked,
      idNumberMasked: j.identity.idNumberMasked,
      ...(j.identity.lastReason ? { reason: j.identity.lastReason } : {}),
    };
  } else if (j.status === 'active' && (j.awaiting === 'id-card' || j.awaiting === 'scan-or-id-card')) {
    view.identity = { state: 'waiting' };
  }
  if (j.orders) view.orders = j.orders.map(({ orderId: _id, ...order }) => order);
  if (j.renewal) {
    const r = j.renewal;
    view.renewal = {
      orderIdMasked: r.orderIdMasked,
      certificateType: r.order.certificateType,
      rule: r.rule,
      ...(r.certificate
        ? {
            newCertificate: {
              serialNumber: r.certificate.serialNumber,
              notBefore: r.certificate.notBefore,
              notAfter: r.certificate.notAfter,
            },
          }
        : {}),
      ...(r.oldRemoved ? { oldRemoved: true } : {}),
      ...(r.oldRevokedAt ? { oldRevokedAt: r.oldRevokedAt } : {}),
      ...(r.pinTriesLow ? { pinTriesLow: true } : {}),
    };
  }
  if (j.renewal?.payment) view.payment = kioskPaymentView(j.renewal.payment);
  if (j.lookupPayment) {
    view.payment = kioskPaymentView(j.lookupPayment.payment);
    view.payingOrder = j.lookupPayment.position;
  }
  if (j.unlock?.unlocksLeftToday !== undefined) view.unlocksLeftToday = j.unlock.unlocksLeftToday;
  if (j.error) view.error = j.error;
  return view;
}
