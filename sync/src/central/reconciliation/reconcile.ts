// The rules: a day's sources in, one typed line per difference out. Pure (no store, no clock). Each subject (a
// payment, an order's WeChat payment, a certificate, an activation, an invoice) yields at most one line: the first
// rule below that applies, the most telling one. A line says what each side recorded and never proposes a fix; a
// repeated notification or a replayed event is stored once at central and so is no difference.
import { PAYMENT_FLAG_REASONS } from '../payments/schemas.js';
import { billTimeCst } from '../payments/wechatpay-api.js';
import {
  type LineKind,
  RECONCILIATION_LINE_KINDS,
  type ReconciliationLine,
  type ReconciliationSide,
  type ReconciliationSubject,
} from './schemas.js';
import type {
  CentralActivation,
  CentralPayment,
  DaySources,
  KioskRecordSeen,
  ProviderBillView,
} from './sources.js';

type Keys = {
  subject: ReconciliationSubject;
  applianceId?: string | null;
  orderId?: string | null;
  outTradeNo?: string;
  certificateSerial?: string | null;
  invoiceNumber?: string | null;
};
type Says = { kiosk?: string; central?: string; provider?: string };

/** Absent keys stay absent (not null) in the line. */
function keys(k: Keys): Omit<ReconciliationLine, 'kind' | 'side' | 'message'> {
  return {
    subject: k.subject,
    ...(k.applianceId ? { applianceId: k.applianceId } : {}),
    ...(k.orderId ? { orderId: k.orderId } : {}),
    ...(k.outTradeNo ? { outTradeNo: k.outTradeNo } : {}),
    ...(k.certificateSerial ? { certificateSerial: k.certificateSerial } : {}),
    ...(k.invoiceNumber ? { invoiceNumber: k.invoiceNumber } : {}),
  };
}

function line(
  kind: Exclude<LineKind, 'missing-on-a-side'>,
  k: Keys,
  says: Says,
  message: string,
): ReconciliationLine {
  return { kind, ...keys(k), ...says, message };
}

function missing(side: ReconciliationSide, k: Keys, says: Says, message: string): ReconciliationLine {
  return { kind: 'missing-on-a-side', side, ...keys(k), ...says, message };
}

/** Fen as the bill and the invoice show money: yuan with two decimals. */
export const yuan = (fen: number) => `${(fen / 100).toFixed(2)} 元`;
/** Central's times as the bill writes them (Beijing, to the second), so the sides read alike. */
const bj = (iso: string | null) => (iso ? billTimeCst(Date.parse(iso)) : '?');

// ---- payments: central's attempts against the provider's trade bill ----

interface Billed {
  fen: number;
  tradeTime: string;
}

function billed(bill: ProviderBillView): { success: Map<string, Billed>; refunded: Set<string> } {
  const success = new Map<string, Billed>();
  const refunded = new Set<string>();
  for (const r of bill.rows) {
    if (r.tradeState === 'REFUND') refunded.add(r.outTradeNo);
    if (r.tradeState !== 'SUCCESS') continue;
    // 订单金额 is what the payer was charged (central's paid amount); 应结订单金额 lacks the coupons.
    const fen = r.orderTotalFen ?? r.settlementTotalFen ?? 0;
    const before = success.get(r.outTradeNo);
    success.set(r.outTradeNo, { fen: (before?.fen ?? 0) + fen, tradeTime: before?.tradeTime ?? r.tradeTime });
  }
  return { success, refunded };
}

function centralSays(p: CentralPayment | undefined): string {
  if (!p) return 'no payment with this out_trade_no';
  if (p.state === 'paid') return `paid ${yuan(p.paidFen ?? 0)} at ${bj(p.paidAt)}`;
  if (p.state === 'refund-pending')
    return `refund-pending (${p.flagReason}): ${yuan(p.paidFen ?? 0)} paid at ${bj(p.paidAt)}, ${yuan(p.amountFen)} asked`;
  return `${p.state}, ${yuan(p.amountFen)} asked, nothing paid`;
}

const providerSays = (b: Billed | undefined, refunded: boolean) =>
  [b ? `SUCCESS ${yuan(b.fen)} at ${b.tradeTime}` : 'not on the bill', refunded ? 'REFUND' : '']
    .filter(Boolean)
    .join('; ');

function paymentLine(
  outTradeNo: string,
  p: CentralPayment | undefined,
  b: Billed | undefined,
  refunded: boolean,
  bill: ProviderBillView['state'],
  taken: KioskRecordSeen[],
): ReconciliationLine | null {
  const k: Keys = {
    subject: 'payment',
    outTradeNo,
    orderId: p?.orderId ?? null,
    applianceId: p?.applianceId ?? null,
  };
  const says: Says = {
    central: centralSays(p),
    ...(bill === 'unavailable' ? {} : { provider: providerSays(b, refunded) }),
  };
  if (!p?.orderId)
    return line(
      'payment-without-order',
      k,
      says,
      `Money was paid for out_trade_no ${outTradeNo}, which is no order of ours.`,
    );
  if (b && (p.state === 'pending' || p.state === 'closed'))
    return missing(
      'central',
      k,
      says,
      `The provider took ${yuan(b.fen)}; central has no payment recorded (its attempt is ${p.state}).`,
    );
  if (
    !b &&
    bill === 'complete' &&
    p.onDay &&
    !refunded &&
    (p.state === 'paid' || p.state === 'refund-pending')
  )
    return missing(
      'provider',
      k,
      says,
      `Central recorded ${yuan(p.paidFen ?? 0)} paid on the day; the provider's bill of the day does not list it.`,
    );
  if (p.state === 'refund-pending' && p.flagReason === 'amount-mismatch')
    return line(
      'amount-differs',
      k,
      says,
      `${yuan(p.paidFen ?? 0)} was paid where the payment asked ${yuan(p.amountFen)}; the order was not paid with it.`,
    );
  if (b && p.paidFen !== null && p.paidFen !== b.fen)
    return line(
      'amount-differs',
      k,
      says,
      `Central recorded ${yuan(p.paidFen)} paid; the provider's bill says ${yuan(b.fen)}.`,
    );
  if (p.state === 'refund-pending' && !refunded)
    return line(
      'refund-pending',
      k,
      says,
      `${yuan(p.paidFen ?? 0)} arrived and was not taken for the order (${p.flagReason}): ${p.flagReason ? PAYMENT_FLAG_REASONS[p.flagReason].split('. ')[0] : 'flagged'}.`,
    );
  if (p.state === 'paid' && !p.orderPaidByWechat)
    return line(
      'state-differs',
      k,
      says,
      `The payment is paid but its order ${p.orderId} was never paid by WeChat.`,
    );
  if (refunded && p.state === 'paid')
    return line(
      'state-differs',
      k,
      says,
      'The provider refunded the payment; central has it paid for the order.',
    );
  if (p.state === 'paid' && p.onDay && p.applianceId && taken.length === 0)
    return missing(
      'kiosk',
      k,
      { ...says, kiosk: 'no payment.taken received' },
      `Central recorded ${yuan(p.paidFen ?? 0)} paid at kiosk ${p.applianceId} for order ${p.orderId}; the kiosk has no record of taking it.`,
    );
  return null;
}

const takenKey = (applianceId: string | null, orderId: string | null) => `${applianceId}\n${orderId}`;

/** The kiosk's payment.taken records by kiosk and order. */
function takenRecords(s: DaySources): Map<string, KioskRecordSeen[]> {
  const out = new Map<string, KioskRecordSeen[]>();
  for (const r of s.kiosk) {
    if (r.type !== 'payment.taken' || !r.orderId) continue;
    const key = takenKey(r.applianceId, r.orderId);
    out.set(key, [...(out.get(key) ?? []), r]);
  }
  return out;
}

/**
 * A kiosk recorded a payment taken for an order on the day, and central has no paid payment of that kiosk for it
 * (unless the payment's own line already says why: one line per payment).
 */
function takenLines(
  s: DaySources,
  taken: Map<string, KioskRecordSeen[]>,
  said: Set<string>,
): ReconciliationLine[] {
  const out: ReconciliationLine[] = [];
  for (const records of taken.values()) {
    if (!records.some((r) => r.onDay)) continue;
    const { applianceId, orderId } = records[0]!;
    const own = s.payments.filter((p) => p.orderId === orderId && p.applianceId === applianceId);
    if (own.some((p) => p.state === 'paid')) continue;
    const latest = own.at(-1);
    if (latest && said.has(latest.outTradeNo)) continue;
    out.push(
      missing(
        'central',
        { subject: 'payment', applianceId, orderId, ...(latest ? { outTradeNo: latest.outTradeNo } : {}) },
        {
          kiosk: kioskSays(records),
          central: latest ? centralSays(latest) : 'no payment of this kiosk for the order',
        },
        `Kiosk ${applianceId} recorded a payment taken for order ${orderId}; central has no paid payment of that kiosk for it.`,
      ),
    );
  }
  return out;
}

function paymentLines(s: DaySources): ReconciliationLine[] {
  const { success, refunded } = billed(s.bill);
  const central = new Map(s.payments.map((p) => [p.outTradeNo, p]));
  const taken = takenRecords(s);
  const subjects = new Set([
    ...success.keys(),
    ...refunded,
    ...s.payments.filter((p) => p.onDay).map((p) => p.outTradeNo),
  ]);
  const lines = [...subjects].flatMap((no) => {
    const p = central.get(no);
    const l = paymentLine(
      no,
      p,
      success.get(no),
      refunded.has(no),
      s.bill.state,
      taken.get(takenKey(p?.applianceId ?? null, p?.orderId ?? null)) ?? [],
    );
    return l ? [l] : [];
  });
  return [...lines, ...takenLines(s, taken, new Set(lines.map((l) => l.outTradeNo ?? '')))];
}

/** Orders marked paid by WeChat with no payment of central's paid for them: nothing the bill could list. */
function wechatOrderLines(s: DaySources): ReconciliationLine[] {
  return s.wechatPaidOrders
    .filter((o) => !o.hasPaidPayment)
    .map((o) =>
      missing(
        'provider',
        { subject: 'order', orderId: o.orderId },
        {
          central: `paid by WeChat (pay-wechat) at ${bj(o.paidAt)}, price ${yuan(o.priceFen)}`,
          provider: 'no WeChat payment of central’s for this order',
        },
        'The order was marked paid by WeChat, but no WeChat payment was taken for it.',
      ),
    );
}

// ---- issuance and activation: what kiosks reported against central's certificates and orders ----

function kioskSays(records: KioskRecordSeen[]): string {
  if (records.length === 0) return 'no record received';
  const types = [...new Set(records.map((r) => r.type))].join(', ');
  return records.every((r) => r.received) ? types : `${types} (listed by the kiosk, not received)`;
}

function issuanceLines(s: DaySources): ReconciliationLine[] {
  const bySerial = new Map<string, KioskRecordSeen[]>();
  for (const r of s.kiosk) if (r.serial) bySerial.set(r.serial, [...(bySerial.get(r.serial) ?? []), r]);
  const certs = new Map(s.certificates.map((c) => [c.serial, c]));
  const subjects = new Set([
    ...s.certificates.filter((c) => c.onDay).map((c) => c.serial),
    ...s.kiosk.filter((r) => r.onDay && r.serial).map((r) => r.serial!),
  ]);
  const out: ReconciliationLine[] = [];
  for (const serial of subjects) {
    const c = certs.get(serial);
    const records = bySerial.get(serial) ?? [];
    if (!c) {
      const first = records[0]!;
      out.push(
        missing(
          'central',
          {
            subject: 'certificate',
            certificateSerial: serial,
            applianceId: first.applianceId,
            orderId: records.find((r) => r.orderId)?.orderId ?? null,
          },
          { kiosk: kioskSays(records), central: 'no certificate with this serial' },
          `Kiosk ${first.applianceId} reported certificate ${serial}, which central never issued.`,
        ),
      );
      continue;
    }
    // A voided certificate was settled by staff at the kiosk; a workshop one (couriered) has no kiosk issuance.
    if (c.voided || c.applianceId === null) continue;
    const own = records.filter((r) => r.applianceId === c.applianceId);
    if (own.length > 0) continue;
    out.push(
      missing(
        'kiosk',
        { subject: 'certificate', certificateSerial: serial, applianceId: c.applianceId, orderId: c.orderId },
        { kiosk: 'no record received', central: `issued to kiosk ${c.applianceId} at ${bj(c.issuedAt)}` },
        `Central issued certificate ${serial} to kiosk ${c.applianceId}; the kiosk has reported nothing about it.`,
      ),
    );
  }
  return out;
}

function activationLines(s: DaySources): ReconciliationLine[] {
  // Any certificate of an order counts: a key activated after a clock skew names one issued days before.
  const orderOfSerial = new Map([
    ...s.certificates.map((c): [string, string] => [c.serial, c.orderId]),
    ...s.activations.flatMap((a) => a.serials.map((serial): [string, string] => [serial, a.orderId])),
  ]);
  const kioskActivated = new Map<string, KioskRecordSeen[]>();
  for (const r of s.kiosk) {
    if (r.type !== 'certificate.activated') continue;
    const orderId = r.orderId ?? (r.serial ? orderOfSerial.get(r.serial) : undefined);
    if (orderId) kioskActivated.set(orderId, [...(kioskActivated.get(orderId) ?? []), r]);
  }
  const onDayByKiosk = new Set(
    [...kioskActivated].filter(([, rs]) => rs.some((r) => r.onDay)).map(([id]) => id),
  );
  const differs = (a: CentralActivation): ReconciliationLine | null => {
    const k = kioskActivated.get(a.orderId) ?? [];
    const central = a.activatedAt !== null;
    if (central === k.length > 0) return null;
    const applianceId = k[0]?.applianceId ?? a.applianceId;
    return line(
      'activation-differs',
      {
        subject: 'certificate',
        orderId: a.orderId,
        certificateSerial: k.find((r) => r.serial)?.serial ?? a.serials[0] ?? null,
        applianceId,
      },
      {
        kiosk: k.length > 0 ? `activated: ${kioskSays(k)}` : 'no activation received',
        central: central ? `activated at ${bj(a.activatedAt)}` : `not activated (order ${a.status})`,
      },
      central
        ? `Central activated order ${a.orderId}; no kiosk reported the activation.`
        : `Kiosk ${applianceId} activated the certificate of order ${a.orderId}; central has not activated the order.`,
    );
  };
  return s.activations
    .filter((a) => a.onDay || onDayByKiosk.has(a.orderId))
    .flatMap((a) => {
      const l = differs(a);
      return l ? [l] : [];
    });
}

// ---- invoices: the invoice against its order at central ----

function invoiceLines(s: DaySources): ReconciliationLine[] {
  return s.invoices.flatMap((inv): ReconciliationLine[] => {
    const k: Keys = { subject: 'invoice', orderId: inv.orderId, invoiceNumber: inv.invoiceNumber };
    if (inv.invoiceNumber === null || inv.invoiceFen === null)
      return [
        line(
          'state-differs',
          k,
          { central: `order invoiced at ${bj(inv.invoicedAt)}; no invoice issued` },
          `Order ${inv.orderId} is invoiced but central holds no invoice for it.`,
        ),
      ];
    if (inv.invoicedAt === null)
      return [
        line(
          'state-differs',
          k,
          { central: `invoice ${inv.invoiceNumber} issued; the order is not invoiced` },
          `Invoice ${inv.invoiceNumber} was issued for order ${inv.orderId}, which is not invoiced.`,
        ),
      ];
    if (inv.invoiceFen !== inv.paidFen)
      return [
        line(
          'amount-differs',
          k,
          { central: `invoice ${yuan(inv.invoiceFen)}; order paid ${yuan(inv.paidFen)}` },
          `Invoice ${inv.invoiceNumber} is for ${yuan(inv.invoiceFen)}; its order was paid ${yuan(inv.paidFen)}.`,
        ),
      ];
    return [];
  });
}

const KIND_ORDER = new Map(RECONCILIATION_LINE_KINDS.map((k, i) => [k, i]));
const sortKey = (l: ReconciliationLine) =>
  [
    l.subject,
    l.orderId ?? '',
    l.outTradeNo ?? '',
    l.certificateSerial ?? '',
    l.invoiceNumber ?? '',
    l.applianceId ?? '',
  ].join('\n');

/** Every difference of the day, in a stable order (kind, then subject and keys). */
export function reconcile(s: DaySources): ReconciliationLine[] {
  return [
    ...paymentLines(s),
    ...wechatOrderLines(s),
    ...issuanceLines(s),
    ...activationLines(s),
    ...invoiceLines(s),
  ].sort(
    (a, b) =>
      KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)! ||
      (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0),
  );
}
