// Test support for the API's own tests: the API built around a fake engine, fake devices, fake staff services
// and (optionally) the sim routes over a fake simulation, listening on 127.0.0.1 like the daemon. Every call
// the API makes on them is recorded, so a test can show that a refused request changed nothing.
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ApplianceError } from '../errors.js';
import type { PickupEngine } from '../journey/engine.js';
import { simRoutes } from '../sim/routes.js';
import type { Simulation } from '../sim/simulation.js';
import type { DeviceStatusView, JourneyView, KioskSettings } from './contract.js';
import { type ApiOptions, buildApplianceApi } from './server.js';

export const STAFF_PIN = '8642';

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

/** A stand-in for PickupEngine with the methods the API calls: one journey walking scan → confirm → pin. */
export function fakeEngine(): { engine: PickupEngine; calls: EngineCalls; inDoubt: Array<{ id: string }> } {
  const calls: EngineCalls = [];
  const inDoubt: Array<{ id: string }> = [];
  const emitter = new EventEmitter();
  let view: JourneyView | null = null;
  const change = (patch: Partial<JourneyView>) => {
    if (!view) throw new ApplianceError('NO_ACTIVE_JOURNEY');
    view = { ...view, ...patch, revision: view.revision + 1 };
    emitter.emit('journey', view);
    return view;
  };
  const engine = Object.assign(emitter, {
    isBusy: false,
    current: () => (view ? { id: view.id, step: view.step, status: view.status } : null),
    view: () => view,
    inDoubt: () =>
      inDoubt.map((j) => ({ id: j.id, step: 'certificate-issued', updatedAt: '2025-01-01T00:00:00.000Z' })),
    async start() {
      calls.push('start');
      view = {
        id: `J-${calls.length}`,
        revision: 1,
        kind: 'pickup',
        step: 'scanned',
        status: 'active',
        need: 'scan',
        progress: { steps: [] },
      };
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
      return { ...(view ?? (await engine.start())), id, status: 'completed', need: 'take-items' };
    },
    async resolveRevokeVoid(id: string) {
      calls.push(`revoke-void:${id}`);
      return { ...(view ?? (await engine.start())), id, status: 'failed', need: 'none' };
    },
    async markResolved(id: string) {
      calls.push(`mark-resolved:${id}`);
    },
  });
  return { engine: engine as unknown as PickupEngine, calls, inDoubt };
}

/** The emulator side the sim routes drive, recording what was done. */
export function fakeSimulation(): { sim: Simulation; calls: string[] } {
  const calls: string[] = [];
  let blanks = 3;
  const sim = {
    tray: { blanksLeft: () => blanks },
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
  sim: ReturnType<typeof fakeSimulation>;
  audit: Array<{ actor: string; action: string }>;
  close(): Promise<void>;
}

/** The API with fakes and the sim routes (central on loopback), listening on 127.0.0.1 on a free port. */
export async function startTestApi(
  opts: Partial<ApiOptions> & { centralUrl?: string } = {},
): Promise<TestApi> {
  const engine = fakeEngine();
  const sim = fakeSimulation();
  const audit: Array<{ actor: string; action: string }> = [];
  const { centralUrl, ...apiOpts } = opts;
  const app = await buildApplianceApi({
    engine: engine.engine,
    devices: { status: () => DEVICES, on: () => undefined, off: () => undefined },
    settings: SETTINGS,
    staff: {
      pin: STAFF_PIN,
      overview: () => ({ version: 'test', queue: { depth: 0 }, reprints: [], spoiledKeys: [] }),
      reprint: async () => ({ state: 'printed' }),
      verifyAudit: async () => ({ ok: true, records: 3 }),
      audit: async (actor, action) => {
        audit.push({ actor, action });
      },
    },
    plugins: [simRoutes({ sim: sim.sim, centralUrl: centralUrl ?? 'http://127.0.0.1:7410' })],
    ...apiOpts,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(url).port);
  return { app, url, port, engine, sim, audit, close: () => app.close() };
}
