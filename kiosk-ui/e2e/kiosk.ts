// Shared steps of the e2e suite: driving the emulated devices and reading the kiosk screen.
import { type APIRequestContext, expect, type Page } from '@playwright/test';
import type { KioskSettings } from '../../appliance/src/api/contract.ts';

export const DEMO_CODE = 'CK1-DEMO-0001';
export const MATCHING_CARD = 'han-zhang-wei';
export const PIN = '305917';
/** What the demo order shows on screen; none of it may survive a wipe. */
export const PERSONAL_DATA = ['ORD-2025-000123', '深圳市示例科技有限公司', '张*', '4403**********1238'];

export class Devices {
  constructor(private readonly request: APIRequestContext) {}

  async #post(path: string, data: unknown): Promise<void> {
    const res = await this.request.post(path, { data });
    expect(res.ok(), `${path} answered ${res.status()}`).toBe(true);
  }

  /** Fake appliance only: a fresh world with these settings. */
  reset(settings: Partial<KioskSettings> = {}, stepMs = 300) {
    return this.#post('/__test/reset', { settings, stepMs });
  }
  scan(code: string) {
    return this.#post('/sim/scan', { code });
  }
  idCard(fixture: string | null) {
    return this.#post('/sim/id-card', { fixture });
  }
  token(action: 'insert' | 'pull') {
    return this.#post('/sim/token', { action });
  }
  printer(paper: 'ok' | 'near-end' | 'out', coverOpen = false) {
    return this.#post('/sim/printer', { paper, coverOpen });
  }
  async calls(): Promise<Array<{ method: string; path: string; at: number }>> {
    return (await this.request.get('/__test/calls')).json();
  }
}

export async function screen(page: Page, name: string): Promise<void> {
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', name, { timeout: 10_000 });
}

export async function shot(page: Page, name: string): Promise<void> {
  // Let entry animations and focus settle so the picture shows the steady screen.
  await page.waitForTimeout(150);
  await page.screenshot({ path: `test-results/screens/${name}.png`, animations: 'disabled' });
}

/** The digit order as laid out on screen, read from the DOM (never assumed). */
export async function keypadOrder(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid="keypad"] [data-digit]')
    .evaluateAll((keys) => keys.map((k) => (k as HTMLElement).dataset['digit'] ?? ''));
}

export async function typeOnKeypad(page: Page, digits: string): Promise<void> {
  for (const d of digits) await page.locator(`[data-testid="keypad"] [data-digit="${d}"]`).click();
}

export async function bodyText(page: Page): Promise<string> {
  return page.evaluate(() => document.documentElement.outerHTML);
}

/** Taps start and waits until the kiosk asks for the code (so a scan cannot race the start). */
export async function start(page: Page): Promise<void> {
  await page.getByTestId('start').click();
  await screen(page, 'scan');
}

/** From the attract screen to the PIN keypad with the demo order, the matching card and a blank key. */
export async function throughToPin(page: Page, devices: Devices): Promise<void> {
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
  await devices.idCard(MATCHING_CARD);
  await devices.token('insert');
  await screen(page, 'pin');
}
