import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPickupCode } from '../contract/pickup-code.js';
import { isValidIdNumber } from './id-number.js';
import { DEMO_HOLDER, seedDemo } from './seed-demo.js';
import { type Harness, startHarness } from './testing.js';

const simProfile = JSON.parse(
  readFileSync(new URL('../../../config/profiles/sim.json', import.meta.url), 'utf8'),
) as {
  appliance: { hall: string };
  central: { publicKey: string };
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    pickupKeyPem: readFileSync(new URL('../../fixtures/sim-pickup-signing.key.pem', import.meta.url), 'utf8'),
  });
});
afterAll(() => h.close());

describe('demo seed', () => {
  it('creates an approved order for the ID-card holder whose pickup code the sim kiosk accepts', async () => {
    expect(isValidIdNumber(DEMO_HOLDER.idNumber)).toBe(true);
    const seeded = seedDemo(h.app.central, simProfile.appliance.hall);
    expect(seeded.created).toBe(true);
    const approved = seeded.orders.find((o) => o.status === 'approved')!;
    const order = h.app.central.orders.get(approved.id);
    expect(order.holder).toEqual(DEMO_HOLDER);
    const page = (await h.app.inject({ url: `${approved.phonePath}/pickup-code` })).json() as {
      token: string;
    };
    expect(
      verifyPickupCode(page.token, simProfile.central.publicKey, {
        hall: simProfile.appliance.hall,
        now: h.clock.ms,
      }),
    ).toMatchObject({ ok: true, payload: { orderId: approved.id } });
    expect(new Set(seeded.orders.map((o) => o.status))).toEqual(
      new Set(['approved', 'transfer-pending', 'under-review', 'rejected']),
    );
    expect(seedDemo(h.app.central, simProfile.appliance.hall).created).toBe(false);
  });
});
