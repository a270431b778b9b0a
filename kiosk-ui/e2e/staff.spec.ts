// The hidden staff gesture, staff sign-in with a staff id and PIN (per-person accounts, roles, lockout, idle
// sign-out) and the maintenance screen, with the administrators' staff accounts.
import { expect, type Page, test } from '@playwright/test';
import {
  APPLIANCE_ERROR_CODES,
  CONSUMABLE_KINDS,
  DEVICE_DETAILS,
  DEVICE_KINDS,
  DEVICE_STATES,
  IN_DOUBT_RESOLUTIONS,
  PAPER_LEVELS,
  PICKUP_STEPS,
} from '../../appliance/src/api/contract.ts';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import {
  DEMO_CODE,
  Devices,
  freshMaintenance,
  longPressCorner,
  MATCHING_CARD,
  openMaintenance,
  PERSONAL_DATA,
  PIN,
  STAFF,
  screen,
  shot,
  signInStaff,
  staffToken,
  start,
  throughToPin,
  throughToProgress,
  typeOnKeypad,
} from './kiosk.ts';

/**
 * The contract's codes a screen must never show as they are: every device kind, state and detail, consumable
 * kind, paper level, step, resolution and error code shaped like a code (kebab-case, snake_case, camelCase).
 * Codes that are plain English words (printer, online, out) cannot be told from the English text and are
 * covered by the patterns below only where they are code-shaped.
 */
const RAW_CODES = [
  ...new Set<string>([
    ...DEVICE_KINDS,
    ...DEVICE_STATES,
    ...DEVICE_DETAILS,
    ...CONSUMABLE_KINDS,
    ...PAPER_LEVELS,
    ...PICKUP_STEPS,
    ...IN_DOUBT_RESOLUTIONS,
    ...APPLIANCE_ERROR_CODES,
  ]),
].filter((c) => /[-_]/.test(c) || /[a-z][A-Z]/.test(c));

/** Every raw code in a screen's visible text: the contract's own, any kebab-case, SNAKE_CASE or camelCase
 *  token, and a bare UUID. */
function rawCodesIn(text: string): string[] {
  const quote = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [
    ...RAW_CODES.filter((c) => new RegExp(`(?<![\\w-])${quote(c)}(?![\\w-])`).test(text)),
    ...(text.match(/(?<![\w-])[a-z]+(?:-[a-z]+)+(?![\w-])/g) ?? []),
    ...(text.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? []),
    ...(text.match(/\b[a-z]+[A-Z][A-Za-z]*\b/g) ?? []),
    ...(text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? []),
  ];
}

// biome-ignore lint/performance/useDomNodeTextContent: what staff see as rendered (hidden text left out)
const maintenanceText = (page: Page) => page.getByTestId('maintenance').innerText();

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
  const printerRow = page.locator('[data-testid="staff-devices"] tr[data-kind="printer"]');
  await expect(printerRow).toHaveAttribute('data-detail', 'paper-out');
  await expect(printerRow).toContainText(zh['staff.detail.paper-out']);
  await expect(printerRow).not.toContainText('paper-out');
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
  const devices = await freshMaintenance(page, request, STAFF.operator);
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
  const devices = await freshMaintenance(page, request, STAFF.administrator);
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

test.describe('the maintenance screen in words, never codes', () => {
  // The browser's own zone is not the hall's: times must be shown in the kiosk's time zone (Asia/Shanghai).
  test.use({ timezoneId: 'America/New_York' });
  /** Hour and minute of an instant in the hall's time zone. */
  const hallClock = (iso: string) =>
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Shanghai',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(iso));

  for (const lang of ['zh-CN', 'en'] as const) {
    test(`${lang}: kiosk, hall, central and last sync on top; reprints with order, time and masked holder; paper out says what to do`, async ({
      page,
      request,
    }) => {
      const m: Record<string, string> = lang === 'en' ? en : zh;
      const devices = new Devices(request);
      await devices.reset();
      await page.goto('/');
      // A pickup that ends while the printer has no paper: its receipt waits for a reprint.
      await devices.printer('out');
      await throughToPin(page, devices);
      for (let i = 0; i < 2; i++) {
        await typeOnKeypad(page, PIN);
        await page.getByTestId('pin-submit').click();
      }
      await screen(page, 'done');
      await expect(page.getByTestId('receipt-state')).toHaveAttribute('data-state', 'queued-for-reprint');
      await devices.token('pull');
      await page.getByTestId('finish').click();
      await screen(page, 'attract');
      // In Chinese, central cannot be reached; in English it can.
      if (lang === 'zh-CN') {
        const down = await request.post('/__test/sync', {
          data: { state: 'unreachable', lastError: 'CENTRAL_UNAVAILABLE' },
        });
        expect(down.status()).toBe(204);
      }
      if (lang === 'en') await page.getByTestId('lang-en').click();
      await openMaintenance(page, STAFF.operator);
      await expect(page.locator('html')).toHaveAttribute('lang', lang);

      // The top: which kiosk, which hall (its name), central and the last sync, above everything else.
      const top = page.getByTestId('staff-kiosk');
      await expect(page.getByTestId('staff-kiosk-id')).toHaveText('KIOSK-FAKE-001');
      await expect(page.getByTestId('staff-kiosk-hall')).toHaveText('福田区政务服务中心');
      const central = page.getByTestId('staff-central');
      const lastSync = page.getByTestId('staff-last-sync');
      const syncedAt = (await lastSync.getAttribute('data-at')) ?? '';
      expect(Date.parse(syncedAt)).toBeGreaterThan(0);
      await expect(lastSync).toContainText(hallClock(syncedAt));
      await expect(lastSync).not.toContainText(m['staff.lastSync.never']!);
      if (lang === 'zh-CN') {
        await expect(central).toHaveAttribute('data-state', 'unreachable');
        await expect(central).toContainText(m['staff.central.unreachable']!.split('{time}')[0]!);
        await expect(central).toContainText(m['error.CENTRAL_UNAVAILABLE']!);
      } else {
        await expect(central).toHaveAttribute('data-state', 'reachable');
        await expect(central).toContainText(m['staff.central.reachable']!.split('{time}')[0]!);
      }
      await expect(top).toContainText(m['staff.top.lastSync']!);
      const topBox = await top.boundingBox();
      const devicesBox = await page.getByTestId('staff-devices').boundingBox();
      expect(topBox && devicesBox && topBox.y < devicesBox.y).toBe(true);

      // Devices and consumables in words.
      const rows = page.locator('[data-testid="staff-devices"]');
      await expect(rows.locator('tr[data-kind="printer"]')).toContainText(m['staff.detail.paper-out']!);
      await expect(rows.locator('tr[data-kind="token"]')).toContainText(m['staff.detail.token-absent']!);
      const consumables = page.getByTestId('staff-consumables');
      await expect(consumables.locator('dd[data-kind="paper"]')).toHaveText(m['staff.paper.out']!);
      await expect(consumables.locator('dd[data-kind="blankKeys"]')).toHaveText(
        m['staff.consumable.count']!.replace('{n}', '23'),
      );
      await expect(consumables).toContainText(m['staff.consumable.blankKeys']!);

      // The reprint: its order, when it was queued (the hall's time), the holder masked; what to do first.
      const item = page.locator('[data-testid="staff-reprints"] li');
      await expect(item).toHaveCount(1);
      await expect(item.getByTestId('staff-reprint-order')).toHaveText('ORD-2025-000123');
      await expect(item.getByTestId('staff-reprint-holder')).toHaveText(
        m['staff.reprint.holder']!.replace('{name}', '张*'),
      );
      const queuedAt = (await item.getByTestId('staff-reprint-at').getAttribute('data-at')) ?? '';
      expect(Date.now() - Date.parse(queuedAt)).toBeLessThan(120_000);
      await expect(item.getByTestId('staff-reprint-at')).toContainText(hallClock(queuedAt));
      const printerBanner = page.getByTestId('staff-reprint-printer');
      await expect(printerBanner).toHaveText(m['staff.reprint.blocked.paper-out']!);
      expect(rawCodesIn(await maintenanceText(page))).toEqual([]);
      await shot(page, `staff-maintenance-words-${lang}`);

      // A reprint without paper: the printer's own error, in words; the receipt stays queued.
      await item.getByTestId('staff-reprint').click();
      const error = page.getByTestId('staff-error');
      await expect(error).toHaveAttribute('data-code', 'PRINTER_OUT_OF_PAPER');
      await expect(error).toContainText(m['error.PRINTER_OUT_OF_PAPER']!);
      await expect(error).not.toContainText(m['error.INTERNAL']!);
      await expect(item).toHaveCount(1);
      expect(rawCodesIn(await maintenanceText(page))).toEqual([]);

      // Paper loaded: the panel stops asking for it (live), and the reprint prints.
      await devices.printer('ok');
      await expect(printerBanner).toHaveCount(0);
      await expect(consumables.locator('dd[data-kind="paper"]')).toHaveText(m['staff.paper.out']!);
      await item.getByTestId('staff-reprint').click();
      await expect(page.getByTestId('staff-result')).toHaveText(
        m['staff.result.reprint']!.replace('{order}', 'ORD-2025-000123'),
      );
      await expect(item).toHaveCount(0);
      await expect(consumables.locator('dd[data-kind="paper"]')).toHaveText(m['staff.paper.ok']!);

      // The cover open: said in words too.
      await devices.printer('ok', true);
      await expect(printerBanner).toHaveText(m['staff.reprint.blocked.cover-open']!);
      await expect(rows.locator('tr[data-kind="printer"]')).toContainText(m['staff.detail.cover-open']!);
      expect(rawCodesIn(await maintenanceText(page))).toEqual([]);
      await page.getByTestId('staff-close').click();
      await screen(page, 'attract');
    });
  }
});

test('the raw-code check finds what it must (so a pass means something)', () => {
  expect(rawCodesIn('打印机 paper-out token-present')).toEqual([
    'paper-out',
    'token-present',
    'paper-out',
    'token-present',
  ]);
  expect(rawCodesIn('内部错误 PRINTER_OUT_OF_PAPER')).toEqual([
    'PRINTER_OUT_OF_PAPER',
    'PRINTER_OUT_OF_PAPER',
  ]);
  expect(rawCodesIn('blankKeys: 23')).toEqual(['blankKeys', 'blankKeys']);
  expect(rawCodesIn('R 3f2b8c1e-9d4a-4b7e-8f00-1a2b3c4d5e6f')).toHaveLength(1);
  expect(rawCodesIn('KIOSK-FAKE-001 ORD-2025-000123 福田区 Out of paper 16:02')).toEqual([]);
});
