// The operations console: the live fleet stream (SSE), the per-appliance page, heartbeat history retention,
// acknowledging an alarm from the page (audited under the operator's name) and the attacks on all of it.
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alarm, HeartbeatRequest } from '../contract/schemas.js';
import { ADMIN_SESSION_COOKIE } from './admin-auth.js';
import { beijingDay } from './fleet-console.js';
import { FleetFeed } from './fleet-feed.js';
import { HEARTBEAT_HISTORY_DAYS, HEARTBEAT_HISTORY_STEP_MS } from './heartbeat-history.js';
import type { OperatorAuditEntry } from './operators.js';
import { type Harness, healthyHeartbeat, issuedEvents, startHarness } from './testing.js';

const PASSWORD = 'correct horse battery staple';
const ID = 'KIOSK-T-001';

let h: Harness;
let session: string;
beforeEach(async () => {
  h = await startHarness();
  await h.app.central.operators.setPassword('li.na', PASSWORD);
  const r = await h.app.inject({
    method: 'POST',
    url: '/admin/login',
    payload: { operator: 'li.na', password: PASSWORD },
  });
  session = r.cookies.find((c) => c.name === ADMIN_SESSION_COOKIE)!.value;
});
afterEach(() => h.close());

const asOperator = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}) =>
  h.app.inject({
    method,
    url,
    cookies: { [ADMIN_SESSION_COOKIE]: session },
    headers,
    ...(method === 'POST'
      ? { payload: '', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }
      : {}),
  });

const heartbeat = (patch: Partial<HeartbeatRequest> = {}) =>
  h.signed('POST', '/v1/heartbeat', healthyHeartbeat(patch));

async function openAlarms(): Promise<Alarm[]> {
  return ((await h.admin('GET', '/admin/v1/alarms')).json() as { alarms: Alarm[] }).alarms;
}

/** A live SSE connection to a listening central: the events it received so far, and a way to wait for more. */
async function stream(headers: Record<string, string>) {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.app.server.address() as AddressInfo).port;
  const events: { event: string; data: unknown }[] = [];
  let buf = '';
  let closed = false;
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/fleet/events', headers }, resolve);
    req.on('error', reject);
    req.end();
  });
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf('\n\n');
    while (i >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
      i = buf.indexOf('\n\n');
    }
  });
  res.on('close', () => {
    closed = true;
  });
  const until = async (ok: () => boolean, what: string) => {
    const end = Date.now() + 5000;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { res, events, until, closed: () => closed };
}

describe('GET /fleet/events (live fleet stream)', () => {
  it('sends the snapshot on connect, then the row as a heartbeat changes it, and the alarm list as it opens', async () => {
    await heartbeat({ queueDepth: 3 });
    const s = await stream({ cookie: `${ADMIN_SESSION_COOKIE}=${session}` });
    expect(s.res.statusCode).toBe(200);
    expect(s.res.headers['content-type']).toContain('text/event-stream');
    await s.until(() => s.events.length >= 1, 'the snapshot');
    const snap = s.events[0]!;
    expect(snap.event).toBe('snapshot');
    const rows = (snap.data as { rows: { id: string; html: string }[] }).rows;
    expect(rows.map((r) => r.id)).toEqual([ID]);
    expect(rows[0]!.html).toMatch(/<td>3<\/td>/);

    const r = await heartbeat({ queueDepth: 9, consumables: { paper: 'out', blankKeys: 40 } });
    expect(r.statusCode).toBe(200);
    await s.until(() => s.events.some((e) => e.event === 'row'), 'a row update');
    const row = s.events.find((e) => e.event === 'row')!.data as { id: string; html: string };
    expect(row.id).toBe(ID);
    expect(row.html).toMatch(/<td>9<\/td>/);
    await s.until(() => s.events.some((e) => e.event === 'alarms'), 'the alarm list');
    const alarms = s.events.find((e) => e.event === 'alarms')!.data as { html: string; count: number };
    expect(alarms.count).toBe(1);
    expect(alarms.html).toContain('data-kind="paper-out"');
    s.res.destroy();
  });

  it('turns a silent kiosk stale on the stream (row and alarm) without any request', async () => {
    await h.app.close();
    h = await startHarness({
      central: { fleetAlarms: { staleHeartbeatSeconds: 60 }, fleetFeed: { tickMs: 50 } },
    });
    await heartbeat();
    const s = await stream({ authorization: 'Bearer test-admin-token' });
    await s.until(() => s.events.length >= 1, 'the snapshot');
    expect(JSON.stringify(s.events[0])).toContain('data-stale=\\"false\\"');
    h.clock.ms += 61_000;
    await s.until(() => s.events.some((e) => e.event === 'row'), 'the stale row');
    expect((s.events.find((e) => e.event === 'row')!.data as { html: string }).html).toContain(
      'data-stale="true"',
    );
    await s.until(
      () => s.events.some((e) => e.event === 'alarms' && JSON.stringify(e.data).includes('heartbeat-stale')),
      'the stale alarm',
    );
    s.res.destroy();
  });

  it('ends the stream when the operator logs out', async () => {
    const s = await stream({ cookie: `${ADMIN_SESSION_COOKIE}=${session}` });
    await s.until(() => s.events.length >= 1, 'the snapshot');
    const out = await asOperator('POST', '/admin/logout');
    expect(out.statusCode).toBeLessThan(400);
    await s.until(() => s.closed(), 'the stream to close');
    expect(s.events.at(-1)?.event).toBe('end');
  });

  it('ends the stream when the session expires', async () => {
    await h.app.close();
    h = await startHarness({ central: { fleetFeed: { tickMs: 50 } } });
    const s0 = await h.app.central.sessions.create('li.na');
    const s = await stream({ cookie: `${ADMIN_SESSION_COOKIE}=${s0.id}` });
    await s.until(() => s.events.length >= 1, 'the snapshot');
    h.clock.ms = s0.expiresAt + 1;
    await s.until(() => s.closed(), 'the stream to close');
    expect(s.events.at(-1)).toEqual({ event: 'end', data: { reason: 'session ended' } });
  });

  it('answers 401 without a session, with a forged one, and with a token in the URL', async () => {
    expect((await h.app.inject({ url: '/fleet/events' })).statusCode).toBe(401);
    expect(
      (await h.app.inject({ url: '/fleet/events', cookies: { [ADMIN_SESSION_COOKIE]: 'forged' } }))
        .statusCode,
    ).toBe(401);
    expect((await h.app.inject({ url: '/fleet/events?token=test-admin-token' })).statusCode).toBe(401);
    expect(h.app.central.fleetFeed.size).toBe(0);
  });

  it('cuts a connection that does not read once its buffer passes the bound', async () => {
    const written: string[] = [];
    let destroyed = false;
    let html = 'a';
    const fake = {
      writableLength: 0,
      writeHead() {},
      on() {},
      write(chunk: string) {
        written.push(chunk);
        this.writableLength += chunk.length;
        return false;
      },
      destroy() {
        destroyed = true;
      },
      end() {},
    };
    const view = async () => ({ rows: new Map([['K', html]]), alarms: { html: '', count: 0 }, empty: '' });
    const feed = new FleetFeed({ snapshot: view, compare: view }, { maxBufferedBytes: 600, tickMs: 60_000 });
    await feed.attach(fake as never, async () => true);
    expect(feed.size).toBe(1);
    for (let i = 0; i < 20 && !destroyed; i++) {
      html = 'x'.repeat(100 + i);
      await feed.tick();
    }
    expect(destroyed).toBe(true);
    expect(feed.size).toBe(0);
    expect(written.join('').length).toBeLessThanOrEqual(600);
    feed.closeAll();
  });
});

describe('the fleet page', () => {
  it('shows open alarms at the top, newest first, with kind, appliance, hall, since and subject, under a strict CSP', async () => {
    await heartbeat({
      consumables: { paper: 'ok', blankKeys: 2 },
      alarms: [{ kind: 'staff-lockout', subject: 'staff-07', since: '2026-03-01T07:59:00.000Z' }],
    });
    const page = await asOperator('GET', '/fleet');
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const top = page.body.indexOf('id="alarms"');
    expect(top).toBeGreaterThan(0);
    expect(top).toBeLessThan(page.body.indexOf('id="fleet-rows"'));
    const kinds = [...page.body.matchAll(/data-kind="([^"]+)"/g)].map((m) => m[1]);
    const ids = [...page.body.matchAll(/data-alarm-id="(\d+)"/g)].map((m) => Number(m[1]));
    expect(new Set(kinds)).toEqual(new Set(['staff-lockout', 'low-stock']));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const lockout = page.body.slice(page.body.indexOf('data-kind="staff-lockout"'));
    expect(lockout).toMatch(
      /^data-kind="staff-lockout">\s*<td><b>staff-lockout<\/b><\/td><td>KIOSK-T-001<\/td><td>SZ-FUTIAN<\/td>\s*<td>2026-03-01T07:59:00.000Z<\/td><td[^>]*>staff-07<\/td>/,
    );
  });

  it('counts issuances of the Beijing day from the events central received, and shows the audit-head state', async () => {
    const { from } = beijingDay(h.clock.ms);
    // 08:00 UTC is 16:00 in Beijing: the day began at 16:00 UTC the day before.
    expect(from).toBe('2026-02-28T16:00:00.000Z');
    const events = issuedEvents(2, h.clock.ms);
    expect((await h.signed('POST', '/v1/events', { events })).statusCode).toBe(200);
    await heartbeat();
    const row = async () => {
      const body = (await h.admin('GET', '/fleet')).body;
      return body.slice(body.indexOf(`data-appliance="${ID}"`));
    };
    expect(await row()).toContain('data-issued-today>2<');
    expect(await row()).toContain('data-audit-head="none"');
    h.clock.ms += 9 * 3600_000; // past Beijing midnight
    expect(await row()).toContain('data-issued-today>0<');
  });
});

describe('GET /fleet/:applianceId', () => {
  it('shows enrolment, fingerprint, the heartbeat history for the chart, in doubt and recent events without personal data', async () => {
    const { order } = await h.order([]);
    for (let i = 0; i < 3; i++) {
      await heartbeat({ queueDepth: i, uptimeS: 3600 + i * 300, inDoubt: i === 2 ? 1 : 0 });
      h.clock.ms += HEARTBEAT_HISTORY_STEP_MS;
    }
    const events = [
      {
        id: 'evt-page-1',
        type: 'certificate.issued',
        occurredAt: new Date(h.clock.ms).toISOString(),
        payload: {},
      },
      {
        id: 'evt-page-2',
        type: 'journey.in-doubt',
        orderId: order.id,
        occurredAt: new Date(h.clock.ms).toISOString(),
        payload: { holderName: '张伟' },
      },
    ];
    expect((await h.signed('POST', '/v1/events', { events })).statusCode).toBe(200);
    const page = await asOperator('GET', `/fleet/${ID}`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const fp = (await h.app.central.appliances.list())[0]!;
    expect(page.body).toContain(`data-appliance-page="${ID}"`);
    expect(page.body).toMatch(/data-fingerprint="[0-9a-f]{4}( [0-9a-f]{4}){15}"/);
    expect(page.body).toContain(fp.enrolled_at);
    const json = /<script type="application\/json" id="heartbeat-history">([^<]*)<\/script>/.exec(
      page.body,
    )?.[1];
    const history = JSON.parse(json!) as { queueDepth: number; uptimeS: number; issuedInHour: number }[];
    expect(history.map((p) => p.queueDepth)).toEqual([0, 1, 2]);
    expect(history.map((p) => p.uptimeS)).toEqual([3600, 3900, 4200]);
    expect(page.body).toContain('/fleet/assets/uPlot.iife.min.js');
    expect(page.body).toContain('data-in-doubt="1"');
    expect(page.body).toContain('data-event-type="journey.in-doubt"');
    expect(page.body).toContain('data-event-type="certificate.issued"');
    expect(page.body).not.toContain(order.id);
    expect(page.body).not.toContain('张伟');
    const uplot = await asOperator('GET', '/fleet/assets/uPlot.iife.min.js');
    expect(uplot.statusCode).toBe(200);
    expect(uplot.body).toContain('uPlot');
    expect((await asOperator('GET', '/fleet/assets/..%2Fpackage.json')).statusCode).toBe(404);
  });

  it('answers an unknown id with a 404 page, its id escaped', async () => {
    const r = await asOperator('GET', `/fleet/${encodeURIComponent('<b>NOPE</b>')}`);
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('data-not-found');
    expect(r.body).toContain('&lt;b&gt;NOPE&lt;/b&gt;');
    expect(r.body).not.toContain('<b>NOPE');
  });

  it('escapes hall and alarm subject strings on the console pages', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    await heartbeat({
      alarms: [{ kind: 'staff-lockout', subject: evil, since: '2026-03-01T07:00:00.000Z' }],
    });
    await h.app.central.db.run('UPDATE appliances SET hall = ? WHERE id = ?', '<script>x</script>', ID);
    for (const url of ['/fleet', `/fleet/${ID}`]) {
      const body = (await asOperator('GET', url)).body;
      expect(body).not.toContain(evil);
      expect(body).not.toContain('<script>x</script>');
      expect(body).toContain('&lt;script&gt;x&lt;/script&gt;');
    }
    expect((await asOperator('GET', '/fleet')).body).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('heartbeat history', () => {
  it(`keeps a point per 5 minutes for ${HEARTBEAT_HISTORY_DAYS} days: older points are pruned as new ones come`, async () => {
    const history = h.app.central.heartbeatHistory;
    await heartbeat({ queueDepth: 1 });
    // Heartbeats every 30 s within the step are not points of their own.
    for (let i = 0; i < 9; i++) {
      h.clock.ms += 30_000;
      await heartbeat({ queueDepth: 9 });
    }
    expect((await history.list(ID)).map((p) => p.queueDepth)).toEqual([1]);
    h.clock.ms += HEARTBEAT_HISTORY_STEP_MS - 9 * 30_000 + 1;
    await heartbeat({ queueDepth: 2 });
    expect((await history.list(ID)).map((p) => p.queueDepth)).toEqual([1, 2]);
    h.clock.ms += (HEARTBEAT_HISTORY_DAYS - 1) * 86_400_000;
    await heartbeat({ queueDepth: 3 });
    expect((await history.list(ID)).map((p) => p.queueDepth)).toEqual([1, 2, 3]);
    h.clock.ms += 86_400_000 + 60_000;
    await heartbeat({ queueDepth: 4 });
    expect((await history.list(ID)).map((p) => p.queueDepth)).toEqual([3, 4]);
    const db = h.app.central.db;
    if (db.dialect === 'sqlite') {
      const plan = await db.all<{ detail: string }>(
        'EXPLAIN QUERY PLAN SELECT at FROM heartbeat_history WHERE appliance_id = ? ORDER BY at',
        ID,
      );
      expect(plan.map((p) => p.detail).join(' ')).toContain('heartbeat_history_appliance_at');
    } else {
      // PostgreSQL plans a table this small with a scan; the index is there for the day it is not small.
      const indexes = await db.all<{ indexdef: string }>(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'heartbeat_history' AND schemaname = current_schema()",
      );
      expect(indexes.map((i) => i.indexdef).join(' ')).toMatch(
        /heartbeat_history_appliance_at.*\(appliance_id, at\)/,
      );
    }
  });
});

describe('POST /fleet/alarms/:alarmId/acknowledge (from the page)', () => {
  const raise = async () => {
    await heartbeat(); // an acknowledged condition stays quiet until it ends: end it first
    await heartbeat({ consumables: { paper: 'out', blankKeys: 40 } });
    const [alarm] = await openAlarms();
    expect(alarm?.kind).toBe('paper-out');
    return alarm!;
  };

  it('acknowledges with the session from the console page, goes back to it, and the audit names the operator', async () => {
    const alarm = await raise();
    const page = await asOperator('GET', '/fleet');
    expect(page.body).toContain(`<form method="post" action="/fleet/alarms/${alarm.id}/acknowledge">`);
    const r = await asOperator('POST', `/fleet/alarms/${alarm.id}/acknowledge`, {
      origin: 'http://localhost:80',
    });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/fleet');
    expect(await openAlarms()).toEqual([]);
    const audit = (
      (await h.admin('GET', '/admin/v1/operator-audit?actor=li.na')).json() as {
        entries: OperatorAuditEntry[];
      }
    ).entries;
    expect(audit[0]).toMatchObject({
      actor: 'li.na',
      action: 'POST /fleet/alarms/:alarmId/acknowledge',
      subject: `alarmId=${alarm.id}`,
    });
    // Sec-Fetch-Site same-origin (a browser that sent no Origin) is the console too.
    const again = await raise();
    h.clock.ms += 1;
    const r2 = await asOperator('POST', `/fleet/alarms/${again.id}/acknowledge`, {
      'sec-fetch-site': 'same-origin',
    });
    expect(r2.statusCode).toBe(303);
  });

  it('refuses without a session, cross-origin, or with no origin at all — nothing acknowledged, nothing audited', async () => {
    const alarm = await raise();
    const url = `/fleet/alarms/${alarm.id}/acknowledge`;
    const auditBefore = (await h.app.central.operators.auditLog()).length;
    const anon = await h.app.inject({
      method: 'POST',
      url,
      payload: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:80' },
    });
    expect(anon.statusCode).toBe(401);
    const refused: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      {},
    ];
    for (const headers of refused) {
      const r = await asOperator('POST', url, headers);
      expect(r.statusCode).toBe(403);
      expect(r.json()).toMatchObject({ code: 'ADMIN_CROSS_ORIGIN' });
    }
    expect((await openAlarms()).map((a) => a.id)).toEqual([alarm.id]);
    expect((await h.app.central.operators.auditLog()).length).toBe(auditBefore);
  });

  it('keeps every console page and asset closed without a session (401 with the login form)', async () => {
    for (const url of [
      '/fleet',
      `/fleet/${ID}`,
      '/fleet/NOPE',
      '/fleet/assets/fleet-live.js',
      '/fleet/events',
    ]) {
      const r = await h.app.inject({ url });
      expect(r.statusCode, url).toBe(401);
      expect(r.body, url).not.toContain(ID);
    }
  });
});
