// Renew (续期) of a renewal order awaiting payment, paid at the kiosk with WeChat Pay Native, against the real
// central and its WeChat Pay simulator (the payer played by the simulator's demo pay action, which sends central
// the signed notification): after the holder's card the kiosk shows the QR code (amount, expiry) and no PIN is
// taken; once central says paid, the PIN, and the renewal completes, with one payment.taken at central. Leaving
// closes the provider order (a late payment is kept for a refund, never taken); an expired code is said and a new
// one can be shown; a kill -9 while the code is shown loses nothing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasLogRecord } from '@certkiosk/config';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApplianceClient } from './api/client.js';
import type { ServiceView } from './api/service-contract.js';
import {
  clearServiceKiosk,
  type HeldCertifiedKey,
  makeCourieredKey,
  renewalOrder,
  serviceClient,
  WANG_SHUFEN,
} from './testing/after-sales.js';
import { centralEventCount, expectStoreHoldsNone } from './testing/central-rows.js';
import { HOLDER_PIN, startDaemonChild } from './testing/daemon-child.js';
import { waitFor } from './testing/kiosk-harness.js';
import { centralPayments, flaggedPayments, pollUntil, simPay } from './testing/kiosk-payments.js';
import { type SimKiosk, startEnrolledSimKiosk } from './testing/sim-kiosk.js';

const PIN = '730164';
const DAY = 86_400_000;
const MIN = 60_000;

let k: SimKiosk;
let s: ReturnType<typeof serviceClient>;
let centralOffsetMs = 0;
const trayDir = () => join(k.dir, 'sim', 'key-tray');

beforeAll(async () => {
  k = await startEnrolledSimKiosk('renew-pay', () => Date.now() + centralOffsetMs);
  s = serviceClient(k.daemon.url);
}, 60_000);

afterEach(async () => {
  centralOffsetMs = 0;
  await clearServiceKiosk(k, s);
});

afterAll(async () => k?.stop());

/** Central's payments of an order, oldest first. */
const paymentsOf = (orderId: string, central = k.central) => centralPayments(central, orderId);

/** A key with 王淑芬's certificate (issued 320 days ago, PIN set) and a renewal order awaiting payment at a kiosk. */
async function unpaidKey(
  central: SimKiosk['central'],
  tray: string,
  name: string,
  pin = PIN,
): Promise<HeldCertifiedKey & { orderId: string; priceFen: number }> {
  centralOffsetMs = -320 * DAY;
  const key = await makeCourieredKey(central, tray, name, { ship: false, userPin: pin });
  centralOffsetMs = 0;
  const orderId = await renewalOrder(central, key.certificateSerial, { pay: 'at-kiosk' });
  const order = await central.admin('GET', `/admin/v1/orders/${orderId}`);
  expect(order.status).toBe('awaiting-payment');
  return { ...key, orderId, priceFen: order.priceFen as number };
}

/** Start renew, insert the key, place the holder's card: the kiosk shows the QR code. */
async function upToPayment(name: string): Promise<ServiceView> {
  await s.start('renew');
  k.daemon.sim.insertHeldKey(name);
  const found = (await s.until((v) => v?.need === 'id-card' || v?.status === 'failed')) as ServiceView;
  expect(found, JSON.stringify(found)).toMatchObject({ need: 'id-card', step: 'order-found' });
  expect(found.payment).toMatchObject({ state: 'due' });
  await k.daemon.sim.placeCard('long-term-wang-shufen');
  return (await s.until((v) => v?.need === 'payment' && v.payment?.state !== 'due')) as ServiceView;
}

/** Poll the payment as the screen does until `pred` holds. */
const pollPayment = (api: ReturnType<typeof createApplianceClient>, pred: (v: ServiceView) => boolean) =>
  pollUntil(() => api.servicePayment(), pred);

async function paymentTakenEvents(orderId: string, central = k.central): Promise<number> {
  return centralEventCount(central, 'payment.taken', orderId);
}

describe('renew an order awaiting payment: pay at the kiosk', () => {
  it('card → QR code (amount, expiry) → the phone pays → current PIN → renewed; one payment.taken; no PIN before paying', async () => {
    const key = await unpaidKey(k.central, trayDir(), 'pay-good');
    const shown = await upToPayment('pay-good');
    expect(shown).toMatchObject({
      step: 'identity-verified',
      need: 'payment',
      identity: { state: 'matched' },
      payment: {
        state: 'pending',
        amountFen: key.priceFen,
        codeUrl: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/),
      },
    });
    const expiresIn = Date.parse(shown.payment!.expiresAt!) - Date.now();
    expect(expiresIn).toBeGreaterThan(4 * MIN);
    expect(expiresIn).toBeLessThanOrEqual(5 * MIN);
    expect(await paymentsOf(key.orderId)).toEqual([expect.objectContaining({ state: 'pending' })]);

    // Attack: the PIN before paying is refused (nothing generated, nothing issued, the order still waits).
    const early = await s.api.servicePin({ body: { pin: PIN } });
    expect(early.ok ? early.data : early.error).toMatchObject({ code: 'WRONG_STEP' });
    // Not paid yet: polling changes nothing.
    expect(await pollPayment(s.api, () => true)).toMatchObject({
      need: 'payment',
      payment: { state: 'pending' },
    });
    expect((await k.central.order(key.orderId)).status).toBe('awaiting-payment');

    await simPay(k.central, key.orderId);
    const paid = await pollPayment(s.api, (v) => v.need === 'current-pin');
    expect(paid.payment).toMatchObject({
      state: 'paid',
      amountFen: key.priceFen,
      paidAt: expect.any(String),
    });
    expect(paid.payment?.codeUrl).toBeUndefined();
    expect((await k.central.order(key.orderId)).status).toBe('paid');
    // Polled again (a second screen, a late timer): nothing more.
    await s.api.servicePayment();
    await s.api.servicePayment();

    const r = await s.api.servicePin({ body: { pin: PIN } });
    expect(r.ok && r.data, JSON.stringify(r)).toMatchObject({ status: 'completed', need: 'result' });
    expect((await k.central.order(key.orderId)).status).toBe('issued');
    await k.daemon.agent.drain(15_000);
    expect(await paymentTakenEvents(key.orderId)).toBe(1);
    expectStoreHoldsNone(join(k.dir, 'store'), [PIN, WANG_SHUFEN.idNumber, WANG_SHUFEN.name]);
  }, 90_000);

  it('leaving while the code is shown closes the provider order; a late payment is flagged for a refund, the order still unpaid', async () => {
    const key = await unpaidKey(k.central, trayDir(), 'pay-cancel');
    await upToPayment('pay-cancel');
    await s.leave();
    expect(await s.service()).toBeNull();
    await waitFor(
      async () => (await paymentsOf(key.orderId))[0]?.state === 'closed',
      10_000,
      'the payment closed at central',
    );
    expect(await paymentsOf(key.orderId)).toEqual([
      expect.objectContaining({ state: 'closed', close_reason: 'cancelled' }),
    ]);
    // The phone pays anyway (the race): kept for a refund and shown to operations, never taken.
    await simPay(k.central, key.orderId, true);
    expect(await flaggedPayments(k.central, key.orderId)).toEqual([
      expect.objectContaining({ state: 'refund-pending', flagReason: 'paid-after-cancel' }),
    ]);
    expect((await k.central.order(key.orderId)).status).toBe('awaiting-payment');
    await k.daemon.agent.drain(15_000);
    expect(await paymentTakenEvents(key.orderId)).toBe(0);
  }, 90_000);

  it('the idle wipe closes the code at central too; central unreachable, the wipe does not wait and the sweep closes it at its expiry', async () => {
    const key = await unpaidKey(k.central, trayDir(), 'pay-idle');
    await upToPayment('pay-idle');
    await k.daemon.services.wipe('idle');
    expect(await s.service()).toBeNull();
    await waitFor(
      async () => (await paymentsOf(key.orderId))[0]?.state === 'closed',
      10_000,
      'closed at central',
    );
    expect((await paymentsOf(key.orderId))[0]?.close_reason).toBe('cancelled');

    // Again with central unreachable: the holder is back home at once, the code stays open at central …
    const again = await upToPayment('pay-idle');
    expect(again.payment?.state).toBe('pending');
    k.proxy?.set([{ path: '/v1/payments', mode: 'down' }]);
    const started = Date.now();
    const left = await s.api.endService();
    expect(left.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await s.service()).toBeNull();
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await paymentsOf(key.orderId)).at(-1)?.state).toBe('pending');
    // … until its expiry, when central's sweep queries WeChat Pay and closes it.
    centralOffsetMs = 6 * MIN;
    await k.central.app.central.payments.sweep();
    expect((await paymentsOf(key.orderId)).at(-1)).toMatchObject({
      state: 'closed',
      close_reason: 'expired',
    });
  }, 90_000);

  it('the code expires unpaid: said, closed at central; 重新支付 shows a new code, and paying that one renews', async () => {
    const key = await unpaidKey(k.central, trayDir(), 'pay-expire');
    const first = await upToPayment('pay-expire');
    // Five minutes pass with no payment: central's sweep queries the provider order and closes it.
    centralOffsetMs = 6 * MIN;
    expect(await k.central.app.central.payments.sweep()).toBeGreaterThanOrEqual(1);
    centralOffsetMs = 0;
    const expired = await pollPayment(s.api, (v) => v.payment?.state === 'expired');
    expect(expired).toMatchObject({ need: 'payment', error: { code: 'PAYMENT_EXPIRED' } });
    expect(expired.payment?.codeUrl).toBeUndefined();
    expect(await paymentsOf(key.orderId)).toEqual([
      expect.objectContaining({ state: 'closed', close_reason: 'expired' }),
    ]);

    const again = await s.api.servicePayAgain({ body: {} });
    const shown = (again.ok ? again.data : null) as ServiceView;
    expect(shown, JSON.stringify(again)).toMatchObject({ need: 'payment', payment: { state: 'pending' } });
    expect(shown.error).toBeUndefined();
    expect(shown.payment?.codeUrl).not.toBe(first.payment?.codeUrl);
    expect((await paymentsOf(key.orderId)).map((p) => p.out_trade_no)).toEqual([
      key.orderId,
      `${key.orderId}_2`,
    ]);

    await simPay(k.central, `${key.orderId}_2`);
    await pollPayment(s.api, (v) => v.need === 'current-pin');
    const r = await s.api.servicePin({ body: { pin: PIN } });
    expect(r.ok && r.data, JSON.stringify(r)).toMatchObject({ status: 'completed' });
    await k.daemon.agent.drain(15_000);
    expect(await paymentTakenEvents(key.orderId)).toBe(1);
  }, 90_000);
});

describe('kill -9 while the QR code is shown', () => {
  it('after the restart the code is shown again; paid meanwhile, the renewal goes on; payment.taken once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-renew-pay-crash-'));
    const key = await unpaidKey(k.central, join(dir, 'sim', 'key-tray'), 'holder-key', HOLDER_PIN);
    const first = await startDaemonChild(dir, k.central);
    const api1 = createApplianceClient(first.base);
    const c1 = serviceClient(first.base);
    await waitFor(() => hasLogRecord(first.output, 'enrolled with central'), 20_000, 'the child enrolled');
    await c1.start('renew');
    await api1.simToken({ body: { action: 'insert', key: key.name } });
    await c1.until((v) => v?.need === 'id-card', 20_000);
    await api1.simIdCard({ body: { fixture: 'long-term-wang-shufen' } });
    const shown = (await c1.until(
      (v) => v?.need === 'payment' && v.payment?.state === 'pending',
    )) as ServiceView;
    first.proc.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    // Paid while the kiosk was down.
    await simPay(k.central, key.orderId);

    const second = await startDaemonChild(dir, k.central);
    try {
      expect(second.recovered(), second.output.join('\n')).toEqual(['payment-again']);
      const c2 = serviceClient(second.base);
      const back = (await c2.service()) as ServiceView;
      expect(back).toMatchObject({ need: 'payment', payment: { codeUrl: shown.payment!.codeUrl } });
      const paid = await pollPayment(c2.api, (v) => v.need === 'current-pin');
      expect(paid.payment?.state).toBe('paid');
      await pollPayment(c2.api, () => true);
      const r = await c2.api.servicePin({ body: { pin: HOLDER_PIN } });
      expect(r.ok && r.data, JSON.stringify(r)).toMatchObject({ status: 'completed' });
      await waitFor(
        async () => (await paymentTakenEvents(key.orderId)) > 0,
        20_000,
        'payment.taken at central',
      );
      expect((await k.central.order(key.orderId)).status).toBe('issued');
    } finally {
      await second.stop();
    }
    expect(await paymentTakenEvents(key.orderId)).toBe(1);
  }, 120_000);
});
