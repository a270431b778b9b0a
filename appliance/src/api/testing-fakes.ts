// Test support for the API's own tests: the API built around a fake engine, fake devices, fake staff services,
// a real staff store (accounts in a temporary folder, cheap scrypt) and (optionally) the sim routes over a fake
// simulation, listening on 127.0.0.1 like the daemon. Every call the API makes on them is recorded, so a test
// can show that a refused request changed nothing.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '@certkiosk/config';
import type { FastifyInstance } from 'fastify';
import { buildDiagnostics } from '../diagnostics/diagnostics.js';
import { ApplianceError } from '../errors.js';
import type { PickupEngine } from '../journey/engine.js';
import type { JourneyRecord } from '../journey/record.js';
import type { ServiceEngine } from '../services/engine.js';
import { simRoutes } from '../sim/routes.js';
import type { Simulation } from '../sim/simulation.js';
import { BlankKeyStock } from '../staff/blank-key-stock.js';
import {
  hashStaffPin,
  openStaffStore,
  type ScryptParams,
  type StaffSeedAccount,
  type StaffStore,
  type StaffStoreOptions,
  staffStoreAuth,
} from '../staff/index.js';
import type { ApplianceClient } from './client.js';
import type { DeviceStatusView, JourneyView, KioskSettings } from './contract.js';
import { journeyRef } from './journey-ref.js';
import { type ApiOptions, buildApplianceApi } from './server.js';
import type { ServiceKind, ServiceView } from './service-contract.js';

/** The seeded accounts of every test API (PINs whose digits do not occur by chance in times or counts). */
export const TEST_STAFF = {
  administrator: { staffId: 'S001', name: '陈静', role: 'administrator', pin: '583920' },
  operator: { staffId: 'S002', name: '王强', role: 'operator', pin: '704158' },
} as const;
/** scrypt at its lowest accepted cost: the tests sign in often. */
export const FAST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1 };

let seedOnce: Promise<StaffSeedAccount[]> | undefined;
/** TEST_STAFF as the config's seed (hashed once per test file). */
export function testStaffSeed(): Promise<StaffSeedAccount[]> {
  seedOnce ??= Promise.all(
    Object.values(TEST_STAFF).map(async (a) => ({
      id: a.staffId,
      name: a.name,
      role: a.role,
      pinHash: await hashStaffPin(a.pin, FAST_SCRYPT),
    })),
  );
  return seedOnce;
}

/** A staff store seeded with TEST_STAFF in a fresh temporary folder. */
export async function openTestStaffStore(
  opts: Partial<StaffStoreOptions> & Pick<StaffStoreOptions, 'audit'>,
): Promise<{ store: StaffStore; file: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'ck-staff-')), 'staff.json');
  const store = await openStaffStore({
    file,
    seed: await testStaffSeed(),
    hashParams: FAST_SCRYPT,
    sweepIntervalMs: 0,
    ...opts,
  });
  return { store, file };
}

/** The sim profile's configuration, parsed without touching the disk (for the diagnostics bundle). */
export function simProfileConfig() {
  return configSchema.parse(
    JSON.parse(readFileSync(new URL('../../../config/profiles/sim.json', import.meta.url), 'utf8')),
  );
}

export const SETTINGS: KioskSettings = {
  applianceId: 'KIOSK-TEST-001',
  hall: 'SZ-FUTIAN',
  languages: ['zh-CN', 'en'],
  idleWarningMs: 60_000,
  idleWipeMs: 30_000,
  elderlyTimeoutFactor: 1.5,
  pinPolicy: { minLength: 6, maxLength: 8, digitsOnly: true, forbidSequences: true, forbidRepeated: true },
  serviceHotline: '0755-8888 6666',
};

const DEVICES: DeviceStatusView[] = [
  { kind: 'token', state: 'online', detail: 'token-absent', since: '2025-01-01T00:00:00.000Z' },
  { kind: 'printer', state: 'online', detail: null, since: '2025-01-01T00:00:00.000Z' },
];

/** Engine calls the API made, in order ('start', 'scan:<code>', 'pin', …; a PIN is never recorded). */
export type EngineCalls = string[];

const AWAITING = ['scan', 'confirm-order', 'id-card', 'token', 'pin'] as const;

/** A stand-in for PickupEngine with the methods the API calls: one journey walking scan → confirm → pin. Its
 *  journeys are kept as records (what the engine stores), which a test may add to. */
export function fakeEngine(): {
  engine: PickupEngine;
  calls: EngineCalls;
  inDoubt: Array<{ id: string }>;
  records: JourneyRecord[];
} {
  const calls: EngineCalls = [];
  const inDoubt: Array<{ id: string }> = [];
  const records: JourneyRecord[] = [];
  const emitter = new EventEmitter();
  let view: JourneyView | null = null;
  /** The stored record of the view's journey, as the engine would have written it. */
  const record = (v: JourneyView) => {
    let r = records.find((x) => x.id === v.id);
    if (!r) {
      const at = new Date().toISOString();
      r = {
        id: v.id,
        kind: 'pickup',
        step: v.step,
        status: 'active',
        startedAt: at,
        updatedAt: at,
      } as JourneyRecord;
      records.push(r);
    }
    Object.assign(r, {
      step: v.step,
      status: v.status,
      awaiting: (AWAITING as readonly string[]).includes(v.need) ? v.need : 'none',
      updatedAt: new Date().toISOString(),
      ...(v.order
        ? {
            order: { ...v.order, identitySalt: 'c2FsdA==', holder: { nameMasked: v.order.holderNameMasked } },
          }
        : {}),
      ...(v.error ? { error: v.error } : {}),
    });
  };
  const change = (patch: Partial<JourneyView>) => {
    if (!view) throw new ApplianceError('NO_ACTIVE_JOURNEY');
    view = { ...view, ...patch, revision: view.revision + 1 };
    record(view);
    emitter.emit('journey', view);
    return view;
  };
  const engine = Object.assign(emitter, {
    isBusy: false,
    current: () =>
      view
        ? {
            id: view.id,
            step: view.step,
            status: view.status,
            // The journey keeps its order's id until the done screen is left (the invoice asks for it).
            ...(view.order ? { order: { orderId: view.order.orderId } } : {}),
          }
        : null,
    view: () => view,
    journeys: () => records,
    inDoubt: () =>
      inDoubt.map((j) => ({ id: j.id, step: 'certificate-issued', updatedAt: '2025-01-01T00:00:00.000Z' })),
    async start() {
      calls.push('start');
      const id = randomUUID();
      view = {
        id,
        ref: journeyRef(id),
        revision: 1,
        cancellable: true,
        kind: 'pickup',
        step: 'scanned',
        status: 'active',
        need: 'scan',
        progress: { steps: [] },
      };
      record(view);
      emitter.emit('journey', view);
      return view;
    },
    async scan(code: string) {
      calls.push(`scan:${code}`);
      return change({
        step: 'order-verified',
        need: 'confirm-order',
        order: {
          orderId: 'ORD-1',
          certificateType: 'natural-person',
          businessType: 'new',
          serviceYears: 1,
          holderNameMasked: '张*',
        },
      });
    },
    async confirm() {
      calls.push('confirm');
      return change({ need: 'id-card', identity: { state: 'waiting' } });
    },
    async setPin(_pin: string) {
      calls.push('pin');
      return change({ step: 'completed', status: 'completed', need: 'take-items' });
    },
    async retry() {
      calls.push('retry');
      return change({});
    },
    async wipe(reason: string) {
      calls.push(`wipe:${reason}`);
      view = null;
      emitter.emit('journey', null);
    },
    async close() {
      calls.push('close');
      view = null;
      emitter.emit('journey', null);
    },
    async endSession() {
      calls.push('endSession');
      view = null;
      emitter.emit('journey', null);
    },
    async resolveRetryWrite(id: string) {
      calls.push(`retry-write:${id}`);
      return {
        ...(view ?? (await engine.start())),
        id,
        ref: journeyRef(id),
        status: 'completed',
        need: 'take-items',
      };
    },
    async resolveRevokeVoid(id: string) {
      calls.push(`revoke-void:${id}`);
      return { ...(view ?? (await engine.start())), id, ref: journeyRef(id), status: 'failed', need: 'none' };
    },
    async markResolved(id: string) {
      calls.push(`mark-resolved:${id}`);
    },
  });
  return { engine: engine as unknown as PickupEngine, calls, inDoubt, records };
}

/** A service engine that records what the API asked of it (the real one: services/engine.ts). */
export function fakeServices(): {
  services: ServiceEngine;
  calls: string[];
  /** Put the service in this state (as the real engine would get there) and tell the API. */
  show(v: ServiceView | null): void;
} {
  const calls: string[] = [];
  const emitter = new EventEmitter();
  let view: ServiceView | null = null;
  const set = (v: ServiceView | null) => {
    view = v;
    emitter.emit('service', v);
    return v;
  };
  const need = (): ServiceView => {
    const v = view;
    if (v?.status !== 'active') throw new ApplianceError('NO_ACTIVE_JOURNEY');
    return v;
  };
  const services = Object.assign(emitter, {
    isBusy: false,
    current: () => (view ? { id: view.id, status: view.status, kind: view.kind } : null),
    view: () => view,
    open: () => view?.status === 'active',
    keyLeftBehind: () => false,
    cancellable: () => !view || view.cancellable,
    async start(kind: ServiceKind) {
      calls.push(`start:${kind}`);
      const id = randomUUID();
      return set({
        id,
        ref: journeyRef(id),
        revision: 1,
        kind,
        step: 'started',
        status: 'active',
        need: kind === 'lookup' ? 'scan-or-id-card' : 'token',
        cancellable: true,
      });
    },
    async submitCode(code: string) {
      calls.push(`code:${code}`);
      return set({ ...need(), step: 'code-accepted', need: 'pin', cancellable: false });
    },
    async scan(code: string) {
      calls.push(`scan:${code}`);
      return set({ ...need() });
    },
    async setPin() {
      calls.push('pin');
      return set({ ...need(), step: 'completed', status: 'completed', need: 'result', cancellable: false });
    },
    async retry() {
      calls.push('retry');
      return need();
    },
    async checkPayment() {
      calls.push('payment');
      return view;
    },
    async payAgain() {
      calls.push('pay-again');
      return need();
    },
    async payOrder(position: number) {
      calls.push(`pay-order:${position}`);
      return need();
    },
    async orderPayment(position: number) {
      calls.push(`order-payment:${position}`);
      return need();
    },
    async leaveOrderPayment(position: number) {
      calls.push(`leave-order-payment:${position}`);
      return need();
    },
    async wipe(reason: string) {
      calls.push(`wipe:${reason}`);
      set(null);
      emitter.emit('wiped', { reason });
    },
    async close() {
      calls.push('close');
      set(null);
      emitter.emit('wiped', { reason: 'completed' });
    },
  });
  return { services: services as unknown as ServiceEngine, calls, show: set };
}

/** The emulator side the sim routes drive, recording what was done. */
export function fakeSimulation(): { sim: Simulation; calls: string[] } {
  const calls: string[] = [];
  let blanks = 3;
  const sim = {
    tray: { blanksLeft: () => blanks, heldKeys: () => ['couriered'] },
    insertHeldKey(name: string) {
      calls.push(`insert:${name}`);
      return `HELD-${name}`;
    },
    lockHeldKeyPin(name: string) {
      calls.push(`lock-pin:${name}`);
      return 'c0ffee0123456789';
    },
    async scan(code: string) {
      calls.push(`scan:${code}`);
    },
    async placeCard(fixture: string | null) {
      calls.push(`card:${fixture}`);
      return fixture ? { name: fixture } : null;
    },
    cardFixtures: () => [{ name: 'han-zhang-wei', path: '/fixtures/han-zhang-wei.json' }],
    insertBlankKey() {
      calls.push('insert');
      blanks -= 1;
      return `BLANK-${3 - blanks}`;
    },
    pullKeys() {
      calls.push('pull');
      return ['BLANK-1'];
    },
    setPrinter(state: object) {
      calls.push(`printer:${JSON.stringify(state)}`);
    },
    receipts: () => [],
    latestReceiptPng: async () => Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    async stop() {},
  };
  return { sim: sim as unknown as Simulation, calls };
}

/** A built-UI folder: index.html loading one script and one stylesheet from assets/, as Vite emits it. */
export function fakeUiDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ck-ui-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><script type="module" crossorigin src="./assets/index.js"></script>' +
      '<link rel="stylesheet" crossorigin href="./assets/index.css"></head><body><div id="app"></div></body></html>',
  );
  writeFileSync(join(dir, 'assets', 'index.js'), 'document.getElementById("app").textContent = "kiosk";\n');
  writeFileSync(join(dir, 'assets', 'index.css'), 'body { margin: 0 }\n');
  return dir;
}

export interface TestApi {
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  engine: ReturnType<typeof fakeEngine>;
  services: ReturnType<typeof fakeServices>;
  sim: ReturnType<typeof fakeSimulation>;
  /** Everything audited: the API's own staff actions and the staff store's (details as given). */
  audit: Array<{ actor: string; action: string; details: Record<string, unknown> }>;
  /** The real staff store behind the staff routes. */
  staff: StaffStore;
  /** Its file (hashes and lockout counters). */
  staffFile: string;
  close(): Promise<void>;
}

/** `authorization` header value of a token. */
export const bearer = (token: string) => `Bearer ${token}`;

/** A staff member signed in through the API: the session token (throws when the sign-in is refused). */
export async function signIn(c: ApplianceClient, who: { staffId: string; pin: string }): Promise<string> {
  const r = await c.staffLogin({ body: { staffId: who.staffId, pin: who.pin } });
  if (!r.ok) throw new Error(`sign-in of ${who.staffId} refused: ${r.error.code}`);
  return r.data.token;
}

/** What a refusal (or a sign-in) answers, as a raw request reads it. */
export interface RawBody {
  code?: string;
  params?: Record<string, string | number>;
  token?: string;
  staffId?: string;
  role?: string;
}

/** A raw JSON request (to send what the typed client would not, and read the headers it does not return). */
export async function rawRequest(base: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: bearer(token) } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json().catch(() => ({}))) as RawBody };
}

/** The API with fakes, a real staff store and the sim routes (central on loopback), on 127.0.0.1, a free port. */
export async function startTestApi(
  opts: Partial<ApiOptions> & {
    centralUrl?: string;
    /** Options of the staff store (a clock, lockout settings…). */
    staffStore?: Partial<StaffStoreOptions>;
    /** Also hand every audited record to this (e.g. a real AuditLog's append). */
    auditSink?: (
      actor: `staff:${string}` | 'system' | 'applicant',
      action: string,
      details: Record<string, unknown>,
    ) => Promise<unknown>;
  } = {},
): Promise<TestApi> {
  const engine = fakeEngine();
  const services = fakeServices();
  const sim = fakeSimulation();
  const audit: TestApi['audit'] = [];
  const { centralUrl, staffStore: staffOpts, auditSink, ...apiOpts } = opts;
  const record = async (actor: string, action: string, details: Record<string, unknown>) => {
    audit.push({ actor, action, details: structuredClone(details) });
    await auditSink?.(
      actor.startsWith('staff:') || actor === 'applicant'
        ? (actor as `staff:${string}` | 'applicant')
        : 'system',
      action,
      details,
    );
  };
  const { store, file } = await openTestStaffStore({ audit: record, ...staffOpts });
  const devices = { status: () => DEVICES, on: () => undefined, off: () => undefined };
  const blankKeys = BlankKeyStock.open({
    file: join(mkdtempSync(join(tmpdir(), 'ck-api-stock-')), 'blank-keys.json'),
    seed: 2,
  });
  let app: FastifyInstance;
  try {
    app = await buildApplianceApi({
      engine: engine.engine,
      services: services.services,
      devices,
      settings: SETTINGS,
      staffAuth: staffStoreAuth(store),
      staff: {
        overview: () => ({
          kiosk: {
            applianceId: SETTINGS.applianceId,
            hall: SETTINGS.hall,
            hallName: SETTINGS.hall,
            timeZone: 'Asia/Shanghai',
            central: { state: 'unknown' },
            lastSyncAt: null,
          },
          version: 'test',
          queue: { depth: 0 },
          consumables: [],
          reprints: [],
          spoiledKeys: [],
        }),
        reprint: async () => ({ state: 'printed' }),
        // The self-tests' and the stock's gating and audit are the API's; the real ones run in
        // maintenance.softhsm.test.ts. Here: a printer that prints, a real stock file with 2 keys.
        selfTest: async (kind) => {
          if (kind !== 'printer') throw new ApplianceError('DEVICE_UNAVAILABLE');
          return { device: 'printer', ok: true, printed: true };
        },
        refillBlankKeys: async (count) => (await blankKeys).refill(count),
        verifyAudit: async () => ({ ok: true, records: 3 }),
        audit: record,
        diagnostics: (by) =>
          buildDiagnostics(
            {
              softwareVersion: 'test',
              config: simProfileConfig(),
              devices: devices.status,
              journeys: () => [],
              reprints: () => [],
              spoiledKeys: () => 0,
              inDoubt: () => engine.inDoubt.length,
              audit: { head: () => ({ seq: 0, hash: '0'.repeat(64) }), read: async function* () {} },
              verifyAudit: async () => ({
                ok: true,
                records: 0,
                head: { seq: 0, hash: '0'.repeat(64) },
                tornTail: false,
              }),
              staffAlarms: () => store.alarms(),
              staffSessions: () => store.activeSessions(),
            },
            by,
          ),
      },
      plugins: [simRoutes({ sim: sim.sim, centralUrl: centralUrl ?? 'http://127.0.0.1:7410' })],
      ...apiOpts,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(url).port);
  return {
    app,
    url,
    port,
    engine,
    services,
    sim,
    audit,
    staff: store,
    staffFile: file,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
