// "Call staff" from any applicant screen (the header), staff handling the call on the maintenance screen, and the
// reference number an error shows, which staff look up.
import { expect, type Page, test } from '@playwright/test';
import type { JourneyView } from '../../appliance/src/api/contract.ts';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import {
  DEMO_CODE,
  Devices,
  openMaintenance,
  screen,
  shot,
  staffToken,
  start,
  throughToProgress,
} from './kiosk.ts';

const journeyOf = async (page: Page): Promise<JourneyView> =>
  ((await (await page.request.get('/api/state')).json()) as { journey: JourneyView }).journey;

test('the applicant calls staff on the order screen: told in Chinese, the journey unchanged; staff see the call and mark it done', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');
  await start(page);
  await devices.scan(DEMO_CODE);
  await screen(page, 'order');
  const before = await journeyOf(page);
  expect(before.ref).toMatch(/^K[0-9A-F]{6}$/);

  await page.getByTestId('call-staff').click();
  const dialog = page.getByTestId('help-dialog');
  await expect(dialog).toContainText(zh['help.called']);
  await expect(page.getByTestId('help-ref')).toHaveText(zh['ref.label'].replace('{ref}', before.ref));
  const call = await dialog.getAttribute('data-call');
  expect(call).toMatch(/^H[0-9A-F]{6}$/);
  await shot(page, 'call-staff-order-zh');
  // Pressed again: the same call, nothing more raised.
  await page.getByTestId('call-staff').click();
  await expect(dialog).toHaveAttribute('data-call', call!);
  expect(await devices.callsTo('POST', '/api/help')).toHaveLength(2);
  await page.getByTestId('help-ok').click();
  await expect(dialog).toHaveCount(0);

  // The journey is where it was: same revision, same step, still the order screen.
  await screen(page, 'order');
  const after = await journeyOf(page);
  expect(after).toMatchObject({
    id: before.id,
    revision: before.revision,
    need: 'confirm-order',
    status: 'active',
  });
  expect((await devices.calls()).filter((c) => c.path.startsWith('/api/journeys'))).toHaveLength(1);

  // Staff sign in: the call is first on the maintenance screen, with the journey's reference number.
  await openMaintenance(page);
  const calls = page.locator('[data-testid="staff-calls"] li');
  await expect(calls).toHaveCount(1);
  await expect(calls).toHaveAttribute('data-id', call!);
  await expect(calls).toHaveAttribute('data-ref', before.ref);
  await expect(calls).toContainText(before.ref);
  const top = await page.getByTestId('staff-calls').boundingBox();
  const devicesPanel = await page.getByTestId('staff-devices').boundingBox();
  expect(top!.y).toBeLessThan(devicesPanel!.y);
  await shot(page, 'call-staff-maintenance');
  await calls.getByTestId('staff-call-ack').click();
  await expect(page.getByTestId('staff-calls')).toHaveCount(0);
  await expect(page.getByTestId('staff-result')).toHaveText(
    zh['staff.result.callAck'].replace('{ref}', before.ref),
  );
  const token = await staffToken(request);
  const overview = (await (
    await request.get('/api/staff/overview', { headers: { authorization: `Bearer ${token}` } })
  ).json()) as { staffCalls: unknown[] };
  expect(overview.staffCalls).toEqual([]);

  // Back to the applicant, who carries on.
  await page.getByTestId('staff-close').click();
  await screen(page, 'order');
  await page.getByTestId('confirm-order').click();
  await screen(page, 'id-card');
});

test('an error shows its reference number, which staff look up on the maintenance screen', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  await devices.reset();
  await page.goto('/');

  // A refused action: the notice carries the reference number too.
  await start(page);
  await devices.scan('CK1-FORGED');
  const notice = page.getByTestId('error-notice');
  await expect(notice).toHaveAttribute('data-code', 'PICKUP_CODE_FORGED');
  const scanning = await journeyOf(page);
  await expect(page.getByTestId('notice-ref')).toHaveText(zh['ref.label'].replace('{ref}', scanning.ref));
  await page.getByTestId('notice-ok').click();
  await page.getByTestId('cancel').click();
  await page.getByTestId('cancel-yes').click();
  await screen(page, 'attract');

  // An ended journey: the error screen says why, and its reference number.
  await devices.central('refuse', { code: 'CENTRAL_REFUSED', action: 'call-staff' });
  await throughToProgress(page, devices);
  await screen(page, 'error');
  const failed = await journeyOf(page);
  const ref = page.getByTestId('error-ref');
  await expect(ref).toHaveText(zh['ref.label'].replace('{ref}', failed.ref));
  await expect(ref).toHaveAttribute('data-ref', failed.ref);
  await shot(page, 'error-reference-zh');
  await page.getByTestId('lang-en').click();
  await expect(ref).toHaveText(en['ref.label'].replace('{ref}', failed.ref));
  await page.getByTestId('lang-zh-CN').click();

  // Staff type it on the pad of the maintenance screen.
  await openMaintenance(page);
  const lookup = page.getByTestId('staff-lookup');
  for (const ch of failed.ref) await lookup.locator(`[data-char="${ch}"]`).click();
  await expect(page.getByTestId('staff-lookup-ref')).toHaveValue(failed.ref);
  await page.getByTestId('staff-lookup-submit').click();
  const result = page.getByTestId('staff-lookup-result');
  await expect(result).toHaveAttribute('data-ref', failed.ref);
  await expect(result).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('staff-lookup-code')).toHaveAttribute('data-code', 'CENTRAL_REFUSED');
  await expect(result).toContainText(zh['error.CENTRAL_REFUSED']);
  await expect(result).toContainText('ORD-2025-000123');
  await expect(result).toContainText('张*');
  await expect(result).not.toContainText('4403');
  await result.scrollIntoViewIfNeeded();
  await shot(page, 'staff-lookup-found');

  // Typed loosely on a keyboard: lower case, without the K.
  await page.getByTestId('staff-lookup-ref').fill(failed.ref.slice(1).toLowerCase());
  await page.getByTestId('staff-lookup-submit').click();
  await expect(result).toHaveAttribute('data-ref', failed.ref);

  // A reference this kiosk never showed.
  const unknown = failed.ref === 'K000000' ? 'K111111' : 'K000000';
  await page.getByTestId('staff-lookup-ref').fill(unknown);
  await page.getByTestId('staff-lookup-submit').click();
  await expect(page.getByTestId('staff-lookup-error')).toHaveAttribute('data-code', 'JOURNEY_REF_UNKNOWN');
  await expect(page.getByTestId('staff-lookup-error')).toHaveText(zh['error.JOURNEY_REF_UNKNOWN']);
  await expect(result).toHaveCount(0);
});

test('the header with Call staff fits portrait and landscape, in Chinese and English, normal and easy mode', async ({
  page,
  request,
}) => {
  const devices = new Devices(request);
  for (const easy of [false, true]) {
    await devices.reset();
    await page.setViewportSize({ width: 1080, height: 1920 });
    await page.goto('/');
    await screen(page, 'attract');
    if (easy) await page.getByTestId('elderly-toggle').click();
    await start(page);
    await devices.scan(DEMO_CODE);
    await screen(page, 'order');
    // The busiest header: voice, both languages, Call staff and Cancel.
    await expect(page.getByTestId('cancel')).toBeVisible();
    for (const view of [
      { name: 'portrait', width: 1080, height: 1920 },
      { name: 'landscape', width: 1920, height: 1080 },
    ]) {
      await page.setViewportSize(view);
      for (const lang of ['zh-CN', 'en'] as const) {
        await page.getByTestId(`lang-${lang}`).click();
        await expect(page.getByTestId('call-staff')).toHaveText(
          lang === 'en' ? en['help.call'] : zh['help.call'],
        );
        const where = `${view.name} ${lang}${easy ? ' easy' : ''}`;
        const boxes = await page.locator('.topbar button:visible').evaluateAll((buttons) =>
          buttons.map((b) => {
            const r = b.getBoundingClientRect();
            return {
              id: (b as HTMLElement).dataset['testid'] ?? b.textContent?.trim() ?? '',
              left: r.left,
              right: r.right,
              width: r.width,
              height: r.height,
              clipped: b.scrollWidth > b.clientWidth + 1,
            };
          }),
        );
        expect(
          boxes.map((b) => b.id),
          where,
        ).toEqual(expect.arrayContaining(['voice-open', 'lang-zh-CN', 'lang-en', 'call-staff', 'cancel']));
        const width = view.width;
        for (const b of boxes) {
          expect(b.left, `${where}: ${b.id}`).toBeGreaterThanOrEqual(0);
          expect(b.right, `${where}: ${b.id}`).toBeLessThanOrEqual(width);
          expect(b.clipped, `${where}: ${b.id} shows its whole label`).toBe(false);
          expect(Math.min(b.width, b.height), `${where}: ${b.id} is a 64 px target`).toBeGreaterThanOrEqual(
            64,
          );
        }
        const header = await page.locator('.topbar').boundingBox();
        expect(header!.width, where).toBeLessThanOrEqual(width);
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(
          true,
        );
        await shot(page, `header-${view.name}-${lang}${easy ? '-easy' : ''}`);
      }
    }
    await page.getByTestId('lang-zh-CN').click();
  }
});
