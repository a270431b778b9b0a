import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPickupCode } from '../../contract/pickup-code.js';
import type { Order } from '../../contract/schemas.js';
import { priceFen } from '../pricing.js';
import { type Harness, NATURAL_PERSON, startHarness, TO_APPROVED } from '../testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('admin API', () => {
  it('every admin endpoint refuses a missing or wrong token with 401', async () => {
    const urls: Array<['GET' | 'POST', string]> = [
      ['POST', '/admin/v1/orders'],
      ['GET', '/admin/v1/orders'],
      ['GET', '/admin/v1/review-queue'],
      ['GET', '/admin/v1/orders/CK1'],
      ['POST', '/admin/v1/orders/CK1/actions'],
      ['GET', '/admin/v1/orders/CK1/pickup-code'],
      ['POST', '/admin/v1/orders/CK1/pickup-code'],
      ['GET', '/admin/v1/orders/CK1/phone-page'],
      ['GET', '/admin/v1/orders/CK1/history'],
      ['GET', '/admin/v1/appliances'],
      ['POST', '/admin/v1/appliances/K/approve'],
      ['POST', '/admin/v1/appliances/K/revoke'],
      ['POST', '/admin/v1/certificates/ab/revoke'],
    ];
    for (const [method, url] of urls) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
        const r = await h.app.inject({ method, url, headers });
        expect(r.statusCode, `${method} ${url}`).toBe(401);
        expect(r.json()).toMatchObject({ code: 'ADMIN_UNAUTHORISED' });
      }
    }
  });

  it('creates an order priced from the table', async () => {
    const r = await h.admin('POST', '/admin/v1/orders', NATURAL_PERSON);
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({
      status: 'submitted',
      priceFen: priceFen('natural-person', 2),
      holderVerifiedOnline: false,
    });
  });

  it('refuses invalid orders with 400', async () => {
    const bad = [
      { ...NATURAL_PERSON, serviceYears: 6 },
      { ...NATURAL_PERSON, certificateType: 'robot' },
      { ...NATURAL_PERSON, holder: { name: '张伟', idNumber: '44030419900101123' } },
      { ...NATURAL_PERSON, extra: 1 },
      { ...NATURAL_PERSON, holder: { name: '张伟', idNumber: '440304199001011234' } },
      { ...NATURAL_PERSON, certificateType: 'organisation' },
    ];
    for (const body of bad) {
      const r = await h.admin('POST', '/admin/v1/orders', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('applies actions, refuses illegal ones with 409, and needs a reason to reject', async () => {
    const { order } = await h.order(['request-payment', 'pay-wechat', 'request-identity', 'verify-identity']);
    const act = (action: string, extra = {}) =>
      h.admin('POST', `/admin/v1/orders/${order.id}/actions`, { action, ...extra });
    expect((await act('ship')).json()).toMatchObject({ statusCode: 409, code: 'ORDER_ILLEGAL_TRANSITION' });
    expect((await act('reject')).json()).toMatchObject({ statusCode: 400, code: 'ORDER_REASON_REQUIRED' });
    expect((await act('fly')).statusCode).toBe(400);
    expect((await act('issue-at-kiosk')).json()).toMatchObject({ statusCode: 409 });
    const rejected = (await act('reject', { reason: 'blurred ID scan' })).json() as { order: Order };
    expect(rejected.order).toMatchObject({ status: 'rejected', rejectReason: 'blurred ID scan' });
    expect((await act('resubmit')).json()).toMatchObject({ order: { status: 'under-review' } });
    const approved = (await act('approve')).json() as { order: Order; pickupCode: string };
    expect(approved.order.status).toBe('approved');
    const pub = (await h.app.inject({ url: '/v1/pickup-key' })).json().publicKeyPem as string;
    expect(verifyPickupCode(approved.pickupCode, pub, { hall: order.hall, now: h.clock.ms })).toMatchObject({
      ok: true,
      payload: { orderId: order.id, hall: order.hall },
    });
    expect((await h.admin('GET', `/admin/v1/orders/${order.id}/pickup-code`)).json()).toMatchObject({
      token: approved.pickupCode,
    });
    expect((await h.admin('POST', '/admin/v1/orders/NOPE/actions', { action: 'approve' })).statusCode).toBe(
      404,
    );
    const history = (await h.admin('GET', `/admin/v1/orders/${order.id}/history`)).json() as {
      history: Array<{ action: string; from: string; to: string; note?: string }>;
    };
    expect(history.history.slice(-3)).toMatchObject([
      { action: 'reject', from: 'under-review', to: 'rejected', note: 'blurred ID scan' },
      { action: 'resubmit', from: 'rejected', to: 'under-review' },
      { action: 'approve', from: 'under-review', to: 'approved' },
    ]);
    expect((await h.admin('GET', '/admin/v1/orders/NOPE/history')).statusCode).toBe(404);
  });

  it('lists orders by status and the review queue oldest first', async () => {
    const a = await h.order(['request-payment', 'pay-wechat', 'request-identity', 'verify-identity']);
    h.clock.ms += 1000;
    const b = await h.order(['request-payment', 'pay-wechat', 'request-identity', 'verify-identity']);
    const queue = (await h.admin('GET', '/admin/v1/review-queue')).json() as { orders: Order[] };
    const ids = queue.orders.map((o) => o.id);
    expect(ids.indexOf(a.order.id)).toBeLessThan(ids.indexOf(b.order.id));
    const under = (await h.admin('GET', '/admin/v1/orders?status=under-review')).json() as {
      orders: Order[];
    };
    expect(under.orders.every((o) => o.status === 'under-review')).toBe(true);
    expect((await h.admin('GET', '/admin/v1/orders?status=lost')).statusCode).toBe(400);
  });

  it('lists appliances; approving an unknown one is 404', async () => {
    const r = (await h.admin('GET', '/admin/v1/appliances')).json();
    expect(r.appliances).toContainEqual(
      expect.objectContaining({ applianceId: 'KIOSK-T-001', status: 'approved' }),
    );
    expect((await h.admin('POST', '/admin/v1/appliances/NOPE/approve')).statusCode).toBe(404);
    expect(
      (await h.admin('POST', '/admin/v1/certificates/abcdef/revoke', { reason: 'keyCompromise' })).statusCode,
    ).toBe(404);
    expect(
      (await h.admin('POST', '/admin/v1/certificates/abcdef/revoke', { reason: 'boredom' })).statusCode,
    ).toBe(400);
  });
});

describe('phone page', () => {
  it('shows the status and, once approved, the pickup QR as inline SVG carrying the code', async () => {
    const { order } = await h.order(['request-payment', 'choose-transfer']);
    const path = (
      (await h.admin('GET', `/admin/v1/orders/${order.id}/phone-page`)).json() as { path: string }
    ).path;
    const pending = await h.app.inject({ url: path });
    expect(pending.headers['content-type']).toContain('text/html');
    expect(pending.body).toContain('data-status="transfer-pending"');
    expect(pending.body).toContain(order.remittanceCode!);
    expect(pending.body).not.toContain('<svg');
    expect((await h.app.inject({ url: `${path}/pickup-code` })).statusCode).toBe(409);

    const { order: ok, pickupCode } = await h.order(TO_APPROVED);
    const okPath = ((await h.admin('GET', `/admin/v1/orders/${ok.id}/phone-page`)).json() as { path: string })
      .path;
    const page = await h.app.inject({ url: okPath });
    expect(page.body).toContain('data-status="approved"');
    expect(page.body).toMatch(/<svg[^>]*viewBox/);
    expect(page.body).toContain(`data-pickup-code="${pickupCode}"`);
    expect(page.body).toContain('4403**********1233');
    expect(page.body).not.toContain('440304199001011233');
    expect((await h.app.inject({ url: `${okPath}/pickup-code` })).json()).toMatchObject({
      token: pickupCode,
    });
    expect((await h.app.inject({ url: '/p/not-a-real-token' })).statusCode).toBe(404);
  });

  it('renews an expired pickup code when the page is opened', async () => {
    const { order, pickupCode } = await h.order(TO_APPROVED);
    const path = (
      (await h.admin('GET', `/admin/v1/orders/${order.id}/phone-page`)).json() as { path: string }
    ).path;
    h.clock.ms += 8 * 24 * 3600 * 1000;
    const fresh = (await h.app.inject({ url: `${path}/pickup-code` })).json() as {
      token: string;
      expiresAt: string;
    };
    expect(fresh.token).not.toBe(pickupCode);
    expect(Date.parse(fresh.expiresAt)).toBeGreaterThan(h.clock.ms);
  });
});

describe('public endpoints', () => {
  it('serves the OpenAPI document with every /v1 route, and public CA endpoints without auth', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json() as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      '/v1/certificates',
      '/v1/events',
      '/v1/changes',
      '/v1/heartbeat',
      '/v1/appliances/enrol',
      '/v1/ca/crl',
      '/v1/pickup-codes/check',
      '/v1/certificates/{serialNumber}/void',
      '/admin/v1/orders/{orderId}/history',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect((await h.app.inject({ url: '/v1/ca/chain' })).body.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect((await h.app.inject({ url: '/v1/prices' })).json()).toMatchObject({ currency: 'CNY' });
    expect((await h.app.inject({ url: '/v1/ca/crl?format=xml' })).statusCode).toBe(400);
  });
});
