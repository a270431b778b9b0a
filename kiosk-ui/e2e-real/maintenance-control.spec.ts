// The maintenance screen against the real appliance (issue 15): an in-doubt transaction (staff end the session
// once central issued the certificate) shown with its evidence and resolved by revoke-and-void after the
// confirm; the audit chain verified and the resolution found by the audit search; the kiosk taken out of
// service (the applicant screen shows the out-of-service page, Chinese first, English available, and the API
// refuses a new journey) and put back (the attract screen again).

import { openMaintenance, STAFF, screen, shot, staffToken } from '../e2e/kiosk.ts';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { expect, test } from './fixtures.ts';
import { newPickupToPin } from './steps.ts';

test('an in-doubt transaction shows its evidence and is revoked and voided; the audit chain verifies', async ({
  page,
  sim,
  central,
}) => {
  const { orderId } = await newPickupToPin(page, sim, central);

  // Staff end the session after central issued: the issuance becomes an in-doubt item.
  await openMaintenance(page);
  await page.getByTestId('staff-end-session').click();
  await page.getByTestId('staff-confirm-yes').click();
  // This order's item (the specs before this one may have left in-doubt items of their own).
  const item = page.locator('[data-testid="staff-in-doubt"] li', { hasText: orderId });
  await expect(item).toHaveCount(1, { timeout: 15_000 });

  // The evidence: the last durable step, the key's serial, central's answer (the certificate with its serial).
  const evidence = item.getByTestId('staff-in-doubt-evidence');
  await expect(evidence).toHaveAttribute('data-central', 'issued');
  await expect(item.getByTestId('staff-evidence-token')).toBeVisible();
  await expect(item.getByTestId('staff-evidence-central')).toContainText(
    zh['staff.evidence.central.issued'].split('{serial}')[0]!,
  );
  await shot(page, 'real/maintenance-in-doubt-evidence');

  // Revoke and void, after the confirm.
  await item.locator('[data-action="revoke-void"]').click();
  await expect(page.getByTestId('staff-confirm')).toHaveAttribute('data-kind', 'revoke-void');
  await page.getByTestId('staff-confirm-yes').click();
  await expect(item).toHaveCount(0, { timeout: 20_000 });
  // Central voided the pickup: the order can be collected again.
  await expect.poll(async () => (await central.order(orderId)).status, { timeout: 15_000 }).toBe('approved');

  // The audit chain verifies, and the search finds the resolution by its action.
  const audit = page.getByTestId('staff-audit');
  await audit.getByTestId('audit-verify').click();
  await expect(audit.getByTestId('audit-verify-result')).toHaveAttribute('data-ok', 'true');
  await audit.getByTestId('audit-action').fill('in-doubt.resolve');
  await audit.getByTestId('audit-search').click();
  const rows = audit.locator('[data-testid="audit-records"] tr');
  await expect(rows.first()).toHaveAttribute('data-action', 'in-doubt.resolve');
  await expect(audit.getByTestId('audit-records')).not.toContainText('440305198503071238');
  await shot(page, 'real/maintenance-audit');
  await sim.token('pull');
  await page.getByTestId('staff-close').click();
  await screen(page, 'attract');
});

test('out of service: the applicant sees the out-of-service page and cannot start a journey; back in service', async ({
  page,
  request,
}) => {
  await page.goto('/');
  await screen(page, 'attract');
  await openMaintenance(page, STAFF.operator);
  const control = page.getByTestId('staff-kiosk-control');
  await control.getByTestId('staff-take-out').click();
  await expect(control.getByTestId('staff-kiosk-service')).toHaveAttribute('data-out', 'true');
  try {
    await page.getByTestId('staff-close').click();
    const oos = page.getByTestId('out-of-service');
    await expect(oos).toContainText(zh['oos.title']);
    await expect(page.getByTestId('start')).toHaveCount(0);
    await shot(page, 'real/out-of-service-zh');
    await page.getByTestId('lang-en').click();
    await expect(oos).toContainText(en['oos.title']);
    await page.getByTestId('lang-zh-CN').click();

    // Straight at the API: no journey starts.
    const refused = await request.post('/api/journeys', { data: {} });
    expect(refused.status()).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('KIOSK_OUT_OF_SERVICE');
  } finally {
    await openMaintenance(page, STAFF.operator);
    await page.getByTestId('staff-kiosk-control').getByTestId('staff-put-back').click();
    await expect(page.getByTestId('staff-kiosk-service')).toHaveAttribute('data-out', 'false');
    await page.getByTestId('staff-close').click();
  }
  await screen(page, 'attract');
  await expect(page.getByTestId('out-of-service')).toHaveCount(0);
  await expect(page.getByTestId('start')).toBeVisible();
});

test('a restart from the maintenance screen: refused for an operator; the daemon comes back (the demo restarts it) still out of service', async ({
  page,
  request,
}) => {
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const operator = await staffToken(request, STAFF.operator);
  const refused = await request.post('/api/staff/kiosk/restart', {
    data: { force: true },
    headers: auth(operator),
  });
  expect(refused.status()).toBe(403);

  const admin = await staffToken(request, STAFF.administrator);
  const out = await request.post('/api/staff/kiosk/service', {
    data: { outOfService: true },
    headers: auth(admin),
  });
  expect(out.ok()).toBe(true);
  try {
    await page.goto('/');
    await openMaintenance(page);
    await page.getByTestId('staff-restart').click();
    await page.getByTestId('staff-restart-yes').click();
    await expect(page.getByTestId('staff-restarting')).toBeVisible();
    // The daemon went away and came back: a new process (its audit log says so), still out of service.
    await expect
      .poll(
        async () => {
          const token = await request
            .post('/api/staff/login', {
              data: { staffId: STAFF.administrator.staffId, pin: STAFF.administrator.pin },
            })
            .then(
              async (r) => (r.ok() ? ((await r.json()) as { token: string }).token : null),
              () => null,
            );
          if (!token) return null;
          const r = await request.get('/api/staff/audit?action=daemon.&limit=2', { headers: auth(token) });
          const page = (await r.json()) as { records: Array<{ action: string }> };
          return page.records.map((x) => x.action).join(',');
        },
        { timeout: 60_000, intervals: [500] },
      )
      .toBe('daemon.start,daemon.restart');
    const state = (await (await request.get('/api/state')).json()) as {
      kioskService?: { outOfService: boolean };
    };
    expect(state.kioskService?.outOfService).toBe(true);
  } finally {
    const token = await staffToken(request, STAFF.administrator);
    await request.post('/api/staff/kiosk/service', { data: { outOfService: false }, headers: auth(token) });
  }
  await page.goto('/');
  await screen(page, 'attract');
  await expect(page.getByTestId('start')).toBeVisible();
});
