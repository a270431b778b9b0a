// Device events from the emulators reach the screen live, over the appliance's event stream.
import { screen, shot } from '../e2e/kiosk.ts';
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { expect, test } from './fixtures.ts';
import { newPickupToPin, PIN, setPinTwice } from './steps.ts';

test('paper running out is told at once, and the receipt is promised as a reprint', async ({
  page,
  sim,
  central,
}) => {
  await newPickupToPin(page, sim, central);
  const receiptsBefore = await sim.receiptCount();

  await sim.printer('out');
  await expect(page.getByTestId('alert-paper-out')).toHaveText(zh['device.paperOut']);
  await shot(page, 'real/pin-paper-out-zh');

  await setPinTwice(page, PIN);

  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'done', { timeout: 30_000 });
  const receipt = page.getByTestId('receipt-state');
  await expect(receipt).toHaveAttribute('data-state', 'queued-for-reprint');
  await expect(receipt).toHaveText(zh['done.receipt.queued-for-reprint']);
  expect(await sim.receiptCount()).toBe(receiptsBefore);
  await shot(page, 'real/done-paper-out-zh');
});

test('a key pulled out at the PIN step is told at once, and the PIN waits for it', async ({
  page,
  sim,
  central,
}) => {
  await newPickupToPin(page, sim, central);
  await expect(page.getByTestId('alert-token-pulled')).toHaveCount(0);

  await sim.token('pull');
  await expect(page.getByTestId('alert-token-pulled')).toHaveText(zh['device.tokenPulled']);
  await shot(page, 'real/pin-key-pulled-zh');
  await screen(page, 'pin');
  await setPinTwice(page, PIN);
  // The PIN cannot be set on a key that is not there: the real engine refuses it and keeps the PIN step.
  const notice = page.getByTestId('error-notice');
  await expect(notice).toHaveAttribute('data-code', 'TOKEN_REMOVED');
  await expect(notice).toContainText(zh['error.TOKEN_REMOVED']);
  await screen(page, 'pin');
});
