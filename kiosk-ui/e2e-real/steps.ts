// Steps the real-appliance specs share; screen reading comes from ../e2e/kiosk.ts, as in the fake's suite.
import { expect, type Page } from '@playwright/test';
import { screen, start, typeOnKeypad } from '../e2e/kiosk.ts';
import { type Central, HOLDER_CARD } from './central.ts';
import type { Sim } from './sim.ts';

/** A PIN the sim profile's policy accepts (no sequence, no repeats, 6 digits). */
export const PIN = '385172';

/** On the scan screen: the code, the order confirmed, and the kiosk asking for the ID card. */
export async function scanToIdCard(page: Page, sim: Sim, pickupCode: string): Promise<void> {
  await sim.scan(pickupCode);
  await screen(page, 'order');
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
}

/** From the attract screen up to the PIN keypad: the code, the confirm, 张伟's card and a blank key. */
export async function throughToPin(page: Page, sim: Sim, pickupCode: string): Promise<void> {
  await start(page);
  await scanToIdCard(page, sim, pickupCode);
  await sim.idCard(HOLDER_CARD);
  await screen(page, 'token');
  await sim.token('insert');
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'pin', { timeout: 45_000 });
}

/** A new approved order at central, the kiosk's home page, and that order's pickup up to the PIN keypad. */
export async function newPickupToPin(
  page: Page,
  sim: Sim,
  central: Central,
): Promise<{ orderId: string; pickupCode: string }> {
  const order = await central.createApprovedOrder();
  await page.goto('/');
  await throughToPin(page, sim, order.pickupCode);
  return order;
}

/** The PIN typed twice on the keypad, each time followed by the button under it. */
export async function setPinTwice(page: Page, first: string, second = first): Promise<void> {
  await typeOnKeypad(page, first);
  await page.getByTestId('pin-submit').click();
  await expect(page.getByTestId('pin-screen')).toHaveAttribute('data-phase', 'second');
  await typeOnKeypad(page, second);
  await page.getByTestId('pin-submit').click();
}

/** The applicant cancels from the header and confirms: back to the attract screen. */
export async function cancelJourney(page: Page): Promise<void> {
  await page.getByTestId('cancel').click();
  await page.getByTestId('cancel-yes').click();
  await screen(page, 'attract');
}
