// Failures the applicant can meet, each told in plain words with what to do, in the current language.
import { expect, test } from '@playwright/test';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import {
  DEMO_CODE,
  Devices,
  MATCHING_CARD,
  PIN,
  screen,
  shot,
  start,
  throughToPin,
  typeOnKeypad,
} from './kiosk.ts';

test('a forged pickup code is explained in Chinese and, after the switch, in English', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await start(page);
  await devices.scan('CK1-FORGED');
  const notice = page.getByTestId('error-notice');
  await expect(notice).toHaveAttribute('data-code', 'PICKUP_CODE_FORGED');
  await expect(notice).toContainText(zh['error.PICKUP_CODE_FORGED']);
  await expect(notice).toContainText(zh['action.call-staff']);
  await shot(page, 'error-forged-zh');
  await page.getByTestId('lang-en').click();
  await expect(notice).toContainText(en['error.PICKUP_CODE_FORGED']);
  await expect(notice).toContainText(en['action.call-staff']);
  await shot(page, 'error-forged-en');
  await page.getByTestId('notice-ok').click();
  await expect(notice).toHaveCount(0);
  // The same forged code held up again: told again, every time (not taken for a broken scanner).
  for (let i = 0; i < 2; i++) {
    await devices.scan('CK1-FORGED');
    await expect(notice).toHaveAttribute('data-code', 'PICKUP_CODE_FORGED');
    await page.getByTestId('notice-ok').click();
    await expect(notice).toHaveCount(0);
  }
  // The applicant can still scan the right code afterwards.
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
});

test('a refused action (forced by the fake) shows the sentence for its code', async ({ page, request }) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  const forced = await request.post('/__test/next-error', {
    data: { route: 'confirm', code: 'CENTRAL_UNAVAILABLE', action: 'come-back-later' },
  });
  expect(forced.ok()).toBe(true);
  await page.getByTestId('confirm-order').click();
  await expect(page.getByTestId('error-notice')).toContainText(zh['error.CENTRAL_UNAVAILABLE']);
  await expect(page.getByTestId('error-notice')).toContainText(zh['action.come-back-later']);
  await page.getByTestId('notice-ok').click();
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
});

test('a mismatched ID card shows the reason and the attempts left', async ({ page, request }) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
  await screen(page, 'id-card');
  await devices.idCard('mongol-batu');
  await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'mismatched');
  await expect(page.getByTestId('id-reason')).toHaveText(zh['error.ID_MISMATCH_PERSON']);
  await expect(page.getByTestId('id-attempts')).toContainText('2');
  await shot(page, 'id-mismatch-zh');
  await devices.idCard(null);
  await devices.idCard(MATCHING_CARD);
  await screen(page, 'token');
});

test('a key pulled out during the PIN step is told at once, and paper out promises a reprint', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await throughToPin(page, devices);

  await devices.token('pull');
  await expect(page.getByTestId('alert-token-pulled')).toHaveText(zh['device.tokenPulled']);
  await shot(page, 'key-pulled-zh');
  await devices.token('insert');
  await expect(page.getByTestId('alert-token-pulled')).toHaveCount(0);

  await devices.printer('out');
  await expect(page.getByTestId('alert-paper-out')).toHaveText(zh['device.paperOut']);
  await typeOnKeypad(page, PIN);
  await page.getByTestId('pin-submit').click();
  await typeOnKeypad(page, PIN);
  await page.getByTestId('pin-submit').click();
  await screen(page, 'done');
  await expect(page.getByTestId('receipt-state')).toHaveAttribute('data-state', 'queued-for-reprint');
  await expect(page.getByTestId('receipt-state')).toHaveText(zh['done.receipt.queued-for-reprint']);
  await shot(page, 'done-paper-out-zh');
});

test('a key pulled after the certificate was issued is in doubt: the applicant is sent to staff', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset({}, 900);
  await page.goto('/');
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
  await devices.idCard(MATCHING_CARD);
  await devices.token('insert');
  await screen(page, 'progress');
  await expect(page.locator('[data-step="certificate-written"]')).toHaveAttribute('data-state', 'running', {
    timeout: 10_000,
  });
  await devices.token('pull');
  await screen(page, 'error');
  await expect(page.getByTestId('error-screen')).toHaveAttribute('data-code', 'ISSUANCE_IN_DOUBT');
  await expect(page.getByTestId('error-screen')).toContainText(zh['error.ISSUANCE_IN_DOUBT']);
  await expect(page.getByTestId('error-screen')).toContainText(zh['action.call-staff']);
  await shot(page, 'error-in-doubt-zh');
});
