// What the three sides recorded about one day, read from central's store (the kiosk's side is what central received
// from each kiosk, plus the records a kiosk submitted for the day). A subject belongs to the day when either side
// records it on that day; the other sides are then looked up whatever their day, so an issuance at 23:59 reported
// by the kiosk at 00:01 is not a difference on either day.
import { normaliseCertificateSerial } from '../../contract/after-sales.js';
import type { OrderStatus } from '../../contract/order-status.js';
import { mapSeq } from '../async-list.js';
import type { PaymentFlagReason, PaymentState } from '../payments/schemas.js';
import type { TradeBillRow } from '../payments/trade-bill.js';
import { DIALECT, prepared } from '../sql.js';
import type { Db } from '../store.js';
import { type DayWindow, inDay } from './day.js';
import { KIOSK_RECORD_TYPES, type KioskRecordType, type ProviderBillState } from './schemas.js';

/** A kiosk payment attempt at central (payments table). */
export interface CentralPayment {
  outTradeNo: string;
  /** Null: money that arrived for no order of ours (flagged unknown-order). */
  orderId: string | null;
  applianceId: string | null;
  state: PaymentState;
  /** What was asked: the order's price when the attempt began. */
  amountFen: number;
  paidFen: number | null;
  paidAt: string | null;
  flagReason: PaymentFlagReason | null;
  /** The order went through pay-wechat (on any day). */
  orderPaidByWechat: boolean;
  /** Paid (or flagged) on the day. */
  onDay: boolean;
}

/** An order paid by WeChat on the day (its pay-wechat step), and whether a payment of central's was taken for it. */
export interface WechatPaidOrder {
  orderId: string;
  priceFen: number;
  paidAt: string;
  hasPaidPayment: boolean;
}

export interface CentralCertificate {
  serial: string;
  orderId: string;
  /** The kiosk that issued it; null for the CA's workshop (a couriered key). */
  applianceId: string | null;
  issuedAt: string;
  voided: boolean;
  onDay: boolean;
}

/** An order's activation as central knows it. */
export interface CentralActivation {
  orderId: string;
  status: OrderStatus;
  /** The activate step's time; null when central has not activated the order. */
  activatedAt: string | null;
  /** The kiosk that activated it (activation code) or issued its current certificate; null when neither. */
  applianceId: string | null;
  serials: string[];
  onDay: boolean;
}

/** An invoice issued on the day, or an order invoiced on the day, with what the order was paid. */
export interface CentralInvoice {
  orderId: string;
  invoiceNumber: string | null;
  invoiceFen: number | null;
  /** The order's invoice step; null when the order was never invoiced. */
  invoicedAt: string | null;
  /** What was paid for the order: its paid WeChat payment, else its price (bank transfers are matched elsewhere). */
  paidFen: number;
}

/** A kiosk event reconciliation reads: received by central, or only listed by the kiosk in its records of the day. */
export interface KioskRecordSeen {
  applianceId: string;
  eventId: string;
  type: KioskRecordType;
  orderId: string | null;
  serial: string | null;
  received: boolean;
  onDay: boolean;
}

export interface ProviderBillView {
  state: ProviderBillState;
  note?: string;
  rows: TradeBillRow[];
}

export interface DaySources {
  day: string;
  payments: CentralPayment[];
  wechatPaidOrders: WechatPaidOrder[];
  certificates: CentralCertificate[];
  activations: CentralActivation[];
  invoices: CentralInvoice[];
  kiosk: KioskRecordSeen[];
  bill: ProviderBillView;
}

/** The orders a kiosk recorded a payment taken for on the day. */
const takenOrders = (kiosk: KioskRecordSeen[]): string[] => [
  ...new Set(kiosk.filter((k) => k.type === 'payment.taken' && k.onDay && k.orderId).map((k) => k.orderId!)),
];

const serialOf = (s: unknown): string | null =>
  typeof s === 'string' && s !== '' ? normaliseCertificateSerial(s) : null;

/** The certificate an event names: `serialNumber`, or the issuance record's `certificateSerial`. */
function eventSerial(payload: Record<string, unknown>): string | null {
  const record = payload.record as { certificateSerial?: unknown } | undefined;
  return serialOf(payload.serialNumber) ?? serialOf(record?.certificateSerial);
}

/** `?, ?, ?` for an IN list. */
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

export class DaySourceReader {
  constructor(private readonly db: Db) {}

  async read(w: DayWindow, bill: ProviderBillView): Promise<DaySources> {
    const from = new Date(w.startMs).toISOString();
    const to = new Date(w.endMs).toISOString();
    const kiosk = await this.kioskRecords(w);
    const certificates = await this.certificates(w, from, to, kiosk);
    const activations = await this.activations(w, from, to, kiosk, certificates);
    const payments = await this.payments(w, from, to, bill.rows, takenOrders(kiosk));
    return {
      day: w.day,
      payments,
      wechatPaidOrders: await this.wechatPaidOrders(from, to),
      certificates,
      activations,
      invoices: await this.invoices(from, to),
      kiosk: await this.withRecordsOf(kiosk, certificates, activations, payments),
      bill,
    };
  }

  private async eventRows(where: string, params: unknown[]): Promise<KioskRecordSeen[]> {
    const rows = (await this.db.all(
      `SELECT id, appliance_id, type, order_id, occurred_at, payload_json FROM events
         WHERE type IN (${marks(KIOSK_RECORD_TYPES.length)}) AND (${where})`,
      ...KIOSK_RECORD_TYPES,
      ...params,
    )) as Array<{
      id: string;
      appliance_id: string;
      type: KioskRecordType;
      order_id: string | null;
      occurred_at: string;
      payload_json: string;
    }>;
    return rows.map((r) => {
      const payload = JSON.parse(r.payload_json) as Record<string, unknown>;
      const record = payload.record as { orderId?: unknown } | undefined;
      // The order: the event's own, the issuance record's, or (a payment.taken) its payload's.
      const named = record?.orderId ?? payload.orderId;
      return {
        applianceId: r.appliance_id,
        eventId: r.id,
        type: r.type,
        orderId: r.order_id ?? (typeof named === 'string' ? named : null),
        serial: eventSerial(payload),
        received: true,
        onDay: false,
      };
    });
  }

  /** Events received with their kiosk time on the day, and the records kiosks submitted for the day. */
  private async kioskRecords(w: DayWindow): Promise<KioskRecordSeen[]> {
    // Kiosk times may carry another offset: a wide string window first, then the exact day.
    const wide = (ms: number) => new Date(ms).toISOString();
    const received = (await this.db.all(
      `SELECT id, occurred_at FROM events WHERE type IN (${marks(KIOSK_RECORD_TYPES.length)})
         AND occurred_at >= ? AND occurred_at < ?`,
      ...KIOSK_RECORD_TYPES,
      wide(w.startMs - 86_400_000),
      wide(w.endMs + 86_400_000),
    )) as Array<{
      id: string;
      occurred_at: string;
    }>;
    const ids = received.filter((r) => inDay(w, r.occurred_at)).map((r) => r.id);
    const out = (await this.byEventIds(ids)).map((r) => ({ ...r, onDay: true }));
    const known = new Set(out.map((r) => `${r.applianceId}\n${r.eventId}`));
    const submitted = (await this.db.all(
      'SELECT appliance_id, records_json FROM reconciliation_kiosk_records WHERE day = ?',
      w.day,
    )) as Array<{ appliance_id: string; records_json: string }>;
    const receivedFrom = prepared(this.db, 'SELECT 1 FROM events WHERE id = ? AND appliance_id = ?');
    for (const s of submitted) {
      for (const rec of JSON.parse(s.records_json) as Array<{
        eventId: string;
        type: KioskRecordType;
        orderId?: string;
        serialNumber?: string;
      }>) {
        const key = `${s.appliance_id}\n${rec.eventId}`;
        if (known.has(key)) continue;
        known.add(key);
        out.push({
          applianceId: s.appliance_id,
          eventId: rec.eventId,
          type: rec.type,
          orderId: rec.orderId ?? null,
          serial: serialOf(rec.serialNumber),
          received: (await receivedFrom.get(rec.eventId, s.appliance_id)) !== undefined,
          onDay: true,
        });
      }
    }
    return out;
  }

  private async byEventIds(ids: string[]): Promise<KioskRecordSeen[]> {
    const out: KioskRecordSeen[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      out.push(...(await this.eventRows(`id IN (${marks(chunk.length)})`, chunk)));
    }
    return out;
  }

  /** Certificates issued on the day, and those the kiosk's records of the day name. */
  private async certificates(
    w: DayWindow,
    from: string,
    to: string,
    kiosk: KioskRecordSeen[],
  ): Promise<CentralCertificate[]> {
    type Row = {
      serial: string;
      order_id: string;
      appliance_id: string | null;
      issued_at: string;
      voided_at: string | null;
    };
    const cols = 'serial, order_id, appliance_id, issued_at, voided_at';
    const rows = (await this.db.all(
      `SELECT ${cols} FROM certificates WHERE issued_at >= ? AND issued_at < ?`,
      from,
      to,
    )) as Row[];
    const seen = new Set(rows.map((r) => r.serial));
    const named = [...new Set(kiosk.map((k) => k.serial).filter((s): s is string => !!s && !seen.has(s)))];
    for (let i = 0; i < named.length; i += 500) {
      const chunk = named.slice(i, i + 500);
      rows.push(
        ...((await this.db.all(
          `SELECT ${cols} FROM certificates WHERE serial IN (${marks(chunk.length)})`,
          ...chunk,
        )) as Row[]),
      );
    }
    return rows.map((r) => ({
      serial: r.serial,
      orderId: r.order_id,
      applianceId: r.appliance_id,
      issuedAt: r.issued_at,
      voided: r.voided_at !== null,
      onDay: inDay(w, r.issued_at),
    }));
  }

  /** Orders activated on the day, and the orders of the activations the kiosk's records of the day name. */
  private async activations(
    w: DayWindow,
    from: string,
    to: string,
    kiosk: KioskRecordSeen[],
    certificates: CentralCertificate[],
  ): Promise<CentralActivation[]> {
    const orderOfSerial = new Map(certificates.map((c) => [c.serial, c.orderId]));
    const onDay = (await this.db.all(
      "SELECT DISTINCT order_id FROM order_history WHERE action = 'activate' AND at >= ? AND at < ?",
      from,
      to,
    )) as Array<{ order_id: string }>;
    const ids = new Set(onDay.map((r) => r.order_id));
    for (const k of kiosk) {
      if (k.type !== 'certificate.activated') continue;
      const id = k.orderId ?? (k.serial ? orderOfSerial.get(k.serial) : undefined);
      if (id) ids.add(id);
    }
    const activatedAt = prepared(
      this.db,
      "SELECT MIN(at) AS at FROM order_history WHERE order_id = ? AND action = 'activate'",
    );
    const code = prepared(this.db, 'SELECT used_by_appliance FROM activation_codes WHERE order_id = ?');
    const certs = prepared(
      this.db,
      'SELECT serial, appliance_id, voided_at FROM certificates WHERE order_id = ? ORDER BY issued_at DESC, serial',
    );
    const out: CentralActivation[] = [];
    const order = prepared(this.db, 'SELECT status FROM orders WHERE id = ?');
    for (const orderId of ids) {
      const o = (await order.get(orderId)) as { status: OrderStatus } | undefined;
      if (!o) continue;
      const at = ((await activatedAt.get(orderId)) as { at: string | null }).at;
      const own = (await certs.all(orderId)) as Array<{
        serial: string;
        appliance_id: string | null;
        voided_at: string | null;
      }>;
      const usedBy = ((await code.get(orderId)) as { used_by_appliance: string | null } | undefined)
        ?.used_by_appliance;
      out.push({
        orderId,
        status: o.status,
        activatedAt: at,
        applianceId: usedBy ?? own.find((c) => !c.voided_at)?.appliance_id ?? null,
        serials: own.map((c) => c.serial),
        onDay: inDay(w, at),
      });
    }
    return out;
  }

  /** Payments paid (or flagged) on the day, those the bill of the day names, and those of the orders named. */
  private async payments(
    w: DayWindow,
    from: string,
    to: string,
    bill: TradeBillRow[],
    orders: string[],
  ): Promise<CentralPayment[]> {
    type Row = {
      out_trade_no: string;
      order_id: string | null;
      appliance_id: string | null;
      state: PaymentState;
      amount_fen: number;
      paid_fen: number | null;
      paid_at: string | null;
      flag_reason: PaymentFlagReason | null;
      flagged_at: string | null;
      paid_by_wechat: number | null;
    };
    const select = `SELECT p.out_trade_no, p.order_id, p.appliance_id, p.state, p.amount_fen, p.paid_fen, p.paid_at,
        p.flag_reason, p.flagged_at,
        (SELECT 1 FROM order_history h WHERE h.order_id = p.order_id AND h.action = 'pay-wechat' LIMIT 1)
          AS paid_by_wechat
      FROM payments p`;
    const rows = (await this.db.all(
      `${select} WHERE (p.paid_at >= ? AND p.paid_at < ?) OR (p.paid_at IS NULL AND p.flagged_at >= ? AND p.flagged_at < ?)`,
      from,
      to,
      from,
      to,
    )) as Row[];
    const seen = new Set(rows.map((r) => r.out_trade_no));
    const named = [...new Set(bill.map((b) => b.outTradeNo).filter((n) => !seen.has(n)))];
    for (let i = 0; i < named.length; i += 500) {
      const chunk = named.slice(i, i + 500);
      rows.push(
        ...((await this.db.all(
          `${select} WHERE p.out_trade_no IN (${marks(chunk.length)})`,
          ...chunk,
        )) as Row[]),
      );
    }
    // Every attempt of the orders a kiosk recorded a payment taken for (whatever its state or day).
    for (const r of (await this.byOrders(`${select} WHERE p.order_id IN`, orders)) as Row[]) {
      if (seen.has(r.out_trade_no)) continue;
      seen.add(r.out_trade_no);
      rows.push(r);
    }
    return rows.map((r) => ({
      outTradeNo: r.out_trade_no,
      orderId: r.order_id,
      applianceId: r.appliance_id,
      state: r.state,
      amountFen: r.amount_fen,
      paidFen: r.paid_fen,
      paidAt: r.paid_at,
      flagReason: r.flag_reason,
      orderPaidByWechat: r.paid_by_wechat === 1,
      onDay: inDay(w, r.paid_at ?? r.flagged_at),
    }));
  }

  private async wechatPaidOrders(from: string, to: string): Promise<WechatPaidOrder[]> {
    const rows = (await this.db.all(
      `SELECT h.order_id, MIN(h.at) AS at, o.price_fen,
           CASE WHEN EXISTS (SELECT 1 FROM payments p WHERE p.order_id = h.order_id AND p.state = 'paid')
             THEN 1 ELSE 0 END AS has_paid
         FROM order_history h JOIN orders o ON o.id = h.order_id
         WHERE h.action = 'pay-wechat' AND h.at >= ? AND h.at < ? GROUP BY h.order_id, o.price_fen`,
      from,
      to,
    )) as Array<{ order_id: string; at: string; price_fen: number; has_paid: number }>;
    return rows.map((r) => ({
      orderId: r.order_id,
      priceFen: r.price_fen,
      paidAt: r.at,
      hasPaidPayment: r.has_paid === 1,
    }));
  }

  private async invoices(from: string, to: string): Promise<CentralInvoice[]> {
    const ids = (await this.db.all(
      `SELECT order_id FROM invoices WHERE issued_at >= ? AND issued_at < ?
         UNION SELECT order_id FROM order_history WHERE action = 'invoice' AND at >= ? AND at < ?`,
      from,
      to,
      from,
      to,
    )) as Array<{ order_id: string }>;
    const invoice = prepared(this.db, 'SELECT number, amount_fen FROM invoices WHERE order_id = ?');
    const step = prepared(
      this.db,
      "SELECT MIN(at) AS at FROM order_history WHERE order_id = ? AND action = 'invoice'",
    );
    const paid = prepared(
      this.db,
      `SELECT COALESCE(
         (SELECT paid_fen FROM payments WHERE order_id = o.id AND state = 'paid' ORDER BY paid_at DESC LIMIT 1),
         o.price_fen) AS fen FROM orders o WHERE o.id = ?`,
    );
    return mapSeq(ids, async ({ order_id }) => {
      const inv = (await invoice.get(order_id)) as { number: string; amount_fen: number } | undefined;
      return {
        orderId: order_id,
        invoiceNumber: inv?.number ?? null,
        invoiceFen: inv?.amount_fen ?? null,
        invoicedAt: ((await step.get(order_id)) as { at: string | null }).at,
        paidFen: ((await paid.get(order_id)) as { fen: number }).fen,
      };
    });
  }

  /** Rows of `select … IN (…)` for each chunk of `ids`. */
  private async byOrders(selectIn: string, ids: string[]): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      out.push(...(await this.db.all(`${selectIn} (${marks(chunk.length)})`, ...chunk)));
    }
    return out;
  }

  /**
   * Add the kiosk events (of any day) about the certificates and orders central recorded on the day, and the
   * payment.taken events of the orders of the day's kiosk payments.
   */
  private async withRecordsOf(
    kiosk: KioskRecordSeen[],
    certificates: CentralCertificate[],
    activations: CentralActivation[],
    payments: CentralPayment[],
  ): Promise<KioskRecordSeen[]> {
    const serials = [
      ...new Set([...certificates.map((c) => c.serial), ...activations.flatMap((a) => a.serials)]),
    ];
    // The issuance record names its certificate inside `record`; its order is in the indexed column.
    const orders = [
      ...new Set([...certificates.map((c) => c.orderId), ...activations.map((a) => a.orderId)]),
    ];
    const known = new Set(kiosk.map((k) => `${k.applianceId}\n${k.eventId}`));
    const out = [...kiosk];
    const add = (rows: KioskRecordSeen[]) => {
      for (const r of rows) {
        const key = `${r.applianceId}\n${r.eventId}`;
        if (known.has(key)) continue;
        known.add(key);
        out.push(r);
      }
    };
    for (let i = 0; i < serials.length; i += 500) {
      const chunk = serials.slice(i, i + 500);
      add(
        await this.eventRows(
          `${DIALECT.jsonText(this.db.dialect, 'payload_json', 'serialNumber')} IN (${marks(chunk.length)})`,
          chunk,
        ),
      );
    }
    for (let i = 0; i < orders.length; i += 500) {
      const chunk = orders.slice(i, i + 500);
      add(await this.eventRows(`order_id IN (${marks(chunk.length)})`, chunk));
    }
    const paid = [
      ...new Set(payments.filter((p) => p.onDay && p.applianceId && p.orderId).map((p) => p.orderId!)),
    ];
    for (let i = 0; i < paid.length; i += 500) {
      const chunk = paid.slice(i, i + 500);
      add(
        await this.eventRows(
          `type = 'payment.taken' AND (order_id IN (${marks(chunk.length)}) OR ${DIALECT.jsonText(this.db.dialect, 'payload_json', 'orderId')} IN (${marks(chunk.length)}))`,
          [...chunk, ...chunk],
        ),
      );
    }
    return out;
  }
}
