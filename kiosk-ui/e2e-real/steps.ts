// Steps the real-appliance specs share; screen reading comes from ../e2e/kiosk.ts, as in the fake's suite.
import { expect, type Page } from '@playwright/test';
import { screen, start } from '../e2e/kiosk.ts';
import { HOLDER_CARD } from './central.ts';
import type { Sim } from './sim.ts';

/** A PIN the sim profile's policy accepts (no sequence, no repeats, 6 digits). */
export const PIN = '385172';

/** From the attract screen up to the PIN keypad: the code, the confirm, 张伟's card and a blank key. */
export async function throughToPin(page: Page, sim: Sim, pickupCode: string): Promise<void> {
  await start(page);
  await sim.scan(pickupCode);
  await screen(page, 'order');
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
  await sim.idCard(HOLDER_CARD);
  await screen(page, 'token');
  await sim.token('insert');
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'pin', { timeout: 45_000 });
}
