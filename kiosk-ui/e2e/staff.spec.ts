// The hidden staff gesture, staff sign-in with a staff id and PIN (per-person accounts, roles, lockout, idle
// sign-out) and the maintenance screen, with the administrators' staff accounts.
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
  STAFF,
  screen,
  shot,
  signInStaff,
  staffToken,
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
  await shot(page, 'staff-login-portrait');

  // A wrong PIN is said so, with the tries left before the id locks; the id stays, only the PIN is typed again.
  await signInStaff(page, { staffId: STAFF.administrator.staffId, pin: '111111' });
  await expect(page.getByTestId('staff-login')).toContainText(zh['error.STAFF_PIN_WRONG']);
  await expect(page.getByTestId('staff-attempts-left')).toHaveText(
    zh['staff.login.attemptsLeft'].replace('{n}', '4'),
  );
  await expect(page.getByTestId('staff-id')).toHaveText('S001');
  await typeOnKeypad(page, STAFF.administrator.pin);
  await page.getByTestId('staff-submit').click();

  const maintenance = page.getByTestId('maintenance');
  await expect(maintenance).toBeVisible();
  await expect(page.getByTestId('staff-me')).toHaveAttribute('data-id', 'S001');
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
  const token = await staffToken(request);
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

test('an operator signs in with staff id and PIN, sees no staff accounts, and signs out', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await openMaintenance(page, STAFF.operator);
  const me = page.getByTestId('staff-me');
  await expect(me).toHaveAttribute('data-role', 'operator');
  await expect(me).toHaveText(
    zh['staff.signedInAs']
      .replace('{name}', STAFF.operator.name)
      .replace('{id}', 'S002')
      .replace('{role}', zh['staff.role.operator']),
  );
  await expect(page.getByTestId('staff-devices')).toBeVisible();
  await expect(page.getByTestId('staff-accounts')).toHaveCount(0);
  expect(await devices.callsTo('GET', '/api/staff/accounts')).toEqual([]);
  await shot(page, 'staff-maintenance-operator');
  // Behind the screen, the appliance refuses an operator on the administrators' routes all the same.
  const token = await staffToken(request, STAFF.operator);
  const headers = { authorization: `Bearer ${token}` };
  expect((await request.get('/api/staff/accounts', { headers })).status()).toBe(403);
  expect(
    (await request.post('/api/staff/accounts/S001/active', { data: { active: false }, headers })).status(),
  ).toBe(403);

  // Signing out ends the session at the appliance and returns to the sign-in screen, the id offered again.
  await page.getByTestId('staff-logout').click();
  await expect(page.getByTestId('staff-login')).toBeVisible();
  await expect(page.getByTestId('staff-login-note')).toHaveText(zh['staff.login.signedOut']);
  expect(await devices.callsTo('POST', '/api/staff/logout')).toHaveLength(1);
  await expect(page.getByTestId('staff-id')).toHaveText('S002');
  await page.getByTestId('staff-id-field').click();
  await expect(page.locator('[data-testid="staff-recent"]')).toHaveAttribute('data-id', 'S002');
  await page.getByRole('button', { name: zh['staff.close'] }).click();
  await screen(page, 'attract');
});

test('an administrator adds an account, resets its PIN, changes its role and disables it; the new account signs in', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await openMaintenance(page, STAFF.administrator);
  const rows = page.locator('[data-testid="staff-account-list"] tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveAttribute('data-id', 'S001');
  await expect(rows.nth(1)).toHaveAttribute('data-role', 'operator');

  const add = async (pin: string) => {
    await page.getByTestId('staff-account-add').click();
    const dialog = page.getByTestId('staff-account-dialog');
    await dialog.getByTestId('new-staff-id').fill('S003');
    await dialog.getByTestId('new-staff-name').fill('赵敏');
    await dialog.locator('[data-role="operator"]').click();
    await typeOnKeypad(page, pin);
    await dialog.getByTestId('staff-account-save').click();
    await expect(dialog).toHaveCount(0);
  };
  // A PIN that is easy to guess is refused, with the rule.
  await add('123456');
  await expect(page.getByTestId('staff-error')).toHaveAttribute('data-code', 'STAFF_PIN_TOO_WEAK');
  await add('381946');
  await expect(page.getByTestId('staff-result')).toHaveText(
    zh['staff.accounts.result.added'].replace('{id}', 'S003'),
  );
  const s003 = page.locator('[data-testid="staff-account-list"] tr[data-id="S003"]');
  await expect(s003).toContainText('赵敏');
  await expect(s003).toHaveAttribute('data-role', 'operator');
  await shot(page, 'staff-accounts');

  // Reset its PIN, make it an administrator and back, disable and enable it.
  await s003.locator('[data-action="reset-pin"]').click();
  await expect(page.getByTestId('staff-account-dialog')).toHaveAttribute('data-kind', 'reset');
  await typeOnKeypad(page, '472691');
  await page.getByTestId('staff-account-save').click();
  await expect(page.getByTestId('staff-result')).toHaveText(
    zh['staff.accounts.result.pinReset'].replaceAll('{id}', 'S003'),
  );
  await s003.locator('[data-action="role"]').click();
  await expect(s003).toHaveAttribute('data-role', 'administrator');
  await s003.locator('[data-action="role"]').click();
  await expect(s003).toHaveAttribute('data-role', 'operator');
  await s003.locator('[data-action="active"]').click();
  await expect(s003).toHaveAttribute('data-active', 'false');
  await s003.locator('[data-action="active"]').click();
  await expect(s003).toHaveAttribute('data-active', 'true');
  // No PIN reached the call log (bodies of the routes that carry one are never kept).
  const withPins = [
    ...(await devices.callsTo('POST', '/api/staff/accounts')),
    ...(await devices.callsTo('POST', '/api/staff/accounts/S003/pin')),
  ];
  expect(withPins).toHaveLength(3);
  expect(withPins.map((c) => c.body)).toEqual([undefined, undefined, undefined]);
  expect((await devices.callsTo('POST', '/api/staff/accounts/S003/role')).map((c) => c.body)).toEqual([
    { role: 'administrator' },
    { role: 'operator' },
  ]);

  // The new member of staff signs in with the PIN set for them: an operator, without the accounts.
  await page.getByTestId('staff-logout').click();
  await signInStaff(page, { staffId: 'S003', pin: '472691' });
  await expect(page.getByTestId('staff-me')).toHaveAttribute('data-id', 'S003');
  await expect(page.getByTestId('staff-accounts')).toHaveCount(0);
  await page.getByTestId('staff-close').click();
  await screen(page, 'attract');
  // Leaving the maintenance screen signs out at the appliance too.
  await expect.poll(async () => (await devices.callsTo('POST', '/api/staff/logout')).length).toBe(2);
});

test('five wrong PINs lock a staff id and say until when; an administrator unlocks it; an idle session ends', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset({}, 300, { staffIdleMs: 8000 });
  await page.goto('/');
  await longPressCorner(page, 3300);
  await screen(page, 'staff');
  // An id without an account is answered like one with an account.
  await signInStaff(page, { staffId: 'S777', pin: '111111' });
  for (let left = 4; left >= 1; left--) {
    await expect(page.getByTestId('staff-attempts-left')).toHaveAttribute('data-n', String(left));
    await typeOnKeypad(page, '111111');
    await page.getByTestId('staff-submit').click();
  }
  const locked = page.getByTestId('staff-locked');
  await expect(locked).toContainText('S777');
  await typeOnKeypad(page, '111111');
  await expect(page.getByTestId('staff-submit')).toBeDisabled();
  await shot(page, 'staff-login-locked');

  // Another id is not locked by it; an administrator sees the lockout and ends it.
  await signInStaff(page, STAFF.administrator);
  await expect(page.getByTestId('maintenance')).toBeVisible();
  await expect(page.locator('[data-testid="staff-alarms"] li[data-id="S777"]')).toBeVisible();
  await page.locator('[data-testid="staff-account-list"] tr[data-id="S777"] [data-action="unlock"]').click();
  await expect(page.getByTestId('staff-result')).toHaveText(
    zh['staff.accounts.result.unlocked'].replace('{id}', 'S777'),
  );
  await expect(page.getByTestId('staff-alarms')).toHaveCount(0);

  // No staff request for the session's idle time: the screen signs out, as the appliance does.
  await expect(page.getByTestId('staff-login')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('staff-login-note')).toHaveText(zh['staff.login.sessionEnded']);
});
