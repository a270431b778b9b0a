import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeFeedResponse, EventBatchResponse } from '../../contract/schemas.js';
import { type Harness, newApplianceKey, startHarness, TO_APPROVED } from '../testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const event = (id: string, type = 'receipt.printed', extra: object = {}) => ({
  id,
  type,
  occurredAt: '2026-03-01T08:00:00.000Z',
  payload: { n: 1 },
  ...extra,
});

describe('GET /v1/orders/:orderId', () => {
  it('returns the order’s state (no people) for a kiosk in its hall, 403 for another hall, 404 for none', async () => {
    const { order } = await h.order(TO_APPROVED);
    const r = await h.signed('GET', `/v1/orders/${order.id}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      id: order.id,
      status: 'approved',
      delivery: 'kiosk',
      certificateType: 'natural-person',
      hall: 'SZ-FUTIAN',
      updatedAt: order.updatedAt,
    });
    const elsewhere = newApplianceKey('KIOSK-GZ', 'GZ-TIANHE');
    await h.enrol(elsewhere);
    await h.admin('POST', '/admin/v1/appliances/KIOSK-GZ/approve');
    expect((await h.signed('GET', `/v1/orders/${order.id}`, undefined, elsewhere)).json()).toMatchObject({
      statusCode: 403,
      code: 'ORDER_WRONG_HALL',
    });
    expect((await h.signed('GET', '/v1/orders/CK-NONE')).json()).toMatchObject({
      statusCode: 404,
      code: 'ORDER_NOT_FOUND',
    });
  });
});

describe('POST /v1/events', () => {
  it('stores a batch once: a replayed batch changes nothing', async () => {
    const batch = { events: [event('evt-a-000001'), event('evt-a-000002')] };
    const first = (await h.signed('POST', '/v1/events', batch)).json() as EventBatchResponse;
    expect(first).toEqual({ accepted: 2, duplicates: 0, acknowledged: ['evt-a-000001', 'evt-a-000002'] });
    const count = async () => h.app.central.events.count();
    const n = await count();
    const replay = (await h.signed('POST', '/v1/events', batch)).json() as EventBatchResponse;
    expect(replay).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(await count()).toBe(n);
  });

  it('certificate.activated moves an issued order to activated, once', async () => {
    const { order } = await h.order(TO_APPROVED);
    await h.app.central.orders.act(order.id, { action: 'issue-at-kiosk' });
    const e = event('evt-act-0001', 'certificate.activated', { orderId: order.id });
    await h.signed('POST', '/v1/events', { events: [e] });
    await h.signed('POST', '/v1/events', { events: [e] });
    expect((await h.app.central.orders.get(order.id)).status).toBe('activated');
  });

  it('refuses an invalid batch with 400', async () => {
    expect((await h.signed('POST', '/v1/events', { events: [] })).statusCode).toBe(400);
    expect(
      (await h.signed('POST', '/v1/events', { events: [{ ...event('x'), id: 'short' }] })).statusCode,
    ).toBe(400);
    expect(
      (
        await h.signed('POST', '/v1/events', {
          events: [{ ...event('evt-bad-time'), occurredAt: 'yesterday' }],
        })
      ).statusCode,
    ).toBe(400);
  });
});

describe('GET /v1/changes', () => {
  it('pages through this hall’s changes with a cursor and never shows another hall’s orders', async () => {
    const start = ((await h.signed('GET', '/v1/changes?limit=1000')).json() as ChangeFeedResponse).cursor;
    const { order } = await h.order(['request-payment', 'pay-wechat']);
    await h.order(['request-payment'], { hall: 'GZ-TIANHE' });
    const p1 = (await h.signed('GET', `/v1/changes?cursor=${start}&limit=2`)).json() as ChangeFeedResponse;
    expect(p1.changes.map((c) => c.payload.status)).toEqual(['submitted', 'awaiting-payment']);
    expect(p1.hasMore).toBe(true);
    const p2 = (await h.signed('GET', `/v1/changes?cursor=${p1.cursor}`)).json() as ChangeFeedResponse;
    expect(p2.changes.map((c) => [c.orderId, c.payload.status])).toEqual([[order.id, 'paid']]);
    expect(p2.hasMore).toBe(false);
    const p3 = (await h.signed('GET', `/v1/changes?cursor=${p2.cursor}`)).json() as ChangeFeedResponse;
    expect(p3).toEqual({ changes: [], cursor: p2.cursor, hasMore: false });
    expect((await h.signed('GET', '/v1/changes?cursor=abc')).statusCode).toBe(400);
  });
});

describe('POST /v1/heartbeat and the fleet view', () => {
  it('records the heartbeat, answers the latest cursor, and the fleet page shows and highlights it', async () => {
    const hb = {
      softwareVersion: '0.3.1',
      devices: [
        { device: 'printer', status: 'user-action-needed', detail: 'paper-out' },
        { device: 'token', status: 'online' },
      ],
      consumables: { paper: 'out', blankKeys: 12 },
      queueDepth: 7,
      parkedEvents: 2,
      inDoubt: 1,
    };
    const r = await h.signed('POST', '/v1/heartbeat', hb);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      serverTime: new Date(h.clock.ms).toISOString(),
      latestCursor: expect.stringMatching(/^\d+$/),
    });
    const page = await h.app.inject({ url: '/fleet', headers: { authorization: 'Bearer test-admin-token' } });
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<script src="/fleet/assets/fleet-live.js" defer></script>');
    expect(page.body).toContain('0.3.1');
    expect(page.body).toMatch(/class="bad">printer: user-action-needed \(paper-out\)/);
    expect(page.body).toMatch(/data-appliance="KIOSK-T-001"[\s\S]*data-stale="false"/);
    // events central refused wait for staff at the kiosk: operations must see them
    expect(page.body).toMatch(/data-appliance="KIOSK-T-001"[\s\S]*?class="bad" data-parked="2">2</);
    expect((await h.app.central.appliances.row('KIOSK-T-001'))?.heartbeat_json).toContain('"parkedEvents":2');
    h.clock.ms += 5 * 60_000;
    const later = await h.app.inject({
      url: '/fleet',
      headers: { authorization: 'Bearer test-admin-token' },
    });
    expect(later.body).toMatch(/data-appliance="KIOSK-T-001"[\s\S]*?data-stale="true"/);
    expect((await h.app.inject({ url: '/fleet' })).statusCode).toBe(401);
    expect((await h.signed('POST', '/v1/heartbeat', { ...hb, queueDepth: -1 })).statusCode).toBe(400);
    expect((await h.signed('POST', '/v1/heartbeat', { ...hb, parkedEvents: -1 })).statusCode).toBe(400);
    const { parkedEvents: _, ...withoutParked } = hb;
    expect((await h.signed('POST', '/v1/heartbeat', withoutParked)).statusCode).toBe(400);
  });
});

describe('POST /v1/seals/sign', () => {
  it('is reserved in the contract and answers 501', async () => {
    const r = await h.signed('POST', '/v1/seals/sign', { orderId: 'CK1', sealImageSha256: 'a'.repeat(64) });
    expect(r.json()).toMatchObject({ statusCode: 501, code: 'NOT_IMPLEMENTED' });
  });
});
