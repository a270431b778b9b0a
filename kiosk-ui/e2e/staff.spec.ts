// The hidden staff gesture, the staff PIN and the maintenance screen.
import { expect, type Page, test } from '@playwright/test';
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { DEMO_CODE, Devices, MATCHING_CARD, screen, shot, start, typeOnKeypad } from './kiosk.ts';

async function longPressCorner(page: Page, ms: number) {
  await page.mouse.move(30, 30);
  await page.mouse.down();
  await page.waitForTimeout(ms);
  await page.mouse.up();
}

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
  await typeOnKeypad(page, '246810');
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
