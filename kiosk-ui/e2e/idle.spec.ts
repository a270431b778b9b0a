// Idle timeout (warning, more time, wipe) and easy mode. Short timeouts come from the fake's settings.
import { expect, test } from '@playwright/test';
import {
  bodyText,
  DEMO_CODE,
  Devices,
  keypadOrder,
  PERSONAL_DATA,
  screen,
  shot,
  start,
  throughToPin,
} from './kiosk.ts';

const SHORT = { idleWarningMs: 2000, idleWipeMs: 20_000, elderlyTimeoutFactor: 1.5 };

test('idle: a countdown with more time, then the wipe leaves nothing personal behind', async ({
  page,
  request,
}) => {
  test.setTimeout(60_000);
  const devices = new Devices(request);
  await devices.reset(SHORT);
  await page.goto('/');
  await screen(page, 'attract');
  const historyBefore = await page.evaluate(() => history.length);
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  for (const text of PERSONAL_DATA.slice(0, 3)) expect(await bodyText(page)).toContain(text);

  const warning = page.getByTestId('idle-warning');
  await expect(warning).toBeVisible({ timeout: 5000 });
  const seconds = Number(await page.getByTestId('idle-seconds').textContent());
  expect(seconds).toBeGreaterThanOrEqual(19);
  expect(seconds).toBeLessThanOrEqual(20);
  await expect(page.getByTestId('more-time')).toBeFocused();
  await shot(page, 'idle-warning-zh');

  const clickedAt = Date.now();
  await page.getByTestId('more-time').click();
  await expect(warning).toHaveCount(0);
  await expect
    .poll(async () =>
      (await devices.calls()).some((c) => c.path === '/api/journeys/current/touch' && c.at >= clickedAt - 50),
    )
    .toBe(true);

  // Again, and this time nobody answers: back to the attract screen with everything forgotten.
  await expect(warning).toBeVisible({ timeout: 5000 });
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'attract', { timeout: 25_000 });
  const html = await bodyText(page);
  for (const text of PERSONAL_DATA) expect(html).not.toContain(text);
  expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
  expect(await page.evaluate(() => history.length)).toBe(historyBefore);
  expect(await page.evaluate(() => location.search + location.hash)).toBe('');
});

test('easy mode: larger text, fewer columns, standard keypad, longer timeouts', async ({ page, request }) => {
  const devices = new Devices(request);
  await devices.reset(SHORT);
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto('/');
  await screen(page, 'attract');
  const fontSize = () =>
    page.evaluate(() => Number.parseFloat(getComputedStyle(document.documentElement).fontSize));
  // The home screen's service tiles: fewer, larger ones to a row in easy mode.
  const columns = () =>
    page
      .getByTestId('home-tiles')
      .evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length);
  const normal = await fontSize();
  expect(await columns()).toBe(4);
  await page.getByTestId('elderly-toggle').click();
  await expect(page.getByTestId('elderly-toggle')).toHaveAttribute('aria-pressed', 'true');
  expect(await fontSize()).toBeGreaterThan(normal * 1.25);
  expect(await columns()).toBe(3);
  await expect(page.getByTestId('start')).toBeInViewport();
  await shot(page, 'elderly-attract-landscape');

  await throughToPin(page, devices);
  expect(await keypadOrder(page)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']);
  await expect(page.getByTestId('pin-submit')).toBeInViewport();
  await shot(page, 'elderly-pin-landscape');

  // Quiet 2 s × 1.5 then a 20 s × 1.5 countdown: the warning starts above 20 s, and the server's own (shorter)
  // idle timer must not wipe the session first.
  const warning = page.getByTestId('idle-warning');
  await expect(warning).toBeVisible({ timeout: 6000 });
  expect(Number(await page.getByTestId('idle-seconds').textContent())).toBeGreaterThan(25);
  await page.waitForTimeout(2500);
  await screen(page, 'pin');
  await page.getByTestId('more-time').click();
  await expect(warning).toHaveCount(0);
});
