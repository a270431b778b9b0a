// Test support: a real central on loopback, and a daemon in the sim profile (real drivers against the
// emulators over PTYs, SoftHSM2 behind the usbkey-sim module), both in temporary folders.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CertkioskConfig, parseConfig, TEST_SECRETS } from '@certkiosk/config';
import type { CreateOrderRequest, OrderActionResponse } from '@certkiosk/sync';
import { buildCentral } from '@certkiosk/sync/central';
import type { FastifyInstance } from 'fastify';
import { createApplianceClient } from '../api/client.js';
import type { DeviceStatusView, JourneyView } from '../api/contract.js';
import { DEMO_STAFF, demoStaffLogin } from '../staff/demo-accounts.js';

const repo = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
export const ADMIN_TOKEN = 'test-admin';
/** The secrets the sim daemon runs with in tests (defined once in config; refused in production). */
export const SIM_SECRETS_ENV = { ...TEST_SECRETS };
/** The staff accounts the sim profile seeds (S001 administrator, S002 operator), with their PINs. */
export const SIM_STAFF = DEMO_STAFF;
/** The body of POST /api/staff/login for a sim staff account (administrator unless said). */
export const simStaffLogin = demoStaffLogin;

export const ZHANG_WEI = { name: '张伟', idNumber: '440305198503071238' };

export interface CentralHandle {
  app: FastifyInstance;
  url: string;
  dataDir: string;
  createApprovedOrder(req?: Partial<CreateOrderRequest>): Promise<{ orderId: string; pickupCode: string }>;
  order(orderId: string): Promise<{ status: string; certificateSerial?: string }>;
  /** Any admin call (bearer token), its JSON answer; throws on a status ≥ 300. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read the admin answers they asked for
  admin<T = any>(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startTestCentral(
  dataDir = mkdtempSync(join(tmpdir(), 'ck-central-')),
  port = 0,
  opts: { now?: () => number; stopWithinMs?: number } = {},
): Promise<CentralHandle> {
  const app = await buildCentral({
    dataDir,
    pickupKeyPem: readFileSync(repo('sync/fixtures/sim-pickup-signing.key.pem'), 'utf8'),
    adminToken: ADMIN_TOKEN,
    autoApproveAppliances: true,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const inFlight = requestsInFlight(app);
  const url = await app.listen({ host: '127.0.0.1', port });
  const admin = async (method: 'GET' | 'POST', url_: string, payload?: unknown) => {
    const r = await app.inject({
      method,
      url: url_,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      ...(payload ? { payload: payload as object } : {}),
    });
    if (r.statusCode >= 300) throw new Error(`central ${method} ${url_}: ${r.statusCode} ${r.body}`);
    return r.json();
  };
  return {
    app,
    url,
    dataDir,
    async createApprovedOrder(req = {}) {
      const order = await admin('POST', '/admin/v1/orders', {
        certificateType: 'natural-person',
        businessType: 'new',
        serviceYears: 1,
        hall: 'SZ-FUTIAN',
        delivery: 'kiosk',
        applicant: { name: ZHANG_WEI.name, phone: '13800138000' },
        holder: ZHANG_WEI,
        ...req,
      });
      let last: OrderActionResponse | undefined;
      for (const action of [
        'request-payment',
        'pay-wechat',
        'request-identity',
        'verify-identity',
        'approve',
      ]) {
        last = await admin('POST', `/admin/v1/orders/${order.id}/actions`, { action });
      }
      return { orderId: order.id, pickupCode: last!.pickupCode! };
    },
    order: (orderId) => admin('GET', `/admin/v1/orders/${orderId}`),
    admin,
    stop: () =>
      stopWithin(
        'central',
        () => app.close(),
        opts.stopWithinMs,
        () => inFlight.describe(),
      ),
  };
}

/** How long a test's central or daemon may take to stop before the teardown says which one is stuck. */
export const STOP_WITHIN_MS = 20_000;

/**
 * `stop()`, bounded: a stop that has not finished after `ms` fails naming `what` and, from `detail`, what it is
 * still waiting for (a teardown that hangs is a request or a batch that never finishes, never a pass).
 */
export async function stopWithin(
  what: string,
  stop: () => Promise<unknown>,
  ms = STOP_WITHIN_MS,
  detail: () => string = () => '',
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const more = detail();
      reject(new Error(`${what} did not stop within ${ms} ms${more ? `; still in flight: ${more}` : ''}`));
    }, ms);
  });
  try {
    await Promise.race([stop(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The requests a Fastify app's server has begun and not yet answered, for a teardown to name. */
function requestsInFlight(app: FastifyInstance): { describe(): string } {
  const open = new Map<IncomingMessage, number>();
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    open.set(req, Date.now());
    res.on('close', () => open.delete(req));
  });
  return {
    describe: () =>
      [...open].map(([r, at]) => `${r.method} ${r.url} (${Date.now() - at} ms)`).join(', ') || 'no request',
  };
}

/** The sim profile, moved into `dir` and pointed at `centralUrl`. */
export function simConfig(dir: string, centralUrl: string): CertkioskConfig {
  const r = parseConfig(simConfigInput(dir, centralUrl), repo('config/profiles'));
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config;
}

/** The same, as a file a daemon child process can be started with; returns its path. */
export function writeSimConfigFile(
  dir: string,
  centralUrl: string,
  listenPort: number,
  opts: { blankKeys?: number } = {},
): string {
  const input = simConfigInput(dir, centralUrl);
  input.kiosk.listenPort = listenPort;
  if (opts.blankKeys) input.simulation.blankKeys = opts.blankKeys;
  input.devices.token.module = repo('firmware-bridge/dist/native/libcertkiosk-usbkey-sim.so');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(input, null, 2));
  return file;
}

// biome-ignore lint/suspicious/noExplicitAny: raw profile JSON, validated by parseConfig
function simConfigInput(dir: string, centralUrl: string): any {
  const input = JSON.parse(readFileSync(repo('config/profiles/sim.json'), 'utf8'));
  // Each folder has its own SoftHSM and so its own appliance key: give it its own appliance id too.
  input.appliance.id = `KIOSK-T-${createHash('sha256').update(dir).digest('hex').slice(0, 10)}`;
  input.central.url = centralUrl;
  input.store.dir = join(dir, 'store');
  input.simulation.dir = join(dir, 'sim');
  input.simulation.blankKeys = 3;
  input.devices.idReader.port = join(dir, 'pty', 'id-reader');
  input.devices.printer.port = join(dir, 'pty', 'printer');
  input.devices.scanner.port = join(dir, 'pty', 'scanner');
  input.kiosk.listenPort = 0;
  return input;
}

/** The typed client (`api`), plus a raw `call` for tests that look at statuses and bodies as sent. */
export function applianceClient(baseUrl: string) {
  const api = createApplianceClient(baseUrl);
  // A POST/DELETE always goes as application/json (`{}` when it has no body): the appliance refuses others.
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const payload = body ?? (method === 'GET' || method === 'HEAD' ? undefined : {});
    const r = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  return {
    api,
    call,
    state: async (): Promise<{ journey: JourneyView | null; devices: DeviceStatusView[] }> => {
      const r = await api.state();
      if (!r.ok) throw new Error(`GET /api/state: ${r.status} ${r.error.code}`);
      return r.data;
    },
    /** Poll the state until `pred` holds (or fail with the last state seen). */
    async until(pred: (j: JourneyView | null) => boolean, timeoutMs = 20_000): Promise<JourneyView | null> {
      const end = Date.now() + timeoutMs;
      let last: JourneyView | null = null;
      while (Date.now() < end) {
        last = (await this.state()).journey;
        if (pred(last)) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out; last journey state: ${JSON.stringify(last)}`);
    },
  };
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
