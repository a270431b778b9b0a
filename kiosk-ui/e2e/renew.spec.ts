// 续期 renew at the kiosk (service-contract.ts): the holder's key, the paid renewal order it finds, the holder's ID
// card, the key's current PIN typed once, the machine's steps (new key pair beside the old, issued, written,
// tested, the old one removed and revoked or left to expire), the result. In Chinese on a portrait 1080×1920
// screen, driven through the sim routes of the fake appliance (its held key 'renewal' has a paid renewal order).
import { expect, type Page, test } from '@playwright/test';
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import {
  Devices,
  keypadOrder,
  MATCHING_CARD,
  RENEWAL_KEY_PIN,
  renewalThroughCard,
  screen,
  shot,
  typeOnKeypad,
  WRONG_KEY_PIN,
} from './kiosk.ts';

/** The new certificate the fake's renewal writes. */
const NEW_SERIAL = '00d7e1a5c3b90412ef6a8b2c4d5e6f7081';
const WORK_STEPS = [
  'key-generated',
  'certificate-issued',
  'certificate-written',
  'verified',
  'old-removed',
  'old-revoked',
] as const;

let devices: Devices;

test.beforeEach(async ({ page, request }) => {
  devices = new Devices(request);
  await devices.reset({}, 80);
  await page.goto('/');
  await screen(page, 'attract');
});

async function typeCurrentPin(page: Page, pin: string): Promise<void> {
  await typeOnKeypad(page, pin);
  await page.getByTestId('current-pin-submit').click();
}

/** Take the key and the card, finish, and be back home with nothing of the renewal left on the page. */
async function takeKeyAndFinish(page: Page): Promise<void> {
  await expect(page.getByTestId('take-key')).toHaveText(zh['done.keyStillIn']);
  await expect(page.getByTestId('finish')).toBeDisabled();
  await devices.token('pull');
  await devices.idCard(null);
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
  await expect(page.locator('body')).not.toContainText('ORD-2025-****77');
  await expect(page.locator('body')).not.toContainText(NEW_SERIAL);
}

test('renew: the key finds its paid order, the holder’s card and the current PIN renew it step by step', async ({
  page,
}) => {
  expect(page.viewportSize()).toEqual({ width: 1080, height: 1920 });
  await devices.keyCertificate({ pinMs: 1500 });
  await expect(page.getByTestId('tile-renew')).toHaveJSProperty('tagName', 'BUTTON');
  await expect(page.getByTestId('tile-renew')).toContainText(zh['home.note.renew']);
  await page.getByTestId('tile-renew').click();
  await screen(page, 'service-token');
  await expect(page.getByTestId('service-token')).toHaveAttribute('data-kind', 'renew');
  await expect(page.getByTestId('service-token')).toContainText(zh['service.name.renew']);
  await expect(page.getByTestId('service-token')).toContainText(zh['service.token.lead.renew']);
  await shot(page, 'services/renew-token');

  await devices.token('insert', 'renewal');
  await screen(page, 'service-id-card');
  await expect(page.getByTestId('service-id-card')).toContainText(zh['service.id.lead.renew']);
  const order = page.getByTestId('renewal-order');
  await expect(order).toContainText('ORD-2025-****77');
  await expect(order).toContainText(zh['certType.natural-person']);
  await expect(order).toContainText(zh['service.renew.rule.revoke-previous']);
  await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'waiting');
  await shot(page, 'services/renew-id-card');

  // Another person's card is said, and the holder's own is then taken.
  await devices.idCard('mongol-batu');
  await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'mismatched');
  await expect(page.getByTestId('id-reason')).toHaveText(zh['error.ID_MISMATCH_PERSON']);
  await devices.idCard(null);
  await devices.idCard(MATCHING_CARD);
  await screen(page, 'service-current-pin');
  await expect(page.locator('h1')).toHaveText(zh['service.currentPin.title']);
  await expect(page.getByTestId('current-pin-warning')).toHaveCount(0);
  await expect(page.getByTestId('current-pin-forgot')).toHaveText(zh['service.currentPin.forgot']);
  // Typed once: no second entry, no rules for a new PIN; the button waits for a PIN's length.
  await expect(page.getByTestId('pin-rules')).toHaveCount(0);
  await expect(page.getByTestId('current-pin-submit')).toBeDisabled();
  await typeOnKeypad(page, RENEWAL_KEY_PIN.slice(0, 3));
  await expect(page.getByTestId('pin-dots')).toHaveAttribute('data-count', '3');
  await expect(page.getByTestId('current-pin-submit')).toBeDisabled();
  await shot(page, 'services/renew-current-pin');
  await page.getByTestId('key-clear').click();
  await typeCurrentPin(page, RENEWAL_KEY_PIN);

  // The machine's part, its steps in the contract's order; nobody may leave while the key is being changed.
  await screen(page, 'service-wait');
  const steps = page.getByTestId('steps').locator('[data-step]');
  expect(await steps.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['step']))).toEqual([
    ...WORK_STEPS,
  ]);
  for (const step of WORK_STEPS)
    await expect(page.locator(`[data-step="${step}"] .step-name`)).toHaveText(
      zh[`service.renew.step.${step}`],
    );
  await expect(page.locator('[data-step="key-generated"]')).toHaveAttribute('data-state', 'running');
  await expect(page.locator('[data-step="old-revoked"]')).toHaveAttribute('data-state', 'pending');
  await expect(page.getByTestId('service-wait')).toContainText(zh['service.renew.wait.lead']);
  await expect(page.getByTestId('cancel')).toHaveCount(0);
  await shot(page, 'services/renew-progress');

  await screen(page, 'service-result');
  await expect(page.locator('h1')).toHaveText(zh['service.result.title.renew']);
  await expect(page.getByTestId('service-result')).toContainText(zh['service.result.lead.renew']);
  const cert = page.getByTestId('new-certificate');
  await expect(cert).toContainText(NEW_SERIAL);
  const today = new Date().toISOString().slice(0, 10);
  await expect(cert).toContainText(today);
  await expect(page.getByTestId('old-certificate')).toHaveAttribute('data-fate', 'revoked');
  await expect(page.getByTestId('old-certificate')).toHaveText(
    zh['service.renew.old.revoked'].replace('{date}', today),
  );
  await expect(page.getByTestId('old-removed')).toHaveText(zh['service.renew.old.removed']);
  await shot(page, 'services/renew-result');

  // The current PIN went to the appliance once, and is never logged.
  const pins = await devices.callsTo('POST', '/api/services/current/pin');
  expect(pins).toHaveLength(1);
  expect(pins[0]!.body, 'a PIN is never logged').toBeUndefined();
  expect(await devices.callsTo('POST', '/api/services')).toEqual([
    expect.objectContaining({ body: { kind: 'renew' } }),
  ]);
  await takeKeyAndFinish(page);

  // Its renewal order is used up: the same key cannot be renewed again.
  await page.getByTestId('tile-renew').click();
  await devices.token('insert', 'renewal');
  await screen(page, 'service-error');
  await expect(page.getByTestId('error-what')).toHaveText(zh['error.RENEWAL_ORDER_NOT_FOUND']);
});

test('renew: a wrong current PIN says tries are few and asks again; the right one renews', async ({
  page,
}) => {
  await renewalThroughCard(page, devices, 'service-current-pin');
  const before = await keypadOrder(page);
  await typeCurrentPin(page, WRONG_KEY_PIN);
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'CURRENT_PIN_WRONG');
  await expect(page.getByTestId('error-notice')).toContainText(zh['error.CURRENT_PIN_WRONG']);
  await page.getByTestId('notice-ok').click();
  await screen(page, 'service-current-pin');
  await expect(page.getByTestId('current-pin-warning')).toHaveAttribute('data-warning', 'wrong');
  await expect(page.getByTestId('current-pin-warning')).toHaveText(zh['service.currentPin.wrong']);
  // Nothing typed is kept, and the digits moved for the next try.
  await expect(page.getByTestId('pin-dots')).toHaveAttribute('data-count', '0');
  expect(await keypadOrder(page)).not.toEqual(before);
  await shot(page, 'services/renew-current-pin-wrong');

  await typeCurrentPin(page, RENEWAL_KEY_PIN);
  await screen(page, 'service-result');
  await expect(page.locator('h1')).toHaveText(zh['service.result.title.renew']);
  expect(await devices.callsTo('POST', '/api/services/current/pin')).toHaveLength(2);
  await takeKeyAndFinish(page);
});

test('renew: the key remembers a wrong PIN from before; the third wrong one locks it (unlock first)', async ({
  page,
}) => {
  await renewalThroughCard(page, devices, 'service-current-pin');
  await typeCurrentPin(page, WRONG_KEY_PIN);
  await page.getByTestId('notice-ok').click();
  await page.getByTestId('cancel').click();
  await page.getByTestId('cancel-yes').click();
  await screen(page, 'attract');
  await devices.token('pull');
  await devices.idCard(null);

  // A new renewal: the key says a wrong PIN was typed before, so the screen warns before anything is typed.
  await renewalThroughCard(page, devices, 'service-current-pin');
  await expect(page.getByTestId('current-pin-warning')).toHaveAttribute('data-warning', 'tries-low');
  await expect(page.getByTestId('current-pin-warning')).toHaveText(zh['service.currentPin.triesLow']);
  await typeCurrentPin(page, WRONG_KEY_PIN);
  await page.getByTestId('notice-ok').click();
  await typeCurrentPin(page, WRONG_KEY_PIN);
  await screen(page, 'service-error');
  await expect(page.getByTestId('error-what')).toHaveText(zh['error.CURRENT_PIN_LOCKED']);
  await expect(page.getByTestId('error-ref')).toContainText(/K[0-9A-Z]+/);
  await shot(page, 'services/renew-pin-locked');
  await page.getByTestId('end').click();
  await screen(page, 'attract');
});

for (const c of [
  { name: 'a key without a paid renewal order', key: 'holder', code: 'RENEWAL_ORDER_NOT_FOUND' },
  { name: 'an expired certificate', key: 'renewal', daysLeft: -3, code: 'CERTIFICATE_EXPIRED' },
  { name: 'a revoked certificate', key: 'renewal', revoked: true, code: 'CERTIFICATE_REVOKED' },
] as const) {
  test(`renew: ${c.name} is told what to do instead`, async ({ page }) => {
    await devices.keyCertificate({
      ...('daysLeft' in c ? { daysLeft: c.daysLeft } : {}),
      ...('revoked' in c ? { revoked: true } : {}),
    });
    await page.getByTestId('tile-renew').click();
    await screen(page, 'service-token');
    await devices.token('insert', c.key);
    await screen(page, 'service-error');
    await expect(page.getByTestId('error-screen')).toHaveAttribute('data-code', c.code);
    await expect(page.getByTestId('error-what')).toHaveText(zh[`error.${c.code}`]);
    await expect(page.getByTestId('error-ref')).toBeVisible();
    await shot(page, `services/renew-${c.code.toLowerCase()}`);
    // Nothing was asked of the holder: no card, no PIN.
    expect(await devices.callsTo('POST', '/api/services/current/pin')).toHaveLength(0);
    await page.getByTestId('end').click();
    await screen(page, 'attract');
  });
}

test('renew under a profile that lets the old certificate expire: it is not revoked, and the screen says so', async ({
  page,
}) => {
  await devices.keyCertificate({ renewalRule: 'let-expire', pinMs: 1500 });
  await page.getByTestId('tile-renew').click();
  await devices.token('insert', 'renewal');
  await screen(page, 'service-id-card');
  await expect(page.getByTestId('renewal-order')).toContainText(zh['service.renew.rule.let-expire']);
  await devices.idCard(MATCHING_CARD);
  await screen(page, 'service-current-pin');
  await typeCurrentPin(page, RENEWAL_KEY_PIN);
  await screen(page, 'service-wait');
  await expect(page.locator('[data-step="old-revoked"] .step-name')).toHaveText(
    zh['service.renew.step.old-revoked.let-expire'],
  );
  await screen(page, 'service-result');
  await expect(page.getByTestId('old-certificate')).toHaveAttribute('data-fate', 'expires');
  await expect(page.getByTestId('old-certificate')).toHaveText(zh['service.renew.old.expires']);
  await takeKeyAndFinish(page);
});
