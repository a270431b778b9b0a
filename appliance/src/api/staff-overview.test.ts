// The maintenance screen's overview and the staff reprint over HTTP: the API listening on 127.0.0.1 with the
// staff services the daemon uses (staff/overview.ts) over a real sync agent (its central a stand-in that can be
// down or up), a journey store's data and a stand-in printer. The top of the screen says which kiosk, which
// hall, whether central is reachable since when and the last successful sync; a reprint item has its order,
// time and masked holder; a printer without paper answers with its own error code, never INTERNAL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceError } from '@certkiosk/firmware-bridge';
import { type CentralClient, CentralClientError, SyncAgent } from '@certkiosk/sync';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReceiptData } from '../journey/receipt.js';
import { type ApplianceState, emptyState, type JourneyRecord } from '../journey/record.js';
import { reprintQueued, staffOverviewFacts } from '../staff/overview.js';
import { type ApplianceClient, createApplianceClient } from './client.js';
import type { DeviceStatusView } from './contract.js';
import type { StaffServices } from './server.js';
import { startTestApi, TEST_STAFF, type TestApi } from './testing-fakes.js';

let api: TestApi | undefined;
let agent: SyncAgent | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await api?.close();
  api = undefined;
  await agent?.close();
  agent = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const until = async (ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A central that is down (every call CENTRAL_UNAVAILABLE) until `up` is set. */
function standInCentral() {
  const central = { up: false, beats: 0 };
  const client = {
    heartbeat: async () => {
      if (!central.up)
        throw new CentralClientError('CENTRAL_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:7410');
      central.beats++;
      return { serverTime: new Date().toISOString(), latestCursor: '0' };
    },
    postEvents: async () => {
      throw new CentralClientError('CENTRAL_UNAVAILABLE');
    },
    getChanges: async () => ({ changes: [], cursor: '0', hasMore: false }),
  } as unknown as CentralClient;
  return { central, client };
}

function receipt(orderId: string, subject: string): ReceiptData {
  return {
    orderId,
    certificateType: 'natural-person',
    businessType: 'new',
    subject,
    certificateSerial: '5A3C910E',
    validFrom: '2025-03-03',
    validTo: '2027-03-03',
    keySerial: 'KEY0001',
    time: '2025-03-03 16:02:00 UTC+8',
    kioskId: 'KIOSK-TEST-001',
    idNumberMasked: '4403**********1238',
    lookupUrl: '',
    hallName: '福田区政务服务中心',
  };
}

/** A journey store's data with two receipts waiting: one whose holder the order names, one whose record is
 *  gone (the receipt's masked subject then), and one printed already (not listed). */
function storeData(): ApplianceState {
  const data = emptyState();
  data.journeys['J-1'] = {
    id: 'J-1',
    status: 'completed',
    step: 'completed',
    updatedAt: '2025-03-03T08:02:00.000Z',
    // The order's holder as central gave it, masked; the ID card that matched: the same person.
    order: { orderId: 'ORD-2025-000123', holder: { nameMasked: '张*' } },
    identity: { attempts: 1, nameMasked: '张*' },
  } as unknown as JourneyRecord;
  data.journeys['J-2'] = {
    id: 'J-2',
    status: 'completed',
    step: 'completed',
    updatedAt: '2025-03-03T08:05:00.000Z',
    // Never expected, but a name that reached the record unmasked is masked all the same.
    identity: { attempts: 1, nameMasked: '李小娜' },
  } as unknown as JourneyRecord;
  data.reprints.push(
    {
      id: 'R-2',
      journeyId: 'J-2',
      queuedAt: '2025-03-03T08:05:00.000Z',
      receipt: receipt('ORD-2025-000456', '李*娜'),
      state: 'queued',
    },
    {
      id: 'R-1',
      journeyId: 'J-1',
      queuedAt: '2025-03-03T08:02:00.000Z',
      receipt: receipt('ORD-2025-000123', '张*'),
      state: 'queued',
    },
    {
      id: 'R-3',
      journeyId: 'J-gone',
      queuedAt: '2025-03-03T08:07:00.000Z',
      receipt: receipt('ORD-2025-000789', '王*'),
      state: 'queued',
    },
    {
      id: 'R-0',
      journeyId: 'J-0',
      queuedAt: '2025-03-03T07:00:00.000Z',
      receipt: receipt('ORD-2025-000001', '赵*'),
      state: 'printed',
    },
  );
  return data;
}

const printerStatus = (detail: DeviceStatusView['detail']): DeviceStatusView => ({
  kind: 'printer',
  state: detail === 'paper-out' || detail === 'cover-open' ? 'user-action-needed' : 'online',
  detail,
  since: '2025-03-03T08:00:00.000Z',
});

interface World {
  data: ApplianceState;
  printer: DeviceStatusView;
  /** What the printer does with the next job: print, or throw this. */
  printerFails: Error | null;
  printed: string[];
  writes: number;
}

async function start(world: World, opts: { hallName?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ck-overview-'));
  dirs.push(dir);
  const central = standInCentral();
  agent = await SyncAgent.open({
    dir,
    client: central.client,
    outbox: { backoff: { baseMs: 20, maxMs: 50 } },
    heartbeat: {
      intervalMs: 20,
      collect: () => ({ softwareVersion: 'test', devices: [], consumables: { paper: 'ok' } }),
    },
  });
  const sync = agent;
  const staff: StaffServices = {
    overview: () =>
      staffOverviewFacts({
        softwareVersion: 'test',
        kiosk: {
          applianceId: 'KIOSK-TEST-001',
          hall: 'SZ-FUTIAN',
          timeZone: 'Asia/Shanghai',
          ...(opts.hallName ? { hallName: opts.hallName } : {}),
        },
        state: () => world.data,
        sync,
        printer: () => world.printer,
        blankKeysLeft: () => 17,
      }),
    reprint: (id) =>
      reprintQueued(
        world.data.reprints,
        id,
        async (doc) => {
          if (world.printerFails) throw world.printerFails;
          world.printed.push(JSON.stringify(doc));
        },
        async () => {
          world.writes++;
        },
      ),
    verifyAudit: async () => ({ ok: true, records: 0 }),
    audit: async () => undefined,
    diagnostics: async () => {
      throw new Error('not in this test');
    },
  };
  api = await startTestApi({ staff });
  const c = createApplianceClient(api.url);
  const login = await c.staffLogin({
    body: { staffId: TEST_STAFF.operator.staffId, pin: TEST_STAFF.operator.pin },
  });
  if (!login.ok) throw new Error(`sign-in refused: ${login.error.code}`);
  return { c, token: login.data.token, central: central.central, agent };
}

const newWorld = (): World => ({
  data: storeData(),
  printer: printerStatus(null),
  printerFails: null,
  printed: [],
  writes: 0,
});

async function overview(c: ApplianceClient, token: string) {
  const r = await c.staffOverview({ token });
  if (!r.ok) throw new Error(`overview refused: ${r.error.code}`);
  return r.data;
}

describe('the top of the maintenance screen', () => {
  it('says which kiosk and hall, that central is unreachable since when and why, then reachable with the last sync', async () => {
    const world = newWorld();
    const { c, token, central, agent } = await start(world, { hallName: '福田区政务服务中心' });
    const before = Date.now();
    agent.start();
    await until(() => agent.status().central.reachable === false);

    const down = await overview(c, token);
    expect(down.kiosk).toMatchObject({
      applianceId: 'KIOSK-TEST-001',
      hall: 'SZ-FUTIAN',
      hallName: '福田区政务服务中心',
      timeZone: 'Asia/Shanghai',
      central: { state: 'unreachable', lastError: 'CENTRAL_UNAVAILABLE' },
      lastSyncAt: null,
    });
    const since = Date.parse(down.kiosk.central.since ?? '');
    expect(since).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(down.kiosk.central.lastErrorAt ?? '')).toBeGreaterThanOrEqual(since);
    // A code, never the client's message (which may carry addresses).
    expect(JSON.stringify(down.kiosk)).not.toContain('ECONNREFUSED');

    central.up = true;
    await until(() => agent.status().central.reachable === true);
    const up = await overview(c, token);
    expect(up.kiosk.central.state).toBe('reachable');
    const upSince = Date.parse(up.kiosk.central.since ?? '');
    expect(upSince).toBeGreaterThanOrEqual(Date.parse(down.kiosk.central.lastErrorAt ?? ''));
    expect(up.kiosk.lastSyncAt).not.toBeNull();
    expect(Date.parse(up.kiosk.lastSyncAt ?? '')).toBeGreaterThanOrEqual(upSince);
    // The failure that came before stays on record with its code.
    expect(up.kiosk.central.lastError).toBe('CENTRAL_UNAVAILABLE');
  });

  it('names the hall by its code when the configuration gives no name; central unknown before any exchange', async () => {
    const { c, token } = await start(newWorld());
    const o = await overview(c, token);
    expect(o.kiosk).toEqual({
      applianceId: 'KIOSK-TEST-001',
      hall: 'SZ-FUTIAN',
      hallName: 'SZ-FUTIAN',
      timeZone: 'Asia/Shanghai',
      central: { state: 'unknown' },
      lastSyncAt: null,
    });
  });

  it('gives consumables as kinds with typed levels, not free-form codes', async () => {
    const world = newWorld();
    world.printer = printerStatus('paper-out');
    const { c, token } = await start(world);
    expect((await overview(c, token)).consumables).toEqual([
      { kind: 'blankKeys', count: 17 },
      { kind: 'paper', level: 'out' },
    ]);
    world.printer = printerStatus('paper-near-end');
    expect((await overview(c, token)).consumables[1]).toEqual({ kind: 'paper', level: 'low' });
    world.printer = { ...printerStatus('disconnected'), state: 'offline' };
    expect((await overview(c, token)).consumables[1]).toEqual({ kind: 'paper', level: 'unknown' });
  });
});

describe('reprints on the maintenance screen', () => {
  it('list the queued receipts oldest first with order, queue time and masked holder, never a full name', async () => {
    const { c, token } = await start(newWorld());
    const o = await overview(c, token);
    expect(o.reprints).toEqual([
      {
        id: 'R-1',
        orderId: 'ORD-2025-000123',
        queuedAt: '2025-03-03T08:02:00.000Z',
        holderNameMasked: '张*',
      },
      {
        id: 'R-2',
        orderId: 'ORD-2025-000456',
        queuedAt: '2025-03-03T08:05:00.000Z',
        holderNameMasked: '李*娜',
      },
      // The journey's record is gone: the receipt's masked subject.
      {
        id: 'R-3',
        orderId: 'ORD-2025-000789',
        queuedAt: '2025-03-03T08:07:00.000Z',
        holderNameMasked: '王*',
      },
    ]);
    const text = JSON.stringify(o);
    expect(text).not.toContain('李小娜');
    // Only what the screen needs: not the whole receipt (ID number, key serial, lookup link).
    expect(text).not.toContain('4403**********1238');
    expect(text).not.toContain('KEY0001');
  });

  it('without paper answer PRINTER_OUT_OF_PAPER (not INTERNAL) and keep the receipt; with paper it prints', async () => {
    const world = newWorld();
    world.printer = printerStatus('paper-out');
    world.printerFails = new DeviceError('PRINTER_PAPER_OUT', 'The receipt printer is out of paper.', {
      state: 'paper-out',
      phase: 'before-job',
    });
    const { c, token } = await start(world);
    const refused = await c.reprint({ params: { id: 'R-1' }, token });
    expect(refused).toMatchObject({
      ok: false,
      status: 409,
      error: { code: 'PRINTER_OUT_OF_PAPER', action: 'none', retryable: true },
    });
    expect(world.writes).toBe(0);
    expect((await overview(c, token)).reprints.map((r) => r.id)).toEqual(['R-1', 'R-2', 'R-3']);

    // The cover open, and the paper running out half-way: each with its own code too.
    world.printerFails = new DeviceError('PRINTER_COVER_OPEN', 'The receipt printer cover is open.', {});
    expect(await c.reprint({ params: { id: 'R-1' }, token })).toMatchObject({
      ok: false,
      status: 409,
      error: { code: 'PRINTER_COVER_OPEN' },
    });
    world.printerFails = new DeviceError('PRINTER_JOB_FAILED', 'The receipt was not printed completely.', {
      state: 'paper-out',
      cause: 'PRINTER_PAPER_OUT',
    });
    expect(await c.reprint({ params: { id: 'R-1' }, token })).toMatchObject({
      ok: false,
      error: { code: 'PRINTER_OUT_OF_PAPER' },
    });
    // A printer that is not there at all: the device is unavailable.
    world.printerFails = new DeviceError('DEVICE_UNAVAILABLE', 'The receipt printer is not available.', {});
    expect(await c.reprint({ params: { id: 'R-1' }, token })).toMatchObject({
      ok: false,
      status: 503,
      error: { code: 'DEVICE_UNAVAILABLE' },
    });

    world.printer = printerStatus(null);
    world.printerFails = null;
    expect(await c.reprint({ params: { id: 'R-1' }, token })).toMatchObject({
      ok: true,
      data: { state: 'printed' },
    });
    expect(world.printed).toHaveLength(1);
    expect(world.printed[0]).toContain('REPRINT');
    expect(world.writes).toBe(1);
    expect((await overview(c, token)).reprints.map((r) => r.id)).toEqual(['R-2', 'R-3']);
    // Printed once: it is no longer queued, and saying so is not an internal error either.
    expect(await c.reprint({ params: { id: 'R-1' }, token })).toMatchObject({
      ok: false,
      status: 404,
      error: { code: 'REPRINT_UNKNOWN' },
    });
  });
});
