// Paying at the kiosk in sim-kiosk tests: central's payments of an order as its store has them, and the
// simulator's payer (the WeChat Pay simulator's demo pay action, which sends central the signed notification).
import type { ServiceView } from '../api/service-contract.js';
import { centralStore } from './central-rows.js';
import { type CentralHandle, waitFor } from './kiosk-harness.js';
import type { SimKiosk } from './sim-kiosk.js';

export type CentralPaymentRow = {
  out_trade_no: string;
  state: string;
  close_reason: string | null;
  flag_reason: string | null;
};

/** Central's payments of an order, oldest first (ties by insertion order: `rowid`, a column on PostgreSQL too). */
export const centralPayments = (central: CentralHandle, orderId: string): Promise<CentralPaymentRow[]> =>
  centralStore(central).all<CentralPaymentRow>(
    `SELECT out_trade_no, state, close_reason, flag_reason FROM payments WHERE order_id = ?
     ORDER BY created_at, rowid`,
    orderId,
  );

/** The payer scans the code and pays (the simulator's demo action; `late`: after the order was closed). */
export const simPay = (central: SimKiosk['central'], outTradeNo: string, late = false) =>
  central.admin('POST', '/wechatpay-sim/demo/pay', { out_trade_no: outTradeNo, ...(late ? { late } : {}) });

/** Central's payments flagged for operations (a payment that arrived for a closed order: refund-pending). */
export async function flaggedPayments(
  central: SimKiosk['central'],
  orderId: string,
): Promise<Array<{ orderId?: string; state: string; flagReason?: string }>> {
  const all = (await central.admin('GET', '/admin/v1/payments?flagged=1')).payments as Array<{
    orderId?: string;
    state: string;
    flagReason?: string;
  }>;
  return all.filter((p) => p.orderId === orderId);
}

/** Ask as the payment screen does (`ask`: its poll) until `pred` holds for the view; the last view on failure. */
export async function pollUntil(
  ask: () => Promise<{ ok: true; data: ServiceView } | { ok: false; error: unknown }>,
  pred: (v: ServiceView) => boolean,
): Promise<ServiceView> {
  let last: ServiceView | null = null;
  await waitFor(
    async () => {
      const r = await ask();
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      last = r.data;
      return pred(r.data);
    },
    20_000,
    'the payment to move on',
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last view ${JSON.stringify(last)}`);
  });
  return last!;
}
