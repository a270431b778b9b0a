// The maintenance screen's sync, audit-log and kiosk-control routes over HTTP (issue 15): the API on 127.0.0.1
// with a real sync agent (its central a stand-in that refuses one event and can be down), a real hash-chained
// audit log, a durable out-of-service file and fakes for the journeys. Attack tests: no staff token, an
// operator restarting, an applicant starting a journey while out of service, bad audit filters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CentralClient, CentralClientError, SyncAgent, type SyncEvent } from '@certkiosk/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.js';
import { KioskControl } from '../staff/kiosk-control.js';
import { createApplianceClient } from './client.js';
import { type MaintenanceServices, syncStatusView } from './maintenance-routes.js';
import { ROUTES, type RouteName } from './routes.js';
import { rawRequest, signIn, startTestApi, TEST_STAFF, type TestApi } from './testing-fakes.js';

let api: TestApi | undefined;
let agent: SyncAgent | undefined;
let audit: AuditLog | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await api?.close();
  api = undefined;
  await agent?.close();
  agent = undefined;
  await audit?.close();
  audit = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ck-maint-'));
  dirs.push(d);
  return d;
};

const POISON = 'evt-poisoned-0001';
const event = (id: string): SyncEvent => ({
  id,
  type: 'receipt.printed',
  occurredAt: new Date().toISOString(),
  payload: {},
});

/** A central that refuses the poisoned event (400 EVENT_REFUSED) and stores the rest, while `up`. */
function standInCentral() {
  const central = { up: true, stored: [] as string[], beats: 0, poisoned: new Set([POISON]) };
  const client = {
    heartbeat: async () => {
      if (!central.up) throw new CentralClientError('CENTRAL_UNAVAILABLE');
      central.beats++;
      return { serverTime: new Date().toISOString(), latestCursor: '0' };
    },
    postEvents: async (events: SyncEvent[]) => {
      if (!central.up) throw new CentralClientError('CENTRAL_UNAVAILABLE');
      if (events.some((e) => central.poisoned.has(e.id)))
        throw new CentralClientError('CENTRAL_REFUSED', 'refused', {
          status: 400,
          centralCode: 'EVENT_REFUSED',
          centralMessage: 'Event cannot be accepted.',
        });
      central.stored.push(...events.map((e) => e.id));
      return { accepted: events.length, duplicates: 0, acknowledged: events.map((e) => e.id) };
    },
    getChanges: async () => ({ changes: [], cursor: '0', hasMore: false }),
  } as unknown as CentralClient;
  return { central, client };
}

async function start(opts: { restart?: () => void; controlFile?: string } = {}) {
  const { central, client } = standInCentral();
  agent = await SyncAgent.open({
    dir: tmp(),
    client,
    outbox: { backoff: { baseMs: 20, maxMs: 50 } },
    heartbeat: {
      intervalMs: 60_000,
      collect: () => ({ softwareVersion: 'test', devices: [], consumables: { paper: 'ok' } }),
    },
  });
  const a = agent;
  audit = await AuditLog.open(tmp());
  const log = audit;
  const control = await KioskControl.open({
    file: opts.controlFile ?? join(tmp(), 'kiosk-service.json'),
    hallName: '福田区政务服务中心',
  });
  const maintenance: MaintenanceServices = {
    control,
    auditNewestFirst: (before) => log.readNewestFirst(before),
    ...(opts.restart ? { restart: opts.restart } : {}),
    sync: {
      status: () => a.status(),
      pendingCount: () => a.pendingCount(),
      parked: () => a.outbox.parked(),
      retryParked: (id) => a.outbox.retryParked(id),
      discardParked: (id) => a.outbox.discardParked(id),
      deliverOnce: () => a.outbox.deliverOnce(),
      beatOnce: () => a.heartbeat!.beatOnce(),
    },
  };
  api = await startTestApi({
    maintenance,
    auditSink: (actor, action, details) => log.append(actor, action, details),
  });
  const c = createApplianceClient(api.url);
  return { api, c, central, agent: a, audit: log, control, maintenance };
}

const NEW_ROUTES: RouteName[] = [
  'syncStatus',
  'syncNow',
  'retryParkedEvent',
  'discardParkedEvent',
  'searchAudit',
  'kioskService',
  'setKioskService',
  'restartDaemon',
];

describe('sync on the maintenance screen', () => {
  it('shows the queue depth, the parked event with central’s refusal code, and "sync now" delivers', async () => {
    const { c, central, agent: a } = await start();
    await a.enqueue(event(POISON));
    await a.enqueue(event('evt-good-00001'));
    const token = await signIn(c, TEST_STAFF.operator);

    const before = await c.syncStatus({ token });
    expect(before.ok && before.data.queueDepth).toBe(2);

    const now = await c.syncNow({ token });
    expect(now.ok).toBe(true);
    if (!now.ok) return;
    expect(now.data.heartbeat).toBe('sent');
    expect(['delivered', 'parked']).toContain(now.data.delivery);
    expect(central.stored).toContain('evt-good-00001');
    expect(now.data.status.queueDepth).toBe(0);
    expect(now.data.status.parked).toEqual([
      expect.objectContaining({
        id: POISON,
        type: 'receipt.printed',
        refusal: { status: 400, code: 'EVENT_REFUSED' },
      }),
    ]);
    expect(now.data.status.lastSyncAt).toEqual(expect.any(String));
    expect(api!.audit.map((r) => [r.actor, r.action])).toContainEqual(['staff:S002', 'sync.now']);
  });

  it('"sync now" with central down answers the failure and its code (and the last error)', async () => {
    const { c, central, agent: a } = await start();
    central.up = false;
    await a.enqueue(event('evt-good-00002'));
    const token = await signIn(c, TEST_STAFF.operator);
    const now = await c.syncNow({ token });
    expect(now.ok && [now.data.delivery, now.data.heartbeat, now.data.error]).toEqual([
      'failed',
      'failed',
      'CENTRAL_UNAVAILABLE',
    ]);
    expect(now.ok && now.data.status.queueDepth).toBe(1);
    expect(now.ok && now.data.status.lastError).toBe('CENTRAL_UNAVAILABLE');
  });

  it('a parked event is retried (delivered once central takes it) or discarded, each audited', async () => {
    const { c, central, agent: a } = await start();
    await a.enqueue(event(POISON));
    await a.enqueue(event('evt-poisoned-0002'));
    central.poisoned.add('evt-poisoned-0002');
    const token = await signIn(c, TEST_STAFF.operator);
    await c.syncNow({ token });
    expect(
      a.outbox
        .parked()
        .map((p) => p.id)
        .sort(),
    ).toEqual([POISON, 'evt-poisoned-0002']);

    central.poisoned.delete(POISON);
    const retried = await c.retryParkedEvent({ params: { id: POISON }, token });
    expect(retried.ok && retried.data.action).toBe('retried');
    await c.syncNow({ token });
    expect(central.stored).toContain(POISON);

    const discarded = await c.discardParkedEvent({ params: { id: 'evt-poisoned-0002' }, token });
    expect(discarded.ok && discarded.data.status.parked).toEqual([]);
    const actions = api!.audit.map((r) => r.action);
    expect(actions).toContain('sync.parked.retry');
    expect(actions).toContain('sync.parked.discard');

    const gone = await c.discardParkedEvent({ params: { id: 'evt-poisoned-0002' }, token });
    expect(gone).toMatchObject({ ok: false, status: 404, error: { code: 'PARKED_EVENT_UNKNOWN' } });
  });

  it('syncStatusView without an agent is empty, not an error', () => {
    expect(syncStatusView(undefined)).toEqual({
      queueDepth: 0,
      parked: [],
      lastSyncAt: null,
      central: 'unknown',
    });
  });
});

describe('audit log search', () => {
  it('filters by actor, action and time, newest first, in pages; ID numbers stay masked', async () => {
    const { c, audit: log } = await start();
    const token = await signIn(c, TEST_STAFF.administrator);
    await log.append('applicant', 'journey.identity-verified', { idNumber: '440301199001011238' });
    for (let i = 0; i < 5; i++) await log.append('staff:S002', 'receipt.reprint', { reprintId: `R-${i}` });

    const mine = await c.searchAudit({ query: { actor: 'S002', action: 'receipt.', limit: '2' }, token });
    expect(mine.ok).toBe(true);
    if (!mine.ok) return;
    expect(mine.data.records.map((r) => r.details['reprintId'])).toEqual(['R-4', 'R-3']);
    expect(mine.data.records.every((r) => r.actor === 'staff:S002')).toBe(true);
    const next = await c.searchAudit({
      query: { actor: 'S002', action: 'receipt.', limit: '2', before: String(mine.data.nextBefore) },
      token,
    });
    expect(next.ok && next.data.records.map((r) => r.details['reprintId'])).toEqual(['R-2', 'R-1']);

    const all = await c.searchAudit({ query: { action: 'journey.' }, token });
    const text = JSON.stringify(all);
    expect(text).not.toContain('440301199001011238');
    expect(all.ok && all.data.records).toHaveLength(1);

    const future = await c.searchAudit({ query: { from: '2999-01-01T00:00:00Z' }, token });
    expect(future.ok && future.data.records).toEqual([]);
  });

  it.each([
    ['from', { from: 'yesterday' }],
    ['to', { from: '2025-03-03T10:00:00Z', to: '2025-03-03T09:00:00Z' }],
    ['actor', { actor: 'staff:<script>' }],
    ['action', { action: 'DROP TABLE' }],
    ['limit', { limit: '101' }],
    ['limit', { limit: '0' }],
    ['before', { before: '-1' }],
  ])('a bad %s filter is 400 AUDIT_FILTER_INVALID naming it', async (field, query) => {
    const { c } = await start();
    const token = await signIn(c, TEST_STAFF.operator);
    const r = await c.searchAudit({ query, token });
    expect(r).toMatchObject({
      ok: false,
      status: 400,
      error: { code: 'AUDIT_FILTER_INVALID', params: { field } },
    });
  });
});

describe('kiosk control', () => {
  it('out of service: an applicant cannot start a journey or a service by calling the API; back in service they can', async () => {
    const { c, api, control } = await start();
    const token = await signIn(c, TEST_STAFF.operator);
    const out = await c.setKioskService({ body: { outOfService: true }, token });
    expect(out.ok && out.data).toMatchObject({ outOfService: true, hallName: '福田区政务服务中心' });
    expect(control.outOfService).toBe(true);

    const state = await c.state();
    expect(state.ok && state.data.kioskService?.outOfService).toBe(true);
    for (const r of [
      await c.startJourney(),
      await c.scan({ body: { code: 'CK1.anything' } }),
      await c.startService({ body: { kind: 'activate' } }),
    ]) {
      expect(r).toMatchObject({ ok: false, status: 503, error: { code: 'KIOSK_OUT_OF_SERVICE' } });
    }
    expect(api.engine.calls).toEqual([]);
    expect(api.audit.map((r) => r.action)).toContain('kiosk.out-of-service');

    await c.setKioskService({ body: { outOfService: false }, token });
    expect((await c.startJourney()).ok).toBe(true);
    expect(api.audit.map((r) => r.action)).toContain('kiosk.in-service');
  });

  it('out of service survives a restart (the state is in its file)', async () => {
    const file = join(tmp(), 'kiosk-service.json');
    const first = await KioskControl.open({ file });
    await first.set(true, 'staff:S002', new Date('2025-03-03T08:00:00Z'));
    const again = await KioskControl.open({ file });
    expect(again.state()).toEqual({ outOfService: true, since: '2025-03-03T08:00:00.000Z' });
    expect(again.since()).toBe('2025-03-03T08:00:00.000Z');
  });

  it('restart: refused for an operator, refused while a session runs unless forced, audited', async () => {
    let restarts = 0;
    const { c, api } = await start({ restart: () => restarts++ });
    const operator = await signIn(c, TEST_STAFF.operator);
    const admin = await signIn(c, TEST_STAFF.administrator);

    const refused = await c.restartDaemon({ body: {}, token: operator });
    expect(refused).toMatchObject({ ok: false, status: 403, error: { code: 'STAFF_FORBIDDEN' } });

    await c.startJourney();
    const busy = await c.restartDaemon({ body: {}, token: admin });
    expect(busy).toMatchObject({ ok: false, status: 409, error: { code: 'RESTART_SESSION_RUNNING' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(restarts).toBe(0);
    expect(api.audit.map((r) => r.action)).not.toContain('daemon.restart');

    const forced = await c.restartDaemon({ body: { force: true }, token: admin });
    expect(forced.ok && forced.data).toEqual({ restarting: true });
    const until = Date.now() + 2000;
    while (restarts === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(restarts).toBe(1);
    expect(api.audit).toContainEqual(
      expect.objectContaining({
        actor: 'staff:S001',
        action: 'daemon.restart',
        details: { force: true, sessionRunning: true },
      }),
    );
  });

  it('every new route without a staff token is 401 and changes nothing', async () => {
    let restarts = 0;
    const { api, agent: a, control } = await start({ restart: () => restarts++ });
    await a.enqueue(event(POISON));
    await a.outbox.deliverOnce();
    expect(a.outbox.parked()).toHaveLength(1);
    const auditedBefore = api.audit.length;
    for (const name of NEW_ROUTES) {
      const def = ROUTES[name];
      const path = def.url.replace(':id', POISON);
      const body =
        def.method === 'POST' ? (name === 'setKioskService' ? { outOfService: true } : {}) : undefined;
      for (const token of [undefined, 'forged-token']) {
        const r = await rawRequest(api.url, def.method, path, body, token);
        expect([name, r.status, r.body.code]).toEqual([name, 401, 'STAFF_AUTH_REQUIRED']);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(restarts).toBe(0);
    expect(control.outOfService).toBe(false);
    expect(a.outbox.parked()).toHaveLength(1);
    expect(api.audit.length).toBe(auditedBefore);
  });
});
