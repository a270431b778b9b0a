// GET /metrics as Prometheus scrapes it: only with the admin token; the fleet gauges follow the store (appliances
// by status, stale heartbeats, open alarms by kind); every answered request is counted by its route pattern.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAuditHead } from '../contract/identity.js';
import { createKeySigner } from '../contract/request-signing.js';
import type { AlarmListResponse } from '../contract/schemas.js';
import { DEFAULT_STALE_HEARTBEAT_SECONDS } from './fleet-alarms.js';
import {
  type Harness,
  newApplianceKey,
  startHarness,
  TEST_ADMIN_TOKEN,
  type TestAppliance,
} from './testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const scrape = async (): Promise<string> => {
  const r = await h.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toContain('text/plain');
  return r.body;
};

/** The value of one sample (`name{labels} value`), or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]] as [string, string]),
    );
    if (
      Object.entries(labels).every(([k, v]) => got[k] === v) &&
      Object.keys(got).length === Object.keys(labels).length
    )
      return Number(m[3]);
  }
  return undefined;
}

const beat = (a: TestAppliance, extra: Record<string, unknown> = {}) =>
  h.signed(
    'POST',
    '/v1/heartbeat',
    {
      softwareVersion: '0.9.0',
      devices: [],
      consumables: { paper: 'ok' },
      queueDepth: 0,
      parkedEvents: 0,
      ...extra,
    },
    a,
  );

describe('GET /metrics', () => {
  it('is refused without the admin token, with a wrong one, and with an appliance signature', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-the-token' }, { authorization: 'Basic dev' }]) {
      const r = await h.app.inject({ url: '/metrics', headers });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 'ADMIN_UNAUTHORISED' });
      expect(r.body).not.toContain('certkiosk_appliances');
    }
    const signed = await h.signed('GET', '/metrics');
    expect(signed.statusCode).toBe(401);
  });

  it('counts appliances by status and the approved ones whose heartbeat is stale', async () => {
    const before = await scrape();
    const pending = sample(before, 'certkiosk_appliances', { status: 'pending' }) ?? -1;
    const approved = sample(before, 'certkiosk_appliances', { status: 'approved' }) ?? -1;
    const stale = sample(before, 'certkiosk_appliances_heartbeat_stale') ?? -1;
    expect(sample(before, 'certkiosk_appliances', { status: 'revoked' })).toBe(0);

    const waiting = newApplianceKey('KIOSK-METRICS-PENDING');
    await h.enrol(waiting);
    const a = newApplianceKey('KIOSK-METRICS-A');
    await h.enrol(a);
    await h.admin('POST', `/admin/v1/appliances/${a.id}/approve`);
    const now = await scrape();
    expect(sample(now, 'certkiosk_appliances', { status: 'pending' })).toBe(pending + 1);
    expect(sample(now, 'certkiosk_appliances', { status: 'approved' })).toBe(approved + 1);
    // Approved and not heard from yet: not stale before the threshold has passed since approval.
    expect(sample(now, 'certkiosk_appliances_heartbeat_stale')).toBe(stale);
    h.clock.ms += (DEFAULT_STALE_HEARTBEAT_SECONDS + 1) * 1000;
    const silent = sample(await scrape(), 'certkiosk_appliances_heartbeat_stale')!;
    expect(silent).toBeGreaterThanOrEqual(stale + 1);
    expect((await beat(a)).statusCode).toBe(200);
    expect(sample(await scrape(), 'certkiosk_appliances_heartbeat_stale')).toBe(silent - 1);
    // Silent again past the threshold: exactly this kiosk comes back on the count.
    h.clock.ms += (DEFAULT_STALE_HEARTBEAT_SECONDS - 1) * 1000;
    expect(sample(await scrape(), 'certkiosk_appliances_heartbeat_stale')).toBe(silent - 1);
    h.clock.ms += 2000;
    expect(sample(await scrape(), 'certkiosk_appliances_heartbeat_stale')).toBe(silent);
    expect(
      sample(await scrape(), 'certkiosk_alarms_open', { kind: 'heartbeat-stale' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('counts open alarms by kind, every kind present, and drops an acknowledged one', async () => {
    const a = newApplianceKey('KIOSK-METRICS-ALARM');
    await h.enrol(a);
    await h.admin('POST', `/admin/v1/appliances/${a.id}/approve`);
    const head = (seq: number) =>
      signAuditHead(
        { applianceId: a.id, seq, hash: 'ab'.repeat(32), at: new Date(h.clock.ms).toISOString() },
        createKeySigner(a.privateKey),
      );
    const before = sample(await scrape(), 'certkiosk_alarms_open', { kind: 'audit-truncated' })!;
    expect(sample(await scrape(), 'certkiosk_alarms_open', { kind: 'audit-forked' })).toBe(0);
    await beat(a, { auditHead: await head(40) });
    await beat(a, { auditHead: await head(12) }); // the log went back: truncated
    expect(sample(await scrape(), 'certkiosk_alarms_open', { kind: 'audit-truncated' })).toBe(before + 1);
    const alarms = (
      (await h.admin('GET', `/admin/v1/alarms?applianceId=${a.id}`)).json() as AlarmListResponse
    ).alarms;
    expect(alarms).toHaveLength(1);
    await h.admin('POST', `/admin/v1/alarms/${alarms[0]!.id}/acknowledge`);
    expect(sample(await scrape(), 'certkiosk_alarms_open', { kind: 'audit-truncated' })).toBe(before);
  });

  it('counts and times requests by route pattern, never by the ids in the path', async () => {
    const labels = { method: 'GET', route: '/admin/v1/orders/:orderId', status_code: '404' };
    const before = sample(await scrape(), 'certkiosk_central_http_requests_total', labels) ?? 0;
    for (const id of ['ORD-NOPE-1', 'ORD-NOPE-2', 'ORD-NOPE-3']) {
      expect((await h.admin('GET', `/admin/v1/orders/${id}`)).statusCode).toBe(404);
    }
    await h.app.inject({ url: '/no/such/path/here' });
    const text = await scrape();
    expect(sample(text, 'certkiosk_central_http_requests_total', labels)).toBe(before + 3);
    expect(text).not.toContain('ORD-NOPE');
    expect(text).not.toContain('/no/such/path');
    expect(
      sample(text, 'certkiosk_central_http_requests_total', {
        method: 'GET',
        route: 'unmatched',
        status_code: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'certkiosk_central_http_request_duration_seconds_count', labels)).toBe(before + 3);
  });
});
