// A frozen appliance: after 3 s without an answer the applicant is told the system is busy, and taps made
// meanwhile are dropped — none of them fires when the appliance answers.
import { expect, test } from '@playwright/test';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { DEMO_CODE, Devices, screen, shot, start } from './kiosk.ts';

test('a daemon that does not answer within 3 s: 系统繁忙，请稍候, and the taps meanwhile are discarded', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  await devices.freeze(6000);
  await page.getByTestId('confirm-order').click();
  const busy = page.getByTestId('busy');
  await expect(busy).toBeVisible({ timeout: 4500 });
  await expect(busy).toContainText(zh['busy.title']);
  await shot(page, 'busy-zh');
  // Taps while busy: on the overlay, and on the language switch under it.
  await page.mouse.click(540, 1700);
  const lang = await page.getByTestId('lang-en').boundingBox();
  if (!lang) throw new Error('no language switch');
  await page.mouse.click(lang.x + lang.width / 2, lang.y + lang.height / 2);
  await expect(busy).toContainText(zh['busy.title']);
  // The appliance answers: the journey moves on once, the notice goes, nothing else was sent.
  await screen(page, 'id-card');
  await expect(busy).toHaveCount(0);
  expect(await devices.callsTo('POST', '/api/journeys/current/confirm')).toHaveLength(1);
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  expect(en['busy.title']).toBe('The system is busy, please wait');
});
