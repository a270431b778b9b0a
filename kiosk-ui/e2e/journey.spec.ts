// The whole pickup journey, clicked through as an applicant would, in Chinese (portrait) and English (landscape).
import { expect, type Page, test } from '@playwright/test';
import {
  DEMO_CODE,
  Devices,
  keypadOrder,
  MATCHING_CARD,
  PIN,
  screen,
  shot,
  start,
  throughToPin,
  typeOnKeypad,
} from './kiosk.ts';

async function pickup(page: Page, devices: Devices, suffix: string, text: Record<string, string | RegExp>) {
  await screen(page, 'attract');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(text.attract!);
  await shot(page, `01-attract-${suffix}`);

  await start(page);
  await expect(page.getByTestId('pointer-hint')).toBeVisible();
  await shot(page, `02-scan-${suffix}`);

  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  await expect(page.getByTestId('order-summary')).toContainText(text.certType!);
  await expect(page.getByTestId('order-summary')).toContainText('张*');
  await shot(page, `03-order-${suffix}`);
  await page.getByTestId('confirm-order').click();

  await screen(page, 'id-card');
  await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'waiting');
  await shot(page, `04-id-waiting-${suffix}`);
  await devices.idCard(MATCHING_CARD);
  await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'matched');
  await expect(page.getByTestId('id-state')).toContainText('4403**********1238');
  await shot(page, `05-id-matched-${suffix}`);

  await screen(page, 'token');
  // The card was read and the journey moved on: it still lies on the reader, so the kiosk asks for it.
  await expect(page.getByTestId('alert-take-id-card')).toHaveText(text.takeCard!);
  await shot(page, `06-token-${suffix}`);
  await devices.idCard(null);
  await expect(page.getByTestId('alert-take-id-card')).toBeHidden();
  await devices.token('insert');
  await screen(page, 'progress');
  await expect(page.locator('[data-state="running"] .spinner')).toBeVisible();
  await shot(page, `07-progress-${suffix}`);

  // The PIN, twice, on a keypad whose layout is read from the screen each time it appears.
  await screen(page, 'pin');
  const firstOrder = await keypadOrder(page);
  expect([...firstOrder].sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  expect(firstOrder).not.toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']);
  await expect(page.getByTestId('pin-submit')).toBeDisabled();
  await typeOnKeypad(page, '123');
  await expect(page.locator('[data-rule="sequence"]')).toHaveAttribute('data-state', 'bad');
  await page.getByTestId('key-delete').click();
  await page.getByTestId('key-delete').click();
  await page.getByTestId('key-delete').click();
  await typeOnKeypad(page, PIN);
  await expect(page.getByTestId('pin-dots')).toHaveAttribute('data-count', String(PIN.length));
  await expect(page.locator('[data-testid="pin-rules"] [data-state="ok"]')).toHaveCount(4);
  await shot(page, `08-pin-first-${suffix}`);
  await page.getByTestId('pin-submit').click();
  await expect(page.getByTestId('pin-screen')).toHaveAttribute('data-phase', 'second');
  const secondOrder = await keypadOrder(page);
  expect(secondOrder).not.toEqual(firstOrder);
  await typeOnKeypad(page, PIN);
  await shot(page, `09-pin-second-${suffix}`);
  await page.getByTestId('pin-submit').click();

  await screen(page, 'verify');
  await shot(page, `10-verify-${suffix}`);
  await screen(page, 'done');
  await expect(page.getByTestId('receipt-state')).toHaveAttribute('data-state', 'printed');
  await expect(page.getByTestId('hotline')).toContainText('0755-8888 6666');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(text.done!);
  await shot(page, `11-done-${suffix}`);
  // The key is still in the writer: the done screen asks for it, and finishing waits until it is taken.
  await expect(page.getByTestId('take-key')).toBeVisible();
  await expect(page.getByTestId('finish')).toBeDisabled();
  await devices.token('pull');
  await expect(page.getByTestId('key-taken')).toBeVisible();
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
}

test('the whole pickup in Chinese, portrait 1080×1920', async ({ page, request }) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await pickup(page, devices, 'zh-portrait', {
    attract: '数字证书 自助服务',
    certType: '机构证书',
    done: '领取完成',
    takeCard: '请取回身份证',
  });
});

test('the whole pickup in English, landscape 1920×1080', async ({ page, request }) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto('/');
  await screen(page, 'attract');
  await page.getByTestId('lang-en').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await pickup(page, devices, 'en-landscape', {
    attract: 'Digital certificates: self-service',
    certType: 'Organisation certificate',
    done: 'All done',
    takeCard: 'Please take your ID card back from the reader',
  });
  // The next applicant gets the default language back.
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
});

test('scanning on the attract screen starts the journey by itself', async ({ page, request }) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await screen(page, 'attract');
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
});

test('every control is a large, labelled touch target and the page cannot be selected', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await screen(page, 'attract');
  await throughToPin(page, devices);
  for (const view of [
    { width: 1080, height: 1920 },
    { width: 1920, height: 1080 },
  ]) {
    await page.setViewportSize(view);
    const small = await page.locator('button:visible').evaluateAll((buttons) =>
      buttons
        .map((b) => ({ b: b as HTMLElement, r: b.getBoundingClientRect() }))
        .filter(({ r }) => r.width < 64 || r.height < 64)
        .map(({ b }) => b.outerHTML.slice(0, 80)),
    );
    expect(small).toEqual([]);
    const unlabelled = await page
      .getByRole('button')
      .evaluateAll(
        (buttons) => buttons.filter((b) => !(b.getAttribute('aria-label') || b.textContent?.trim())).length,
      );
    expect(unlabelled).toBe(0);
    // Nothing runs off the screen sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  }
  expect(await page.evaluate(() => getComputedStyle(document.body).userSelect)).toBe('none');
  const menuPrevented = await page.evaluate(() => {
    const e = new MouseEvent('contextmenu', { bubbles: true, cancelable: true });
    return !document.body.dispatchEvent(e);
  });
  expect(menuPrevented).toBe(true);
});
