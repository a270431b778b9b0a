// Paying at the kiosk, the unhappy paths, on the real appliance and central (its WeChat Pay simulator; QR codes
// last PAYMENT_SECONDS here): a code not paid in time is said on the kiosk and closed at central (expired); a
// session cancelled while its code is shown closes the provider order, and a payment that still arrives (the
// phone was already paying) is kept for a refund — flagged to operations, the order still unpaid, the kiosk
// back home. Both use a renewal order awaiting payment for the certificate on the demo's renewal key. And the happy
// path of a reissue (补办) paid through the look-up: 王淑芬's card lists the demo's reissue awaiting payment, 在此支付
// shows its QR code, the phone page's demo button pays it, and the list shows it paid (central: paid).

import type { Page } from '@playwright/test';
import { screen } from '../e2e/kiosk.ts';
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { HOLDER_CARD, REISSUE_TO_PAY_CARD } from './central.ts';
import { expect, test } from './fixtures.ts';
import { PAYMENT_SECONDS } from './ports.ts';
import type { Sim } from './sim.ts';

/** The renew tile, the renewal key, 张伟's card: the payment screen with its QR code. */
async function toPayment(page: Page, sim: Sim): Promise<void> {
  await page.goto('/');
  await screen(page, 'attract');
  await page.getByTestId('tile-renew').click();
  await screen(page, 'service-token');
  await sim.heldKey('renewal');
  await screen(page, 'service-id-card');
  await sim.idCard(HOLDER_CARD);
  await screen(page, 'service-payment');
  await sim.idCard(null);
  await expect(page.getByTestId('payment-screen')).toHaveAttribute('data-phase', 'showing');
}

async function leave(page: Page, sim: Sim): Promise<void> {
  await page.getByTestId('cancel').click();
  await page.getByTestId('cancel-yes').click();
  await screen(page, 'attract');
  await sim.token('pull');
}

test('a QR code not paid in time: expired on the kiosk, closed at central; nothing was taken', async ({
  page,
  sim,
  central,
}) => {
  test.setTimeout(60_000 + PAYMENT_SECONDS * 1000);
  const orderId = await central.unpaidRenewal();
  await toPayment(page, sim);
  await expect(page.getByTestId('payment-screen')).toHaveAttribute('data-phase', 'expired', {
    timeout: (PAYMENT_SECONDS + 10) * 1000,
  });
  await expect(page.getByTestId('payment-expired')).toHaveText(zh['service.payment.expired']);
  await expect(page.getByTestId('payment-again')).toBeVisible();
  // Central queried WeChat Pay and closed the order there (the kiosk's poll asked it after the expiry).
  await expect
    .poll(async () => (await central.payments(orderId))[0], { timeout: 15_000 })
    .toMatchObject({ state: 'closed', closeReason: 'expired' });
  expect((await central.order(orderId)).status).toBe('awaiting-payment');
  await leave(page, sim);
});

test('cancelled while the QR code is shown: closed at central; the phone’s late payment is flagged for a refund, never taken', async ({
  page,
  sim,
  central,
  context,
}) => {
  const orderId = await central.unpaidRenewal();
  await toPayment(page, sim);
  const pending = (await central.payments(orderId))[0]!;
  expect(pending.state).toBe('pending');
  await leave(page, sim);
  await expect
    .poll(async () => (await central.payments(orderId))[0], { timeout: 15_000 })
    .toMatchObject({ outTradeNo: pending.outTradeNo, state: 'closed', closeReason: 'cancelled' });

  // The phone page no longer offers to pay it …
  const phone = await context.newPage();
  await phone.goto(await central.phonePageUrl(orderId));
  await expect(phone.locator('[data-status]')).toHaveAttribute('data-status', 'awaiting-payment');
  await expect(phone.getByRole('button', { name: '模拟微信支付 (演示) / Pay (demo)' })).toHaveCount(0);
  await phone.close();
  // … but a phone that was already paying gets through (the race): kept for a refund, shown to operations.
  await central.simulatorPay(pending.outTradeNo, true);
  expect(await central.payments(orderId, true)).toEqual([
    expect.objectContaining({
      outTradeNo: pending.outTradeNo,
      state: 'refund-pending',
      flagReason: 'paid-after-cancel',
    }),
  ]);
  expect((await central.order(orderId)).status).toBe('awaiting-payment');
  // The kiosk did not take it either: home, no service open.
  await screen(page, 'attract');
  const state = (await (await page.request.get('/api/state')).json()) as { service: unknown };
  expect(state.service).toBeNull();
});

test('a reissue awaiting payment, found by the look-up: 在此支付, paid on the phone page, shown paid on the list', async ({
  page,
  sim,
  central,
  context,
}) => {
  const order = await central.kioskReissue();
  expect(order).toMatchObject({ status: 'awaiting-payment', delivery: 'kiosk' });
  await page.goto('/');
  await screen(page, 'attract');
  await page.getByTestId('tile-lookup').click();
  await screen(page, 'service-lookup');
  await sim.idCard(REISSUE_TO_PAY_CARD);
  await screen(page, 'service-result');
  await sim.idCard(null);
  const toPay = page.getByTestId('order').filter({ has: page.getByTestId('order-pay') });
  await expect(toPay).toHaveCount(1);
  await expect(toPay).toHaveAttribute('data-status', 'awaiting-payment');
  const yuan = `¥${(order.priceFen / 100).toFixed(2)}`;
  await expect(toPay.getByTestId('order-pay')).toHaveText(
    zh['service.lookup.payHere'].replace('{amount}', yuan),
  );
  await toPay.getByTestId('order-pay').click();

  await screen(page, 'service-payment');
  await expect(page.getByTestId('payment-screen')).toHaveAttribute('data-phase', 'showing');
  await expect(page.getByTestId('payment-amount')).toContainText(yuan);
  expect((await central.payments(order.id))[0]).toMatchObject({ state: 'pending' });
  const phone = await context.newPage();
  await phone.goto(await central.phonePageUrl(order.id));
  await phone.getByRole('button', { name: '模拟微信支付 (演示) / Pay (demo)' }).click();
  await expect(phone.locator('[data-status]')).toHaveAttribute('data-status', 'paid');
  await phone.close();

  await screen(page, 'service-result');
  const paid = page.getByTestId('order').filter({ has: page.getByTestId('order-paid-here') });
  await expect(paid).toHaveAttribute('data-status', 'paid');
  await expect(paid.getByTestId('order-paid-here')).toHaveText(
    zh['service.lookup.paidHere'].replace('{amount}', yuan),
  );
  await expect(page.getByTestId('order-pay')).toHaveCount(0);
  expect((await central.order(order.id)).status).toBe('paid');
  expect(await central.payments(order.id)).toEqual([expect.objectContaining({ state: 'paid' })]);
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
});
