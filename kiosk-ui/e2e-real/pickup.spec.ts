// The whole pickup of a real order on the real appliance: central approves it, the kiosk verifies the signed
// code, reads 张伟's card, generates the key on a SoftHSM2 token, gets the certificate issued, sets the PIN,
// prints the receipt and reports the activation back to central.
import type { JourneyView } from '../../appliance/src/api/contract.ts';
import { readQr } from '../../appliance/src/testing/read-qr.ts';
import { keypadOrder, screen, shot, start, typeOnKeypad } from '../e2e/kiosk.ts';
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { HOLDER_CARD } from './central.ts';
import { expect, test } from './fixtures.ts';
import { recordScreens, screenLog } from './screen-log.ts';
import { PIN } from './steps.ts';

test('a real order collected in Chinese at 1080×1920, activated at central', async ({
  page,
  request,
  sim,
  central,
}) => {
  const { orderId } = await central.createApprovedOrder();
  const receiptsBefore = await sim.receiptCount();

  await recordScreens(page);
  await page.goto('/');
  await screen(page, 'attract');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(zh['attract.title']);
  await start(page);

  // The applicant holds their phone page's QR code to the scanner.
  const phonePageUrl = await central.phonePageUrl(orderId);
  await sim.scanPhonePage(phonePageUrl);

  await screen(page, 'order');
  const summary = page.getByTestId('order-summary');
  await expect(summary).toContainText(zh['certType.natural-person']);
  await expect(summary).toContainText('张*');
  await expect(summary).toContainText(orderId);
  await expect(summary).not.toContainText('张伟');
  await shot(page, 'real/03-order-zh');
  await page.getByTestId('confirm-order').click();

  await screen(page, 'id-card');
  await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'waiting');
  await sim.idCard(HOLDER_CARD);
  // The real engine asks for the key in the same step that matches the card: the key screen confirms the match.
  await screen(page, 'token');
  await expect(page.getByTestId('identity-matched')).toBeVisible();
  const { journey } = (await (await request.get('/api/state')).json()) as { journey: JourneyView };
  expect(journey.identity).toMatchObject({ state: 'matched', idNumberMasked: '4403**********1238' });
  // The card still lies on the real reader (emulator behind a PTY): the kiosk asks for it until it is lifted.
  await expect(page.getByTestId('alert-take-id-card')).toHaveText(zh['device.takeIdCard']);
  await sim.idCard(null);
  await expect(page.getByTestId('alert-take-id-card')).toBeHidden();
  await sim.token('insert');
  // Key generation on the token and issuance by central's CA: the progress screen names each step.
  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'pin', { timeout: 45_000 });
  const seen = await screenLog(page);
  expect(seen.screens).toEqual(['attract', 'scan', 'order', 'id-card', 'token', 'progress', 'pin']);
  expect(seen.progress.some((pair) => pair.endsWith('=running'))).toBe(true);
  expect(seen.progress).toContain('certificate-issued=done');
  // The applicant's phone page tells the truth: signed by central, not yet on the key.
  const phoneStatus = async () => {
    const html = await (await request.get(phonePageUrl)).text();
    return /class="status" data-status="([a-z-]+)">([^<]*)</.exec(html)?.slice(1);
  };
  expect(await phoneStatus()).toEqual(['issued', '已签发，待写入']);

  // The PIN twice, on a keypad whose layout is read from the screen each time.
  const first = await keypadOrder(page);
  expect([...first].sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  expect(first).not.toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']);
  await typeOnKeypad(page, PIN);
  await expect(page.getByTestId('pin-dots')).toHaveAttribute('data-count', String(PIN.length));
  await page.getByTestId('pin-submit').click();
  await expect(page.getByTestId('pin-screen')).toHaveAttribute('data-phase', 'second');
  expect(await keypadOrder(page)).not.toEqual(first);
  await typeOnKeypad(page, PIN);
  await page.getByTestId('pin-submit').click();

  await expect(page.locator('.kiosk')).toHaveAttribute('data-screen', 'done', { timeout: 30_000 });
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(zh['done.title']);
  await expect(page.getByTestId('receipt-state')).toHaveAttribute('data-state', 'printed');
  const serial = (await page.locator('.screen.done dd.mono').textContent())?.trim() ?? '';
  expect(serial).toMatch(/^[0-9a-f]{16,40}$/i);
  await shot(page, 'real/11-done-zh');

  expect(await sim.receiptCount()).toBeGreaterThanOrEqual(receiptsBefore + 1);
  // The kiosk's outbox reports the activation; central then knows the certificate on the key.
  await expect
    .poll(async () => (await central.order(orderId)).status, { timeout: 20_000, intervals: [250, 500, 1000] })
    .toBe('activated');
  expect((await central.order(orderId)).certificateSerial?.toLowerCase()).toBe(serial.toLowerCase());
  expect(await phoneStatus()).toEqual(['activated', '已领取']);
  // The paper's QR code, read off the printer emulator's rendering as a phone would, opens the order on central.
  const png = await request.get('/sim/receipts/latest.png');
  expect(png.ok()).toBe(true);
  const receiptUrl = await readQr(await png.body());
  expect(receiptUrl).toMatch(new RegExp(`/lookup/${orderId}/[A-Za-z0-9_-]{22}$`));
  const receiptPage = await request.get(receiptUrl!);
  expect(receiptPage.status()).toBe(200);
  expect(await receiptPage.text()).toContain('已领取');

  // The done screen asks for the key while it is in the writer, and finishing waits for it.
  await expect(page.getByTestId('take-key')).toContainText(zh['done.keyStillIn']);
  await expect(page.getByTestId('finish')).toBeDisabled();
  await sim.token('pull');
  await expect(page.getByTestId('key-taken')).toBeVisible({ timeout: 10_000 });
  await page.getByTestId('finish').click();
  await screen(page, 'attract');
});
