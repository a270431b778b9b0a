// The demo's payer on the phone page: with the WeChat Pay simulator on, an order whose kiosk payment is open shows
// "模拟微信支付 (演示) / Pay (demo)"; pressing it pays through the simulator's signed notification (the order is
// paid once); with nothing open it is refused on the page (409) and nothing is paid. With a real provider there
// is neither the button nor the route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../contract/schemas.js';
import { merchantOptions, startSimulator, testWechatPayKeys } from '../payments/testing.js';
import { type Harness, startHarness } from '../testing.js';
import { DEMO_PAY_LABEL } from './demo-pay-card.js';

const phonePath = async (h: Harness, o: Order) =>
  ((await h.admin('GET', `/admin/v1/orders/${o.id}/phone-page`)).json() as { path: string }).path;
const press = (h: Harness, path: string) =>
  h.app.inject({
    method: 'POST',
    url: `${path}/demo-pay`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: '',
  });

describe('the phone page’s demo pay button (simulator on)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ central: { payments: { sweepIntervalMs: false } } });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => h.close());

  it('shown only while the kiosk payment is open; pressing it pays the order through the simulator, once', async () => {
    const { order } = await h.order(['request-payment']);
    const path = await phonePath(h, order);
    // Awaiting payment, but the kiosk shows no QR code yet: no button.
    expect((await h.app.inject({ url: path })).body).not.toContain('data-demo-pay-form');
    const nothing = await press(h, path);
    expect(nothing.statusCode).toBe(409);
    expect(nothing.body).toContain('data-demo-pay-refused');
    expect((await h.admin('GET', `/admin/v1/orders/${order.id}`)).json()).toMatchObject({
      status: 'awaiting-payment',
    });

    await h.signed('POST', '/v1/payments/native', { orderId: order.id });
    const page = (await h.app.inject({ url: path })).body;
    expect(page).toMatch(/<form method="post" action="[^"]+\/demo-pay" data-demo-pay-form>/);
    expect(page).toContain(DEMO_PAY_LABEL);

    const r = await press(h, path);
    expect(r.statusCode, r.body).toBe(303);
    expect(r.headers.location).toBe(path);
    expect((await h.signed('GET', `/v1/payments/${order.id}`)).json()).toMatchObject({
      state: 'paid',
      orderStatus: 'paid',
    });
    const after = (await h.app.inject({ url: path })).body;
    expect(after).not.toContain('data-demo-pay-form');
    // Pressed again (a stale page): nothing open, refused, still paid once.
    expect((await press(h, path)).statusCode).toBe(409);
    const history = (await h.admin('GET', `/admin/v1/orders/${order.id}/history`)).json() as {
      history: Array<{ action: string }>;
    };
    expect(history.history.filter((e) => e.action === 'pay-wechat')).toHaveLength(1);
  });

  it('a cancelled kiosk payment is not open: no button, and pressing is refused', async () => {
    const { order } = await h.order(['request-payment']);
    const path = await phonePath(h, order);
    await h.signed('POST', '/v1/payments/native', { orderId: order.id });
    await h.signed('POST', `/v1/payments/${order.id}/cancel`);
    expect((await h.app.inject({ url: path })).body).not.toContain('data-demo-pay-form');
    expect((await press(h, path)).statusCode).toBe(409);
    expect((await h.signed('GET', `/v1/payments/${order.id}`)).json()).toMatchObject({ state: 'closed' });
  });
});

describe('with a real provider', () => {
  let h: Harness;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  beforeAll(async () => {
    const keys = testWechatPayKeys();
    sim = await startSimulator(keys, () => Date.now());
    h = await startHarness({
      central: { payments: { wechatpay: merchantOptions(keys, sim.url), sweepIntervalMs: false } },
    });
  });
  afterAll(async () => {
    await h.close();
    await sim.app.close();
  });

  it('has no demo pay button and no demo pay route', async () => {
    const { order } = await h.order(['request-payment']);
    const path = await phonePath(h, order);
    expect((await h.app.inject({ url: path })).body).not.toContain('data-demo-pay');
    expect((await press(h, path)).statusCode).toBe(404);
  });
});
