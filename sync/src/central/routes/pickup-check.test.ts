import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePickupCodeUnverified, signPickupCode } from '../../contract/pickup-code.js';
import type { ApplianceOrder } from '../../contract/schemas.js';
import { PICKUP_CODE_VALIDITY_S } from '../pickup-codes.js';
import { type Harness, opensslCsr, startHarness, TO_APPROVED } from '../testing.js';

let h: Harness;
let csrPem: string;
beforeAll(async () => {
  h = await startHarness();
  csrPem = opensslCsr(h.dir, 'ec', 'check');
});
afterAll(() => h.close());

const check = (pickupCode: string) => h.signed('POST', '/v1/pickup-codes/check', { pickupCode });

/** A code signed with central's own key for any order, whatever its status (what a stale QR could carry). */
const centralSigned = (orderId: string, hall = 'SZ-FUTIAN') =>
  h.app.central.pickup.sign({
    orderId,
    hall,
    exp: Math.floor(h.clock.ms / 1000) + PICKUP_CODE_VALIDITY_S,
    nonce: 'n0nce-of-the-past',
  });

describe('POST /v1/pickup-codes/check', () => {
  it('answers the order (as an appliance may see it) for a code issuance would accept, and does not use the code up', async () => {
    const { order, pickupCode } = await h.order(TO_APPROVED);
    const r = await check(pickupCode!);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual(h.app.central.orders.toApplianceOrder(await h.app.central.orders.row(order.id)));
    expect((r.json() as ApplianceOrder).status).toBe('approved');
    expect((await check(pickupCode!)).statusCode).toBe(200);
    const issued = await h.issue({
      orderId: order.id,
      idempotencyKey: `${order.id}:1`,
      pickupCode,
      csrPem: opensslCsr(h.dir, 'ec', 'check-ok'),
    });
    expect(issued.statusCode, issued.body).toBe(200);
  });

  // Each case makes a code central refuses; the check must answer exactly what issuance answers.
  const refusals: Array<{
    name: string;
    status: number;
    code: string;
    make: () => Promise<string>;
    after?: () => void;
  }> = [
    {
      name: 'not a pickup code',
      status: 400,
      code: 'PICKUP_CODE_INVALID',
      make: async () => 'not-a-pickup-code',
    },
    {
      name: 'signed by someone else',
      status: 400,
      code: 'PICKUP_CODE_INVALID',
      make: async () => {
        const { order } = await h.order(TO_APPROVED);
        const forger = generateKeyPairSync('ed25519').privateKey;
        return signPickupCode(
          { orderId: order.id, hall: 'SZ-FUTIAN', exp: 9_999_999_999, nonce: 'x' },
          forger,
        );
      },
    },
    {
      name: 'for another hall',
      status: 403,
      code: 'ORDER_WRONG_HALL',
      make: async () => (await h.order(TO_APPROVED, { hall: 'GZ-TIANHE' })).pickupCode!,
    },
    {
      name: 'expired',
      status: 410,
      code: 'PICKUP_CODE_EXPIRED',
      make: async () => {
        const { pickupCode } = await h.order(TO_APPROVED);
        h.clock.ms += (PICKUP_CODE_VALIDITY_S + 60) * 1000;
        return pickupCode!;
      },
      after: () => {
        h.clock.ms -= (PICKUP_CODE_VALIDITY_S + 60) * 1000;
      },
    },
    {
      name: 'replaced by a newer one',
      status: 409,
      code: 'PICKUP_CODE_SUPERSEDED',
      make: async () => {
        const { order, pickupCode } = await h.order(TO_APPROVED);
        await h.admin('POST', `/admin/v1/orders/${order.id}/pickup-code`);
        return pickupCode!;
      },
    },
    {
      name: 'for an order not approved',
      status: 409,
      code: 'ORDER_NOT_APPROVED',
      make: async () => centralSigned((await h.order(['request-payment', 'pay-wechat'])).order.id),
    },
    {
      name: 'for an order delivered by courier',
      status: 409,
      code: 'ORDER_NOT_APPROVED',
      make: async () => centralSigned((await h.order(TO_APPROVED, { delivery: 'courier' })).order.id),
    },
    {
      name: 'for an order already issued',
      status: 409,
      code: 'ORDER_ALREADY_ISSUED',
      make: async () => {
        const { order, pickupCode } = await h.order(TO_APPROVED);
        const r = await h.issue({
          orderId: order.id,
          idempotencyKey: `${order.id}:first`,
          pickupCode,
          csrPem: opensslCsr(h.dir, 'ec', `first-${order.id}`),
        });
        expect(r.statusCode, r.body).toBe(200);
        return pickupCode!;
      },
    },
    {
      name: 'for an order central does not know',
      status: 404,
      code: 'ORDER_NOT_FOUND',
      make: async () => centralSigned('CK-NO-SUCH-ORDER'),
    },
  ];

  it.each(refusals)('refuses a code $name with $status $code, as issuance does', async (c) => {
    const { order: some } = await h.order(TO_APPROVED);
    const code = await c.make();
    try {
      const checked = await check(code);
      expect(checked.json()).toMatchObject({ statusCode: c.status, code: c.code });
      const issued = await h.issue({
        orderId: decodePickupCodeUnverified(code)?.orderId ?? some.id,
        idempotencyKey: `check-${c.code}-${some.id}`,
        pickupCode: code,
        csrPem,
      });
      expect(issued.json()).toMatchObject({ statusCode: c.status, code: c.code });
    } finally {
      c.after?.();
    }
  });

  it('refuses a body that is not a pickup code request with 400', async () => {
    for (const body of [
      {},
      { pickupCode: 'short' },
      { pickupCode: 'x'.repeat(2049) },
      { pickupCode: 'x'.repeat(20), orderId: 'CK1' },
    ]) {
      expect((await h.signed('POST', '/v1/pickup-codes/check', body)).statusCode, JSON.stringify(body)).toBe(
        400,
      );
    }
  });
});
