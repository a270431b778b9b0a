// The case seen by hand: a holder in easy mode (适老模式) and English mistypes the second PIN. The keypad and
// the "Next" (下一步) button must stay on the 1080×1920 screen without scrolling, and a tap on it must work.
import { keypadOrder, screen, shot } from '../e2e/kiosk.ts';
import en from '../src/locales/en.json' with { type: 'json' };
import { expect, test } from './fixtures.ts';
import { PIN, setPinTwice, throughToPin } from './steps.ts';

const OTHER_PIN = '927164';

/** Is the element wholly on screen without scrolling (not only present in the DOM)? */
async function fullyOnScreen(page: import('@playwright/test').Page, testId: string): Promise<boolean> {
  return page.getByTestId(testId).evaluate((el) => {
    const r = el.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return (
      r.top >= 0 &&
      r.left >= 0 &&
      r.bottom <= window.innerHeight &&
      r.right <= window.innerWidth &&
      // Nothing covers its middle: a tap there lands on the button.
      (top === el || el.contains(top))
    );
  });
}

test('easy mode in English: after a PIN mismatch "Next" is on screen and a tap on it goes on', async ({
  page,
  sim,
  central,
}) => {
  const { orderId, pickupCode } = await central.createApprovedOrder();
  await page.goto('/');
  await screen(page, 'attract');
  await page.getByTestId('lang-en').click();
  await page.getByTestId('elderly-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('html')).toHaveClass(/elderly/);

  await throughToPin(page, sim, pickupCode);
  // Easy mode keeps the digits in their usual places.
  expect(await keypadOrder(page)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']);
  await setPinTwice(page, PIN, OTHER_PIN);

  // The mismatch is told in English, and the holder starts the PIN again on a screen that fits.
  await expect(page.getByTestId('pin-mismatch')).toHaveText(en['pin.mismatch']);
  await expect(page.getByTestId('pin-screen')).toHaveAttribute('data-phase', 'first');
  await shot(page, 'real/pin-mismatch-en-easy');
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  expect(await fullyOnScreen(page, 'pin-submit')).toBe(true);
  await expect(page.getByTestId('pin-submit')).toHaveText(en['pin.next']);
  for (const digit of ['0', '1', '5', '9']) {
    const key = page.locator(`[data-testid="keypad"] [data-digit="${digit}"]`);
    expect(await key.evaluate((el) => el.getBoundingClientRect().bottom <= window.innerHeight)).toBe(true);
  }

  // The same PIN twice now: the tap on "Next" goes through and the certificate is collected.
  await setPinTwice(page, PIN);
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'done', { timeout: 30_000 });
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(en['done.title']);
  await expect
    .poll(async () => (await central.order(orderId)).status, { timeout: 20_000, intervals: [250, 500, 1000] })
    .toBe('activated');
  await sim.token('pull');
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
});
