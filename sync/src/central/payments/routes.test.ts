// Kiosk payments through central's HTTP routes with the simulator it mounts when no provider is configured
// (central listening on loopback: the adapter calls the simulator and the simulator calls notify_url over HTTP,
// as they would across the internet). Create → code_url; the simulator pays → notification → order paid;
// timeout → query and close; cancel → close, and a late payment kept for a refund and listed to operations.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order, OrderHistoryEntry } from '../../contract/schemas.js';
import { type Harness, newApplianceKey, startHarness } from '../testing.js';
import type { AdminPayment, NativePaymentResponse, PaymentStatus } from './schemas.js';
import { SIM_FILES, SIM_KEY_DIR } from './sim-keys.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ central: { payments: { sweepIntervalMs: false } } });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => h.close());

const MIN = 60_000;
const startNative = (orderId: string) => h.signed('POST', '/v1/payments/native', { orderId });
const paymentOf = async (orderId: string) =>
  (await h.signed('GET', `/v1/payments/${orderId}`)).json() as PaymentStatus;
const orderOf = async (orderId: string) =>
  (await h.admin('GET', `/admin/v1/orders/${orderId}`)).json() as Order;
const payWechatSteps = async (orderId: string) =>
  (
    (await h.admin('GET', `/admin/v1/orders/${orderId}/history`)).json() as { history: OrderHistoryEntry[] }
  ).history.filter((e) => e.action === 'pay-wechat').length;
const payments = async (query = '') =>
  ((await h.admin('GET', `/admin/v1/payments${query}`)).json() as { payments: AdminPayment[] }).payments;
/** The payer scans and pays (the simulator's demo action, operator only); it reports the notification's answer. */
const simPay = (body: Record<string, unknown>) => h.admin('POST', '/wechatpay-sim/demo/pay', body);

async function awaitingPayment(): Promise<Order> {
  return (await h.order(['request-payment'])).order;
}

describe('native payment at the kiosk', () => {
  it('creates the WeChat Pay order: code_url, amount in fen, expiry in 5 minutes; asked again, the same code', async () => {
    const order = await awaitingPayment();
    const r = await startNative(order.id);
    expect(r.statusCode, r.body).toBe(200);
    const p = r.json() as NativePaymentResponse;
    expect(p).toEqual({
      orderId: order.id,
      codeUrl: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/),
      amountFen: order.priceFen,
      expiresAt: new Date(h.clock.ms + 5 * MIN).toISOString(),
    });
    expect((await startNative(order.id)).json()).toEqual(p);
    expect(await paymentOf(order.id)).toMatchObject({ state: 'pending', orderStatus: 'awaiting-payment' });
    // The demo's keys were made once into the data directory.
    for (const f of Object.values(SIM_FILES)) expect(existsSync(join(h.dir, SIM_KEY_DIR, f))).toBe(true);
  });

  it('the simulator pays → signed, encrypted notification to notify_url → the order is paid, once', async () => {
    const order = await awaitingPayment();
    await startNative(order.id);
    const paid = await simPay({ out_trade_no: order.id });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ trade_state: 'SUCCESS', notified: { status: 200, body: '' } });
    expect(await paymentOf(order.id)).toMatchObject({ state: 'paid', orderStatus: 'paid' });
    expect((await orderOf(order.id)).paymentMethod).toBe('wechat');
    // The provider delivers it again: acknowledged, nothing more.
    expect((await simPay({ out_trade_no: order.id })).json()).toMatchObject({ notified: { status: 200 } });
    expect(await payWechatSteps(order.id)).toBe(1);
    // A paid order is not offered for payment again.
    expect((await startNative(order.id)).json()).toMatchObject({ code: 'PAYMENT_NOT_AVAILABLE' });
    // The day's trade bill lists it (the simulator's bill, hash-checked by the adapter, parsed).
    const bill = await h.app.central.payments.tradeBill('2026-03-01');
    expect(bill.complete).toBe(true);
    expect(bill.rows.find((row) => row.outTradeNo === order.id)).toMatchObject({
      tradeState: 'SUCCESS',
      settlementTotalFen: order.priceFen,
      tradeType: 'NATIVE',
    });
  });

  it('timeout: past time_expire with no notification, central queries and closes the provider order', async () => {
    const order = await awaitingPayment();
    await startNative(order.id);
    h.clock.ms += 5 * MIN + 1000;
    expect(await h.app.central.payments.sweep()).toBeGreaterThanOrEqual(1);
    expect(await paymentOf(order.id)).toMatchObject({ state: 'closed', closeReason: 'expired' });
    // Closed at the provider: the payer can no longer pay it.
    expect((await simPay({ out_trade_no: order.id })).json()).toMatchObject({ code: 'ORDER_CLOSED' });
    // The kiosk may start again: a new provider order (the provider never reopens a closed out_trade_no).
    const again = (await startNative(order.id)).json() as NativePaymentResponse;
    expect(again.expiresAt).toBe(new Date(h.clock.ms + 5 * MIN).toISOString());
    expect((await payments()).filter((p) => p.orderId === order.id).map((p) => p.outTradeNo)).toEqual([
      `${order.id}_2`,
      order.id,
    ]);
    const paid = await simPay({ out_trade_no: `${order.id}_2` });
    expect(paid.json()).toMatchObject({ notified: { status: 200 } });
    expect((await orderOf(order.id)).status).toBe('paid');
  });

  it('a kiosk asking after the expiry gets it settled at once (query, close), without waiting for the sweep', async () => {
    const order = await awaitingPayment();
    await startNative(order.id);
    h.clock.ms += 6 * MIN;
    expect(await paymentOf(order.id)).toMatchObject({ state: 'closed', closeReason: 'expired' });
  });

  it('cancel closes the provider order; a late payment is kept refund-pending and listed to operations with its reason', async () => {
    const order = await awaitingPayment();
    await startNative(order.id);
    const cancelled = await h.signed('POST', `/v1/payments/${order.id}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({ state: 'closed', closeReason: 'cancelled' });
    expect((await h.signed('POST', `/v1/payments/${order.id}/cancel`)).json()).toMatchObject({
      state: 'closed',
    });
    // Closed at the provider …
    expect((await simPay({ out_trade_no: order.id })).json()).toMatchObject({ code: 'ORDER_CLOSED' });
    // … but a payment already under way gets through (the race every merchant sees).
    const late = await simPay({ out_trade_no: order.id, late: true });
    expect(late.json()).toMatchObject({ trade_state: 'SUCCESS', notified: { status: 200 } });
    expect(await paymentOf(order.id)).toMatchObject({
      state: 'refund-pending',
      orderStatus: 'awaiting-payment',
    });
    expect(await payWechatSteps(order.id)).toBe(0);
    const listed = (await payments('?flagged=1')).filter((p) => p.orderId === order.id);
    expect(listed).toEqual([
      expect.objectContaining({
        outTradeNo: order.id,
        state: 'refund-pending',
        flagReason: 'paid-after-cancel',
        flagMessage: expect.stringMatching(/cancelled.*Refund it/),
        paidFen: order.priceFen,
        transactionId: expect.stringMatching(/^4200\d{24}$/),
        flaggedAt: new Date(h.clock.ms).toISOString(),
      }),
    ]);
    // Only flagged ones with ?flagged=1.
    expect((await payments('?flagged=1')).every((p) => p.flagReason)).toBe(true);
  });
});

describe('the API document', () => {
  it('lists the payment routes; the simulator stays out of it', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/v1/payments/native',
      '/v1/payments/{orderId}',
      '/v1/payments/{orderId}/cancel',
      '/v1/payments/wechatpay/notify',
      '/admin/v1/payments',
    ])
      expect(paths).toContain(p);
    expect(paths.filter((p) => p.startsWith('/wechatpay-sim'))).toEqual([]);
  });
});

describe('who may pay what', () => {
  it('another hall’s kiosk: 403 ORDER_WRONG_HALL; an order not awaiting payment: 409; unsigned: 401', async () => {
    const order = await awaitingPayment();
    const other = newApplianceKey('KIOSK-GZ-PAY', 'GZ-TIANHE');
    await h.enrol(other);
    await h.admin('POST', `/admin/v1/appliances/${other.id}/approve`);
    expect(
      (await h.signed('POST', '/v1/payments/native', { orderId: order.id }, other)).json(),
    ).toMatchObject({
      code: 'ORDER_WRONG_HALL',
    });
    expect((await h.signed('GET', `/v1/payments/${order.id}`, undefined, other)).statusCode).toBe(403);
    const submitted = (await h.order([])).order;
    const r = await startNative(submitted.id);
    expect([r.statusCode, r.json().code]).toEqual([409, 'PAYMENT_NOT_AVAILABLE']);
    const courier = (await h.order(['request-payment'], { delivery: 'courier' })).order;
    expect((await startNative(courier.id)).json()).toMatchObject({ code: 'PAYMENT_NOT_AVAILABLE' });
    expect((await h.signed('GET', `/v1/payments/${submitted.id}`)).json()).toMatchObject({
      code: 'PAYMENT_NOT_FOUND',
    });
    const unsigned = await h.app.inject({
      method: 'POST',
      url: '/v1/payments/native',
      payload: { orderId: order.id },
    });
    expect(unsigned.statusCode).toBe(401);
  });

  it('the simulator’s demo pay action is for operators only; flagged payments need the operator token', async () => {
    const order = await awaitingPayment();
    await startNative(order.id);
    const anon = await h.app.inject({
      method: 'POST',
      url: '/wechatpay-sim/demo/pay',
      payload: { out_trade_no: order.id },
    });
    expect(anon.statusCode).toBe(401);
    expect((await h.app.inject({ url: '/admin/v1/payments?flagged=1' })).statusCode).toBe(401);
    expect((await paymentOf(order.id)).state).toBe('pending');
  });
});
