// Fleet load (issue 15): simulated kiosks, each with its own enrolled key and a request session opened with it,
// send heartbeats every 30 s (phases spread evenly) and their pickups' events, MACed in the session; the fleet
// grows through a ramp until the heartbeat p99 passes 100 ms or errors appear. Records fleet.<store>.kiosks and
// fleet.<store>.p99_ms in bench-results.json.
// Run after `npx tsc -b`: node sync/dist/bench/fleet-load.bench.js [--help]
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type BenchFigures, recordBenchFigures } from '@certkiosk/config';
import { SESSION_LIFETIME_MS, SESSION_RENEW_BEFORE_MS } from '../contract/request-sessions.js';
import { type CentralUnderLoad, externalCentral, spawnCentral } from './fleet/central-process.js';
import {
  type RequestAuthCosts,
  requestAuthMicros,
  type SqliteHeartbeatCost,
  sqliteHeartbeatMicros,
} from './fleet/cost-probes.js';
import { postgresCpuSeconds } from './fleet/database-cpu.js';
import { DEFAULT_RAMP, P99_LIMIT_MS } from './fleet/ramp.js';
import { type RampResult, type RampStep, runRamp } from './fleet/run-ramp.js';

const USAGE = `usage: node sync/dist/bench/fleet-load.bench.js [options]
  --store LABEL          figures are fleet.LABEL.kiosks / fleet.LABEL.p99_ms (default sqlite)
  --central-url URL,...  load centrals that are already running (one store, several processes: kiosk i goes
                         to URL i mod m); they need --public-rate-limit 0. Admin token: --admin-token or env
                         CERTKIOSK_CENTRAL_ADMIN_TOKEN. Default: start certkiosk-central as a child process
  --centrals K           start K central child processes on one store (needs --central-arg naming a shared
                         store; default 1, SQLite in a temporary directory)
  --central-arg ARG      extra flag for each child central (repeatable), e.g. --central-arg=--database=URL
  --enrol code|auto      code (default): each kiosk as in production — registered by the operator, enrols
                         with its one-time code, approved by key fingerprint; auto: one signed enrolment on a
                         central with --auto-approve-appliances (loopback; faster ramps). Not timed as load
  --ramp N,N,...         fleet sizes (default ${DEFAULT_RAMP.join(',')})
  --warmup-s S           unmeasured seconds at the start of each step (default 5)
  --measure-s S          measured seconds of each step (default 25)
  --cap-min M            total time cap, enrolment and session openings included (default 16)
  --event-speedup X      compress time for pickup events only (default 1: real time, 20 pickups/kiosk/day)
  --no-record            print only; leave bench-results.json alone`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      store: { type: 'string', default: 'sqlite' },
      'central-url': { type: 'string' },
      'admin-token': { type: 'string' },
      centrals: { type: 'string', default: '1' },
      'central-arg': { type: 'string', multiple: true, default: [] },
      enrol: { type: 'string', default: 'code' },
      ramp: { type: 'string', default: DEFAULT_RAMP.join(',') },
      'warmup-s': { type: 'string', default: '5' },
      'measure-s': { type: 'string', default: '25' },
      'cap-min': { type: 'string', default: '16' },
      'event-speedup': { type: 'string', default: '1' },
      'no-record': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const store = values.store;
  if (!/^[a-z0-9_]+$/.test(store)) throw new Error('--store must be lower-case letters, digits or _.');
  const ramp = values.ramp.split(',').map((x) => Number(x.trim()));
  if (ramp.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--ramp takes whole numbers ≥ 1.');
  const num = (flag: keyof typeof values) => {
    const n = Number(values[flag]);
    if (!(n >= 0)) throw new Error(`--${flag} must be a number.`);
    return n;
  };
  const enrolMode = values.enrol;
  if (enrolMode !== 'code' && enrolMode !== 'auto') throw new Error('--enrol is code or auto.');
  const centralCount = num('centrals');
  const centralArgs = values['central-arg'];
  if (centralCount > 1 && centralArgs.length === 0)
    throw new Error(
      '--centrals > 1 needs --central-arg naming one shared store (SQLite is one process only).',
    );

  const centrals: CentralUnderLoad[] = [];
  let spawnedDataDir: string | undefined;
  if (values['central-url']) {
    const token = values['admin-token'] ?? process.env.CERTKIOSK_CENTRAL_ADMIN_TOKEN;
    if (!token)
      throw new Error('--central-url needs --admin-token or CERTKIOSK_CENTRAL_ADMIN_TOKEN (for enrolment).');
    for (const url of values['central-url'].split(',')) centrals.push(externalCentral(url.trim(), token));
  } else {
    for (let i = 0; i < centralCount; i++) {
      const c = await spawnCentral({
        args: [...(enrolMode === 'auto' ? ['--auto-approve-appliances'] : []), ...centralArgs],
        ...(spawnedDataDir ? { dataDir: spawnedDataDir } : {}),
      });
      spawnedDataDir ??= c.dataDir;
      centrals.push(c);
    }
  }
  console.log(
    `fleet load on ${store}: ${centrals.map((c) => c.url).join(', ')}; ramp ${ramp.join(', ')}; ` +
      `enrolment ${enrolMode}; step ${values['warmup-s']} s warm-up + ${values['measure-s']} s measured; cap ${values['cap-min']} min; ` +
      `stop at heartbeat p99 > ${P99_LIMIT_MS} ms or any error`,
  );
  let result: RampResult;
  try {
    result = await runRamp({
      centrals,
      ramp,
      warmupMs: num('warmup-s') * 1000,
      measureMs: num('measure-s') * 1000,
      capMs: num('cap-min') * 60_000,
      eventSpeedup: num('event-speedup'),
      enrolMode,
      // PostgreSQL on this machine (a --database postgres:// central): its server processes' CPU too.
      ...(centralArgs.some((a) => /^--database=postgres(ql)?:\/\//.test(a))
        ? { databaseCpuSeconds: postgresCpuSeconds }
        : {}),
      onProgress: (line) => console.log(line),
    });
  } finally {
    for (const c of centrals) await c.close();
  }
  console.log(`  stopped: ${result.stopReason} (${result.seconds.toFixed(0)} s)`);

  // Central is stopped: probe its SQLite writes on the store the ramp filled (a child central's only).
  const sqliteCost =
    spawnedDataDir && centralArgs.length === 0
      ? await sqliteHeartbeatMicros(
          spawnedDataDir,
          result.kiosks.map((k) => k.id),
        )
      : undefined;
  if (spawnedDataDir) rmSync(spawnedDataDir, { recursive: true, force: true });
  const auth = await requestAuthMicros();

  printSteps(result.steps);
  printWhereTimeGoes(result, auth, sqliteCost);
  console.log(
    `fleet.${store}.kiosks = ${result.reached.kiosks} (heartbeat p99 ${result.reached.p99Ms} ms)  goal on PostgreSQL: 50000`,
  );
  if (values['no-record']) return;
  const passed = result.steps.find((s) => s.kiosks === result.reached.kiosks && result.reached.kiosks > 0);
  const figures: BenchFigures = {
    [`fleet.${store}.kiosks`]: { value: result.reached.kiosks, unit: 'kiosks' },
    [`fleet.${store}.p99_ms`]: { value: result.reached.p99Ms, unit: 'ms' },
  };
  if (passed)
    figures[`fleet.${store}.heartbeats_per_s`] = { value: passed.heartbeatsPerS, unit: 'heartbeats/s' };
  if (passed?.centralCpuPct !== undefined)
    figures[`fleet.${store}.central_cpu_pct`] = { value: passed.centralCpuPct, unit: '% of a core' };
  if (passed?.databaseCpuPct !== undefined)
    figures[`fleet.${store}.database_cpu_pct`] = { value: passed.databaseCpuPct, unit: '% of a core' };
  const enrolRates = result.steps.flatMap((s) => (s.enrolPerS ? [s.enrolPerS] : []));
  if (enrolRates.length > 0)
    figures[`fleet.${store}.enrol_per_s`] = { value: Math.max(...enrolRates), unit: 'kiosks/s' };
  const firstRates = result.steps.flatMap((s) => (s.firstHeartbeatsPerS ? [s.firstHeartbeatsPerS] : []));
  if (firstRates.length > 0)
    figures[`fleet.${store}.first_heartbeats_per_s`] = {
      value: Math.max(...firstRates),
      unit: 'heartbeats/s',
    };
  recordBenchFigures(figures);
}

function printSteps(steps: RampStep[]): void {
  console.log(
    '\n kiosks  enrol/s  1st hb/s  hb/s    p50 ms  p99 ms  max ms  events p99  errors  central CPU  db CPU  gen CPU  machine CPU wait  gen lag p99',
  );
  for (const s of steps) {
    console.log(
      ` ${pad(s.kiosks, 7)} ${pad(s.enrolPerS ?? '-', 8)} ${pad(s.firstHeartbeatsPerS ?? '-', 9)} ${pad(s.heartbeatsPerS, 7)} ${pad(s.heartbeat.p50Ms, 7)} ` +
        `${pad(s.heartbeat.p99Ms, 7)} ${pad(s.heartbeat.maxMs, 7)} ${pad(s.events.p99Ms, 11)} ${pad(s.errors, 7)} ` +
        `${pad(s.centralCpuPct === undefined ? '-' : `${s.centralCpuPct}%`, 12)} ` +
        `${pad(s.databaseCpuPct === undefined ? '-' : `${s.databaseCpuPct}%`, 7)} ${pad(`${s.generatorCpuPct}%`, 8)} ` +
        `${pad(s.machinePressure ? `${s.machinePressure.cpuPct}%` : '-', 18)} ` +
        `${s.generatorLagP99Ms} ms${s.generatorSaturated ? ' SATURATED' : ''}`,
    );
  }
}

/** The short table: for the last step run (where the ramp stopped, or its top), what each heartbeat costs. */
function printWhereTimeGoes(
  result: RampResult,
  auth: RequestAuthCosts,
  sqlite: SqliteHeartbeatCost | undefined,
): void {
  const s = result.steps.at(-1);
  if (!s) return;
  const rate = s.heartbeatsPerS;
  // A process's CPU share spread over the step's heartbeats (its events' share included).
  const perHeartbeat = (pct: number) =>
    rate > 0 ? ` → ${((pct * 1e4) / rate).toFixed(0)} µs per heartbeat (events included)` : '';
  const core = (micros: number) => `${((micros * rate) / 1e4).toFixed(0)}% of a core at ${rate}/s`;
  // Each kiosk opens a session an hour, SESSION_RENEW_BEFORE_MS before its last one ends.
  const openingsPerS = (s.kiosks * 1000) / (SESSION_LIFETIME_MS - SESSION_RENEW_BEFORE_MS);
  const openingsCore = `${(((auth.openingSignatureCheckMicros + auth.openingKeyAgreementMicros) * openingsPerS) / 1e4).toFixed(2)}% of a core (${openingsPerS.toFixed(1)} openings/s)`;
  console.log(`\nwhere the time goes (step of ${s.kiosks} kiosks, ${rate} heartbeats/s):`);
  const rows: [string, string][] = [
    ['heartbeat latency at the kiosk', `p50 ${s.heartbeat.p50Ms} ms, p99 ${s.heartbeat.p99Ms} ms`],
    [
      "central's own time per heartbeat",
      s.centralHeartbeatMs === undefined
        ? 'n/a (no /metrics)'
        : `${s.centralHeartbeatMs} ms mean (its /metrics); the rest of the latency is queueing and HTTP`,
    ],
    [
      'central CPU',
      s.centralCpuPct === undefined
        ? 'n/a (not our child)'
        : `${s.centralCpuPct}% of a core${perHeartbeat(s.centralCpuPct)}`,
    ],
    [
      'PostgreSQL CPU (its server processes)',
      s.databaseCpuPct === undefined
        ? 'n/a (not PostgreSQL on this machine)'
        : `${s.databaseCpuPct}% of a core${perHeartbeat(s.databaseCpuPct)}`,
    ],
    [
      'central: session request check (on its loop)',
      `${(auth.macCheckMicros + auth.ticketOpenMicros).toFixed(0)} µs per heartbeat (MAC ${auth.macCheckMicros.toFixed(0)}, ticket of ${auth.ticketBytes} bytes opened ${auth.ticketOpenMicros.toFixed(0)}) → ${core(auth.macCheckMicros + auth.ticketOpenMicros)}`,
    ],
    [
      'central: session opening (once an hour a kiosk)',
      `${(auth.openingSignatureCheckMicros + auth.openingKeyAgreementMicros).toFixed(0)} µs each (ECDSA request check ${auth.openingSignatureCheckMicros.toFixed(0)} in the thread pool, ECDH ${auth.openingKeyAgreementMicros.toFixed(0)}) → ${openingsCore} for ${s.kiosks} kiosks`,
    ],
    [
      'central: audit head signature check',
      `${auth.auditHeadCheckMicros.toFixed(0)} µs, only for a head not kept before (a steady heartbeat repeats its kept head)`,
    ],
    [
      'generator: request MAC',
      `${auth.requestMacMicros.toFixed(0)} µs per heartbeat, MACed before the step (a real kiosk MACs on its own machine)`,
    ],
    [
      'SQLite writes (nonce, appliance row, alarms)',
      sqlite
        ? `${sqlite.micros.toFixed(0)} µs per heartbeat (nonce claim ${sqlite.nonceMicros.toFixed(0)} of it; p99 ${sqlite.p99Micros.toFixed(0)}, max ${sqlite.maxMicros.toFixed(0)}) → ${core(sqlite.micros)} (${sqlite.nonceRows} nonce rows, ${sqlite.appliances} appliances)`
        : 'n/a (not a SQLite child)',
    ],
    [
      'machine (Linux PSI, all processes)',
      s.machinePressure
        ? `some task waited for a CPU ${s.machinePressure.cpuPct}% and for I/O ${s.machinePressure.ioPct}% of the window${s.machinePressure.cpuPct > 20 ? ' — a crowded machine: figures not meaningful' : ''}`
        : 'n/a',
    ],
    [
      'load generator',
      `${s.generatorCpuPct}% of a core, event-loop p99 lag ${s.generatorLagP99Ms} ms${s.generatorSaturated ? ' — SATURATED: its event loop lagged (its own CPU, or a crowded machine), so the step does not count' : ''}`,
    ],
  ];
  for (const [what, value] of rows) console.log(`  ${what.padEnd(48)} ${value}`);
}

function pad(v: unknown, w: number): string {
  return String(v).padEnd(w);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
