// Shared steps of the e2e suite: driving the emulated devices and reading the kiosk screen.
import { type APIRequestContext, expect, type Page } from '@playwright/test';
import type {
  ApplianceErrorCode,
  ErrorBody,
  KioskSettings,
  PickupStep,
} from '../../appliance/src/api/contract.ts';

export const DEMO_CODE = 'CK1-DEMO-0001';
export const MATCHING_CARD = 'han-zhang-wei';
export const PIN = '305917';
/** The held keys of the sim (service-contract.ts): the couriered key, 张伟's key near expiry, 张伟's key. */
export type HeldKey = 'couriered' | 'renewal' | 'holder';
/** The activation code in the demo's courier letter. */
export const ACTIVATION_CODE = '246810';
/** The fake's held key 'renewal': its current user PIN (renew asks for it; only this key has a paid renewal
 *  order), and a PIN that is not it. */
export const RENEWAL_KEY_PIN = '731946';
export const WRONG_KEY_PIN = '582046';
/** The fake's approved reissue (补办) order: its pickup code. */
export const REISSUE_CODE = 'CK1-REISSUE-0001';
/** What the demo order shows on screen; none of it may survive a wipe. */
export const PERSONAL_DATA = ['ORD-2025-000123', '深圳市示例科技有限公司', '张*', '4403**********1238'];
/** The staff accounts of the sim profile (and of the fake appliance): S001 administrator, S002 operator. */
export const STAFF = {
  administrator: { staffId: 'S001', name: '陈静', pin: '864213' },
  operator: { staffId: 'S002', name: '王强', pin: '975310' },
} as const;
export type StaffAccount = { staffId: string; pin: string };

export interface Call {
  method: string;
  path: string;
  at: number;
  body?: unknown;
}

export class Devices {
  constructor(private readonly request: APIRequestContext) {}

  async #post(path: string, data: unknown): Promise<void> {
    const res = await this.request.post(path, { data });
    expect(res.ok(), `${path} answered ${res.status()}`).toBe(true);
  }

  /** Fake appliance only: a fresh world with these settings (staff accounts S001 and S002, no one signed in). */
  reset(
    settings: Partial<KioskSettings> = {},
    stepMs = 300,
    extra: { parkedEvents?: number; staffIdleMs?: number } = {},
  ) {
    return this.#post('/__test/reset', { settings, stepMs, ...extra });
  }
  /** Fake appliance only: how central answers the issuance request from now on. */
  central(
    mode: 'ok' | 'refuse' | 'pending',
    opts: { code?: ApplianceErrorCode; action?: ErrorBody['action']; retryMs?: number } = {},
  ) {
    return this.#post('/__test/central', { mode, ...opts });
  }
  /** Fake appliance only: the next time the machine reaches `step`, it stops on this retryable error. */
  stall(step: PickupStep, code: ApplianceErrorCode, action: ErrorBody['action'] = 'retry') {
    return this.#post('/__test/stall', { step, code, action });
  }
  /** Fake appliance only: the next time the machine runs `step` it takes `ms`, without an error (a slow key). */
  slow(step: PickupStep, ms: number) {
    return this.#post('/__test/slow', { step, ms });
  }
  /** Fake appliance only: the next applicant action is answered only after `ms` (a frozen daemon). */
  freeze(ms: number) {
    return this.#post('/__test/freeze', { ms });
  }
  scan(code: string) {
    return this.#post('/sim/scan', { code });
  }
  idCard(fixture: string | null) {
    return this.#post('/sim/id-card', { fixture });
  }
  /** Insert a blank key, or one of the sim's held keys (service-contract.ts: 'couriered', 'renewal', …). */
  token(action: 'insert' | 'pull', key?: HeldKey) {
    return this.#post('/sim/token', key ? { action, key } : { action });
  }
  /** The held key's user PIN locks, as wrong PINs would. */
  lockPin(key: HeldKey) {
    return this.#post('/sim/token', { action: 'lock-pin', key });
  }
  /** Fake appliance only: the certificate on the held keys read from now on (days left, revoked), how long
   *  setting a service's new PIN (renew: making the new key pair) takes, and the rule for a renewed key's old
   *  certificate. */
  keyCertificate(knobs: {
    daysLeft?: number;
    revoked?: boolean;
    pinMs?: number;
    renewalRule?: 'revoke-previous' | 'let-expire';
    /** The renewal order awaits payment at the kiosk: this amount (fen), its QR code lasting payMs. */
    payFen?: number;
    payMs?: number;
  }) {
    return this.#post('/__test/key', knobs);
  }
  /** Fake appliance only: the phone pays the WeChat Pay QR code on screen. */
  pay() {
    return this.#post('/__test/pay', {});
  }
  printer(paper: 'ok' | 'near-end' | 'out', coverOpen = false) {
    return this.#post('/sim/printer', { paper, coverOpen });
  }
  async calls(): Promise<Call[]> {
    return (await this.request.get('/__test/calls')).json();
  }
  /** The requests the UI made to one route (method and path). */
  async callsTo(method: string, path: string): Promise<Call[]> {
    return (await this.calls()).filter((c) => c.method === method && c.path === path);
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

/** From the attract screen to the progress screen: the demo code, the matching card and a blank key. */
export async function throughToProgress(page: Page, devices: Devices): Promise<void> {
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
  await devices.idCard(MATCHING_CARD);
  await screen(page, 'token');
  await devices.token('insert');
  await screen(page, 'progress');
}

/**
 * A renewal (续期) up to the holder's card: the renew tile, the renewal key, the matching card; then the screen
 * that follows it (the current PIN, or the payment screen when the order awaits payment).
 */
export async function renewalThroughCard(
  page: Page,
  devices: Devices,
  next: 'service-current-pin' | 'service-payment',
): Promise<void> {
  await page.getByTestId('tile-renew').click();
  await screen(page, 'service-token');
  await devices.token('insert', 'renewal');
  await screen(page, 'service-id-card');
  await devices.idCard(MATCHING_CARD);
  await screen(page, next);
}

/** The hidden staff gesture: a press of at least 3 s in the top-left corner. */
export async function longPressCorner(page: Page, ms: number): Promise<void> {
  await page.mouse.move(30, 30);
  await page.mouse.down();
  await page.waitForTimeout(ms);
  await page.mouse.up();
}

/** On the staff sign-in screen: the staff id on the on-screen pad (letters, then the keypad), then the PIN. */
export async function signInStaff(page: Page, who: StaffAccount): Promise<void> {
  await page.getByTestId('staff-id-field').click();
  await page.getByTestId('key-clear').click();
  for (const ch of who.staffId) {
    if (/[A-Z]/.test(ch)) await page.locator(`[data-testid="staff-letters"] [data-letter="${ch}"]`).click();
    else await page.locator(`[data-testid="keypad"] [data-digit="${ch}"]`).click();
  }
  await expect(page.getByTestId('staff-id')).toHaveText(who.staffId);
  await page.getByTestId('staff-next').click();
  await page.getByTestId('key-clear').click();
  await typeOnKeypad(page, who.pin);
  await page.getByTestId('staff-submit').click();
}

/** Opens the maintenance screen: the corner gesture, then a staff id and its PIN (the administrator by default). */
export async function openMaintenance(page: Page, who: StaffAccount = STAFF.administrator): Promise<void> {
  await longPressCorner(page, 3300);
  await screen(page, 'staff');
  await signInStaff(page, who);
  await expect(page.getByTestId('maintenance')).toBeVisible();
}

/** A fresh fake appliance, the home page, and the maintenance screen signed in as `who`; the devices to drive. */
export async function freshMaintenance(
  page: Page,
  request: APIRequestContext,
  who: StaffAccount = STAFF.administrator,
): Promise<Devices> {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await openMaintenance(page, who);
  return devices;
}

/** A staff token straight from the API (for checks behind the screen). */
export async function staffToken(
  request: APIRequestContext,
  who: StaffAccount = STAFF.administrator,
): Promise<string> {
  const login = await request.post('/api/staff/login', { data: { staffId: who.staffId, pin: who.pin } });
  expect(login.ok(), `staff login answered ${login.status()}`).toBe(true);
  return ((await login.json()) as { token: string }).token;
}
