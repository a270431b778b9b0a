// The live stream's view over the real store (SQLite, or PostgreSQL with CENTRAL_TEST_DATABASE): a comparison
// after a poke for one appliance among 200 costs a few statements and sends that row only; the whole view's
// statements do not grow with the fleet; rows that change without a request (stale, or another process's write)
// still reach the stream on the periodic path.
import { afterEach, describe, expect, it } from 'vitest';
import type { HeartbeatRequest } from '../../contract/schemas.js';
import { fakeEventStream } from '../fake-event-stream.js';
import { consoleRow, consoleRowsOf } from '../fleet-console.js';
import { FleetFeed, type FleetSource, type FleetView } from '../fleet-feed.js';
import { type Harness, healthyHeartbeat, issuedEvents, startHarness } from '../testing.js';
import { FleetLiveView } from './fleet-live-view.js';

const ID = 'KIOSK-T-001';
let h: Harness;
afterEach(() => h.close());

const heartbeat = (patch: Partial<HeartbeatRequest> = {}) =>
  h.signed('POST', '/v1/heartbeat', healthyHeartbeat(patch));

/** `n` more approved appliances in the harness's hall, copies of the enrolled one, heard from `at`. */
async function addAppliances(n: number, at: string, prefix = 'KIOSK-X-'): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
  for (const id of ids)
    await h.app.central.db.run(
      `INSERT INTO appliances (id, hall, public_key_pem, status, enrolled_at, approved_at, last_heartbeat_at, heartbeat_json)
         SELECT ?, hall, public_key_pem, 'approved', enrolled_at, approved_at, ?, heartbeat_json FROM appliances WHERE id = ?`,
      id,
      at,
      ID,
    );
  return ids;
}

/** Statements the store is asked for while `fn` runs. */
async function statementsOf<T>(fn: () => Promise<T>): Promise<{ value: T; statements: number }> {
  const db = h.app.central.db;
  const saved = { all: db.all, get: db.get, run: db.run };
  let statements = 0;
  const counted =
    <F extends (...args: never[]) => unknown>(f: F) =>
    (...args: Parameters<F>) => {
      statements += 1;
      return f.apply(db, args);
    };
  Object.assign(db, { all: counted(saved.all), get: counted(saved.get), run: counted(saved.run) });
  try {
    return { value: await fn(), statements };
  } finally {
    Object.assign(db, saved);
  }
}

/** The live view, counting each comparison's statements; `compared(n)` waits for the n-th comparison. */
function countingView() {
  const live = new FleetLiveView(() => h.app.central);
  const counts: number[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  const source: FleetSource = {
    snapshot: () => live.snapshot(),
    compare: async (scope, periodic): Promise<FleetView> => {
      const { value, statements } = await statementsOf(() => live.compare(scope, periodic));
      counts.push(statements);
      for (const w of waiting.filter((x) => x.n <= counts.length)) setImmediate(w.resolve);
      return value;
    },
  };
  return {
    source,
    counts,
    compared: (n: number) => new Promise<void>((resolve) => waiting.push({ n, resolve })),
  };
}

describe('the fleet stream over the store', () => {
  it('compares the row of the one appliance poked among 200 with a few statements, and sends that row only', async () => {
    h = await startHarness();
    await heartbeat();
    await addAppliances(199, new Date(h.clock.ms).toISOString());
    const view = countingView();
    const feed = new FleetFeed(view.source, { tickMs: 3_600_000 });
    const r = fakeEventStream();
    await feed.attach(r.res as never, async () => true);
    expect(await heartbeat({ queueDepth: 9 })).toHaveProperty('statusCode', 200);
    const done = view.compared(1);
    feed.poke(ID);
    await done;
    expect(r.rows().map((x) => x.id)).toEqual([ID]);
    expect(r.rows()[0]!.html).toMatch(/<td>9<\/td>/);
    // The open alarms, the appliance, its issuances, its audit head: no statement per appliance of the fleet.
    expect(view.counts[0]).toBeLessThanOrEqual(5);
    feed.closeAll();
  });

  it('renders the whole fleet with as many statements for 200 appliances as for 2', async () => {
    h = await startHarness();
    await heartbeat({ consumables: { paper: 'out', blankKeys: 40 } });
    const at = new Date(h.clock.ms).toISOString();
    await addAppliances(1, at);
    const live = new FleetLiveView(() => h.app.central);
    const whole = () => live.compare('all', false);
    const small = await statementsOf(whole);
    const smallPage = await statementsOf(() => consoleRowsOf(h.app.central));
    await h.app.central.db.run(
      `INSERT INTO appliances (id, hall, public_key_pem, status, enrolled_at, approved_at, last_heartbeat_at)
         SELECT 'KIOSK-Y-' || id, hall, public_key_pem, 'approved', enrolled_at, approved_at, last_heartbeat_at
         FROM appliances`,
    );
    await h.app.central.db.run(
      `INSERT INTO appliances (id, hall, public_key_pem, status, enrolled_at, approved_at, last_heartbeat_at)
         SELECT 'KIOSK-Z-' || id, hall, public_key_pem, 'approved', enrolled_at, approved_at, last_heartbeat_at
         FROM appliances`,
    );
    const big = await statementsOf(whole);
    const bigPage = await statementsOf(() => consoleRowsOf(h.app.central));
    expect(small.value.rows.size).toBe(2);
    expect(big.value.rows.size).toBe(8);
    expect(big.statements).toBe(small.statements);
    expect(bigPage.statements).toBe(smallPage.statements);
    await addAppliances(192, at, 'KIOSK-W-');
    const fleet = await statementsOf(whole);
    expect(fleet.value.rows.size).toBe(200);
    expect(fleet.statements).toBe(small.statements);
    expect((await statementsOf(() => consoleRowsOf(h.app.central))).statements).toBe(smallPage.statements);
  });

  it('gives the rows of a set of appliances as the whole view gives them, and the per-appliance row', async () => {
    h = await startHarness();
    await heartbeat({ consumables: { paper: 'out', blankKeys: 40 } });
    const ids = await addAppliances(3, new Date(h.clock.ms - 200_000).toISOString());
    const events = issuedEvents(2, h.clock.ms);
    expect((await h.signed('POST', '/v1/events', { events })).statusCode).toBe(200);
    const all = await consoleRowsOf(h.app.central);
    const some = await consoleRowsOf(h.app.central, [ids[1]!, ID, 'NO-SUCH-KIOSK']);
    const byId = new Map(all.map((r) => [r.appliance.id, r]));
    expect(new Set(some.map((r) => r.appliance.id))).toEqual(new Set([ids[1], ID]));
    for (const r of some) expect(r).toEqual(byId.get(r.appliance.id));
    const mine = byId.get(ID)!;
    expect(mine.issuedToday).toBe(2);
    expect(mine.alarms.map((a) => a.kind)).toEqual(['paper-out']);
    expect(byId.get(ids[1]!)!.stale).toBe(true);
    expect(await consoleRow(h.app.central, mine.appliance)).toEqual(mine);
  });

  it('sends the row that turned stale on the next tick, without comparing the fleet', async () => {
    h = await startHarness({ central: { fleetAlarms: { staleHeartbeatSeconds: 60 } } });
    await heartbeat();
    // The others were heard from 30 s later: they are not stale yet when this one is.
    await addAppliances(199, new Date(h.clock.ms + 30_000).toISOString());
    const view = countingView();
    const feed = new FleetFeed(view.source, { tickMs: 3_600_000 });
    const r = fakeEventStream();
    await feed.attach(r.res as never, async () => true);
    h.clock.ms += 61_000;
    await feed.tick();
    expect(r.rows().map((x) => x.id)).toEqual([ID]);
    expect(r.rows()[0]!.html).toContain('data-stale="true"');
    expect(r.rows()[0]!.html).toContain('heartbeat-stale');
    expect(JSON.stringify(r.alarms())).toContain('heartbeat-stale');
    // The sweep, the alarms, the rows that turned stale, and that row's three reads (and the hall of the alarm).
    expect(view.counts[0]).toBeLessThanOrEqual(12);
    feed.closeAll();
  });

  it('sends what changed without a request (another central process) on the full comparison of the periodic path', async () => {
    h = await startHarness();
    await heartbeat();
    const view = countingView();
    const feed = new FleetFeed(view.source, { tickMs: 3_600_000, fullCompareTicks: 3 });
    const r = fakeEventStream();
    await feed.attach(r.res as never, async () => true);
    await h.app.central.db.run(
      'UPDATE appliances SET heartbeat_json = ? WHERE id = ?',
      JSON.stringify(healthyHeartbeat({ queueDepth: 42 })),
      ID,
    );
    await feed.tick();
    await feed.tick();
    expect(r.rows()).toEqual([]);
    await feed.tick();
    expect(r.rows().map((x) => x.id)).toEqual([ID]);
    expect(r.rows()[0]!.html).toMatch(/<td>42<\/td>/);
    feed.closeAll();
  });
});
