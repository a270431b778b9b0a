// Unauthenticated endpoints are rate-limited per client IP (central's options); operators are not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PUBLIC_RATE_LIMIT } from '../app.js';
import { type Harness, startHarness, TO_APPROVED } from '../testing.js';

const LIMIT = 3;

let h: Harness;
let phonePath: string;
beforeAll(async () => {
  h = await startHarness({ central: { publicRateLimit: { max: LIMIT, timeWindowMs: 60_000 } } });
  const { order } = await h.order(TO_APPROVED);
  phonePath = ((await h.admin('GET', `/admin/v1/orders/${order.id}/phone-page`)).json() as { path: string })
    .path;
});
afterAll(() => h.close());

let ipSeq = 10;
/** A fresh client address per test, so the per-IP counters do not leak between tests. */
const freshIp = () => `198.51.100.${ipSeq++}`;

describe('public rate limit', () => {
  it('hammering a public endpoint past the configured limit gets 429 with central’s error body', async () => {
    const ip = freshIp();
    for (let i = 0; i < LIMIT; i++) {
      const ok = await h.app.inject({ url: '/v1/prices', remoteAddress: ip });
      expect(ok.statusCode, `request ${i + 1}`).toBe(200);
    }
    const r = await h.app.inject({ url: '/v1/prices', remoteAddress: ip });
    expect(r.statusCode).toBe(429);
    expect(r.headers['content-type']).toContain('application/json');
    expect(r.json()).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      error: 'CentralError',
      message: expect.stringMatching(
        /^Too many requests from this address; retry in \d+ (second|minute)s?\.$/,
      ),
    });
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    // another address is not affected
    expect((await h.app.inject({ url: '/v1/prices', remoteAddress: freshIp() })).statusCode).toBe(200);
  });

  it('every unauthenticated endpoint is limited: CA, pickup key, prices, phone page, enrolment, pickup-code check, login, OpenAPI', async () => {
    const endpoints: Array<{ method: 'GET' | 'POST'; url: string; payload?: object }> = [
      { method: 'GET', url: '/v1/ca/chain' },
      { method: 'GET', url: '/v1/ca/crl' },
      { method: 'GET', url: '/v1/ca/issuing-ca.cer' },
      { method: 'GET', url: '/v1/pickup-key' },
      { method: 'GET', url: phonePath },
      { method: 'GET', url: `${phonePath}/pickup-code` },
      { method: 'POST', url: `${phonePath}/transfer-paid`, payload: {} },
      { method: 'GET', url: '/p/not-a-real-view-token' },
      { method: 'POST', url: '/v1/appliances/enrol', payload: {} },
      { method: 'POST', url: '/v1/pickup-codes/check', payload: { pickupCode: 'x.y' } },
      { method: 'POST', url: '/admin/login', payload: { token: 'guess' } },
      { method: 'GET', url: '/admin/login' },
      { method: 'GET', url: '/openapi.json' },
    ];
    for (const e of endpoints) {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i <= LIMIT; i++) {
        const r = await h.app.inject({
          method: e.method,
          url: e.url,
          remoteAddress: ip,
          ...(e.payload ? { payload: e.payload } : {}),
        });
        statuses.push(r.statusCode);
        if (r.statusCode === 429) expect(r.json(), e.url).toMatchObject({ code: 'RATE_LIMITED' });
      }
      expect(statuses.slice(0, LIMIT), `${e.method} ${e.url}`).not.toContain(429);
      expect(statuses[LIMIT], `${e.method} ${e.url}`).toBe(429);
    }
  });

  it('an admin route with a valid token is not limited by the public limit (even from a throttled address)', async () => {
    const ip = freshIp();
    for (let i = 0; i <= LIMIT; i++) await h.app.inject({ url: '/v1/prices', remoteAddress: ip });
    expect((await h.app.inject({ url: '/v1/prices', remoteAddress: ip })).statusCode).toBe(429);
    for (let i = 0; i < LIMIT * 4; i++) {
      const r = await h.app.inject({
        url: '/admin/v1/orders',
        remoteAddress: ip,
        headers: { authorization: 'Bearer test-admin-token' },
      });
      expect(r.statusCode, `admin request ${i + 1}`).toBe(200);
      const fleet = await h.app.inject({
        url: '/fleet',
        remoteAddress: ip,
        headers: { authorization: 'Bearer test-admin-token' },
      });
      expect(fleet.statusCode).toBe(200);
    }
  });

  it('liveness is not limited (a load balancer probing must never see 429)', async () => {
    const ip = freshIp();
    for (let i = 0; i < LIMIT * 3; i++)
      expect((await h.app.inject({ url: '/healthz', remoteAddress: ip })).statusCode).toBe(200);
  });

  it('without options the generous default limit applies (DEFAULT_PUBLIC_RATE_LIMIT per minute)', async () => {
    const plain = await startHarness();
    try {
      const r = await plain.app.inject({ url: '/v1/prices' });
      expect(r.statusCode).toBe(200);
      expect(Number(r.headers['x-ratelimit-limit'])).toBe(DEFAULT_PUBLIC_RATE_LIMIT.max);
      expect(DEFAULT_PUBLIC_RATE_LIMIT).toEqual({ max: 1000, timeWindowMs: 60_000 });
    } finally {
      await plain.close();
    }
  });
});
