// The ramp: raise the fleet through fixed steps and stop at the first step whose heartbeat p99 passes the
// limit or that had errors (or when the time cap leaves no room for another step). The figure a store
// "reaches" is the last step that passed.

/**
 * Fleet sizes tried in order (issue 15: goal 50,000 kiosks ≈ 1,700 heartbeats/s; 60,000 shows what is left above
 * it, within the time cap).
 */
export const DEFAULT_RAMP = [
  500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000,
] as const;
/** A step fails when its heartbeat p99 is above this. */
export const P99_LIMIT_MS = 100;

export interface StepOutcome {
  kiosks: number;
  heartbeatP99Ms: number;
  /** Failed requests of the step: transport errors, timeouts and non-2xx answers, heartbeats and events. */
  errors: number;
  /** Heartbeats measured; a step that measured none cannot pass. */
  heartbeats: number;
  /** The generator fell behind (event-loop lag: its own CPU or a crowded machine): the step measured it, not central. */
  generatorSaturated?: boolean;
}

export type StepVerdict = { pass: true } | { pass: false; reason: string };

export function judgeStep(s: StepOutcome, p99LimitMs = P99_LIMIT_MS): StepVerdict {
  if (s.heartbeats === 0) return { pass: false, reason: 'no heartbeat measured' };
  if (s.errors > 0) return { pass: false, reason: `${s.errors} errors` };
  if (s.heartbeatP99Ms > p99LimitMs)
    return { pass: false, reason: `heartbeat p99 ${round1(s.heartbeatP99Ms)} ms > ${p99LimitMs} ms` };
  if (s.generatorSaturated)
    return { pass: false, reason: 'load generator saturated (its own event loop lagged)' };
  return { pass: true };
}

export type RampDecision = { next: number } | { stop: string };

/**
 * What to do after `done` steps (in ramp order): the next fleet size, or why the ramp stops — a failed step,
 * the end of the ramp, or a time cap that cannot fit another step (`stepEstimateMs`, enrolment included).
 */
export function nextStep(opts: {
  ramp: readonly number[];
  done: readonly StepOutcome[];
  elapsedMs: number;
  capMs: number;
  stepEstimateMs: number;
  p99LimitMs?: number;
}): RampDecision {
  const last = opts.done.at(-1);
  if (last) {
    const v = judgeStep(last, opts.p99LimitMs);
    if (!v.pass) return { stop: `step of ${last.kiosks} kiosks failed: ${v.reason}` };
  }
  const next = opts.ramp[opts.done.length];
  if (next === undefined) return { stop: 'end of the ramp' };
  if (opts.elapsedMs + opts.stepEstimateMs > opts.capMs)
    return { stop: `time cap: no room for the step of ${next} kiosks` };
  return { next };
}

/** The largest fleet that passed (0 when none did), with that step's p99. */
export function reached(
  done: readonly StepOutcome[],
  p99LimitMs = P99_LIMIT_MS,
): { kiosks: number; p99Ms: number } {
  let best = { kiosks: 0, p99Ms: 0 };
  for (const s of done) {
    if (!judgeStep(s, p99LimitMs).pass) break;
    best = { kiosks: s.kiosks, p99Ms: s.heartbeatP99Ms };
  }
  return best;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
