// A refusal from the real engine, told in the applicant's language: the sentence is looked up by the error
// code the appliance answered with, so the test follows the locale files rather than copying them.
import type { ErrorBody, JourneyView } from '../../appliance/src/api/contract.ts';
import { screen, shot, start } from '../e2e/kiosk.ts';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { expect, test } from './fixtures.ts';

type Messages = Record<string, string>;

test('a QR code that is no pickup code is explained in Chinese, then in English', async ({
  page,
  request,
  sim,
}) => {
  await page.goto('/');
  await start(page);
  await sim.scan('hello');

  const notice = page.getByTestId('error-notice');
  await expect(notice).toHaveAttribute('data-code', 'PICKUP_CODE_MALFORMED');
  const { journey } = (await (await request.get('/api/state')).json()) as { journey: JourneyView };
  const error = journey.error as ErrorBody;
  expect(error.code).toBe('PICKUP_CODE_MALFORMED');
  const what = `error.${error.code}`;
  const todo = `action.${error.action}`;

  await expect(notice).toContainText((zh as Messages)[what]!);
  if (error.action !== 'none') await expect(notice).toContainText((zh as Messages)[todo]!);
  await shot(page, 'real/error-malformed-zh');

  await page.getByTestId('lang-en').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(notice).toContainText((en as Messages)[what]!);
  if (error.action !== 'none') await expect(notice).toContainText((en as Messages)[todo]!);
  await expect(notice).not.toContainText((zh as Messages)[what]!);
  await shot(page, 'real/error-malformed-en');
  // The longer English header and text still fit the 1080 px portrait screen: nothing reaches past its edge.
  const widest = await page.evaluate(() =>
    Math.max(...[...document.querySelectorAll('body *')].map((el) => el.getBoundingClientRect().right)),
  );
  expect(widest).toBeLessThanOrEqual(1080 + 1);

  // Dismissed, the kiosk still waits for a code on the same screen.
  await page.getByTestId('notice-ok').click();
  await expect(notice).toHaveCount(0);
  await screen(page, 'scan');
});
