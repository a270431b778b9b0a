// The defects found by hand in the hall, each played on the real appliance and central: tries left per order
// (not per scan), a repeated mistake told again, no cancel once issued, and "call staff" reaching the
// maintenance screen with the journey's reference number.
import type { Page } from '@playwright/test';
import type { JourneyView } from '../../appliance/src/api/contract.ts';
import { DEFAULT_DEDUPE_WINDOW_MS } from '../../firmware-bridge/src/scanner/dedupe.ts';
import { openMaintenance, screen, shot, start } from '../e2e/kiosk.ts';
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import { HOLDER_CARD } from './central.ts';
import { expect, test } from './fixtures.ts';
import { cancelJourney, newPickupToPin, scanToIdCard } from './steps.ts';

/** A real card of somebody else (王淑芬): a wrong person for every order here. */
const OTHER_PERSON_CARD = 'long-term-wang-shufen';
const attemptsText = (n: number) => zh['id.attemptsLeft'].replace('{n}', String(n));
/** A person holds the phone up again a moment later: past the scanner's window for one code read many times. */
const presentAgainLater = (page: Page) => page.waitForTimeout(DEFAULT_DEDUPE_WINDOW_MS + 200);

test('a wrong card shows the tries left, counted per order across scans; a bad code is told each time', async ({
  page,
  request,
  sim,
  central,
}) => {
  const { pickupCode } = await central.createApprovedOrder();
  await page.goto('/');
  await start(page);
  await scanToIdCard(page, sim, pickupCode);
  await sim.idCard(OTHER_PERSON_CARD);
  await expect(page.getByTestId('id-attempts')).toHaveText(attemptsText(2));
  await shot(page, 'real/id-attempts-2');
  await sim.idCard(null);

  // The applicant gives up and scans the same code again: the count goes on, it does not start afresh.
  await cancelJourney(page);
  await start(page);
  await presentAgainLater(page);
  await scanToIdCard(page, sim, pickupCode);
  await sim.idCard(OTHER_PERSON_CARD);
  await expect(page.getByTestId('id-attempts')).toHaveText(attemptsText(1));
  await sim.idCard(null);
  // The right card still gets through on the last try.
  await sim.idCard(HOLDER_CARD);
  await screen(page, 'token');
  await sim.idCard(null);
  await cancelJourney(page);

  // The same unreadable code twice: the notice comes back the second time too.
  await start(page);
  for (let i = 0; i < 2; i++) {
    if (i > 0) await presentAgainLater(page);
    await sim.scan('CK1-NOT-A-CODE');
    const notice = page.getByTestId('error-notice');
    await expect(notice).toHaveAttribute('data-code', 'PICKUP_CODE_MALFORMED');
    await page.getByTestId('notice-ok').click();
    await expect(notice).toHaveCount(0);
  }
  const { journey } = (await (await request.get('/api/state')).json()) as { journey: JourneyView | null };
  expect(journey?.error?.code).toBe('PICKUP_CODE_MALFORMED');
});

test('once central issued the certificate there is no cancel; a call for staff reaches the maintenance screen', async ({
  page,
  request,
  sim,
  central,
}) => {
  await newPickupToPin(page, sim, central);
  // Issued: the header offers no cancel, and the API refuses one.
  await expect(page.getByTestId('cancel')).toHaveCount(0);
  const refused = await request.delete('/api/journeys/current', { data: {} });
  expect(refused.status()).toBe(409);
  expect(((await refused.json()) as { code: string }).code).toBe('CANCEL_NOT_ALLOWED');
  await screen(page, 'pin');

  const { journey } = (await (await request.get('/api/state')).json()) as { journey: JourneyView };
  await page.getByTestId('call-staff').click();
  await expect(page.getByTestId('help-dialog')).toContainText(zh['help.called']);
  await expect(page.getByTestId('help-ref')).toHaveText(zh['ref.label'].replace('{ref}', journey.ref));
  await page.getByTestId('help-ok').click();

  await openMaintenance(page);
  const call = page.locator('[data-testid="staff-calls"] li');
  await expect(call).toHaveCount(1);
  await expect(call).toHaveAttribute('data-ref', journey.ref);
  await shot(page, 'real/staff-call');
  await call.getByTestId('staff-call-ack').click();
  await expect(page.getByTestId('staff-calls')).toHaveCount(0);
  await page.getByTestId('staff-close').click();
  await screen(page, 'pin');
});
