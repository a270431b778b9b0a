// Payment notifications at POST /v1/payments/wechatpay/notify, built here from the documented algorithm with
// node:crypto alone (AES-256-GCM with the APIv3 key, tag appended; SHA256withRSA over `ts\nnonce\nbody\n` with the
// platform key): what pays an order (once), what is refused without changing anything, what is kept for a refund.
// Central is configured as for the real provider; the provider's API is the simulator on its own port.
import { createCipheriv, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order, OrderHistoryEntry } from '../../contract/schemas.js';
import { type Harness, startHarness } from '../testing.js';
import type { AdminPayment, PaymentStatus } from './schemas.js';
import type { SimulatorKeys } from './sim-keys.js';
import { merchantOptions, startSimulator, testWechatPayKeys } from './testing.js';

let h: Harness;
let keys: SimulatorKeys;
let sim: Awaited<ReturnType<typeof startSimulator>>;

beforeAll(async () => {
  keys = testWechatPayKeys();
  // The simulator's own notifications never arrive here (a dropped delivery): each test sends its own.
  sim = await startSimulator(
    keys,
    () => h.clock.ms,
    async () => new Response('', { status: 503 }),
  );
  h = await startHarness({
    central: { payments: { wechatpay: merchantOptions(keys, sim.url), sweepIntervalMs: false } },
  });
});
afterAll(async () => {
  await h.close();
  await sim.app.close();
});

// ---- the documented algorithm, written out with node:crypto (independent of the code under test) ----

function sealed(tx: object, o: { apiV3Key?: string; id?: string; eventType?: string } = {}): string {
  const nonce = randomBytes(6).toString('hex'); // 12 bytes as 12 characters
  const c = createCipheriv(
    'aes-256-gcm',
    Buffer.from(o.apiV3Key ?? keys.apiV3Key, 'utf8'),
    Buffer.from(nonce),
  );
  c.setAAD(Buffer.from('transaction'));
  const ciphertext = Buffer.concat([c.update(JSON.stringify(tx), 'utf8'), c.final(), c.getAuthTag()]);
  return JSON.stringify({
    id: o.id ?? `EV-${randomBytes(8).toString('hex')}`,
    create_time: '2026-03-01T16:00:05+08:00',
    resource_type: 'encrypt-resource',
    event_type: o.eventType ?? 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: {
      original_type: 'transaction',
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: ciphertext.toString('base64'),
      associated_data: 'transaction',
      nonce,
    },
  });
}

function signedBy(body: string, o: { timestampS?: number; serial?: string; privateKeyPem?: string } = {}) {
  const timestamp = String(o.timestampS ?? Math.floor(h.clock.ms / 1000));
  const nonce = randomBytes(16).toString('hex').toUpperCase();
  const signature = createSign('RSA-SHA256')
    .update(`${timestamp}\n${nonce}\n${body}\n`)
    .sign(o.privateKeyPem ?? keys.platformPrivateKeyPem, 'base64');
  return {
    'content-type': 'application/json',
    'wechatpay-timestamp': timestamp,
    'wechatpay-nonce': nonce,
    'wechatpay-serial': o.serial ?? keys.platformSerial,
    'wechatpay-signature': signature,
  };
}

const success = (outTradeNo: string, totalFen: number, patch: Record<string, unknown> = {}) => ({
  appid: keys.appid,
  mchid: keys.mchid,
  out_trade_no: outTradeNo,
  transaction_id: `4200001234${randomBytes(9).toString('hex').replace(/\D/g, '1').slice(0, 18)}`,
  trade_type: 'NATIVE',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  bank_type: 'OTHERS',
  attach: outTradeNo,
  success_time: '2026-03-01T16:00:04+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: totalFen, payer_total: totalFen, currency: 'CNY', payer_currency: 'CNY' },
  ...patch,
});

const notify = (body: string, headers: Record<string, string>) =>
  h.app.inject({ method: 'POST', url: '/v1/payments/wechatpay/notify', headers, payload: body });

/** An order awaiting payment at the kiosk, with its WeChat Pay order made (POST /v1/payments/native). */
async function awaitingPayment(): Promise<Order> {
  const { order } = await h.order(['request-payment']);
  const r = await h.signed('POST', '/v1/payments/native', { orderId: order.id });
  expect(r.statusCode, r.body).toBe(200);
  return order;
}

const paymentOf = async (orderId: string) =>
  (await h.signed('GET', `/v1/payments/${orderId}`)).json() as PaymentStatus;
const orderOf = async (orderId: string) =>
  (await h.admin('GET', `/admin/v1/orders/${orderId}`)).json() as Order;
const payWechatSteps = async (orderId: string) =>
  (
    (await h.admin('GET', `/admin/v1/orders/${orderId}/history`)).json() as { history: OrderHistoryEntry[] }
  ).history.filter((e) => e.action === 'pay-wechat').length;
const notificationsKept = async () =>
  ((await h.app.central.db.get('SELECT COUNT(*) AS n FROM payment_notifications')) as { n: number }).n;
const flagged = async () =>
  ((await h.admin('GET', '/admin/v1/payments?flagged=1')).json() as { payments: AdminPayment[] }).payments;

/** A refusal: 4xx {"code":"FAIL"}, and the order, its payment and the notification log as they were. */
async function refusedChangingNothing(
  r: Awaited<ReturnType<typeof notify>>,
  status: number,
  order: Order,
  keptBefore: number,
) {
  expect(r.statusCode, r.body).toBe(status);
  expect(r.json()).toEqual({ code: 'FAIL', message: expect.any(String) });
  expect((await orderOf(order.id)).status).toBe('awaiting-payment');
  expect((await paymentOf(order.id)).state).toBe('pending');
  expect(await notificationsKept()).toBe(keptBefore);
}

describe('a SUCCESS notification', () => {
  it('pays the order (pay-wechat, once): 200 with no body; the same notification again is 200 and changes nothing', async () => {
    const order = await awaitingPayment();
    const body = sealed(success(order.id, order.priceFen));
    const r = await notify(body, signedBy(body));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.body).toBe('');
    expect((await orderOf(order.id)).status).toBe('paid');
    expect((await orderOf(order.id)).paymentMethod).toBe('wechat');
    expect(await paymentOf(order.id)).toMatchObject({ state: 'paid', orderStatus: 'paid' });

    // The provider retries (same notification, newly signed) and sends another for the same transaction.
    const again = await notify(body, signedBy(body));
    expect(again.statusCode).toBe(200);
    const other = sealed(success(order.id, order.priceFen));
    expect((await notify(other, signedBy(other))).statusCode).toBe(200);
    expect(await payWechatSteps(order.id)).toBe(1);
    expect((await orderOf(order.id)).status).toBe('paid');
  });

  it('is accepted 4 minutes after it was signed (the window is 5)', async () => {
    const order = await awaitingPayment();
    const body = sealed(success(order.id, order.priceFen));
    const r = await notify(body, signedBy(body, { timestampS: Math.floor(h.clock.ms / 1000) - 240 }));
    expect(r.statusCode, r.body).toBe(200);
    expect((await orderOf(order.id)).status).toBe('paid');
  });
});

describe('refused, changing nothing', () => {
  it('a tampered body: 401, and it is not even parsed (a body that is not JSON is 401 too, not 400)', async () => {
    const order = await awaitingPayment();
    const kept = await notificationsKept();
    const body = sealed(success(order.id, order.priceFen));
    const headers = signedBy(body);
    await refusedChangingNothing(
      await notify(body.replace('2026-03-01T16:00:05', '2026-03-01T16:00:06'), headers),
      401,
      order,
      kept,
    );
    await refusedChangingNothing(await notify('{not json', headers), 401, order, kept);
  });

  it('a wrong serial (right key), or the right serial with another key: 401', async () => {
    const order = await awaitingPayment();
    const kept = await notificationsKept();
    const body = sealed(success(order.id, order.priceFen));
    await refusedChangingNothing(
      await notify(body, signedBy(body, { serial: 'PUB_KEY_ID_0114232134912410000000000099' })),
      401,
      order,
      kept,
    );
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    await refusedChangingNothing(
      await notify(body, signedBy(body, { privateKeyPem: stranger })),
      401,
      order,
      kept,
    );
  });

  it('a stale timestamp (more than 5 minutes off, either way), though its signature is good: 401', async () => {
    const order = await awaitingPayment();
    const kept = await notificationsKept();
    const body = sealed(success(order.id, order.priceFen));
    const nowS = Math.floor(h.clock.ms / 1000);
    await refusedChangingNothing(
      await notify(body, signedBy(body, { timestampS: nowS - 301 })),
      401,
      order,
      kept,
    );
    await refusedChangingNothing(
      await notify(body, signedBy(body, { timestampS: nowS + 301 })),
      401,
      order,
      kept,
    );
  });

  it('a wrong mchid or appid (signed and decrypting): 400', async () => {
    const order = await awaitingPayment();
    const kept = await notificationsKept();
    for (const patch of [{ mchid: '1900000001' }, { appid: 'wx0000000000000000' }]) {
      const body = sealed(success(order.id, order.priceFen, patch));
      await refusedChangingNothing(await notify(body, signedBy(body)), 400, order, kept);
    }
  });

  it('a resource encrypted with another APIv3 key, or not a notification at all: 400', async () => {
    const order = await awaitingPayment();
    const kept = await notificationsKept();
    const body = sealed(success(order.id, order.priceFen), { apiV3Key: randomBytes(16).toString('hex') });
    await refusedChangingNothing(await notify(body, signedBy(body)), 400, order, kept);
    const odd = JSON.stringify({ hello: 'world' });
    await refusedChangingNothing(await notify(odd, signedBy(odd)), 400, order, kept);
  });
});

describe('money that is not taken is kept for a refund and shown to operations', () => {
  it('a wrong amount: recorded refund-pending (amount-mismatch), the order not paid', async () => {
    const order = await awaitingPayment();
    const body = sealed(success(order.id, 1));
    const r = await notify(body, signedBy(body));
    expect(r.statusCode, r.body).toBe(200);
    expect((await orderOf(order.id)).status).toBe('awaiting-payment');
    expect(await paymentOf(order.id)).toMatchObject({
      state: 'refund-pending',
      orderStatus: 'awaiting-payment',
    });
    expect((await flagged()).find((p) => p.orderId === order.id)).toMatchObject({
      state: 'refund-pending',
      flagReason: 'amount-mismatch',
      amountFen: order.priceFen,
      paidFen: 1,
      flagMessage: expect.stringContaining(`Paid 1 fen (CNY); the payment was for ${order.priceFen} fen`),
    });
  });

  it('out of order: a SUCCESS after the kiosk session was cancelled (provider order closed)', async () => {
    const order = await awaitingPayment();
    const cancelled = await h.signed('POST', `/v1/payments/${order.id}/cancel`);
    expect(cancelled.json()).toMatchObject({ state: 'closed', closeReason: 'cancelled' });
    const body = sealed(success(order.id, order.priceFen));
    expect((await notify(body, signedBy(body))).statusCode).toBe(200);
    expect((await orderOf(order.id)).status).toBe('awaiting-payment');
    expect(await payWechatSteps(order.id)).toBe(0);
    expect((await paymentOf(order.id)).state).toBe('refund-pending');
    expect((await flagged()).find((p) => p.orderId === order.id)).toMatchObject({
      flagReason: 'paid-after-cancel',
      closeReason: 'cancelled',
      paidFen: order.priceFen,
    });
    // The provider repeats it: still one record, still not paid.
    expect((await notify(body, signedBy(body))).statusCode).toBe(200);
    expect((await flagged()).filter((p) => p.orderId === order.id)).toHaveLength(1);
  });

  it('a SUCCESS for an out_trade_no central never made: recorded (unknown-order), nothing paid', async () => {
    const body = sealed(success('CK20260301NOTOURS1', 500));
    expect((await notify(body, signedBy(body))).statusCode).toBe(200);
    expect((await flagged()).find((p) => p.outTradeNo === 'CK20260301NOTOURS1')).toMatchObject({
      flagReason: 'unknown-order',
      paidFen: 500,
    });
    expect((await flagged()).find((p) => p.outTradeNo === 'CK20260301NOTOURS1')).not.toHaveProperty(
      'orderId',
    );
  });
});

describe('a cancel that races a payment', () => {
  it('asks the provider first: paid there (notification not yet arrived) → the order is paid, not closed', async () => {
    const order = await awaitingPayment();
    const paid = await fetch(`${sim.url}/demo/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ out_trade_no: order.id }),
    });
    expect(((await paid.json()) as { notified: { status: number } }).notified.status).toBe(503);
    const r = await h.signed('POST', `/v1/payments/${order.id}/cancel`);
    expect(r.json()).toMatchObject({ state: 'paid', orderStatus: 'paid' });
    expect(await payWechatSteps(order.id)).toBe(1);
  });
});
