// Paying at the kiosk for a renewal (续期) whose order awaits payment: after the holder's card the WeChat Pay QR
// code with the amount in 元 and a live countdown; the phone pays and the kiosk asks for the current PIN by
// itself; a code not paid in time is said, 重新支付 shows a new one, and the holder may leave instead. In Chinese
// on a portrait 1080×1920 screen, and in easy mode, driven through the fake appliance (its renewal key's order
// awaits payment when told so). A look-up lists a reissue (补办) awaiting payment at the kiosk: 在此支付 shows the same
// payment screen, and once paid the list shows the order paid.
import { expect, type Page, test } from '@playwright/test';
import { readQr } from '../../appliance/src/testing/read-qr.ts';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import {
  Devices,
  MATCHING_CARD,
  RENEWAL_KEY_PIN,
  renewalThroughCard,
  screen,
  shot,
  typeOnKeypad,
} from './kiosk.ts';

let devices: Devices;

test.beforeEach(async ({ page, request }) => {
  devices = new Devices(request);
  await devices.reset({}, 80);
  await page.goto('/');
  await screen(page, 'attract');
});

test('the QR code with the amount and a countdown; the phone pays; the kiosk moves on to the current PIN', async ({
  page,
}) => {
  await devices.keyCertificate({ payFen: 12800 });
  await renewalThroughCard(page, devices, 'service-payment');
  const shown = page.getByTestId('payment-screen');
  await expect(shown).toHaveAttribute('data-phase', 'showing');
  await expect(page.locator('h1')).toHaveText(zh['service.payment.title']);
  await expect(page.getByTestId('payment-amount')).toContainText('¥128.00');
  await expect(page.getByTestId('payment-waiting')).toHaveText(zh['service.payment.waiting']);
  const countdown = page.getByTestId('payment-countdown');
  await expect(countdown).toHaveText(/ [45]:[0-5]\d$/);
  const first = await countdown.textContent();
  await expect(countdown).not.toHaveText(first!, { timeout: 3000 });
  const qr = page.getByTestId('payment-qr');
  await expect(qr).toHaveAttribute('data-code-url', 'weixin://wxpay/bizpayurl?pr=FAKE1');
  expect(await readQr(await qr.screenshot())).toBe('weixin://wxpay/bizpayurl?pr=FAKE1');
  // No PIN is asked for before paying.
  await expect(page.getByTestId('keypad')).toHaveCount(0);
  await shot(page, 'services/renew-payment');

  await devices.pay();
  await screen(page, 'service-current-pin');
  // The screen asked the appliance while it waited (it polls; no tap needed).
  expect((await devices.callsTo('GET', '/api/services/current/payment')).length).toBeGreaterThan(0);
  await typeOnKeypad(page, RENEWAL_KEY_PIN);
  await page.getByTestId('current-pin-submit').click();
  await screen(page, 'service-result');
});

test('not paid in time: expired is said (no error pop-up); 重新支付 shows a new code; cancel leaves', async ({
  page,
}) => {
  await devices.keyCertificate({ payFen: 12800, payMs: 2500 });
  await renewalThroughCard(page, devices, 'service-payment');
  const shown = page.getByTestId('payment-screen');
  await expect(shown).toHaveAttribute('data-phase', 'expired', { timeout: 8000 });
  await expect(page.locator('h1')).toHaveText(zh['service.payment.expiredTitle']);
  await expect(page.getByTestId('payment-expired')).toHaveText(zh['service.payment.expired']);
  await expect(page.getByTestId('payment-qr')).toHaveCount(0);
  await expect(page.getByTestId('error-notice')).toHaveCount(0);
  await shot(page, 'services/renew-payment-expired');

  await page.getByTestId('payment-again').click();
  await expect(shown).toHaveAttribute('data-phase', 'showing');
  await expect(page.getByTestId('payment-qr')).toHaveAttribute(
    'data-code-url',
    'weixin://wxpay/bizpayurl?pr=FAKE2',
  );
  expect(await devices.callsTo('POST', '/api/services/current/payment')).toHaveLength(1);

  await expect(shown).toHaveAttribute('data-phase', 'expired', { timeout: 8000 });
  await page.getByTestId('payment-cancel').click();
  await page.getByTestId('cancel-yes').click();
  await screen(page, 'attract');
  expect(await devices.callsTo('DELETE', '/api/services/current')).toHaveLength(1);
});

test('in English and easy mode: the amount and the countdown stay readable', async ({ page }) => {
  await devices.keyCertificate({ payFen: 3000 });
  await page.getByTestId('lang-en').click();
  await page.getByTestId('elderly-toggle').click();
  await renewalThroughCard(page, devices, 'service-payment');
  await expect(page.locator('h1')).toHaveText(en['service.payment.title']);
  await expect(page.getByTestId('payment-amount')).toContainText('¥30.00');
  const size = await page
    .getByTestId('payment-amount')
    .locator('.amount')
    .evaluate((e) => Number.parseFloat(getComputedStyle(e).fontSize));
  expect(size).toBeGreaterThanOrEqual(48);
  await shot(page, 'services/renew-payment-en-easy');
});

/** From the home screen to a look-up's list by the holder's card (a reissue awaits payment at the kiosk there). */
async function lookedUp(page: Page): Promise<void> {
  await page.getByTestId('tile-lookup').click();
  await screen(page, 'service-lookup');
  await devices.idCard(MATCHING_CARD);
  await screen(page, 'service-result');
}

test('look-up: a reissue awaiting payment offers 在此支付 with its amount; the phone pays; back on the list it is paid', async ({
  page,
}) => {
  await devices.keyCertificate({ payFen: 20000 });
  await lookedUp(page);
  const toPay = page.getByTestId('order').filter({ has: page.getByTestId('order-pay') });
  await expect(toPay).toHaveCount(1);
  await expect(toPay).toHaveAttribute('data-status', 'awaiting-payment');
  const payHere = toPay.getByTestId('order-pay');
  await expect(payHere).toHaveText(zh['service.lookup.payHere'].replace('{amount}', '¥200.00'));
  // Only the order awaiting payment offers it.
  await expect(page.getByTestId('order-pay')).toHaveCount(1);
  await shot(page, 'services/lookup-pay-here');

  await payHere.click();
  await screen(page, 'service-payment');
  await expect(page.locator('h1')).toHaveText(zh['service.payment.titleOrder']);
  await expect(page.getByTestId('payment-screen').locator('.service-name')).toHaveText(
    zh['service.name.lookup'],
  );
  await expect(page.getByTestId('payment-amount')).toContainText('¥200.00');
  await expect(page.getByTestId('payment-countdown')).toHaveText(/ [45]:[0-5]\d$/);
  await expect(page.getByTestId('payment-qr')).toHaveAttribute(
    'data-code-url',
    'weixin://wxpay/bizpayurl?pr=FAKE1',
  );
  await shot(page, 'services/lookup-payment');

  await devices.pay();
  await screen(page, 'service-result');
  const paid = page.getByTestId('order').first();
  await expect(paid).toHaveAttribute('data-status', 'paid');
  await expect(paid.getByTestId('order-status')).toHaveText(zh['orderStatus.paid']);
  await expect(paid.getByTestId('order-paid-here')).toHaveText(
    zh['service.lookup.paidHere'].replace('{amount}', '¥200.00'),
  );
  await expect(page.getByTestId('order-pay')).toHaveCount(0);
  expect(await devices.callsTo('POST', '/api/services/current/orders/0/payment')).toHaveLength(1);
});

test('look-up: not paid in time — 重新支付 shows a new code; 返回订单列表 goes back, the order still payable', async ({
  page,
}) => {
  await devices.keyCertificate({ payFen: 20000, payMs: 2500 });
  await lookedUp(page);
  await page.getByTestId('order-pay').click();
  await screen(page, 'service-payment');
  const shown = page.getByTestId('payment-screen');
  await expect(shown).toHaveAttribute('data-phase', 'expired', { timeout: 8000 });
  await expect(page.getByTestId('payment-expired')).toHaveText(zh['service.payment.expiredOrder']);
  await expect(page.getByTestId('error-notice')).toHaveCount(0);
  // A look-up's holder goes back to the list rather than leaving the kiosk.
  await expect(page.getByTestId('payment-cancel')).toHaveCount(0);
  await page.getByTestId('payment-again').click();
  await expect(shown).toHaveAttribute('data-phase', 'showing');
  await expect(page.getByTestId('payment-qr')).toHaveAttribute(
    'data-code-url',
    'weixin://wxpay/bizpayurl?pr=FAKE2',
  );
  await page.getByTestId('payment-back').click();
  await screen(page, 'service-result');
  await expect(page.getByTestId('order-pay')).toHaveCount(1);
  expect(await devices.callsTo('DELETE', '/api/services/current/orders/0/payment')).toHaveLength(1);
  expect(await devices.callsTo('DELETE', '/api/services/current')).toHaveLength(0);
});
