// Paying at the kiosk for a renewal (续期) whose order awaits payment: after the holder's card the WeChat Pay QR
// code with the amount in 元 and a live countdown; the phone pays and the kiosk asks for the current PIN by
// itself; a code not paid in time is said, 重新支付 shows a new one, and the holder may leave instead. In Chinese
// on a portrait 1080×1920 screen, and in easy mode, driven through the fake appliance (its renewal key's order
// awaits payment when told so).
import { expect, type Page, test } from '@playwright/test';
import { readQr } from '../../appliance/src/testing/read-qr.ts';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { Devices, MATCHING_CARD, RENEWAL_KEY_PIN, screen, shot, typeOnKeypad } from './kiosk.ts';

let devices: Devices;

test.beforeEach(async ({ page, request }) => {
  devices = new Devices(request);
  await devices.reset({}, 80);
  await page.goto('/');
  await screen(page, 'attract');
});

/** From the home screen to the payment screen: the renew tile, the renewal key, the holder's card. */
async function throughToPayment(page: Page): Promise<void> {
  await page.getByTestId('tile-renew').click();
  await screen(page, 'service-token');
  await devices.token('insert', 'renewal');
  await screen(page, 'service-id-card');
  await devices.idCard(MATCHING_CARD);
  await screen(page, 'service-payment');
}

test('the QR code with the amount and a countdown; the phone pays; the kiosk moves on to the current PIN', async ({
  page,
}) => {
  await devices.keyCertificate({ payFen: 12800 });
  await throughToPayment(page);
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
  await throughToPayment(page);
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
  await throughToPayment(page);
  await expect(page.locator('h1')).toHaveText(en['service.payment.title']);
  await expect(page.getByTestId('payment-amount')).toContainText('¥30.00');
  const size = await page
    .getByTestId('payment-amount')
    .locator('.amount')
    .evaluate((e) => Number.parseFloat(getComputedStyle(e).fontSize));
  expect(size).toBeGreaterThanOrEqual(48);
  await shot(page, 'services/renew-payment-en-easy');
});
