// Paying a reissue (补办) at the kiosk through the order look-up (查询), against the real central and its WeChat Pay
// simulator: the look-up by ID card lists the holder's reissue awaiting payment with its amount (在此支付); paying
// it shows the QR code, the phone pays (the order's phone page's demo pay button), and the list comes back with the
// order paid —
// central's order paid, one payment.taken. Leaving closes the provider order (a late payment is kept for a refund,
// the order still unpaid); only an order the list shows, awaiting payment at a kiosk, may be paid.
import { join } from 'node:path';
import { maskOrderId } from '@certkiosk/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceView } from './api/service-contract.js';
import { BATU, clearServiceKiosk, lostKeyReissue, serviceClient } from './testing/after-sales.js';
import { centralEventCount, expectStoreHoldsNone } from './testing/central-rows.js';
import { waitFor, ZHANG_WEI } from './testing/kiosk-harness.js';
import { centralPayments, flaggedPayments, pollUntil, simPay } from './testing/kiosk-payments.js';
import { type SimKiosk, startEnrolledSimKiosk } from './testing/sim-kiosk.js';

let k: SimKiosk;
let s: ReturnType<typeof serviceClient>;

beforeAll(async () => {
  k = await startEnrolledSimKiosk('lookup-pay', () => Date.now());
  s = serviceClient(k.daemon.url);
}, 60_000);

afterEach(async () => clearServiceKiosk(k, s));

afterAll(async () => k?.stop());

const paymentsOf = (orderId: string) => centralPayments(k.central, orderId);
const code = (r: { ok: boolean; error?: { code: string }; data?: unknown }) =>
  r.ok ? `ok ${JSON.stringify(r.data)}` : r.error?.code;

/** 巴特尔's lost key and its reissue awaiting payment at the kiosk, with its price. */
async function reissueToPay(holder = BATU): Promise<{ orderId: string; priceFen: number }> {
  const { orderId } = await lostKeyReissue(k.central, holder, { pay: 'at-kiosk' });
  const order = await k.central.admin('GET', `/admin/v1/orders/${orderId}`);
  expect(order).toMatchObject({ businessType: 'reissue', status: 'awaiting-payment', delivery: 'kiosk' });
  return { orderId, priceFen: order.priceFen as number };
}

/** Look up 巴特尔's orders by his card: the list, and the position of `orderId` on it (-1: not listed). */
async function lookUp(orderId: string, card = 'mongol-batu'): Promise<{ list: ServiceView; at: number }> {
  await s.start('lookup');
  await k.daemon.sim.placeCard(card);
  const list = (await s.until((v) => v?.status === 'completed')) as ServiceView;
  return { list, at: list.orders!.findIndex((o) => o.orderIdMasked === maskOrderId(orderId)) };
}

const pay = (at: number) => s.api.payServiceOrder({ params: { position: String(at) }, body: {} });
const poll = (at: number, pred: (v: ServiceView) => boolean) =>
  pollUntil(() => s.api.serviceOrderPayment({ params: { position: String(at) } }), pred);

describe('look-up: pay a reissue awaiting payment at the kiosk (在此支付)', () => {
  it('listed with its amount → the QR code → the phone pays → the list shows it paid; central paid; one payment.taken', async () => {
    const { orderId, priceFen } = await reissueToPay();
    const { list, at } = await lookUp(orderId);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(list.orders![at]).toMatchObject({
      kind: 'reissue',
      status: 'awaiting-payment',
      payHere: { amountFen: priceFen },
    });
    // The lost key's own order (activated) is not payable: no 在此支付.
    expect(list.orders!.filter((o) => o.payHere).length).toBeGreaterThanOrEqual(1);
    expect(list.orders!.filter((o) => o.status === 'activated').every((o) => !o.payHere)).toBe(true);

    const r = await pay(at);
    const shown = (r.ok ? r.data : null) as ServiceView;
    expect(shown, JSON.stringify(r)).toMatchObject({
      kind: 'lookup',
      status: 'active',
      step: 'paying',
      need: 'payment',
      payingOrder: at,
      payment: {
        state: 'pending',
        amountFen: priceFen,
        codeUrl: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/),
        expiresAt: expect.any(String),
      },
    });
    expect(await paymentsOf(orderId)).toEqual([expect.objectContaining({ state: 'pending' })]);
    // Pressed again (a double tap): the same code, no second payment at central.
    const again = await pay(at);
    expect(again.ok && again.data.payment?.codeUrl).toBe(shown.payment?.codeUrl);
    expect(await paymentsOf(orderId)).toHaveLength(1);
    // Not paid yet: the poll changes nothing; the generic poll of the payment screen answers the same.
    expect(await poll(at, () => true)).toMatchObject({ need: 'payment', payment: { state: 'pending' } });
    const generic = await s.api.servicePayment();
    expect(generic.ok && generic.data.need).toBe('payment');
    // Attack: polling another position while paying is refused.
    expect(code(await s.api.serviceOrderPayment({ params: { position: String(at + 1) } }))).toBe(
      'PAYMENT_ORDER_UNKNOWN',
    );

    // The phone pays with the phone page's demo button (the simulator's payer) of this reissue order.
    const { path } = await k.central.admin('GET', `/admin/v1/orders/${orderId}/phone-page`);
    const pressed = await fetch(`${k.central.url}${path}/demo-pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    expect(pressed.status).toBe(303);
    const paid = await poll(at, (v) => v.status === 'completed');
    expect(paid).toMatchObject({ need: 'result', step: 'completed' });
    expect(paid.payment).toBeUndefined();
    expect(paid.error).toBeUndefined();
    expect(paid.orders![at]).toMatchObject({
      status: 'paid',
      paidHere: { amountFen: priceFen, paidAt: expect.any(String) },
    });
    expect(paid.orders![at]!.payHere).toBeUndefined();
    expect(paid.orders![at]!.history.at(-1)?.status).toBe('paid');
    expect((await k.central.order(orderId)).status).toBe('paid');
    // Polled again (a late timer) and paying again: nothing more happens, nothing is sent.
    await s.api.serviceOrderPayment({ params: { position: String(at) } });
    expect(code(await pay(at))).toBe('PAYMENT_NOT_AVAILABLE');
    expect(await paymentsOf(orderId)).toEqual([expect.objectContaining({ state: 'paid' })]);

    await k.daemon.agent.drain(15_000);
    expect(await centralEventCount(k.central, 'payment.taken', orderId)).toBe(1);
    expectStoreHoldsNone(join(k.dir, 'store'), [BATU.idNumber, BATU.name]);
  }, 90_000);

  it('leaving while the code is shown closes the provider order; a late payment is flagged for a refund, the order still awaiting payment', async () => {
    const { orderId } = await reissueToPay();
    const { at } = await lookUp(orderId);
    const r = await pay(at);
    expect(r.ok && r.data.payment?.state).toBe('pending');
    await s.leave();
    expect(await s.service()).toBeNull();
    await waitFor(
      async () => (await paymentsOf(orderId))[0]?.state === 'closed',
      10_000,
      'the payment closed at central',
    );
    expect(await paymentsOf(orderId)).toEqual([
      expect.objectContaining({ state: 'closed', close_reason: 'cancelled' }),
    ]);
    // The phone pays anyway (the race): kept for a refund and shown to operations, never taken.
    await simPay(k.central, orderId, true);
    expect(await flaggedPayments(k.central, orderId)).toEqual([
      expect.objectContaining({ state: 'refund-pending', flagReason: 'paid-after-cancel' }),
    ]);
    expect((await k.central.order(orderId)).status).toBe('awaiting-payment');
    await k.daemon.agent.drain(15_000);
    expect(await centralEventCount(k.central, 'payment.taken', orderId)).toBe(0);
  }, 90_000);

  it('返回列表 closes the payment at central and brings the list back, still payable; the idle wipe closes it too', async () => {
    const { orderId, priceFen } = await reissueToPay();
    const { at } = await lookUp(orderId);
    expect((await pay(at)).ok).toBe(true);
    const back = await s.api.leaveServiceOrderPayment({ params: { position: String(at) }, body: {} });
    const list = (back.ok ? back.data : null) as ServiceView;
    expect(list, JSON.stringify(back)).toMatchObject({ status: 'completed', need: 'result' });
    expect(list.payment).toBeUndefined();
    expect(list.orders![at]).toMatchObject({ status: 'awaiting-payment', payHere: { amountFen: priceFen } });
    expect(await paymentsOf(orderId)).toEqual([
      expect.objectContaining({ state: 'closed', close_reason: 'cancelled' }),
    ]);

    // Paid here again later: a new code; then the idle wipe ends the session and closes it at central.
    const again = await pay(at);
    expect(again.ok && again.data.payment?.state).toBe('pending');
    await k.daemon.services.wipe('idle');
    expect(await s.service()).toBeNull();
    await waitFor(
      async () => (await paymentsOf(orderId)).at(-1)?.state === 'closed',
      10_000,
      'closed at central',
    );
    expect((await paymentsOf(orderId)).map((p) => p.close_reason)).toEqual(['cancelled', 'cancelled']);
    expect((await k.central.order(orderId)).status).toBe('awaiting-payment');
  }, 90_000);

  it('attack: a position not on the list, an order not awaiting payment, another person’s order — refused, central not asked', async () => {
    const mine = await reissueToPay();
    const theirs = await reissueToPay(ZHANG_WEI);
    // Before any look-up: no list to pay from.
    expect(code(await pay(0))).toBe('NO_ACTIVE_JOURNEY');
    await s.start('lookup');
    expect(code(await pay(0))).toBe('WRONG_STEP');
    await s.leave();

    const { list, at } = await lookUp(mine.orderId);
    // 张伟's reissue is not on 巴特尔's list: no position reaches it.
    expect(list.orders!.some((o) => o.orderIdMasked === maskOrderId(theirs.orderId))).toBe(false);
    expect(code(await pay(list.orders!.length))).toBe('PAYMENT_ORDER_UNKNOWN');
    expect(code(await s.api.payServiceOrder({ params: { position: '99' }, body: {} }))).toBe(
      'PAYMENT_ORDER_UNKNOWN',
    );
    // A listed order not awaiting payment (the lost key's own, activated): refused.
    const activated = list.orders!.findIndex((o) => o.status === 'activated');
    expect(activated).toBeGreaterThanOrEqual(0);
    expect(code(await pay(activated))).toBe('PAYMENT_NOT_AVAILABLE');
    // Nothing was asked of central for any of them; the list is as it was.
    expect(await paymentsOf(theirs.orderId)).toEqual([]);
    expect(await paymentsOf(mine.orderId)).toEqual([]);
    expect(await s.service()).toMatchObject({ status: 'completed', need: 'result' });
    expect(at).toBeGreaterThanOrEqual(0);
  }, 90_000);
});
