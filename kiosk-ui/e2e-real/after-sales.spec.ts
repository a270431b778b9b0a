// After-sales on the real appliance and central, in Chinese at 1080×1920: central's couriered key (put on a
// SoftHSM token by `make demo`) activated with its code; 张伟's key due for renewal renewed, its order paid at the
// kiosk (the WeChat Pay QR code, paid with the phone page's demo button; a new key pair beside the old, the old
// one removed and revoked), then unlocked after its PIN
// was locked; and the home screen in English and in easy mode. The tests share the demo's keys: they run in
// this order.

import { HOME_SERVICES } from '../../appliance/src/api/service-contract.ts';
import { readQr } from '../../appliance/src/testing/read-qr.ts';
import { DEMO_RENEWAL_KEY_PIN } from '../../config/src/demo-secrets.ts';
import { screen, shot, typeOnKeypad } from '../e2e/kiosk.ts';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { HOLDER_CARD } from './central.ts';
import { expect, test } from './fixtures.ts';
import { PIN, setPinTwice } from './steps.ts';

/** The activation code central's demo seed prints for the couriered key (sync/src/central/seed-demo.ts). */
const DEMO_ACTIVATION_CODE = '246810';

test('a couriered key is activated with its code: a wrong code counts down, the right one sets the PIN', async ({
  page,
  sim,
}) => {
  await page.goto('/');
  await screen(page, 'attract');
  await page.getByTestId('tile-activate').click();
  await screen(page, 'service-token');
  await sim.heldKey('couriered');
  await screen(page, 'service-code');
  // Whose key and which order, masked: central's answer for the certificate on this token.
  await expect(page.getByTestId('activation-order')).toContainText('王*芬');
  await expect(page.getByTestId('activation-order')).not.toContainText('王淑芬');
  await expect(page.getByTestId('code-tries')).toHaveAttribute('data-tries', '5');
  await shot(page, 'real/activate-code');

  await typeOnKeypad(page, '135790');
  await page.getByTestId('code-submit').click();
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'ACTIVATION_CODE_WRONG');
  await page.getByTestId('notice-ok').click();
  await expect(page.getByTestId('code-tries')).toHaveAttribute('data-tries', '4');

  await typeOnKeypad(page, DEMO_ACTIVATION_CODE);
  await page.getByTestId('code-submit').click();
  await screen(page, 'service-pin');
  await setPinTwice(page, PIN);
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'service-result', { timeout: 30_000 });
  await expect(page.locator('h1')).toHaveText(zh['service.result.title.activate']);
  await shot(page, 'real/activate-done');
  await expect(page.getByTestId('finish')).toBeDisabled();
  await sim.token('pull');
  await expect(page.getByTestId('key-taken')).toBeVisible({ timeout: 10_000 });
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
});

test('张伟’s key is renewed: his card, the QR code paid on the phone page, a wrong then the right current PIN; the new certificate alone on the key, the old revoked', async ({
  page,
  sim,
  central,
  context,
}) => {
  await page.goto('/');
  await screen(page, 'attract');
  expect(page.viewportSize()).toEqual({ width: 1080, height: 1920 });
  await page.getByTestId('tile-renew').click();
  await screen(page, 'service-token');
  await sim.heldKey('renewal');
  // Central found the renewal order of the certificate on this key, to be paid here.
  await screen(page, 'service-id-card');
  await expect(page.getByTestId('renewal-order')).toContainText(zh['service.renew.rule.revoke-previous']);
  await sim.idCard(HOLDER_CARD);

  // The WeChat Pay QR code (central's code_url), the amount, the countdown; no PIN before paying.
  await screen(page, 'service-payment');
  await sim.idCard(null);
  const orderId = await central.openPaymentOrder();
  const order = await central.order(orderId);
  expect(order).toMatchObject({ businessType: 'renewal', status: 'awaiting-payment' });
  await expect(page.getByTestId('payment-amount')).toContainText(`¥${(order.priceFen / 100).toFixed(2)}`);
  await expect(page.getByTestId('payment-countdown')).toBeVisible();
  const qr = page.getByTestId('payment-qr');
  const codeUrl = await qr.getAttribute('data-code-url');
  expect(codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
  expect(await readQr(await qr.screenshot())).toBe(codeUrl);
  await shot(page, 'real/renew-payment');

  // The phone: the order's page, its demo pay button (the WeChat Pay simulator's payer).
  const phone = await context.newPage();
  await phone.goto(await central.phonePageUrl(orderId));
  await phone.getByRole('button', { name: '模拟微信支付 (演示) / Pay (demo)' }).click();
  await expect(phone.locator('[data-status]')).toHaveAttribute('data-status', 'paid');
  await expect(phone.getByRole('button', { name: '模拟微信支付 (演示) / Pay (demo)' })).toHaveCount(0);
  await phone.close();
  await screen(page, 'service-current-pin');
  expect(await central.payments(orderId)).toEqual([expect.objectContaining({ state: 'paid' })]);
  await shot(page, 'real/renew-current-pin');

  // A wrong PIN is the key's own answer (a real C_Login), and it is said.
  await typeOnKeypad(page, '909090');
  await page.getByTestId('current-pin-submit').click();
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'CURRENT_PIN_WRONG');
  await page.getByTestId('notice-ok').click();
  await typeOnKeypad(page, DEMO_RENEWAL_KEY_PIN);
  await page.getByTestId('current-pin-submit').click();
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'service-result', { timeout: 60_000 });
  await expect(page.locator('h1')).toHaveText(zh['service.result.title.renew']);
  await expect(page.getByTestId('old-certificate')).toHaveAttribute('data-fate', 'revoked');
  await expect(page.getByTestId('old-removed')).toBeVisible();
  const today = new Date().toISOString().slice(0, 10);
  await expect(page.getByTestId('new-certificate')).toContainText(String(Number(today.slice(0, 4)) + 1));
  await shot(page, 'real/renew-done');
  await sim.token('pull');
  await expect(page.getByTestId('key-taken')).toBeVisible({ timeout: 10_000 });
  await page.getByTestId('finish').click();
  await screen(page, 'attract');

  // The key now carries the renewed certificate: my certificates shows it good, a year left, no renewal due.
  await page.getByTestId('tile-certificates').click();
  await screen(page, 'service-token');
  await sim.heldKey('renewal');
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'service-result', { timeout: 30_000 });
  await expect(page.getByTestId('certificate')).toHaveAttribute('data-status', 'good');
  await expect(page.getByTestId('renewal-banner')).toHaveCount(0);
  const daysLeft = Number((await page.getByTestId('days-left').textContent())?.replace(/\D/g, ''));
  expect(daysLeft).toBeGreaterThan(300);
  await sim.token('pull');
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
});

test('the home screen in English and in easy mode: every service is a tile to press, on screen', async ({
  page,
}) => {
  await page.goto('/');
  await screen(page, 'attract');
  await page.getByTestId('lang-en').click();
  await page.getByTestId('elderly-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('html')).toHaveClass(/elderly/);
  for (const tile of HOME_SERVICES) {
    const el = page.locator(`[data-tile="${tile}"]`);
    await expect(el).toHaveJSProperty('tagName', 'BUTTON');
    await expect(el).toBeEnabled();
    await expect(el).toContainText(en[`home.tile.${tile}`]);
    await expect(el).toBeInViewport({ ratio: 1 });
  }
  await expect(page.getByTestId('home-tiles')).not.toContainText(/coming soon/i);
  await shot(page, 'real/home-en-easy');
  // The 补办 tile explains what to scan, in English.
  await page.getByTestId('tile-replace').click();
  await screen(page, 'guide-replace');
  await expect(page.locator('body')).toContainText(en['guide.replace.lead']);
});

test('a locked PIN is unlocked after the holder’s ID card matched, and the new PIN is set', async ({
  page,
  sim,
}) => {
  await sim.lockPin('renewal');
  await page.goto('/');
  await screen(page, 'attract');
  await page.getByTestId('tile-unlock').click();
  await screen(page, 'service-token');
  await sim.heldKey('renewal');
  await screen(page, 'service-id-card');
  await sim.idCard('long-term-wang-shufen');
  await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'mismatched');
  await sim.idCard(null);
  await sim.idCard(HOLDER_CARD);
  await screen(page, 'service-pin');
  await sim.idCard(null);
  await setPinTwice(page, PIN);
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'service-result', { timeout: 30_000 });
  await expect(page.locator('h1')).toHaveText(zh['service.result.title.unlock']);
  await expect(page.getByTestId('unlocks-left')).toBeVisible();
  await shot(page, 'real/unlock-done');
  await sim.token('pull');
  await expect(page.getByTestId('key-taken')).toBeVisible({ timeout: 10_000 });
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
});
