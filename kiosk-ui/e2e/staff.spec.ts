// The hidden staff gesture, the staff PIN and the maintenance screen.
import { expect, test } from '@playwright/test';
import { IN_DOUBT_RESOLUTIONS } from '../../appliance/src/api/contract.ts';
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import {
  DEMO_CODE,
  Devices,
  longPressCorner,
  MATCHING_CARD,
  openMaintenance,
  PERSONAL_DATA,
  STAFF_PIN,
  screen,
  shot,
  start,
  throughToProgress,
  typeOnKeypad,
} from './kiosk.ts';

test('a 3 s press in the top-left corner opens the staff sign-in, then the maintenance screen', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset({}, 700);
  await page.goto('/');
  // Leave a transaction in doubt and a receipt to reprint for the staff to see.
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
  await devices.idCard(MATCHING_CARD);
  await devices.token('insert');
  await expect(page.locator('[data-step="certificate-written"]')).toHaveAttribute('data-state', 'running', {
    timeout: 10_000,
  });
  await devices.token('pull');
  await screen(page, 'error');
  await page.getByTestId('end').click();
  await screen(page, 'attract');
  await devices.printer('out');

  await longPressCorner(page, 1000);
  await screen(page, 'attract');
  await longPressCorner(page, 3300);
  await screen(page, 'staff');
  await expect(page.getByTestId('staff-login')).toBeVisible();

  await typeOnKeypad(page, '1111');
  await page.getByTestId('staff-submit').click();
  await expect(page.getByTestId('staff-login')).toContainText(zh['error.STAFF_PIN_WRONG']);
  await typeOnKeypad(page, STAFF_PIN);
  await page.getByTestId('staff-submit').click();

  const maintenance = page.getByTestId('maintenance');
  await expect(maintenance).toBeVisible();
  await expect(page.locator('[data-testid="staff-devices"] tr[data-kind="printer"]')).toContainText(
    'paper-out',
  );
  const inDoubt = page.locator('[data-testid="staff-in-doubt"] li');
  await expect(inDoubt).toHaveCount(1);
  await expect(inDoubt).toContainText('ORD-2025-000123');
  await shot(page, 'staff-maintenance-portrait');
  await inDoubt.locator('[data-action="retry-write"]').click();
  await expect(page.locator('[data-testid="staff-in-doubt"] li')).toHaveCount(0);

  await page.getByTestId('staff-close').click();
  await screen(page, 'attract');
});

test('staff revoke and void an in-doubt issuance only after confirming; the appliance gets "revoke-void"', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset({}, 300, { parkedEvents: 3 });
  // An issuance central never answered, cancelled by the applicant: it is handed to staff.
  await devices.central('pending', { retryMs: 60_000 });
  await page.goto('/');
  await throughToProgress(page, devices);
  await expect(page.getByTestId('wait-panel')).toHaveAttribute('data-kind', 'waiting');
  await page.getByTestId('wait-cancel').click();
  await page.getByTestId('cancel-yes').click();
  await screen(page, 'attract');

  await openMaintenance(page);
  const item = page.locator('[data-testid="staff-in-doubt"] li');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('ORD-2025-000123');
  // The buttons are the contract's resolutions, in its order, each with its label (never the raw name).
  await expect(item.locator('[data-action]')).toHaveCount(IN_DOUBT_RESOLUTIONS.length);
  for (const [i, action] of IN_DOUBT_RESOLUTIONS.entries()) {
    await expect(item.locator('[data-action]').nth(i)).toHaveAttribute('data-action', action);
    await expect(item.locator('[data-action]').nth(i)).toHaveText(zh[`staff.resolve.${action}`]);
  }
  await expect(page.getByTestId('staff-parked')).toHaveText(zh['staff.parkedEvents'].replace('{n}', '3'));

  // First tap: a confirmation that says what will happen; "back" sends nothing.
  await item.locator('[data-action="revoke-void"]').click();
  const confirm = page.getByTestId('staff-confirm');
  await expect(confirm).toContainText(zh['staff.confirm.revoke-void.lead']);
  await shot(page, 'staff-confirm-revoke-void');
  await page.getByTestId('staff-confirm-no').click();
  await expect(confirm).toHaveCount(0);
  const journeyId = await item.getAttribute('data-id');
  const resolvePath = `/api/staff/in-doubt/${journeyId}/resolve`;
  expect(await devices.callsTo('POST', resolvePath)).toEqual([]);

  await item.locator('[data-action="revoke-void"]').click();
  await page.getByTestId('staff-confirm-yes').click();
  await expect(page.getByTestId('staff-result')).toHaveText(
    zh['staff.result.revoke-void'].replace('{order}', 'ORD-2025-000123'),
  );
  await expect(page.locator('[data-testid="staff-in-doubt"] li')).toHaveCount(0);
  const sent = await devices.callsTo('POST', resolvePath);
  expect(sent.map((c) => c.body)).toEqual([{ action: 'revoke-void' }]);
  // The key that carried the voided issuance is listed as spoiled, with the appliance's reason.
  const spoiled = page.locator('[data-testid="staff-spoiled"] tbody tr');
  await expect(spoiled).toHaveCount(1);
  await expect(spoiled).toContainText('FAKEKEY00001');
  await shot(page, 'staff-revoke-void-done');

  // The appliance takes no other name (the old "revoke-reissue" is refused as a bad request).
  const login = await request.post('/api/staff/login', { data: { pin: STAFF_PIN } });
  const { token } = (await login.json()) as { token: string };
  const refused = await request.post(resolvePath, {
    data: { action: 'revoke-reissue' },
    headers: { authorization: `Bearer ${token}` },
  });
  expect(refused.status()).toBe(400);
  expect(((await refused.json()) as { code: string }).code).toBe('BAD_REQUEST');
});

test("staff end the applicant's current session after confirming; the applicant screen returns to attract", async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  await expect(page.getByTestId('order-summary')).toContainText('ORD-2025-000123');

  await openMaintenance(page);
  await page.getByTestId('staff-end-session').click();
  const confirm = page.getByTestId('staff-confirm');
  await expect(confirm).toHaveAttribute('data-kind', 'endSession');
  await expect(confirm).toContainText(zh['staff.confirm.endSession.lead']);
  await page.getByTestId('staff-confirm-yes').click();
  await expect(page.getByTestId('staff-result')).toHaveText(zh['staff.result.endSession']);
  expect(await devices.callsTo('POST', '/api/staff/session/end')).toHaveLength(1);
  const state = (await (await request.get('/api/state')).json()) as { journey: unknown };
  expect(state.journey).toBeNull();

  await page.getByTestId('staff-close').click();
  await screen(page, 'attract');
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  for (const personal of PERSONAL_DATA) expect(html).not.toContain(personal);
});
