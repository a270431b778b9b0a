// The maintenance screen on the real stack: a staff sign-in, device self-tests through the real drivers, paper
// running out and coming back, a receipt queued while the paper was out printed from the screen, the blank-key
// stock refilled, and the diagnostics bundle exported as a file that names no one.
import { readFile } from 'node:fs/promises';
import { openMaintenance, shot } from '../e2e/kiosk.ts';
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { HOLDER } from './central.ts';
import { expect, test } from './fixtures.ts';
import { newPickupToPin, PIN, setPinTwice } from './steps.ts';

test('staff test the devices, see paper out come and go, reprint, refill keys and export diagnostics', async ({
  page,
  sim,
  central,
}) => {
  test.setTimeout(120_000);
  // A pickup while the paper is out: its receipt waits for a reprint.
  const { orderId } = await newPickupToPin(page, sim, central);
  await sim.printer('out');
  await setPinTwice(page, PIN);
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'done', { timeout: 30_000 });
  await expect(page.getByTestId('receipt-state')).toHaveAttribute('data-state', 'queued-for-reprint');
  const printedBefore = await sim.receiptCount();

  await openMaintenance(page);
  // Paper out shows on the device list and the reprint panel; the printer's self-test says so and prints nothing.
  const printerRow = page.locator('[data-testid="staff-devices"] tr[data-kind="printer"]');
  await expect(printerRow).toHaveAttribute('data-detail', 'paper-out');
  await expect(page.getByTestId('staff-reprint-printer')).toHaveAttribute('data-detail', 'paper-out');
  const tests = page.getByTestId('staff-self-tests');
  await tests.locator('tr[data-kind="printer"]').getByTestId('self-test-run').click();
  const result = page.getByTestId('self-test-result');
  await expect(result).toHaveAttribute('data-code', 'PRINTER_OUT_OF_PAPER');
  await expect(result).toContainText(zh['error.PRINTER_OUT_OF_PAPER']);
  expect(await sim.receiptCount()).toBe(printedBefore);
  await shot(page, 'real/maintenance-paper-out');

  // Paper back: the list clears, the self-test prints a test page, the queued receipt is reprinted.
  await sim.printer('ok');
  await expect(printerRow).not.toHaveAttribute('data-detail', 'paper-out');
  await expect(page.getByTestId('staff-reprint-printer')).toHaveCount(0);
  await tests.locator('tr[data-kind="printer"]').getByTestId('self-test-run').click();
  await expect(result).toHaveAttribute('data-outcome', 'ok');
  await expect(result).toContainText(zh['staff.selfTest.ok.printer']);
  expect(await sim.receiptCount()).toBe(printedBefore + 1);
  // The printer's last error is remembered after it cleared.
  await expect(tests.locator('tr[data-kind="printer"]').getByTestId('self-test-last-error')).toHaveAttribute(
    'data-state',
    'user-action-needed',
  );
  const queued = page.locator(`[data-testid="staff-reprints"] li[data-order="${orderId}"]`);
  await expect(queued).toHaveCount(1);
  await queued.getByTestId('staff-reprint').click();
  await expect(queued).toHaveCount(0);
  await expect.poll(() => sim.receiptCount()).toBe(printedBefore + 2);

  // The ID reader's self-test shows the card masked only.
  await sim.idCard('han-zhang-wei');
  await tests.locator('tr[data-kind="idReader"]').getByTestId('self-test-run').click();
  await expect(result).toHaveAttribute('data-kind', 'idReader');
  await expect(result).toContainText('张*');
  await expect(result).toContainText('4403**********1238');
  await expect(result).not.toContainText(HOLDER.idNumber);
  await sim.idCard(null);

  // Blank keys: the pickup took one off the stock; a bad count is refused, a good one recorded.
  const stock = page.getByTestId('staff-blank-keys');
  const before = Number(await stock.getAttribute('data-count'));
  await page.getByTestId('blank-keys-refill-count').fill('0');
  await page.getByTestId('blank-keys-refill').click();
  await expect(page.getByTestId('blank-keys-error')).toHaveAttribute('data-code', 'BLANK_KEY_COUNT_INVALID');
  await expect(stock).toHaveAttribute('data-count', String(before));
  await page.getByTestId('blank-keys-refill-count').fill('30');
  await page.getByTestId('blank-keys-refill').click();
  await expect(stock).toHaveAttribute('data-count', String(before + 30));
  await expect(page.getByTestId('blank-keys-low')).toHaveCount(0);

  // Diagnostics: a download of the JSON bundle, with nothing of the holder or the PIN in it.
  const download = page.waitForEvent('download');
  await page.getByTestId('diagnostics-export').click();
  const file = await (await download).path();
  const text = await readFile(file, 'utf8');
  const bundle = JSON.parse(text) as {
    kind: string;
    devices: unknown[];
    recentLogs: unknown[];
    versions: object;
  };
  expect(bundle.kind).toBe('certkiosk-diagnostics');
  expect(bundle.devices).toHaveLength(4);
  expect(Array.isArray(bundle.recentLogs)).toBe(true);
  expect(bundle.versions).toMatchObject({ node: expect.any(String) });
  expect(text).not.toContain(HOLDER.idNumber);
  expect(text).not.toContain(HOLDER.name);
  expect(text).not.toMatch(new RegExp(`(?<![0-9A-Za-z+/])${PIN}(?![0-9A-Za-z+/])`));
  await expect(page.getByTestId('diagnostics-saved')).toBeVisible();
});

test('a self-test while an applicant is at the kiosk is refused with its own message', async ({
  page,
  sim,
  central,
}) => {
  await newPickupToPin(page, sim, central);
  const printed = await sim.receiptCount();
  await openMaintenance(page);
  await page
    .locator('[data-testid="staff-self-tests"] tr[data-kind="printer"]')
    .getByTestId('self-test-run')
    .click();
  const result = page.getByTestId('self-test-result');
  await expect(result).toHaveAttribute('data-code', 'SELF_TEST_SESSION_OPEN');
  await expect(result).toContainText(zh['error.SELF_TEST_SESSION_OPEN']);
  expect(await sim.receiptCount()).toBe(printed);
});
