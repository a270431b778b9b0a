// The operations console in Chromium against a real central (started alone by playwright.ops.config.ts with a
// short --stale-heartbeat-seconds): an operator logs in, a kiosk whose heartbeats stop turns stale — its row
// and an alarm at the top — live over the page's event stream, without a reload; the alarm is acknowledged from
// the page and the operator audit records it under the operator's name.
import { expect, test } from '@playwright/test';
import { centralAdmin, FakeKiosk } from './kiosk.ts';
import { CENTRAL_URL, OPERATOR, OPERATOR_PASSWORD, STALE_SECONDS } from './ops.ts';

interface AuditEntry {
  actor: string;
  action: string;
  subject: string;
}
interface AlarmList {
  alarms: { id: number; kind: string; applianceId: string }[];
}

test('a stopped kiosk turns stale live; the operator acknowledges the alarm and the audit says who', async ({
  page,
}) => {
  const kiosk = new FakeKiosk(`KIOSK-OPS-${Date.now() % 100000}`, 'SZ-FUTIAN');
  await kiosk.enrolApproved();
  await kiosk.heartbeat();

  // Operator login (the console answers 401 with the form).
  await page.goto(`${CENTRAL_URL}/fleet`);
  await page.locator('#operator').fill(OPERATOR);
  await page.locator('#password').fill(OPERATOR_PASSWORD);
  await page.locator('[data-login-form] button[type=submit]').click();
  await expect(page).toHaveURL(`${CENTRAL_URL}/fleet`);
  await expect(page.locator('#live')).toHaveAttribute('data-live', 'connected');

  const row = page.locator(`tr[data-appliance="${kiosk.id}"]`);
  const heartbeatCell = row.locator('[data-heartbeat-at]');
  await expect(heartbeatCell).toHaveAttribute('data-stale', 'false');
  await expect(heartbeatCell).toHaveText(/\d+ s ago/);
  // Marks this document: a reload would lose it.
  await page.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });

  // The kiosk stops: within the configured time (and a sweep) its row and an alarm turn stale, pushed live.
  const staleAlarm = page.locator(
    `#alarm-list tr[data-kind="heartbeat-stale"]:has(td:text-is("${kiosk.id}"))`,
  );
  await expect(heartbeatCell).toHaveAttribute('data-stale', 'true', { timeout: (STALE_SECONDS + 10) * 1000 });
  await expect(staleAlarm).toBeVisible();
  await expect(staleAlarm).toContainText('SZ-FUTIAN');
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

  // Acknowledge it from the page.
  const alarmId = Number(await staleAlarm.getAttribute('data-alarm-id'));
  await staleAlarm.locator('button[data-acknowledge]').click();
  await expect(page).toHaveURL(`${CENTRAL_URL}/fleet`);
  await expect(page.locator(`#alarm-list tr[data-alarm-id="${alarmId}"]`)).toHaveCount(0);
  const open = await centralAdmin<AlarmList>('GET', '/alarms');
  expect(open.alarms.map((a) => a.id)).not.toContain(alarmId);

  const { entries } = await centralAdmin<{ entries: AuditEntry[] }>(
    'GET',
    `/operator-audit?actor=${OPERATOR}`,
  );
  expect(entries).toContainEqual(
    expect.objectContaining({
      actor: OPERATOR,
      action: 'POST /fleet/alarms/:alarmId/acknowledge',
      subject: `alarmId=${alarmId}`,
    }),
  );

  // The per-appliance page draws the heartbeat history with uPlot.
  await page.goto(`${CENTRAL_URL}/fleet/${kiosk.id}`);
  await expect(page.locator('#chart canvas')).toHaveCount(1);
  await expect(page.locator('[data-appliance-page]')).toHaveAttribute('data-appliance-page', kiosk.id);
  await expect(page.locator('td.fp').first()).toHaveAttribute('data-fingerprint', kiosk.fingerprint!);
});
