// Kiosk payments by WeChat Pay Native: one provider order per attempt (out_trade_no = the order id; a later attempt
// after a closed one `<order id>_<n>`, since the provider never reopens a closed out_trade_no). The record is
// written before the provider is called, so a retry repeats the same request. A SUCCESS — from a notification or
// a query — pays the order (pay-wechat) exactly once; money that cannot be taken (wrong amount, closed or
// cancelled session, order no longer waiting, unknown order) is kept as refund-pending with its reason, for
// operations. Timeouts are queried and closed by the sweep.
import { CentralError } from '../errors.js';
import type { Leases } from '../leases.js';
import type { OrderRow, OrderService } from '../orders.js';
import { lockSubject } from '../sql.js';
import type { Db } from '../store.js';
import type { WechatPayClient } from './client.js';
import type { WechatPayConfig } from './config.js';
import { openNotification } from './notification.js';
import {
  type AdminPayment,
  type NativePaymentResponse,
  PAYMENT_FLAG_REASONS,
  type PaymentCloseReason,
  type PaymentFlagReason,
  type PaymentState,
  type PaymentStatus,
} from './schemas.js';
import type { HeaderBag } from './signatures.js';
import { parseTradeBill, type TradeBill } from './trade-bill.js';
import { OUT_TRADE_NO, TRANSACTION_SUCCESS, type Transaction } from './wechatpay-api.js';

/** How long a kiosk payment's QR code can be paid (the provider's time_expire; its minimum is 1 minute). */
export const KIOSK_PAYMENT_VALIDITY_MS = 5 * 60_000;

interface PaymentRow {
  out_trade_no: string;
  order_id: string | null;
  provider: 'wechatpay';
  appliance_id: string | null;
  amount_fen: number;
  code_url: string | null;
  expires_at: string;
  state: PaymentState;
  close_reason: PaymentCloseReason | null;
  provider_closed_at: string | null;
  transaction_id: string | null;
  paid_fen: number | null;
  paid_at: string | null;
  flag_reason: PaymentFlagReason | null;
  flag_detail: string | null;
  flagged_at: string | null;
  created_at: string;
  updated_at: string;
}

/** What became of a SUCCESS: the order paid, already known, kept for a refund, or nothing to do. */
export type ApplyOutcome = 'applied' | 'duplicate' | 'flagged' | 'ignored';

/** The provider as the service uses it (made lazily: the simulator's keys are created on first use). */
export interface PaymentProvider {
  config: WechatPayConfig;
  client: WechatPayClient;
}

type Asking = { id: string; hall: string };

/** The expiry sweep's lease (a sweep asks the provider about each due attempt; a killed holder delays it this long). */
const SWEEP_LEASE = 'payment-sweep';
const SWEEP_LEASE_MS = 5 * 60_000;

export class PaymentService {
  private sweeping: Promise<number | null> | null = null;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly orders: OrderService,
    private readonly provider: () => PaymentProvider,
    /** Several central processes on one database: one of them sweeps at a time. */
    private readonly leases: Leases,
    /** How long a QR code can be paid (the provider's time_expire − now). */
    private readonly validityMs = KIOSK_PAYMENT_VALIDITY_MS,
  ) {}

  private iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  private async byOutTradeNo(outTradeNo: string): Promise<PaymentRow | undefined> {
    return (await this.db.get('SELECT * FROM payments WHERE out_trade_no = ?', outTradeNo)) as
      | PaymentRow
      | undefined;
  }

  /** The order's newest attempt. */
  private async latest(orderId: string): Promise<PaymentRow | undefined> {
    return (await this.db.get(
      'SELECT * FROM payments WHERE order_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
      orderId,
    )) as PaymentRow | undefined;
  }

  private async update(outTradeNo: string, set: Partial<PaymentRow>): Promise<void> {
    const cols = Object.keys(set);
    await this.db.run(
      `UPDATE payments SET ${cols.map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE out_trade_no = ?`,
      ...cols.map((c) => set[c as keyof PaymentRow] ?? null),
      this.iso(),
      outTradeNo,
    );
  }

  private expired(p: PaymentRow): boolean {
    return Date.parse(p.expires_at) <= this.now();
  }

  /** The order, at the asking kiosk's hall. */
  private async orderFor(orderId: string, asking: Asking): Promise<OrderRow> {
    const row = await this.orders.row(orderId);
    if (row.hall !== asking.hall) throw new CentralError('ORDER_WRONG_HALL');
    return row;
  }

  /**
   * The kiosk's "pay with WeChat" for an order awaiting payment at a kiosk of its hall: the open attempt's QR
   * code, or a new attempt (provider order created with the order's price, expiry and our notify URL).
   */
  async startNative(orderId: string, asking: Asking): Promise<NativePaymentResponse> {
    let order = await this.orderFor(orderId, asking);
    let p = await this.latest(order.id);
    if (p?.state === 'pending' && this.expired(p)) {
      await this.settle(p, 'expired');
      order = await this.orders.row(order.id);
      p = await this.latest(order.id);
    }
    if (order.delivery !== 'kiosk' || order.status !== 'awaiting-payment')
      throw new CentralError(
        'PAYMENT_NOT_AVAILABLE',
        `The order is ${order.status} (${order.delivery}); only a kiosk order awaiting payment is paid at a kiosk.`,
      );
    if (p?.state !== 'pending') p = await this.newAttempt(order, asking);
    if (!p.code_url) {
      const codeUrl = await this.provider().client.createNative({
        outTradeNo: p.out_trade_no,
        description: `数字证书服务 ${order.id}`,
        totalFen: p.amount_fen,
        expiresAtMs: Date.parse(p.expires_at),
        attach: order.id,
      });
      await this.update(p.out_trade_no, { code_url: codeUrl });
      p = { ...p, code_url: codeUrl };
    }
    return { orderId: order.id, codeUrl: p.code_url!, amountFen: p.amount_fen, expiresAt: p.expires_at };
  }

  /**
   * Record the intent before the provider hears of it: a failed call is retried with the same fields. Under the
   * order's payment lock, so two requests (or central processes) at once make one attempt: the second finds it.
   */
  private async newAttempt(order: OrderRow, asking: Asking): Promise<PaymentRow> {
    return this.db.transaction(async () => {
      await lockSubject(this.db, `payments-of:${order.id}`);
      const open = await this.latest(order.id);
      if (open?.state === 'pending' && !this.expired(open)) return open;
      return this.insertAttempt(order, asking);
    });
  }

  private async insertAttempt(order: OrderRow, asking: Asking): Promise<PaymentRow> {
    const n = (
      (await this.db.get('SELECT COUNT(*) AS n FROM payments WHERE order_id = ?', order.id)) as { n: number }
    ).n;
    const outTradeNo = n === 0 ? order.id : `${order.id}_${n + 1}`;
    if (!OUT_TRADE_NO.test(outTradeNo))
      throw new CentralError(
        'PAYMENT_NOT_AVAILABLE',
        `The order id ${order.id} cannot be a WeChat Pay order number.`,
      );
    const at = this.iso();
    await this.db.run(
      `INSERT INTO payments (out_trade_no, order_id, provider, appliance_id, amount_fen, expires_at, state,
           created_at, updated_at)
         VALUES (?, ?, 'wechatpay', ?, ?, ?, 'pending', ?, ?)`,
      outTradeNo,
      order.id,
      asking.id,
      order.price_fen,
      this.iso(this.now() + this.validityMs),
      at,
      at,
    );
    return (await this.byOutTradeNo(outTradeNo))!;
  }

  /** The out_trade_no of the order's attempt that can be paid now (pending, not past its expiry), if any. */
  async openAttempt(orderId: string): Promise<string | null> {
    const p = await this.latest(orderId);
    return p?.state === 'pending' && p.code_url && !this.expired(p) ? p.out_trade_no : null;
  }

  private async toStatus(p: PaymentRow): Promise<PaymentStatus> {
    return {
      orderId: p.order_id!,
      state: p.state,
      amountFen: p.amount_fen,
      expiresAt: p.expires_at,
      orderStatus: (await this.orders.row(p.order_id!)).status,
      ...(p.state === 'paid' && p.paid_at ? { paidAt: p.paid_at } : {}),
      ...(p.close_reason ? { closeReason: p.close_reason } : {}),
    };
  }

  /** The state of the order's newest attempt; one past its expiry is settled with the provider first. */
  async status(orderId: string, asking: Asking): Promise<PaymentStatus> {
    const order = await this.orderFor(orderId, asking);
    let p = await this.latest(order.id);
    if (!p) throw new CentralError('PAYMENT_NOT_FOUND');
    if (p.state === 'pending' && this.expired(p)) {
      try {
        await this.settle(p, 'expired');
      } catch {
        // WeChat Pay cannot be asked now: still pending (past expiresAt); the sweep asks again.
      }
      p = (await this.byOutTradeNo(p.out_trade_no))!;
    }
    return this.toStatus(p);
  }

  /** The kiosk session was cancelled: close the open attempt (unless the provider says it was paid). */
  async cancel(orderId: string, asking: Asking): Promise<PaymentStatus> {
    const order = await this.orderFor(orderId, asking);
    const p = await this.latest(order.id);
    if (!p) throw new CentralError('PAYMENT_NOT_FOUND');
    if (p.state === 'pending') await this.settle(p, 'cancelled');
    return this.toStatus((await this.byOutTradeNo(p.out_trade_no))!);
  }

  /**
   * End a pending attempt: ask the provider first (a payment may have happened without its notification yet);
   * paid → applied; otherwise closed here (from now on a SUCCESS is flagged) and then at the provider. A provider
   * that cannot be asked leaves an expiry pending for the next sweep; a cancellation is closed here regardless.
   */
  private async settle(p: PaymentRow, reason: PaymentCloseReason): Promise<void> {
    let tx: Transaction | null | 'unreachable';
    try {
      tx = await this.provider().client.query(p.out_trade_no);
    } catch (err) {
      if (reason === 'expired') throw err;
      tx = 'unreachable';
    }
    if (tx !== 'unreachable' && tx?.trade_state === 'SUCCESS') {
      await this.applyTransaction(tx);
      return;
    }
    if (!(await this.closeHere(p.out_trade_no, reason))) return;
    // The provider never created it (the create call failed): nothing to close there.
    if (tx === null) await this.update(p.out_trade_no, { provider_closed_at: this.iso() });
    else await this.closeAtProvider(p.out_trade_no);
  }

  /** Pending → closed, in one statement (a SUCCESS applied meanwhile wins). */
  private async closeHere(outTradeNo: string, reason: PaymentCloseReason): Promise<boolean> {
    const r = await this.db.run(
      "UPDATE payments SET state = 'closed', close_reason = ?, updated_at = ? WHERE out_trade_no = ? AND state = 'pending'",
      reason,
      this.iso(),
      outTradeNo,
    );
    return r.changes === 1;
  }

  /** Close at the provider; a failure leaves provider_closed_at empty and the sweep tries again. */
  private async closeAtProvider(outTradeNo: string): Promise<void> {
    try {
      await this.provider().client.close(outTradeNo);
      await this.update(outTradeNo, { provider_closed_at: this.iso() });
    } catch {
      // Retried by sweep(); meanwhile a payment that gets through is flagged, never taken.
    }
  }

  /**
   * Apply a SUCCESS transaction (verified notification or our own query) in one DB transaction: pays the order
   * exactly once, or keeps the money as refund-pending with its reason.
   */
  async applyTransaction(tx: Transaction): Promise<ApplyOutcome> {
    return await this.db.transaction(async (): Promise<ApplyOutcome> => {
      if (tx.trade_state !== 'SUCCESS') return 'ignored';
      await lockSubject(this.db, `payment:${tx.out_trade_no}`);
      const at = this.iso();
      const paidFen = tx.amount?.total ?? null;
      const paidAt =
        tx.success_time && !Number.isNaN(Date.parse(tx.success_time))
          ? this.iso(Date.parse(tx.success_time))
          : at;
      const p = await this.byOutTradeNo(tx.out_trade_no);
      if (!p) {
        await this.db.run(
          `INSERT INTO payments (out_trade_no, order_id, provider, amount_fen, expires_at, state, transaction_id,
               paid_fen, paid_at, flag_reason, flag_detail, flagged_at, created_at, updated_at)
             VALUES (?, NULL, 'wechatpay', ?, ?, 'refund-pending', ?, ?, ?, 'unknown-order', ?, ?, ?, ?)`,
          tx.out_trade_no,
          paidFen ?? 0,
          at,
          tx.transaction_id ?? null,
          paidFen,
          paidAt,
          `A payment of ${paidFen ?? '?'} fen arrived for out_trade_no ${tx.out_trade_no}.`,
          at,
          at,
          at,
        );
        return 'flagged';
      }
      // Already settled by this transaction (or, impossibly, by another for the same out_trade_no): nothing new.
      if (p.state === 'paid' || p.state === 'refund-pending') return 'duplicate';
      const flag = async (reason: PaymentFlagReason, detail: string): Promise<ApplyOutcome> => {
        await this.update(p.out_trade_no, {
          state: 'refund-pending',
          transaction_id: tx.transaction_id ?? null,
          paid_fen: paidFen,
          paid_at: paidAt,
          flag_reason: reason,
          flag_detail: detail,
          flagged_at: at,
        });
        return 'flagged';
      };
      const currency = tx.amount?.currency ?? 'CNY';
      if (paidFen !== p.amount_fen || currency !== 'CNY')
        return flag(
          'amount-mismatch',
          `Paid ${paidFen ?? '?'} fen (${currency}); the payment was for ${p.amount_fen} fen (CNY).`,
        );
      if (p.state === 'closed')
        return flag(
          p.close_reason === 'cancelled' ? 'paid-after-cancel' : 'paid-after-expiry',
          `Paid ${paidFen} fen at ${paidAt}; closed here (${p.close_reason}) before.`,
        );
      const order = await this.orders.row(p.order_id!);
      if (order.status !== 'awaiting-payment')
        return flag(
          'order-not-awaiting-payment',
          `The order was ${order.status} when ${paidFen} fen arrived.`,
        );
      await this.update(p.out_trade_no, {
        state: 'paid',
        transaction_id: tx.transaction_id ?? null,
        paid_fen: paidFen,
        paid_at: paidAt,
      });
      await this.orders.act(order.id, { action: 'pay-wechat' });
      return 'applied';
    });
  }

  /**
   * A notification as received at notify_url: verified on its raw body, decrypted, then applied once (a repeat of
   * a notification id changes nothing). Throws NotificationRefused for anything not from the provider for us.
   */
  async handleNotification(rawBody: Buffer, headers: HeaderBag): Promise<ApplyOutcome> {
    const { config } = this.provider();
    const opened = openNotification({
      rawBody,
      headers,
      platform: config.platform,
      apiV3Key: config.apiV3Key,
      nowMs: this.now(),
      merchant: { mchid: config.mchid, appid: config.appid },
    });
    const env = opened.envelope;
    const tx = opened.transaction;
    return await this.db.transaction(async (): Promise<ApplyOutcome> => {
      await lockSubject(this.db, `payment-notification:${env.id}`);
      const seen = await this.db.get('SELECT 1 FROM payment_notifications WHERE id = ?', env.id);
      if (seen) return 'duplicate';
      const outcome =
        env.event_type === TRANSACTION_SUCCESS && tx ? await this.applyTransaction(tx) : 'ignored';
      await this.db.run(
        `INSERT INTO payment_notifications (id, event_type, out_trade_no, transaction_id, trade_state, amount_fen,
             outcome, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        env.id,
        env.event_type,
        tx?.out_trade_no ?? null,
        tx?.transaction_id ?? null,
        tx?.trade_state ?? null,
        tx?.amount?.total ?? null,
        outcome,
        this.iso(),
      );
      return outcome;
    });
  }

  /**
   * Settle every pending attempt past its expiry with no notification (query, then close), and retry closes the
   * provider has not confirmed. Runs one at a time in this process, and under a lease among central processes on
   * one database; returns how many attempts it looked at, or null when another process is sweeping.
   */
  sweep(): Promise<number | null> {
    this.sweeping ??= this.leases
      .runHeld(SWEEP_LEASE, SWEEP_LEASE_MS, () => this.sweepOnce())
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    const due = (await this.db.all(
      `SELECT * FROM payments WHERE (state = 'pending' AND expires_at <= ?)
           OR (state = 'closed' AND provider_closed_at IS NULL) ORDER BY expires_at`,
      this.iso(),
    )) as PaymentRow[];
    for (const p of due) {
      try {
        if (p.state === 'pending') await this.settle(p, 'expired');
        else await this.recheckClosed(p);
      } catch {
        // The provider is unreachable: the next sweep asks again.
      }
    }
    return due.length;
  }

  /** A close the provider has not confirmed: ask again (a payment that got through is flagged), then close. */
  private async recheckClosed(p: PaymentRow): Promise<void> {
    const tx = await this.provider().client.query(p.out_trade_no);
    if (tx?.trade_state === 'SUCCESS') await this.applyTransaction(tx);
    else if (tx === null) await this.update(p.out_trade_no, { provider_closed_at: this.iso() });
    else await this.closeAtProvider(p.out_trade_no);
  }

  /** The provider's trade bill of a day (yyyy-MM-dd, China time), hash-checked and parsed (for reconciliation). */
  async tradeBill(billDate: string): Promise<TradeBill> {
    return parseTradeBill(await this.provider().client.tradeBill(billDate));
  }

  /** Every payment, or only those flagged for a refund; newest first. */
  async list(opts: { flagged?: boolean } = {}): Promise<AdminPayment[]> {
    const rows = await this.db.all<PaymentRow>(
      opts.flagged
        ? 'SELECT * FROM payments WHERE flag_reason IS NOT NULL ORDER BY flagged_at DESC, rowid DESC'
        : 'SELECT * FROM payments ORDER BY created_at DESC, rowid DESC',
    );
    return rows.map((p) => ({
      outTradeNo: p.out_trade_no,
      ...(p.order_id ? { orderId: p.order_id } : {}),
      provider: p.provider,
      state: p.state,
      amountFen: p.amount_fen,
      expiresAt: p.expires_at,
      ...(p.appliance_id ? { applianceId: p.appliance_id } : {}),
      ...(p.close_reason ? { closeReason: p.close_reason } : {}),
      ...(p.transaction_id ? { transactionId: p.transaction_id } : {}),
      ...(p.paid_fen !== null ? { paidFen: p.paid_fen } : {}),
      ...(p.paid_at ? { paidAt: p.paid_at } : {}),
      ...(p.flag_reason
        ? {
            flagReason: p.flag_reason,
            flagMessage: `${PAYMENT_FLAG_REASONS[p.flag_reason]} ${p.flag_detail ?? ''}`.trim(),
          }
        : {}),
      ...(p.flagged_at ? { flaggedAt: p.flagged_at } : {}),
      createdAt: p.created_at,
      updatedAt: p.updated_at,
    }));
  }
}
