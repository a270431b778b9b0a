// The ramp against one store: enrol the kiosks each step adds, open their request sessions and send their first
// heartbeats (timed apart from the load), run the step, and
// stop at the first step that fails or when the time cap has no room for the next. Several central URLs (one
// store, several central processes) share the fleet: kiosk i talks to URL i mod m.
import type { CentralUnderLoad } from './central-process.js';
import {
  adminOperator,
  type EnrolMode,
  enrolKiosks,
  firstHeartbeats,
  makeKiosk,
  type SimKiosk,
} from './kiosks.js';
import { runStep, type StepOptions, type StepResult } from './load-step.js';
import { nextStep, P99_LIMIT_MS, reached, type StepOutcome } from './ramp.js';
import { openSessions } from './sessions.js';
import { SignedPoster } from './signed-poster.js';

export interface RampOptions {
  /** The central processes of the store under test (enrolment goes through the first one's admin API). */
  centrals: CentralUnderLoad[];
  ramp: readonly number[];
  warmupMs: number;
  measureMs: number;
  capMs: number;
  eventSpeedup?: number;
  heartbeatIntervalMs?: number;
  enrolMode?: EnrolMode;
  enrolConcurrency?: number;
  p99LimitMs?: number;
  /** The database server's CPU seconds so far (PostgreSQL on this machine), for each step's figures. */
  databaseCpuSeconds?: () => number | undefined;
  onProgress?: (line: string) => void;
}

export interface RampStep extends StepResult {
  /** Kiosks enrolled before this step, and how fast (not part of the heartbeat latency). */
  enrolled: number;
  enrolPerS?: number;
  /** Their request sessions' openings (one signed POST /v1/session each), per second: setup too. */
  sessionOpensPerS?: number;
  /** Their first heartbeats (audit head checked and kept under lock), per second: setup, not the step's load. */
  firstHeartbeatsPerS?: number;
}

export interface RampResult {
  steps: RampStep[];
  stopReason: string;
  reached: { kiosks: number; p99Ms: number };
  kiosks: SimKiosk[];
  seconds: number;
}

/** Assumed enrolment rate before one is measured (kiosks/s), for the time-cap check only. */
const FIRST_ENROL_RATE_GUESS = 150;

export async function runRamp(opts: RampOptions): Promise<RampResult> {
  const say = opts.onProgress ?? (() => {});
  const started = performance.now();
  const posters = opts.centrals.map((c) => new SignedPoster(c.url));
  const operator = adminOperator(opts.centrals[0]!.url, opts.centrals[0]!.adminToken);
  const kiosks: SimKiosk[] = [];
  const steps: RampStep[] = [];
  let enrolRate = FIRST_ENROL_RATE_GUESS;
  let stopReason: string;
  try {
    stopReason = await rampLoop();
  } finally {
    for (const p of posters) p.close();
  }
  async function rampLoop(): Promise<string> {
    for (;;) {
      const next = opts.ramp[steps.length];
      const newKiosks = next === undefined ? 0 : Math.max(0, next - kiosks.length);
      const decision = nextStep({
        ramp: opts.ramp,
        done: steps.map(outcome),
        elapsedMs: performance.now() - started,
        capMs: opts.capMs,
        stepEstimateMs: (newKiosks / enrolRate) * 1000 + opts.warmupMs + opts.measureMs + 5_000,
        ...(opts.p99LimitMs !== undefined ? { p99LimitMs: opts.p99LimitMs } : {}),
      });
      if ('stop' in decision) return decision.stop;
      const n = decision.next;
      const added: SimKiosk[] = [];
      for (let i = kiosks.length; i < n; i++)
        added.push(makeKiosk(i, opts.centrals[i % opts.centrals.length]!.url, i % opts.centrals.length));
      const t0 = performance.now();
      say(`  step ${n} kiosks: enrolling ${added.length} new kiosks …`);
      await enrolKiosks(added, operator, opts.enrolMode, opts.enrolConcurrency);
      const enrolS = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      await openSessions(added, posters, opts.enrolConcurrency);
      const sessionS = (performance.now() - t1) / 1000;
      const t2 = performance.now();
      await firstHeartbeats(added, posters, opts.enrolConcurrency);
      const firstS = (performance.now() - t2) / 1000;
      if (added.length > 0) enrolRate = added.length / (enrolS + sessionS + firstS);
      kiosks.push(...added);
      say(
        `  step ${n} kiosks: enrolled ${added.length} in ${enrolS.toFixed(1)} s, sessions opened in ${sessionS.toFixed(1)} s, their first heartbeats in ${firstS.toFixed(1)} s; load for ${(opts.warmupMs + opts.measureMs) / 1000} s …`,
      );
      const stepOpts: StepOptions = {
        kiosks,
        posters,
        central: combined(opts.centrals),
        ...(opts.databaseCpuSeconds ? { databaseCpuSeconds: opts.databaseCpuSeconds } : {}),
        warmupMs: opts.warmupMs,
        measureMs: opts.measureMs,
        ...(opts.eventSpeedup !== undefined ? { eventSpeedup: opts.eventSpeedup } : {}),
        ...(opts.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: opts.heartbeatIntervalMs } : {}),
      };
      const r = await runStep(stepOpts);
      steps.push({
        ...r,
        enrolled: added.length,
        ...(added.length > 0
          ? {
              enrolPerS: Math.round(added.length / enrolS),
              sessionOpensPerS: Math.round(added.length / sessionS),
              firstHeartbeatsPerS: Math.round(added.length / firstS),
            }
          : {}),
      });
      say(`  ${stepLine(r)}`);
    }
  }
  const figures = reached(steps.map(outcome), opts.p99LimitMs ?? P99_LIMIT_MS);
  return { steps, stopReason, reached: figures, kiosks, seconds: (performance.now() - started) / 1000 };
}

/** What the stop rule looks at in a step. */
function outcome(s: StepResult): StepOutcome {
  return {
    kiosks: s.kiosks,
    heartbeatP99Ms: s.heartbeat.p99Ms,
    errors: s.errors,
    heartbeats: s.heartbeats,
    generatorSaturated: s.generatorSaturated,
  };
}

/** One progress line per step. */
export function stepLine(r: StepResult): string {
  const central =
    (r.centralCpuPct !== undefined ? ` central CPU ${r.centralCpuPct}%` : '') +
    (r.databaseCpuPct !== undefined ? ` PostgreSQL CPU ${r.databaseCpuPct}%` : '');
  const psi = r.machinePressure
    ? `; machine stalled on CPU ${r.machinePressure.cpuPct}% / I/O ${r.machinePressure.ioPct}% of the time`
    : '';
  const opened =
    r.sessionsOpened > 0 ? ` ${r.sessionsOpened} sessions renewed or opened during the step;` : '';
  const errs =
    r.errors > 0
      ? ` errors ${r.errors} (${Object.entries(r.errorKinds)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; ')})`
      : '';
  return (
    `N=${r.kiosks}: ${r.heartbeats} heartbeats (${r.heartbeatsPerS}/s) p50 ${r.heartbeat.p50Ms} ms p99 ${r.heartbeat.p99Ms} ms max ${r.heartbeat.maxMs} ms;` +
    ` ${r.eventPosts} event posts p99 ${r.events.p99Ms} ms;${opened}${central} generator CPU ${r.generatorCpuPct}% lag p99 ${r.generatorLagP99Ms} ms${r.generatorSaturated ? ' (SATURATED)' : ''}${psi}${errs}`
  );
}

/** Several central processes seen as one: CPU summed, /metrics from the first (each counts its own). */
function combined(centrals: CentralUnderLoad[]): CentralUnderLoad {
  if (centrals.length === 1) return centrals[0]!;
  return {
    ...centrals[0]!,
    cpuSeconds: () => {
      const all = centrals.map((c) => c.cpuSeconds());
      return all.every((x) => x !== undefined) ? all.reduce((a, b) => a + b, 0) : undefined;
    },
  };
}
