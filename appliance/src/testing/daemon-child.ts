// Test support: the sim daemon as a child process (so it can be SIGKILLed), an applicant who plays the
// journey from wherever it stands, staff who resolve what is in doubt, and central's rows for an order.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasLogRecord, parseLogLine } from '@certkiosk/config';
import { type ApiResult, createApplianceClient } from '../api/client.js';
import type { JourneyView } from '../api/contract.js';
import {
  type CentralHandle,
  SIM_SECRETS_ENV,
  simStaffLogin,
  waitFor,
  writeSimConfigFile,
} from './kiosk-harness.js';

const DAEMON = fileURLToPath(new URL('../../dist/sim/cli.js', import.meta.url));
export const HOLDER_PIN = '385172';

export interface DaemonChild {
  proc: ChildProcess;
  base: string;
  /** stdout and stderr, line by line. */
  output: string[];
  /** stdout alone (the daemon's JSON log records). */
  stdout: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The recovery outcome logged at start for each unfinished journey (`journey recovered` records). */
  recovered(): string[];
  stop(): Promise<void>;
}

let nextPort = 17_500 + Math.floor(Math.random() * 2000);

export async function startDaemonChild(
  dir: string,
  central: { url: string },
  env: Record<string, string> = {},
  opts: { blankKeys?: number; startTimeoutMs?: number; args?: string[] } = {},
): Promise<DaemonChild> {
  const port = nextPort++;
  const config = writeSimConfigFile(dir, central.url, port, opts);
  const proc = spawn(process.execPath, [DAEMON, '--config', config, ...(opts.args ?? [])], {
    env: {
      ...process.env,
      ...SIM_SECRETS_ENV,
      CERTKIOSK_POLL_MS: '100',
      CERTKIOSK_HEARTBEAT_MS: '500',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const stdout: string[] = [];
  let partial = '';
  proc.stdout?.on('data', (d) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    stdout.push(...lines);
    output.push(...lines.filter(Boolean));
  });
  proc.stderr?.on('data', (d) => output.push(...d.toString().split('\n').filter(Boolean)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.on('exit', (code, signal) => r({ code, signal })),
  );
  // The `listening` record (or, with a --log-level that leaves info out, the API answering).
  const answers = async () => {
    if (!opts.args?.includes('--log-level')) return false;
    try {
      return (await fetch(`http://127.0.0.1:${port}/api/state`, { headers: { connection: 'close' } })).ok;
    } catch {
      return false;
    }
  };
  await waitFor(
    async () =>
      hasLogRecord(output, 'listening') ||
      proc.exitCode !== null ||
      proc.signalCode !== null ||
      (await answers()),
    opts.startTimeoutMs ?? 30_000,
    'the daemon to listen',
  );
  if (proc.exitCode !== null) throw new Error(`daemon exited at start:\n${output.join('\n')}`);
  return {
    proc,
    base: `http://127.0.0.1:${port}`,
    output,
    stdout,
    exited,
    recovered: () =>
      output
        .map(parseLogLine)
        .filter((r) => r?.msg === 'journey recovered')
        .map((r) => String(r?.['outcome'])),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** A raw request, for tests that look at statuses and bodies as sent. Like the typed client, a POST/DELETE
 *  always goes as application/json (`{}` when it has no body): the appliance refuses anything else (415). */
export async function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
  const payload = body ?? (method === 'GET' || method === 'HEAD' ? undefined : {});
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (token) headers['authorization'] = `Bearer ${token}`;
  const r = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** The answer of a typed call; throws when the appliance did not answer at all (the process died). */
async function answered<T>(pending: Promise<ApiResult<T>>): Promise<ApiResult<T>> {
  const r = await pending;
  if (!r.ok && r.status === 0) throw new Error('the appliance did not answer');
  return r;
}

export async function journeyOf(base: string): Promise<JourneyView | null> {
  const r = await answered(createApplianceClient(base).state());
  if (!r.ok) throw new Error(`GET /api/state: ${r.status} ${r.error.code}`);
  return r.data.journey;
}

/** Where the applicant plays: a daemon child (which may die under us) or an in-process daemon. */
export interface PlayTarget {
  base: string;
  output?: string[];
  proc?: ChildProcess;
}

const alive = (t: PlayTarget) => !t.proc || (t.proc.exitCode === null && t.proc.signalCode === null);

/**
 * Play the applicant from wherever the journey stands until it completes, ends in doubt, or the process dies.
 * Returns the last view seen (null when the process died first). `card`: the ID-card fixture the holder
 * places (default 张伟's, the holder of central.createApprovedOrder's orders).
 */
export async function play(
  child: PlayTarget,
  code: string,
  timeoutMs = 40_000,
  stop: { now?: boolean } = {},
  card = 'han-zhang-wei',
): Promise<JourneyView | null> {
  const { base } = child;
  const api = createApplianceClient(base);
  const deadline = Date.now() + timeoutMs;
  let lastKey = '';
  let lastActed = 0;
  let last: JourneyView | null = null;
  while (Date.now() < deadline) {
    if (!alive(child) || stop.now) return last;
    let j: JourneyView | null;
    try {
      j = await journeyOf(base);
    } catch {
      return null; // the process died under us
    }
    last = j;
    if (j?.status === 'completed' || j?.status === 'in-doubt') return j;
    if (j?.status === 'failed') {
      // An ended journey: back to attract, and scan again (the order is collectable again).
      await api.endJourney();
      lastKey = '';
      continue;
    }
    const need = j?.need ?? 'start';
    // A new need, or the same need asked again after an error (e.g. the PIN reset): act once per revision.
    const key = `${need}:${need === 'pin' ? (j?.error?.code ?? '') : ''}`;
    // A scan nobody reacted to within 3 s is scanned again, as a person would.
    const again = (need === 'start' || need === 'scan') && Date.now() - lastActed > 3_000;
    if (key !== lastKey || again) {
      lastKey = key;
      lastActed = Date.now();
      try {
        // The last holder's key left in the writer: taken out, as the screen asks.
        if (j?.error?.code === 'TAKE_KEY_FIRST') await answered(api.simToken({ body: { action: 'pull' } }));
        if (need === 'start' || need === 'scan') await answered(api.simScan({ body: { code } }));
        else if (need === 'confirm-order') await answered(api.confirm());
        else if (need === 'id-card') await answered(api.simIdCard({ body: { fixture: card } }));
        else if (need === 'token') await answered(api.simToken({ body: { action: 'insert' } }));
        else if (need === 'pin') await answered(api.setPin({ body: { pin: HOLDER_PIN } }));
      } catch {
        return null;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `journey did not finish; last state ${JSON.stringify(last)}\n${(child.output ?? []).slice(-40).join('\n')}`,
  );
}

export async function staffLogin(base: string): Promise<string> {
  const r = await createApplianceClient(base).staffLogin({ body: simStaffLogin('administrator') });
  if (!r.ok) throw new Error(`staff login: ${r.status} ${JSON.stringify(r.error)}`);
  return r.data.token;
}

export interface InDoubtItem {
  id: string;
  step: string;
  note?: string;
  orderId?: string;
  tokenSerial?: string;
  certificateSerial?: string;
}

export async function inDoubt(base: string, token: string): Promise<InDoubtItem[]> {
  const r = await createApplianceClient(base).staffOverview({ token });
  if (!r.ok) throw new Error(`staff overview: ${r.status} ${JSON.stringify(r.error)}`);
  return r.data.inDoubt;
}

/**
 * Central's rows for an order: certificates (with revocation) and events by type, read through central's own
 * store (SQLite, or PostgreSQL in the PostgreSQL pass), as its auditor would.
 */
export async function centralRows(central: CentralHandle, orderId: string) {
  const db = central.app.central.db;
  const certificates = await db.all<Record<string, unknown>>(
    'SELECT * FROM certificates WHERE order_id = ?',
    orderId,
  );
  const events = await db.all<{ type: string; n: number }>(
    'SELECT type, COUNT(*) AS n FROM events WHERE order_id = ? GROUP BY type',
    orderId,
  );
  return { certificates, eventsByType: Object.fromEntries(events.map((e) => [e.type, e.n])) };
}
