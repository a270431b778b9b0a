// After-sales on the real appliance and central, in Chinese at 1080×1920: central's couriered key (put on a
// SoftHSM token by `make demo`) activated with its code, and 张伟's key unlocked after its PIN was locked.
import { screen, shot, typeOnKeypad } from '../e2e/kiosk.ts';
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { HOLDER_CARD } from './central.ts';
import { expect, test } from './fixtures.ts';
import { PIN, setPinTwice } from './steps.ts';

/** The activation code central's demo seed prints for the couriered key (sync/src/central/seed-demo.ts). */
const DEMO_ACTIVATION_CODE = '246810';

test('a couriered key is activated with its code: a wrong code counts down, the right one sets the PIN', async ({
  page,
  sim,
}) => {
  await page.goto('/');
  await screen(page, 'attract');
  await page.getByTestId('tile-activate').click();
  await screen(page, 'service-token');
  await sim.heldKey('couriered');
  await screen(page, 'service-code');
  // Whose key and which order, masked: central's answer for the certificate on this token.
  await expect(page.getByTestId('activation-order')).toContainText('王*芬');
  await expect(page.getByTestId('activation-order')).not.toContainText('王淑芬');
  await expect(page.getByTestId('code-tries')).toHaveAttribute('data-tries', '5');
  await shot(page, 'real/activate-code');

  await typeOnKeypad(page, '135790');
  await page.getByTestId('code-submit').click();
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'ACTIVATION_CODE_WRONG');
  await page.getByTestId('notice-ok').click();
  await expect(page.getByTestId('code-tries')).toHaveAttribute('data-tries', '4');

  await typeOnKeypad(page, DEMO_ACTIVATION_CODE);
  await page.getByTestId('code-submit').click();
  await screen(page, 'service-pin');
  await setPinTwice(page, PIN);
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'service-result', { timeout: 30_000 });
  await expect(page.locator('h1')).toHaveText(zh['service.result.title.activate']);
  await shot(page, 'real/activate-done');
  await expect(page.getByTestId('finish')).toBeDisabled();
  await sim.token('pull');
  await expect(page.getByTestId('key-taken')).toBeVisible({ timeout: 10_000 });
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
});

test('a locked PIN is unlocked after the holder’s ID card matched, and the new PIN is set', async ({
  page,
  sim,
}) => {
  await sim.lockPin('renewal');
  await page.goto('/');
  await screen(page, 'attract');
  await page.getByTestId('tile-unlock').click();
  await screen(page, 'service-token');
  await sim.heldKey('renewal');
  await screen(page, 'service-id-card');
  await sim.idCard('long-term-wang-shufen');
  await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'mismatched');
  await sim.idCard(null);
  await sim.idCard(HOLDER_CARD);
  await screen(page, 'service-pin');
  await sim.idCard(null);
  await setPinTwice(page, PIN);
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'service-result', { timeout: 30_000 });
  await expect(page.locator('h1')).toHaveText(zh['service.result.title.unlock']);
  await expect(page.getByTestId('unlocks-left')).toBeVisible();
  await shot(page, 'real/unlock-done');
  await sim.token('pull');
  await expect(page.getByTestId('key-taken')).toBeVisible({ timeout: 10_000 });
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
});
