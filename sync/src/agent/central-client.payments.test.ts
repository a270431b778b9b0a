// The kiosk payment calls through the signed client against a real central on loopback (its WeChat Pay
// simulator): start → the QR code link, amount and expiry; status pending, then paid once the payer paid; cancel
// closes an open one; every answer passes the contract schema, and central's refusals keep their codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATURAL_PERSON } from '../central/testing.js';
import type { Order } from '../contract/schemas.js';
import type { CentralClient } from './central-client.js';
import { CentralClientError } from './errors.js';
import { LOOPBACK_ADMIN_TOKEN, type LoopbackCentral, startLoopbackCentral } from './loopback-central.js';

let central: LoopbackCentral;
let client: CentralClient;
beforeAll(async () => {
  central = await startLoopbackCentral();
  client = await central.newClient('KIOSK-PAY-001');
});
afterAll(() => central.close());

async function awaitingPayment(): Promise<Order> {
  const order = (await central.admin('POST', '/orders', NATURAL_PERSON)) as Order;
  await central.admin('POST', `/orders/${order.id}/actions`, { action: 'request-payment' });
  return order;
}

describe('CentralClient payment calls', () => {
  it('starts a native payment, reads it pending, then paid after the payer paid', async () => {
    const order = await awaitingPayment();
    const started = await client.startNativePayment(order.id);
    expect(started).toMatchObject({ orderId: order.id, amountFen: order.priceFen });
    expect(started.codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(await client.paymentStatus(order.id)).toMatchObject({ state: 'pending' });
    // The payer (the simulator's demo action, operator only) pays; the notification reaches central.
    const paid = await fetch(`${central.url}/wechatpay-sim/demo/pay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LOOPBACK_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ out_trade_no: order.id }),
    });
    expect(paid.status).toBe(200);
    expect(await client.paymentStatus(order.id)).toMatchObject({
      state: 'paid',
      orderStatus: 'paid',
      paidAt: expect.any(String),
    });
  });

  it('cancel closes an open payment; an order not awaiting payment is refused with its code', async () => {
    const order = await awaitingPayment();
    await client.startNativePayment(order.id);
    expect(await client.cancelPayment(order.id)).toMatchObject({ state: 'closed', closeReason: 'cancelled' });
    const paid = (await central.admin('POST', '/orders', NATURAL_PERSON)) as Order;
    const e = await client.startNativePayment(paid.id).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CentralClientError);
    expect((e as CentralClientError).details).toMatchObject({
      status: 409,
      centralCode: 'PAYMENT_NOT_AVAILABLE',
    });
  });
});
