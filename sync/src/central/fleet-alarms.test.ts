// Condition alarms as operations see them in GET /admin/v1/alarms: what a heartbeat says is wrong is raised while
// it holds and cleared by the first heartbeat without it; a kiosk that stops sending heartbeats turns stale after
// the configured time; an acknowledged condition stays quiet until it ends and comes back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm, AlarmKind, AlarmListResponse, HeartbeatRequest } from '../contract/schemas.js';
import { type Harness, newApplianceKey, startHarness, type TestAppliance } from './testing.js';

const STALE_S = 90;
const LOW_STOCK = 5;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    central: { fleetAlarms: { staleHeartbeatSeconds: STALE_S, lowStockBlankKeys: LOW_STOCK } },
  });
});
afterAll(() => h.close());

let n = 0;
async function kiosk(): Promise<TestAppliance> {
  const a = newApplianceKey(`KIOSK-FLEET-${++n}`);
  await h.enrol(a);
  await h.admin('POST', `/admin/v1/appliances/${a.id}/approve`);
  return a;
}

const HEALTHY: HeartbeatRequest = {
  softwareVersion: '1.0.0',
  devices: [
    { device: 'printer', status: 'online' },
    { device: 'id-reader', status: 'online' },
  ],
  consumables: { paper: 'ok', blankKeys: 40 },
  queueDepth: 0,
  parkedEvents: 0,
  inDoubt: 0,
};

async function beat(a: TestAppliance, patch: Partial<HeartbeatRequest> = {}): Promise<void> {
  const r = await h.signed('POST', '/v1/heartbeat', { ...HEALTHY, ...patch }, a);
  expect(r.statusCode).toBe(200);
}

async function alarms(a: TestAppliance, all = false): Promise<Alarm[]> {
  const r = await h.admin('GET', `/admin/v1/alarms?applianceId=${a.id}${all ? '&all=true' : ''}`);
  expect(r.statusCode).toBe(200);
  return (r.json() as AlarmListResponse).alarms;
}
const kinds = async (a: TestAppliance): Promise<AlarmKind[]> => (await alarms(a)).map((x) => x.kind).sort();

describe('alarms from heartbeats', () => {
  it('a healthy heartbeat raises nothing', async () => {
    const a = await kiosk();
    await beat(a);
    expect(await alarms(a)).toEqual([]);
  });

  it('a device in error is raised with the device, counted while it lasts, and cleared by a heartbeat without it', async () => {
    const a = await kiosk();
    const broken = {
      devices: [{ device: 'printer', status: 'hardware-error' as const, detail: 'cutter-jam' }],
    };
    await beat(a, broken);
    await beat(a, broken);
    const open = await alarms(a);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      kind: 'device-error',
      occurrences: 2,
      details: { devices: [{ device: 'printer', detail: 'cutter-jam' }] },
    });
    expect(open[0]!.message).toContain('printer (cutter-jam)');
    await beat(a);
    expect(await alarms(a)).toEqual([]);
    const all = await alarms(a, true);
    expect(all).toHaveLength(1);
    expect(all[0]!.clearedAt).toBeDefined();
    expect(all[0]!.acknowledgedAt).toBeUndefined();
  });

  it('each condition raises its own kind and only while it holds: paper out, low stock, in doubt, parked events', async () => {
    const a = await kiosk();
    await beat(a, { consumables: { paper: 'out', blankKeys: LOW_STOCK - 1 }, inDoubt: 2, parkedEvents: 3 });
    expect(await kinds(a)).toEqual(['in-doubt', 'low-stock', 'paper-out', 'parked-events']);
    const low = (await alarms(a)).find((x) => x.kind === 'low-stock')!;
    expect(low.details).toEqual({ blankKeys: LOW_STOCK - 1, threshold: LOW_STOCK });
    // Paper refilled and exactly the threshold of keys: those two end, the others stay.
    await beat(a, { consumables: { paper: 'low', blankKeys: LOW_STOCK }, inDoubt: 2, parkedEvents: 3 });
    expect(await kinds(a)).toEqual(['in-doubt', 'parked-events']);
    await beat(a);
    expect(await kinds(a)).toEqual([]);
  });

  it('an acknowledged condition does not come back while it lasts; once ended, it comes back as a new alarm', async () => {
    const a = await kiosk();
    await beat(a, { parkedEvents: 1 });
    const [first] = await alarms(a);
    expect((await h.admin('POST', `/admin/v1/alarms/${first!.id}/acknowledge`)).statusCode).toBe(200);
    await beat(a, { parkedEvents: 1 });
    await beat(a, { parkedEvents: 2 });
    expect(await alarms(a)).toEqual([]);
    expect((await alarms(a, true)).filter((x) => x.kind === 'parked-events')).toHaveLength(1);
    await beat(a);
    await beat(a, { parkedEvents: 4 });
    const again = await alarms(a);
    expect(again).toHaveLength(1);
    expect(again[0]!.id).not.toBe(first!.id);
    expect(again[0]).toMatchObject({ kind: 'parked-events', occurrences: 1, details: { parkedEvents: 4 } });
  });
});

describe('stale heartbeats', () => {
  it('a kiosk silent past the configured time turns stale once, and its next heartbeat clears it', async () => {
    const a = await kiosk();
    await beat(a);
    h.clock.ms += (STALE_S - 1) * 1000;
    expect(await kinds(a)).toEqual([]);
    h.clock.ms += 2000;
    expect(await kinds(a)).toEqual(['heartbeat-stale']);
    h.clock.ms += 60_000;
    const stale = await alarms(a);
    expect(stale).toHaveLength(1); // looked at again: still the one alarm
    expect(stale[0]!.message).toContain(`more than ${STALE_S} s`);
    await beat(a);
    expect(await kinds(a)).toEqual([]);
    expect((await alarms(a, true)).find((x) => x.kind === 'heartbeat-stale')?.clearedAt).toBeDefined();
  });

  it('an acknowledged stale alarm is not raised again until the kiosk was heard from and went silent again', async () => {
    const a = await kiosk();
    await beat(a);
    h.clock.ms += (STALE_S + 1) * 1000;
    const [stale] = await alarms(a);
    await h.admin('POST', `/admin/v1/alarms/${stale!.id}/acknowledge`);
    h.clock.ms += (STALE_S + 1) * 1000;
    expect(await alarms(a)).toEqual([]);
    await beat(a);
    h.clock.ms += (STALE_S + 1) * 1000;
    expect(await kinds(a)).toEqual(['heartbeat-stale']);
  });

  it('an approved kiosk never heard from is stale counted from its approval; an unapproved one never is', async () => {
    const a = await kiosk();
    const pending = newApplianceKey(`KIOSK-FLEET-PENDING-${++n}`);
    await h.enrol(pending);
    h.clock.ms += (STALE_S + 1) * 1000;
    expect(await kinds(a)).toEqual(['heartbeat-stale']);
    expect((await alarms(a))[0]!.message).toContain('since approval');
    expect(await kinds(pending)).toEqual([]);
  });
});
