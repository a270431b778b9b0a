// The after-sales services at the kiosk (service-contract.ts): the home screen's tiles, activate, unlock, my
// certificates and look-up end to end, and 补办 replace (its guide, then the pickup of the reissue order), in
// Chinese on a portrait 1080×1920 screen, driven through the sim routes of the fake appliance (a blank or held key,
// ID cards, the scanner). Renew has its own spec (renew.spec.ts).
import { expect, type Page, test } from '@playwright/test';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import {
  ACTIVATION_CODE,
  DEMO_CODE,
  Devices,
  MATCHING_CARD,
  PIN,
  REISSUE_CODE,
  screen,
  shot,
  typeOnKeypad,
} from './kiosk.ts';

const TILES = ['pickup', 'activate', 'renew', 'unlock', 'replace', 'lookup', 'certificates'] as const;

let devices: Devices;

test.beforeEach(async ({ page, request }) => {
  devices = new Devices(request);
  await devices.reset({}, 80);
  await page.goto('/');
  await screen(page, 'attract');
});

async function setPinTwice(page: Page): Promise<void> {
  await expect(page.getByTestId('pin-screen')).toHaveAttribute('data-phase', 'first');
  await typeOnKeypad(page, PIN);
  await page.getByTestId('pin-submit').click();
  await expect(page.getByTestId('pin-screen')).toHaveAttribute('data-phase', 'second');
  await typeOnKeypad(page, PIN);
  await page.getByTestId('pin-submit').click();
}

async function typeCode(page: Page, code: string): Promise<void> {
  await typeOnKeypad(page, code);
  await page.getByTestId('code-submit').click();
}

/** Take the key, finish, and be back home with nothing of the service left on the page. */
async function takeKeyAndFinish(page: Page): Promise<void> {
  await expect(page.getByTestId('take-key')).toHaveText(zh['done.keyStillIn']);
  await expect(page.getByTestId('finish')).toBeDisabled();
  await devices.token('pull');
  await expect(page.getByTestId('key-taken')).toBeVisible();
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
}

test('the home screen offers every service as a tile, in order, each one a button to press', async ({
  page,
}) => {
  const tiles = page.getByTestId('home-tiles').locator('[data-tile]');
  await expect(tiles).toHaveCount(TILES.length);
  expect(await tiles.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['tile']))).toEqual([
    ...TILES,
  ]);
  for (const tile of TILES) {
    const el = page.locator(`[data-tile="${tile}"]`);
    await expect(el).toContainText(zh[`home.tile.${tile}`]);
    await expect(el).toContainText(zh[`home.note.${tile}`]);
    await expect(el).toHaveJSProperty('tagName', 'BUTTON');
    await expect(el).toBeEnabled();
    await expect(el).toBeInViewport({ ratio: 1 });
  }
  // Renew and replace are served here now: nothing says "coming soon".
  await expect(page.getByTestId('home-tiles')).not.toContainText('即将开放');
  await shot(page, 'services/home-zh');
  // Replace opens its guide (no journey at the appliance); renew starts its service journey.
  await page.getByTestId('tile-replace').click();
  await screen(page, 'guide-replace');
  expect(await devices.callsTo('POST', '/api/services')).toHaveLength(0);
  expect(await devices.callsTo('POST', '/api/journeys')).toHaveLength(0);
  await page.getByTestId('guide-back').click();
  await screen(page, 'attract');
  await page.getByTestId('tile-renew').click();
  await screen(page, 'service-token');
  expect(await devices.callsTo('POST', '/api/services')).toEqual([
    expect.objectContaining({ body: { kind: 'renew' } }),
  ]);
});

test('the home screen in English and in easy mode; a scanned pickup code still starts a pickup', async ({
  page,
}) => {
  await page.getByTestId('lang-en').click();
  for (const tile of TILES) {
    await expect(page.locator(`[data-tile="${tile}"]`)).toContainText(en[`home.tile.${tile}`]);
    await expect(page.locator(`[data-tile="${tile}"]`)).toContainText(en[`home.note.${tile}`]);
  }
  await expect(page.getByTestId('home-tiles')).not.toContainText(/coming soon/i);
  await page.getByTestId('elderly-toggle').click();
  await expect(page.locator('html')).toHaveClass(/\belderly\b/);
  for (const tile of TILES) {
    await expect(page.locator(`[data-tile="${tile}"]`)).toBeInViewport({ ratio: 1 });
    await expect(page.locator(`[data-tile="${tile}"]`)).toHaveJSProperty('tagName', 'BUTTON');
  }
  await shot(page, 'services/home-en-easy');
  // Easy mode carries into a service: its keypad is in the standard order.
  await page.getByTestId('tile-activate').click();
  await screen(page, 'service-token');
  await expect(page.getByTestId('service-token')).toContainText(en['service.token.title']);
  await page.getByTestId('cancel').click();
  await page.getByTestId('cancel-yes').click();
  await screen(page, 'attract');
  // The language and easy mode go back for the next person.
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.locator('html')).not.toHaveClass(/\belderly\b/);
  expect(await devices.callsTo('DELETE', '/api/services/current')).toHaveLength(1);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
});

test('activate: a blank key is refused, a wrong code counts down, the right one leads to the new PIN', async ({
  page,
}) => {
  await page.getByTestId('tile-activate').click();
  await screen(page, 'service-token');
  await expect(page.getByTestId('service-token')).toContainText(zh['service.token.lead.activate']);
  await shot(page, 'services/activate-token');
  await devices.token('insert');
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'KEY_NOT_OURS');
  await expect(page.getByTestId('notice-ref')).toBeVisible();
  await page.getByTestId('notice-ok').click();
  await devices.token('pull');
  await devices.token('insert', 'couriered');
  await screen(page, 'service-code');
  await expect(page.getByTestId('activation-order')).toContainText('ORD-2025-****88');
  await expect(page.getByTestId('activation-order')).toContainText('张*');
  await expect(page.getByTestId('code-tries')).toHaveText(zh['service.code.triesLeft'].replace('{n}', '5'));
  await shot(page, 'services/activate-code');

  await typeCode(page, '135790');
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'ACTIVATION_CODE_WRONG');
  await expect(page.getByTestId('error-notice')).toContainText(zh['error.ACTIVATION_CODE_WRONG']);
  await page.getByTestId('notice-ok').click();
  await expect(page.getByTestId('code-tries')).toHaveText(zh['service.code.triesLeft'].replace('{n}', '4'));
  await expect(page.getByTestId('code-tries')).toHaveAttribute('data-tries', '4');
  await expect(page.getByTestId('pin-dots')).toHaveAttribute('data-count', '0');

  await typeCode(page, ACTIVATION_CODE);
  await screen(page, 'service-pin');
  await setPinTwice(page);
  await screen(page, 'service-result');
  await expect(page.locator('h1')).toHaveText(zh['service.result.title.activate']);
  await shot(page, 'services/activate-done');
  const pins = await devices.callsTo('POST', '/api/services/current/pin');
  expect(pins).toHaveLength(1);
  expect(pins[0]!.body, 'a PIN is never logged').toBeUndefined();
  await takeKeyAndFinish(page);
  expect(await devices.callsTo('DELETE', '/api/services/current')).toHaveLength(1);
});

test('activate: the fifth wrong code locks it; the error screen has the reference number', async ({
  page,
}) => {
  await page.getByTestId('tile-activate').click();
  await devices.token('insert', 'couriered');
  await screen(page, 'service-code');
  for (let left = 4; left >= 1; left -= 1) {
    await typeCode(page, '135790');
    await expect(page.getByTestId('code-tries')).toHaveAttribute('data-tries', String(left));
    await page.getByTestId('notice-ok').click();
  }
  await typeCode(page, '135790');
  await screen(page, 'service-error');
  await expect(page.getByTestId('error-what')).toHaveText(zh['error.ACTIVATION_LOCKED']);
  await expect(page.getByTestId('error-ref')).toContainText(/K[0-9A-Z]+/);
  await shot(page, 'services/activate-locked');
  await page.getByTestId('end').click();
  await screen(page, 'attract');
});

test('unlock: a wrong card is said, the holder’s card unlocks, the new PIN is set', async ({ page }) => {
  await devices.lockPin('holder');
  await page.getByTestId('tile-unlock').click();
  await screen(page, 'service-token');
  await devices.token('insert', 'holder');
  await screen(page, 'service-id-card');
  await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'waiting');
  await shot(page, 'services/unlock-card');
  await devices.idCard('mongol-batu');
  await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'mismatched');
  await expect(page.getByTestId('id-reason')).toHaveText(zh['error.UNLOCK_CARD_MISMATCH']);
  await devices.idCard(null);
  await devices.idCard(MATCHING_CARD);
  await screen(page, 'service-pin');
  await setPinTwice(page);
  await screen(page, 'service-result');
  await expect(page.locator('h1')).toHaveText(zh['service.result.title.unlock']);
  // Three a day: the wrong card used one, this unlock another.
  await expect(page.getByTestId('unlocks-left')).toHaveText(
    zh['service.result.unlocksLeft'].replace('{n}', '1'),
  );
  await shot(page, 'services/unlock-done');
  await devices.idCard(null);
  await takeKeyAndFinish(page);
});

test('unlock: a key whose PIN is not locked needs no unlock', async ({ page }) => {
  await page.getByTestId('tile-unlock').click();
  await devices.token('insert', 'holder');
  await screen(page, 'service-error');
  await expect(page.getByTestId('error-what')).toHaveText(zh['error.PIN_NOT_LOCKED']);
  await page.getByTestId('end').click();
  await screen(page, 'attract');
});

for (const c of [
  { days: 200, banner: null, status: 'good' },
  { days: 60, banner: 'offer', status: 'good' },
  { days: 20, banner: 'urgent', status: 'good' },
  { days: 200, revoked: true, banner: 'revoked', status: 'revoked' },
] as const) {
  test(`my certificates: ${c.days} days left${'revoked' in c ? ', revoked' : ''}`, async ({ page }) => {
    await devices.keyCertificate({ daysLeft: c.days, ...('revoked' in c ? { revoked: true } : {}) });
    await page.getByTestId('tile-certificates').click();
    await screen(page, 'service-token');
    await devices.token('insert', 'holder');
    await screen(page, 'service-result');
    await expect(page.locator('h1')).toHaveText(zh['service.result.title.certificates']);
    const cert = page.getByTestId('certificate');
    await expect(cert).toContainText('张*');
    await expect(cert).toContainText('0c33e2a93a4f');
    await expect(cert).toContainText('CertKiosk Demo CA');
    await expect(page.getByTestId('days-left')).toHaveText(
      zh['service.cert.days'].replace('{n}', String(c.days)),
    );
    await expect(page.getByTestId('cert-status')).toHaveText(zh[`service.cert.status.${c.status}`]);
    if (c.banner === null) await expect(page.getByTestId('renewal-banner')).toHaveCount(0);
    else {
      await expect(page.getByTestId('renewal-banner')).toHaveAttribute('data-level', c.banner);
      await expect(page.getByTestId('renewal-banner')).toHaveText(
        zh[`service.renewal.${c.banner}`].replace('{n}', String(c.days)),
      );
    }
    if (c.banner === 'urgent') {
      // Prominent: the urgent style, at the top, on screen without scrolling.
      await expect(page.getByTestId('renewal-banner')).toHaveClass(/\burgent\b/);
      await expect(page.getByTestId('renewal-banner')).toBeInViewport({ ratio: 1 });
    }
    await shot(page, `services/certificates-${c.days}${'revoked' in c ? '-revoked' : ''}`);
    await takeKeyAndFinish(page);
  });
}

test('look-up by the order code: the rejected reason and the remittance code, and nothing else', async ({
  page,
}) => {
  await page.getByTestId('tile-lookup').click();
  await screen(page, 'service-lookup');
  await shot(page, 'services/lookup');
  await devices.scan('CK1-NOT-OURS');
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'LOOKUP_CODE_UNKNOWN');
  await page.getByTestId('notice-ok').click();
  await screen(page, 'service-lookup');
  await devices.scan(DEMO_CODE);
  await screen(page, 'service-result');
  const orders = page.getByTestId('order');
  await expect(orders).toHaveCount(3);
  const rejected = page.locator('[data-testid="order"][data-status="rejected"]');
  const transfer = page.locator('[data-testid="order"][data-status="transfer-pending"]');
  await expect(rejected.getByTestId('order-status')).toHaveText(zh['orderStatus.rejected']);
  await expect(rejected.getByTestId('reject-reason')).toHaveText(
    zh['service.lookup.rejected'].replace('{reason}', '营业执照照片不清晰'),
  );
  await expect(rejected.getByTestId('remittance-code')).toHaveCount(0);
  await expect(rejected.getByTestId('order-history')).toContainText(zh['orderStatus.under-review']);
  await expect(transfer.getByTestId('order-status')).toHaveText(zh['orderStatus.transfer-pending']);
  await expect(transfer.getByTestId('remittance-code')).toHaveText(
    zh['service.lookup.remittance'].replace('{code}', '583216'),
  );
  await expect(transfer.getByTestId('reject-reason')).toHaveCount(0);
  await expect(page.getByTestId('reject-reason')).toHaveCount(1);
  await expect(page.getByTestId('remittance-code')).toHaveCount(1);
  // Words, never central's codes.
  await expect(page.getByTestId('orders')).not.toContainText('transfer-pending');
  await expect(page.getByTestId('take-key')).toHaveCount(0);
  await shot(page, 'services/lookup-orders');
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
});

test('look-up by ID card: the holder’s orders; another person’s card finds none', async ({ page }) => {
  await page.getByTestId('tile-lookup').click();
  await screen(page, 'service-lookup');
  await devices.idCard(MATCHING_CARD);
  await screen(page, 'service-result');
  await expect(page.getByTestId('order')).toHaveCount(3);
  await devices.idCard(null);
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
  await page.getByTestId('tile-lookup').click();
  await screen(page, 'service-lookup');
  await devices.idCard('mongol-batu');
  await screen(page, 'service-result');
  await expect(page.getByTestId('no-orders')).toHaveText(zh['service.lookup.none']);
  await expect(page.getByTestId('order')).toHaveCount(0);
  await shot(page, 'services/lookup-none');
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
});

test('replace: the tile’s guide says to scan the reissue code; the scan starts the pickup, which ends saying the old certificate is revoked', async ({
  page,
}) => {
  await page.getByTestId('tile-replace').click();
  await screen(page, 'guide-replace');
  const guide = page.getByTestId('guide-replace');
  await expect(page.locator('h1')).toHaveText(zh['guide.replace.title']);
  for (const key of [
    'guide.replace.lead',
    'guide.replace.step1',
    'guide.replace.step2',
    'guide.replace.step3',
  ] as const)
    await expect(guide).toContainText(zh[key]);
  await expect(page.getByTestId('pointer-hint')).toContainText(zh['scan.where']);
  await shot(page, 'services/replace-guide');

  // The scanner works from here: the reissue order's code starts the pickup journey.
  await devices.scan(REISSUE_CODE);
  await screen(page, 'order');
  await expect(page.getByTestId('order-summary')).toContainText(zh['business.reissue']);
  await expect(page.getByTestId('order-summary')).toContainText('ORD-2025-000456');
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
  await devices.idCard(MATCHING_CARD);
  await screen(page, 'token');
  await devices.token('insert');
  await screen(page, 'pin');
  await setPinTwice(page);
  await screen(page, 'done');
  await expect(page.getByTestId('old-revoked')).toHaveText(zh['done.reissue.oldRevoked']);
  await expect(page.getByTestId('old-revoked')).toBeInViewport({ ratio: 1 });
  await shot(page, 'services/replace-done');
  await devices.token('pull');
  await devices.idCard(null);
  await page.getByTestId('finish').click();
  // Home again, not back to the guide.
  await screen(page, 'attract');
});

test('replace: a guide left idle goes home for the next person, language and easy mode reset', async ({
  page,
}) => {
  test.setTimeout(60_000);
  await devices.reset({ idleWarningMs: 2000, idleWipeMs: 20_000, elderlyTimeoutFactor: 1 }, 80);
  await page.reload();
  await screen(page, 'attract');
  await page.getByTestId('lang-en').click();
  await page.getByTestId('elderly-toggle').click();
  await page.getByTestId('tile-replace').click();
  await screen(page, 'guide-replace');
  await expect(page.getByTestId('guide-replace')).toContainText(en['guide.replace.step1']);
  await expect(page.locator('html')).toHaveClass(/\belderly\b/);
  // The idle clock runs on the guide as on any screen someone is using: the countdown, then home.
  await expect(page.getByTestId('idle-warning')).toBeVisible({ timeout: 8000 });
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'attract', { timeout: 25_000 });
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.locator('html')).not.toHaveClass(/\belderly\b/);
  await expect(page.getByTestId('idle-warning')).toHaveCount(0);
});
