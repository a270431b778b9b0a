// The central under load: either a child process running the compiled certkiosk-central on loopback (its own
// event loop and CPU, as in production) with a fresh data directory, or an already running central given by
// URL (e.g. one on PostgreSQL). Reads the child's CPU time from /proc and central's own per-route request
// durations from /metrics.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLogLine } from '@certkiosk/config';

/** The compiled CLI (run `npx tsc -b` first). */
export const CENTRAL_CLI = fileURLToPath(new URL('../../../dist/cli/central.js', import.meta.url));
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

export interface CentralUnderLoad {
  url: string;
  adminToken: string;
  /** The data directory when this process started central; undefined for a central given by URL. */
  dataDir?: string;
  /** Central's CPU seconds so far (user + system), when it runs as our child. */
  cpuSeconds(): number | undefined;
  /** Stop it (a child only); its data directory stays until `removeData`. */
  close(): Promise<void>;
  removeData(): void;
}

export interface SpawnOptions {
  port?: number;
  adminToken?: string;
  /** Share a data directory (several central processes on one store); default: a new temporary one. */
  dataDir?: string;
  /** Extra flags, e.g. a store selection once central has one. */
  args?: string[];
}

/** Start certkiosk-central as a child on 127.0.0.1 with a temporary data directory; resolves once it listens. */
export async function spawnCentral(opts: SpawnOptions = {}): Promise<CentralUnderLoad> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ck-fleet-central-'));
  const adminToken = opts.adminToken ?? 'fleet-load-admin';
  const child = spawn(
    process.execPath,
    [
      CENTRAL_CLI,
      '--port',
      String(opts.port ?? 0),
      '--data',
      dataDir,
      '--admin-token',
      adminToken,
      // The whole fleet enrols from one IP (this generator): the per-IP limit on enrolment is not under test.
      '--public-rate-limit',
      '0',
      // Kiosks pause while the next step's kiosks enrol; that is the generator's pause, not a stale kiosk.
      '--stale-heartbeat-seconds',
      '900',
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      // Central's JSON log: its `listening` record carries the URL.
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      const url = lines.map(parseLogLine).find((r) => r?.msg === 'listening')?.['url'];
      if (typeof url === 'string') {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(url);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`central exited (${code}) before listening: ${stderr}`)));
  });
  return {
    url,
    adminToken,
    dataDir,
    cpuSeconds: () => procCpuSeconds(child),
    close: () => stopChild(child),
    removeData: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** A central started elsewhere (another store, another machine's loopback tunnel …): nothing to start or stop. */
export function externalCentral(url: string, adminToken: string): CentralUnderLoad {
  return {
    url: url.replace(/\/+$/, ''),
    adminToken,
    cpuSeconds: () => undefined,
    close: async () => {},
    removeData: () => {},
  };
}

function procCpuSeconds(child: ChildProcess): number | undefined {
  if (child.pid === undefined || child.exitCode !== null) return undefined;
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Central's own time per route: sum and count of certkiosk_central_http_request_duration_seconds. */
export type RouteTimes = Map<string, { sumS: number; count: number }>;

export async function routeTimes(c: CentralUnderLoad): Promise<RouteTimes> {
  const res = await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${c.adminToken}` } });
  const text = await res.text();
  const times: RouteTimes = new Map();
  const re = /^certkiosk_central_http_request_duration_seconds_(sum|count)\{([^}]*)\} ([0-9.eE+-]+)$/gm;
  for (const m of text.matchAll(re)) {
    const route = /route="([^"]*)"/.exec(m[2]!)?.[1] ?? '?';
    const method = /method="([^"]*)"/.exec(m[2]!)?.[1] ?? '?';
    const key = `${method} ${route}`;
    const t = times.get(key) ?? { sumS: 0, count: 0 };
    if (m[1] === 'sum') t.sumS += Number(m[3]);
    else t.count += Number(m[3]);
    times.set(key, t);
  }
  return times;
}

/** Mean server-side ms of a route between two snapshots (undefined when it served nothing in between). */
export function routeMeanMs(before: RouteTimes, after: RouteTimes, key: string): number | undefined {
  const a = after.get(key);
  if (!a) return undefined;
  const b = before.get(key) ?? { sumS: 0, count: 0 };
  const n = a.count - b.count;
  return n > 0 ? ((a.sumS - b.sumS) * 1000) / n : undefined;
}
