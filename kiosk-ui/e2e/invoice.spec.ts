// The done screen's invoice (开发票) on the fake appliance: the holder of an organisation's order asks for an
// invoice on the on-screen keyboard. A mistyped credit code is refused by the kiosk with its own message and
// nothing reaches central (the fake's central log); the right one is submitted ("已提交，开具后发送至邮箱"); a
// person's invoice replaces it; once finance issues it, the screen shows its PDF link as a QR code a phone reads.
import { type APIRequestContext, expect, type Page, test } from '@playwright/test';
import { readQr } from '../../appliance/src/testing/read-qr.ts';
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import {
  bodyText,
  DEMO_CODE,
  Devices,
  MATCHING_CARD,
  PIN,
  RENEWAL_KEY_PIN,
  screen,
  shot,
  throughToPin,
  typeOnKeypad,
} from './kiosk.ts';

/** The demo order is an organisation's: its name comes with it. */
const ORGANISATION = '深圳市示例科技有限公司';
const CREDIT_CODE = '91440300708461136T';
const WRONG_CODE = '91440300708461136X';
const ORG_EMAIL = 'finance@example.cn';
const PERSON_EMAIL = 'zw2026@qq.com';

interface CentralLog {
  central: Array<{
    orderId: string;
    body: { titleType: string; title: string; taxId?: string; email: string };
  }>;
  invoice: { state: string; url?: string };
  serviceInvoices: Record<string, { state: string; number?: string; url?: string; link?: string }>;
  slips: Array<{ orderId: string; state: string; invoice: { state: string; number?: string } }>;
}

/** Type on the on-screen keyboard: digits on the keypad, anything else on the letter keys (a mail domain whole). */
async function typeOnKeyboard(page: Page, keys: string[]): Promise<void> {
  for (const k of keys) {
    if (/^[0-9]$/.test(k)) await page.locator(`[data-testid="keypad"] [data-digit="${k}"]`).click();
    else await page.locator(`[data-testid="keyboard-letters"] [data-letter="${k}"]`).click();
  }
}

const chars = (s: string) => [...s];

async function toDoneScreen(page: Page, devices: Devices): Promise<void> {
  await throughToPin(page, devices);
  for (let i = 0; i < 2; i++) {
    await typeOnKeypad(page, PIN);
    await page.getByTestId('pin-submit').click();
  }
  await screen(page, 'done');
}

test('an organisation’s invoice: a wrong credit code refused before central, the right one, a person’s, issued → QR', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  const centralLog = async (): Promise<CentralLog> => (await request.get('/__test/invoice')).json();
  await devices.reset({}, 60);
  await page.goto('/');
  await toDoneScreen(page, devices);

  await page.getByTestId('invoice-open').click();
  await screen(page, 'invoice');
  await expect(page.getByTestId('invoice-screen')).toHaveAttribute('data-phase', 'form');
  // The order is an organisation's: its name is filled in, the keyboard is on the credit code.
  await expect(page.getByTestId('invoice-title-organisation')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('invoice-name')).toHaveText(ORGANISATION);
  await expect(page.getByTestId('invoice-field-code')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('invoice-submit')).toBeDisabled();

  // A credit code with a wrong check character, and the address (letters, @, a domain key).
  await typeOnKeyboard(page, chars(WRONG_CODE));
  await expect(page.getByTestId('invoice-code')).toHaveAttribute('data-value', WRONG_CODE);
  await expect(page.getByTestId('invoice-code-count')).toHaveText('18/18');
  // The keyboard stops at 18 characters.
  await typeOnKeyboard(page, ['7']);
  await expect(page.getByTestId('invoice-code')).toHaveAttribute('data-value', WRONG_CODE);
  await page.getByTestId('invoice-field-email').click();
  await typeOnKeyboard(page, [...chars('finance'), '@', ...chars('example'), '.cn']);
  await expect(page.getByTestId('invoice-email')).toHaveText(ORG_EMAIL);
  await shot(page, 'invoice-form');
  await page.getByTestId('invoice-submit').click();

  // The kiosk says which check failed and puts the keyboard back on the code; central was not asked.
  const error = page.getByTestId('invoice-error');
  await expect(error).toHaveAttribute('data-code', 'USCC_CHECK_MISMATCH');
  await expect(error).toHaveText(zh['error.USCC_CHECK_MISMATCH']);
  await expect(page.getByTestId('invoice-field-code')).toHaveClass(/\bbad\b/);
  await expect(page.getByTestId('invoice-field-code')).toHaveAttribute('aria-pressed', 'true');
  await shot(page, 'invoice-wrong-code');
  const asked = await devices.callsTo('POST', '/api/journeys/current/invoice-request');
  expect(asked.map((c) => (c.body as { creditCode?: string }).creditCode)).toEqual([WRONG_CODE]);
  expect((await centralLog()).central).toEqual([]);

  // The right code: submitted; central records the organisation's request.
  await page.getByTestId('key-clear').click();
  await typeOnKeyboard(page, chars(CREDIT_CODE));
  await page.getByTestId('invoice-submit').click();
  await expect(page.getByTestId('invoice-screen')).toHaveAttribute('data-phase', 'requested');
  await expect(page.getByTestId('invoice-submitted')).toHaveText('已提交，开具后发送至邮箱');
  await expect(page.getByTestId('invoice-made-out')).toHaveText(ORGANISATION);
  await shot(page, 'invoice-submitted');
  expect((await centralLog()).central).toEqual([
    {
      orderId: 'ORD-2025-000123',
      body: { titleType: 'organisation', title: ORGANISATION, taxId: CREDIT_CODE, email: ORG_EMAIL },
    },
  ]);

  // Changed to a person's invoice (个人): only the address, here with the QQ mail key.
  await page.getByTestId('invoice-change').click();
  await expect(page.getByTestId('invoice-screen')).toHaveAttribute('data-phase', 'form');
  await page.getByTestId('invoice-title-person').click();
  await expect(page.getByTestId('invoice-field-code')).toHaveCount(0);
  await expect(page.getByTestId('invoice-person-note')).toBeVisible();
  await page.getByTestId('key-clear').click();
  await typeOnKeyboard(page, [...chars('zw2026'), '@qq.com']);
  await expect(page.getByTestId('invoice-email')).toHaveText(PERSON_EMAIL);
  await page.getByTestId('invoice-submit').click();
  await expect(page.getByTestId('invoice-submitted')).toBeVisible();
  await expect(page.getByTestId('invoice-made-out')).toHaveText(zh['invoice.personTitle']);
  expect((await centralLog()).central.at(-1)).toEqual({
    orderId: 'ORD-2025-000123',
    body: { titleType: 'person', title: '个人', email: PERSON_EMAIL },
  });

  // Finance issues it: the screen (asking now and then) shows the number and the link as a QR code.
  expect((await request.post('/__test/invoice', { data: {} })).status()).toBe(204);
  const issued = (await centralLog()).invoice;
  await expect(page.getByTestId('invoice-screen')).toHaveAttribute('data-phase', 'issued', {
    timeout: 10_000,
  });
  await expect(page.getByTestId('invoice-amount')).toHaveText('¥200.00');
  const qr = page.getByTestId('invoice-qr');
  await expect(qr).toHaveAttribute('data-url', issued.url!);
  await shot(page, 'invoice-issued');
  expect(await readQr(await qr.screenshot())).toBe(issued.url);

  // Back to the done screen, then finish: nothing typed is left on the page.
  await page.getByTestId('invoice-back').click();
  await screen(page, 'done');
  await expect(page.getByTestId('invoice-open')).toHaveText(zh['done.invoice.view']);
  await devices.token('pull');
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
  const html = await bodyText(page);
  for (const typed of [PERSON_EMAIL, ORG_EMAIL, CREDIT_CODE, issued.url!]) expect(html).not.toContain(typed);
});

test('the invoice screen follows its journey: an idle wipe or a new journey does not bring it back', async ({
  page,
  request,
}) => {
  test.setTimeout(60_000);
  const devices = new Devices(request);
  await devices.reset({ idleWarningMs: 1500, idleWipeMs: 20_000 }, 60);
  await page.goto('/');
  await toDoneScreen(page, devices);
  await devices.token('pull');
  await page.getByTestId('invoice-open').click();
  await screen(page, 'invoice');
  await page.getByTestId('invoice-title-person').click();
  await typeOnKeyboard(page, chars('abc'));
  // The holder walks away: the countdown, then the wipe.
  await expect(page.getByTestId('idle-warning')).toBeVisible({ timeout: 10_000 });
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'attract', { timeout: 25_000 });
  expect(await bodyText(page)).not.toContain('data-testid="invoice-email"');
  await toDoneScreen(page, devices);
  await expect(page.getByTestId('invoice-open')).toHaveText(zh['done.invoice.request']);
});

/** A fresh fake kiosk on its home screen (machine steps of `stepMs`), and what its central was asked. */
async function home(page: Page, request: APIRequestContext, stepMs: number) {
  const devices = new Devices(request);
  await devices.reset({}, stepMs);
  await page.goto('/');
  const centralLog = async (): Promise<CentralLog> => (await request.get('/__test/invoice')).json();
  return { devices, centralLog };
}

/** A person's invoice typed and submitted on the invoice screen (只填邮箱). */
async function requestPersonInvoice(page: Page, user: string): Promise<void> {
  await screen(page, 'invoice');
  await expect(page.getByTestId('invoice-screen')).toHaveAttribute('data-phase', 'form');
  await page.getByTestId('invoice-title-person').click();
  await page.getByTestId('key-clear').click();
  await typeOnKeyboard(page, [...chars(user), '@qq.com']);
  await page.getByTestId('invoice-submit').click();
  await expect(page.getByTestId('invoice-screen')).toHaveAttribute('data-phase', 'requested');
}

test('after a renewal: 申请发票 on its result screen, the slip printed, once issued the QR code', async ({
  page,
  request,
}) => {
  const { devices, centralLog } = await home(page, request, 80);
  await page.getByTestId('tile-renew').click();
  await screen(page, 'service-token');
  await devices.token('insert', 'renewal');
  await screen(page, 'service-id-card');
  await devices.idCard(MATCHING_CARD);
  await screen(page, 'service-current-pin');
  await typeOnKeypad(page, RENEWAL_KEY_PIN);
  await page.getByTestId('current-pin-submit').click();
  await screen(page, 'service-result');
  await expect(page.getByTestId('service-result')).toHaveAttribute('data-kind', 'renew', { timeout: 15_000 });
  await expect(page.getByTestId('invoice-open')).toHaveText(zh['service.invoice.request']);
  await shot(page, 'services/renew-result-invoice');

  await page.getByTestId('invoice-open').click();
  await requestPersonInvoice(page, 'renew2026');
  expect((await centralLog()).central.at(-1)).toEqual({
    orderId: 'ORD-2025-****77',
    body: { titleType: 'person', title: '个人', email: 'renew2026@qq.com' },
  });
  // The slip: printed through the receipt printer; the screen says so.
  await page.getByTestId('invoice-slip-print').click();
  await expect(page.getByTestId('invoice-slip-state')).toHaveAttribute('data-state', 'printed');
  await expect(page.getByTestId('invoice-slip-state')).toHaveText(zh['invoice.slip.printed']);
  await shot(page, 'invoice-slip-printed');
  expect((await centralLog()).slips).toEqual([
    {
      orderId: 'ORD-2025-****77',
      state: 'printed',
      invoice: expect.objectContaining({ state: 'requested' }),
    },
  ]);

  // Finance issues it: the screen asks again and shows the number and the QR code a phone reads.
  expect((await request.post('/__test/invoice', { data: {} })).status()).toBe(204);
  const issued = Object.values((await centralLog()).serviceInvoices)[0]!;
  await expect(page.getByTestId('invoice-screen')).toHaveAttribute('data-phase', 'issued', {
    timeout: 10_000,
  });
  await expect(page.getByTestId('invoice-number')).toHaveText(issued.number!);
  expect(await readQr(await page.getByTestId('invoice-qr').screenshot())).toBe(issued.url);
  // Out of paper: the slip waits for staff, and the holder is told.
  await devices.printer('out');
  await page.getByTestId('invoice-slip-print').click();
  await expect(page.getByTestId('invoice-slip-state')).toHaveAttribute('data-state', 'queued-for-reprint');
  expect((await centralLog()).slips.at(-1)).toMatchObject({
    state: 'queued-for-reprint',
    invoice: { state: 'issued', number: issued.number },
  });
  await devices.printer('ok');

  await page.getByTestId('invoice-back').click();
  await screen(page, 'service-result');
  await devices.token('pull');
  await devices.idCard(null);
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
  expect(await bodyText(page)).not.toContain('renew2026@qq.com');
});

test('from a look-up: a collected order offers 申请发票, the others do not; the list then says it was asked', async ({
  page,
  request,
}) => {
  const { devices, centralLog } = await home(page, request, 60);
  await page.getByTestId('tile-lookup').click();
  await screen(page, 'service-lookup');
  await devices.scan(DEMO_CODE);
  await screen(page, 'service-result');
  const collected = page.locator('[data-testid="order"][data-status="activated"]');
  await expect(collected.getByTestId('order-invoice')).toHaveText(zh['service.invoice.request']);
  await expect(collected.getByTestId('order-invoice')).toHaveAttribute('data-invoice', 'none');
  // A rejected order and one awaiting a transfer are not paid and collected: no invoice offered.
  await expect(page.getByTestId('order-invoice')).toHaveCount(1);
  await shot(page, 'services/lookup-invoice');

  await collected.getByTestId('order-invoice').click();
  await requestPersonInvoice(page, 'look2026');
  expect((await centralLog()).central.at(-1)).toEqual({
    orderId: 'ORD-2024-****88',
    body: { titleType: 'person', title: '个人', email: 'look2026@qq.com' },
  });
  await page.getByTestId('invoice-back').click();
  await screen(page, 'service-result');
  await expect(collected.getByTestId('order-invoice')).toHaveAttribute('data-invoice', 'requested');
  await expect(collected.getByTestId('order-invoice')).toHaveText(zh['service.invoice.requested']);

  // Issued at central: the list says so, and the invoice screen shows its QR code.
  expect((await request.post('/__test/invoice', { data: {} })).status()).toBe(204);
  await collected.getByTestId('order-invoice').click();
  await expect(page.getByTestId('invoice-screen')).toHaveAttribute('data-phase', 'issued', {
    timeout: 10_000,
  });
  const issued = Object.values((await centralLog()).serviceInvoices)[0]!;
  expect(await readQr(await page.getByTestId('invoice-qr').screenshot())).toBe(issued.url);
  await page.getByTestId('invoice-back').click();
  await expect(collected.getByTestId('order-invoice')).toHaveAttribute('data-invoice', 'issued');

  // Asking through the route for an order the list does not offer: refused, nothing reaches central.
  const before = (await centralLog()).central.length;
  const refused = await request.post('/api/services/current/orders/0/invoice-request', {
    data: { title: 'person', email: 'x@qq.com' },
  });
  expect(refused.status()).toBe(409);
  expect((await refused.json()).code).toBe('INVOICE_NOT_AVAILABLE');
  expect((await request.get('/api/services/current/orders/7/invoice')).status()).toBe(404);
  expect((await centralLog()).central).toHaveLength(before);
});
