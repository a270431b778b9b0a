// The real-appliance specs' `test`: `sim` and `central` fixtures, a kiosk without a journey, card or key and
// with a working printer before each test, and the appliance's own view attached when a test fails.
import { test as base, expect } from '@playwright/test';
import { STAFF } from '../e2e/kiosk.ts';
import { Central } from './central.ts';
import { Sim } from './sim.ts';

export { expect };

export const test = base.extend<{ sim: Sim; central: Central; freshKiosk: undefined }>({
  sim: async ({ request }, use) => use(new Sim(request)),
  central: async ({ request }, use) => use(new Central(request)),
  freshKiosk: [
    async ({ request, sim }, use, testInfo) => {
      // JSON even without a body: the appliance answers 415 to a DELETE that is not application/json.
      const res = await request.delete('/api/journeys/current', { data: {} });
      if (res.status() === 409) {
        // The last journey's certificate was issued: the applicant may not cancel it, staff end the session.
        const login = await request.post('/api/staff/login', {
          data: { staffId: STAFF.administrator.staffId, pin: STAFF.administrator.pin },
        });
        const { token } = (await login.json()) as { token: string };
        const end = await request.post('/api/staff/session/end', {
          data: {},
          headers: { authorization: `Bearer ${token}` },
        });
        expect(end.status(), `staff end session answered ${end.status()}: ${await end.text()}`).toBe(204);
        await request.post('/api/staff/logout', { data: {}, headers: { authorization: `Bearer ${token}` } });
      } else {
        expect(res.status(), `cancel answered ${res.status()}: ${await res.text()}`).toBeLessThan(300);
      }
      // The last applicant took their card and key away. (A card left on the reader is read the moment the
      // order is confirmed; the UI may then apply the older confirm answer after the newer event, since
      // kiosk.svelte.ts #act does not check which is newer, and stay on the ID-card screen.)
      await sim.idCard(null);
      await sim.token('pull');
      await sim.printer('ok', false);
      await use(undefined);
      if (testInfo.status !== testInfo.expectedStatus) {
        const state = await request.get('/api/state').then((r) => r.text(), String);
        await testInfo.attach('appliance-state.json', { body: state, contentType: 'application/json' });
      }
      await sim.printer('ok', false);
    },
    { auto: true },
  ],
});
