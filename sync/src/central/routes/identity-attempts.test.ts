// Attack: scanning the pickup code again (or at another kiosk) to get fresh ID-card tries. Central counts wrong
// cards per order; once the tries are used up the code is refused at scan time until staff reset them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, newApplianceKey, startHarness, TO_APPROVED } from '../testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const failure = (pickupCode: string, a?: Parameters<Harness['signed']>[3]) =>
  h.signed('POST', '/v1/pickup-codes/identity-failure', { pickupCode, reason: 'ID_MISMATCH_PERSON' }, a);
const check = (pickupCode: string, a?: Parameters<Harness['signed']>[3]) =>
  h.signed('POST', '/v1/pickup-codes/check', { pickupCode }, a);

describe('ID-card tries per order', () => {
  it('three wrong cards over two kiosks and a re-scan use up the order; the code is then refused until staff reset it', async () => {
    const { order, pickupCode } = await h.order(TO_APPROVED);
    const other = newApplianceKey('KIOSK-ATTEMPTS-B');
    await h.enrol(other);
    await h.admin('POST', `/admin/v1/appliances/${other.id}/approve`);

    expect((await failure(pickupCode!)).json()).toEqual({ orderId: order.id, attemptsLeft: 2 });
    // A new scan at this kiosk: no fresh tries.
    expect((await check(pickupCode!)).statusCode).toBe(200);
    expect((await failure(pickupCode!)).json()).toMatchObject({ attemptsLeft: 1 });
    // Another kiosk in the hall: still the same count.
    expect((await check(pickupCode!, other)).statusCode).toBe(200);
    expect((await failure(pickupCode!, other)).json()).toMatchObject({ attemptsLeft: 0 });

    for (const a of [undefined, other]) {
      const refused = await check(pickupCode!, a);
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'ID_ATTEMPTS_EXHAUSTED' });
    }
    expect((await failure(pickupCode!)).json()).toMatchObject({ code: 'ID_ATTEMPTS_EXHAUSTED' });

    const reset = await h.admin('POST', `/admin/v1/orders/${order.id}/identity-attempts/reset`);
    expect(reset.json()).toEqual({ orderId: order.id, attemptsLeft: 3 });
    expect((await check(pickupCode!)).statusCode).toBe(200);
  });

  it('a wrong card reported without a valid pickup code counts nothing', async () => {
    const { order } = await h.order(TO_APPROVED);
    expect((await failure('not-a-pickup-code')).statusCode).toBe(400);
    expect(await h.app.central.identityAttempts.failures(order.id)).toBe(0);
  });
});
