// The issuance step when central does not simply say yes: a refusal ends the journey with a way out, no answer
// keeps the kiosk waiting (and saying so) with "try now" and "cancel", and a hiccup is never a spinner alone.
import { expect, test } from '@playwright/test';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import {
  DEMO_CODE,
  Devices,
  PERSONAL_DATA,
  STAFF,
  screen,
  shot,
  staffToken,
  start,
  throughToProgress,
} from './kiosk.ts';

test('central refusing the issuance ends the journey: the error screen says why and what to do, 结束办理 returns to attract', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await devices.central('refuse', { code: 'CENTRAL_REFUSED', action: 'call-staff' });
  await page.goto('/');
  await throughToProgress(page, devices);

  await screen(page, 'error');
  const error = page.getByTestId('error-screen');
  await expect(error).toHaveAttribute('data-code', 'CENTRAL_REFUSED');
  await expect(error).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('error-what')).toHaveText(zh['error.CENTRAL_REFUSED']);
  await expect(page.getByTestId('error-todo')).toHaveText(zh['action.call-staff']);
  // An ended journey offers no retry (the appliance would refuse it): only the way back.
  await expect(page.getByTestId('retry')).toHaveCount(0);
  const end = page.getByTestId('end');
  await expect(end).toHaveText(zh['error.end']);
  await shot(page, 'error-central-refused-zh');

  await end.click();
  await screen(page, 'attract');
  expect(await devices.callsTo('DELETE', '/api/journeys/current')).toHaveLength(1);
  const state = (await (await request.get('/api/state')).json()) as { journey: unknown };
  expect(state.journey).toBeNull();
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  for (const personal of PERSONAL_DATA) expect(html).not.toContain(personal);
});

test('a pickup code superseded at issuance is explained in English, with how to start afresh', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  // As the appliance reports it: "retry" (with the newest code), on a journey that has ended.
  await devices.central('refuse', { code: 'PICKUP_CODE_SUPERSEDED', action: 'retry' });
  await page.goto('/');
  await page.getByTestId('lang-en').click();
  await throughToProgress(page, devices);

  await screen(page, 'error');
  await expect(page.getByTestId('error-screen')).toHaveAttribute('data-code', 'PICKUP_CODE_SUPERSEDED');
  await expect(page.getByTestId('error-what')).toHaveText(en['error.PICKUP_CODE_SUPERSEDED']);
  await expect(page.getByTestId('error-todo')).toHaveText(en['action.retryFromStart']);
  await expect(page.getByTestId('retry')).toHaveCount(0);
  await shot(page, 'error-superseded-en');
  await page.getByTestId('lang-zh-CN').click();
  await expect(page.getByTestId('error-what')).toHaveText(zh['error.PICKUP_CODE_SUPERSEDED']);

  await page.getByTestId('end').click();
  await screen(page, 'attract');
  // A fresh start with a valid code works at once.
  await start(page);
  await devices.central('ok');
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
});

test('waiting on central: the progress screen says so with the attempts, 重试 asks again, and the pickup carries on', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await devices.central('pending', { retryMs: 60_000 });
  await page.goto('/');
  await throughToProgress(page, devices);

  const panel = page.getByTestId('wait-panel');
  await expect(panel).toHaveAttribute('data-kind', 'waiting');
  await expect(panel).toHaveAttribute('data-code', 'ISSUANCE_PENDING');
  await expect(panel).toContainText(zh['progress.waiting.title']);
  await expect(panel).toContainText(zh['error.ISSUANCE_PENDING']);
  await expect(panel).toContainText(zh['progress.waiting.lead']);
  await expect(page.getByTestId('wait-attempts')).toHaveText(
    zh['progress.waiting.attempts'].replace('{n}', '1'),
  );
  await expect(page.getByTestId('wait-next')).toHaveText(/^\d+ 秒后自动重试$/);
  await expect(page.locator('[data-step="certificate-issued"]')).toHaveAttribute('data-state', 'waiting');
  await expect(page.locator('[data-step="certificate-issued"]')).toContainText(zh['progress.state.waiting']);
  // The state is told on the screen itself, not in a dismissable notice over it.
  await expect(page.getByTestId('error-notice')).toHaveCount(0);
  await shot(page, 'progress-waiting-central-zh');

  const tryNow = page.getByTestId('try-now');
  await expect(tryNow).toHaveText(zh['progress.tryNow']);
  await expect(page.getByTestId('wait-cancel')).toHaveText(zh['progress.cancel']);
  await tryNow.click();
  await expect(page.getByTestId('wait-attempts')).toHaveText(
    zh['progress.waiting.attempts'].replace('{n}', '2'),
  );
  expect(await devices.callsTo('POST', '/api/journeys/current/retry')).toHaveLength(1);

  // Central answers: the next "try now" gets the certificate and the pickup goes on to the PIN.
  await devices.central('ok');
  await tryNow.click();
  await screen(page, 'pin');
  expect(await devices.callsTo('POST', '/api/journeys/current/retry')).toHaveLength(2);
});

test('waiting on central, the kiosk asks again by itself and shows the new attempt count', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await devices.central('pending', { retryMs: 1500 });
  await page.goto('/');
  await throughToProgress(page, devices);
  const attempts = page.getByTestId('wait-attempts');
  await expect(attempts).toHaveText(zh['progress.waiting.attempts'].replace('{n}', '1'));
  await expect(attempts).toHaveText(zh['progress.waiting.attempts'].replace('{n}', '2'), { timeout: 5000 });
  await devices.central('ok');
  await screen(page, 'pin');
  expect(await devices.callsTo('POST', '/api/journeys/current/retry')).toEqual([]);
});

test('cancelling before the issuance clears the session; once it was requested, the dialog says staff will handle it', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await devices.central('pending', { retryMs: 60_000 });
  await page.goto('/');
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  await page.getByTestId('cancel').click();
  const dialog = page.getByTestId('cancel-dialog');
  await expect(dialog).toHaveAttribute('data-issued', 'false');
  await expect(page.getByTestId('cancel-lead')).toHaveText(zh['cancel.lead']);
  await page.getByTestId('cancel-no').click();
  await expect(dialog).toHaveCount(0);
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
  await devices.idCard('han-zhang-wei');
  await screen(page, 'token');
  await devices.token('insert');
  await screen(page, 'progress');
  await expect(page.getByTestId('wait-panel')).toHaveAttribute('data-kind', 'waiting');

  await page.getByTestId('wait-cancel').click();
  await expect(dialog).toHaveAttribute('data-issued', 'true');
  await expect(page.getByTestId('cancel-lead')).toHaveText(zh['cancel.leadIssued']);
  await expect(page.getByTestId('cancel-lead')).not.toContainText('重新扫码');
  await shot(page, 'cancel-after-issuance-zh');
  await page.getByTestId('cancel-yes').click();
  await screen(page, 'attract');

  // Nothing was lost: the appliance handed the journey to staff.
  const token = await staffToken(request, STAFF.operator);
  const overview = (await (
    await request.get('/api/staff/overview', { headers: { authorization: `Bearer ${token}` } })
  ).json()) as { inDoubt: Array<{ orderId: string }> };
  expect(overview.inDoubt.map((i) => i.orderId)).toEqual(['ORD-2025-000123']);
});

test('a machine step stopped on a retryable error shows the error with retry and cancel, never a spinner alone', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await devices.stall('key-generated', 'TOKEN_FAILED', 'call-staff');
  await page.goto('/');
  await throughToProgress(page, devices);

  const panel = page.getByTestId('wait-panel');
  await expect(panel).toHaveAttribute('data-kind', 'stalled');
  await expect(panel).toHaveAttribute('data-code', 'TOKEN_FAILED');
  await expect(panel).toContainText(zh['error.TOKEN_FAILED']);
  await expect(panel).toContainText(zh['action.call-staff']);
  const step = page.locator('[data-step="key-generated"]');
  await expect(step).toHaveAttribute('data-state', 'stalled');
  await expect(step).toContainText(zh['progress.state.stalled']);
  await expect(page.locator('[data-testid="steps"] .spinner')).toHaveCount(0);
  await expect(page.getByTestId('error-notice')).toHaveCount(0);
  await expect(page.getByTestId('wait-cancel')).toBeVisible();
  await shot(page, 'progress-stalled-zh');

  await page.getByTestId('try-now').click();
  await expect(panel).toHaveCount(0);
  await screen(page, 'pin');
  expect(await devices.callsTo('POST', '/api/journeys/current/retry')).toHaveLength(1);
});
