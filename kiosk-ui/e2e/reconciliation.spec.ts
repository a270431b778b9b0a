// The maintenance screen's reconciliation (对账): staff see a day not run yet, run it now and see each difference in
// words (kind, subject, side, ids as central gives them), pick an earlier day, see "no differences" for a clean day
// and the screen's own sentence when central cannot be reached. Behind the screen, the routes refuse anyone without
// a staff session.
import { expect, test } from '@playwright/test';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { Devices, freshMaintenance, openMaintenance, STAFF, shot } from './kiosk.ts';

/** The Beijing day `back` days before today (as the appliance and central count days). */
function beijingDaysBack(back: number): string {
  return new Date(Date.now() + 8 * 3_600_000 - back * 86_400_000).toISOString().slice(0, 10);
}

test('staff run the reconciliation now and see the differences; a clean day says none; central down is said in words', async ({
  page,
  request,
}) => {
  const devices = await freshMaintenance(page, request, STAFF.operator);
  const panel = page.getByTestId('staff-reconciliation');
  await expect(panel.getByRole('heading')).toHaveText(zh['staff.recon.title']);
  // Yesterday by default, never run: an invitation, not an error.
  const yesterday = beijingDaysBack(1);
  await expect(panel.getByTestId('recon-day')).toHaveValue(yesterday);
  await expect(panel.getByTestId('recon-not-run')).toHaveText(zh['staff.recon.notRun']);
  await expect(panel.getByTestId('recon-error')).toHaveCount(0);

  await panel.getByTestId('recon-run').click();
  const lines = panel.locator('[data-testid="recon-lines"] li');
  await expect(lines).toHaveCount(2);
  await expect(panel.getByTestId('recon-summary')).toHaveAttribute('data-day', yesterday);
  await expect(panel.getByTestId('recon-summary')).toContainText(zh['staff.recon.total'].replace('{n}', '2'));
  const activation = lines.nth(0);
  await expect(activation).toHaveAttribute('data-kind', 'activation-differs');
  await expect(activation).toContainText(zh['staff.recon.kind.activation-differs']);
  await expect(activation).toContainText(zh['staff.recon.subject.certificate']);
  await expect(activation).toContainText(`ORD-${yesterday.replaceAll('-', '')}-7`);
  await expect(activation).toContainText('5f3a9c01d2');
  const payment = lines.nth(1);
  await expect(payment).toHaveAttribute('data-side', 'kiosk');
  await expect(payment).toContainText(zh['staff.recon.kind.missing-on-a-side']);
  await expect(payment).toContainText(
    zh['staff.recon.missingOn'].replace('{side}', zh['staff.recon.side.kiosk']),
  );
  await expect(payment).toContainText(`CK${yesterday.replaceAll('-', '')}09`);
  await shot(page, 'staff-reconciliation');
  const runs = await devices.callsTo('POST', '/api/staff/reconciliation');
  expect(runs.map((c) => c.body)).toEqual([{ day: yesterday }]);

  // An earlier day: not run yet; run it on a clean day: no differences.
  const earlier = beijingDaysBack(3);
  await request.post('/__test/reconciliation', { data: { clean: true } });
  await panel.getByTestId('recon-day').selectOption(earlier);
  await expect(panel.getByTestId('recon-not-run')).toBeVisible();
  await panel.getByTestId('recon-run').click();
  await expect(panel.getByTestId('recon-empty')).toHaveText(zh['staff.recon.empty']);
  await expect(panel.getByTestId('recon-summary')).toHaveAttribute('data-day', earlier);
  // Back to yesterday: the report kept at central, read again.
  await panel.getByTestId('recon-day').selectOption(yesterday);
  await expect(lines).toHaveCount(2);

  // Central cannot be reached: the screen's own sentence for the code, the last report no longer shown.
  await request.post('/__test/reconciliation', { data: { down: true } });
  await panel.getByTestId('recon-run').click();
  const error = panel.getByTestId('recon-error');
  await expect(error).toHaveAttribute('data-code', 'CENTRAL_UNAVAILABLE');
  await expect(error).toContainText(zh['error.CENTRAL_UNAVAILABLE']);
  await expect(lines).toHaveCount(0);
});

test('in English: the panel and its lines in English words', async ({ page, request }) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await page.getByTestId('lang-en').click();
  await openMaintenance(page, STAFF.operator);
  const panel = page.getByTestId('staff-reconciliation');
  await expect(panel.getByRole('heading')).toHaveText(en['staff.recon.title']);
  await expect(panel.getByTestId('recon-not-run')).toHaveText(en['staff.recon.notRun']);
  await panel.getByRole('button', { name: en['staff.recon.run'] }).click();
  const first = panel.locator('[data-testid="recon-lines"] li').first();
  await expect(first).toContainText(en['staff.recon.kind.activation-differs']);
  await expect(first).toContainText(en['staff.recon.subject.certificate']);
});

test('the reconciliation routes refuse a caller without a staff session, and a wrong day', async ({
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  expect((await request.post('/api/staff/reconciliation', { data: {} })).status()).toBe(401);
  expect((await request.get('/api/staff/reconciliation')).status()).toBe(401);
  const login = await request.post('/api/staff/login', { data: STAFF.operator });
  const headers = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
  const bad = await request.post('/api/staff/reconciliation', { data: { day: '2026-02-30' }, headers });
  expect(bad.status()).toBe(400);
  expect(((await bad.json()) as { code: string }).code).toBe('RECONCILIATION_DAY_INVALID');
});
