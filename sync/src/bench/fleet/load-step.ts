// One step of the ramp: N enrolled kiosks, each in its request session, send heartbeats every 30 s (phases spread
// evenly) and their pickups' events, for a warm-up and then a measured window. The step's heartbeats are built and
// MACed before it starts, each dated when it is due; a kiosk whose audit head moved during the step, or whose
// session it had to renew, MACs its later heartbeats when it sends them. Heartbeat latency is request write to the
// last byte of the answer, per request; failures are counted, not timed.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestSession } from '../../contract/request-sessions.js';
import { type CentralUnderLoad, routeMeanMs, routeTimes } from './central-process.js';
import { heartbeatBody, type SimKiosk } from './kiosks.js';
import { LatencyHistogram } from './latency.js';
import { AUDIT_RECORDS_PER_PICKUP, pickupEventBatches } from './pickup-events.js';
import { type PressureMark, pressureMark, pressureSince } from './pressure.js';
import {
  HEARTBEAT_INTERVAL_MS,
  heartbeatAt,
  heartbeatsDue,
  pickupKiosk,
  pickupSpacingMs,
  pickupsDue,
} from './schedule.js';
import { sessionDue, sessionFor } from './sessions.js';
import { failureKind, type PostResult, type PreparedPost, type SignedPoster } from './signed-poster.js';

export interface StepOptions {
  kiosks: SimKiosk[];
  /** One per central URL; kiosk k posts through posters[k.central]. */
  posters: SignedPoster[];
  central: CentralUnderLoad;
  /** The database server's CPU seconds so far (PostgreSQL), when it runs on this machine. */
  databaseCpuSeconds?: () => number | undefined;
  warmupMs: number;
  measureMs: number;
  /** >1 compresses time for events only (pickups come that many times faster); heartbeats stay at 30 s. */
  eventSpeedup?: number;
  /** Each kiosk's heartbeat period (default the appliance's 30 s; shorter only in the quick test). */
  heartbeatIntervalMs?: number;
  /** Event-loop delay p99 above which the generator counts as saturated. */
  generatorLagLimitMs?: number;
}

export interface StepResult {
  kiosks: number;
  seconds: number;
  heartbeats: number;
  heartbeatsPerS: number;
  heartbeat: { p50Ms: number; p99Ms: number; maxMs: number };
  eventPosts: number;
  events: { p50Ms: number; p99Ms: number };
  /** Sessions the kiosks opened during the step (warm-up included): renewals near expiry, or a kiosk without one. */
  sessionsOpened: number;
  errors: number;
  /** Failures by kind (HTTP status / central code / transport cause), measured window and warm-up together. */
  errorKinds: Record<string, number>;
  /** Central's own mean time per request (its /metrics; warm-up and measured window), when it exposes them. */
  centralHeartbeatMs?: number;
  centralEventsMs?: number;
  /** CPU of one core, percent, over the measured window. */
  centralCpuPct?: number;
  /** The database server's CPU (PostgreSQL processes), percent of one core, over the measured window. */
  databaseCpuPct?: number;
  generatorCpuPct: number;
  generatorLagP99Ms: number;
  generatorSaturated: boolean;
  /** Share of the measured window some task on the machine waited for a CPU / for I/O (Linux PSI). */
  machinePressure?: { cpuPct: number; ioPct: number };
}

export async function runStep(opts: StepOptions): Promise<StepResult> {
  const n = opts.kiosks.length;
  const totalMs = opts.warmupMs + opts.measureMs;
  const period = opts.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
  const spacing = pickupSpacingMs(n, undefined, opts.eventSpeedup ?? 1);
  const hb = new LatencyHistogram();
  const ev = new LatencyHistogram();
  let heartbeats = 0;
  let eventPosts = 0;
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const fail = (e: PostResult | unknown, measured: boolean) => {
    const kind = failureKind(e instanceof Error ? e : (e as PostResult));
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    if (measured) errors++;
  };

  /** Send one request through the kiosk's poster and tally: true when central answered 2xx. */
  const tally = async (
    k: SimKiosk,
    send: (poster: SignedPoster) => Promise<PostResult>,
    h: LatencyHistogram,
    measured: boolean,
  ) => {
    let r: PostResult;
    try {
      r = await send(opts.posters[k.central]!);
    } catch (e) {
      fail(e, measured);
      return false;
    }
    if (r.status < 200 || r.status >= 300) {
      fail(r, measured);
      return false;
    }
    if (measured) h.record(r.ms);
    return true;
  };
  /**
   * The prepared heartbeat, or one MACed now when there is none: the kiosk's audit head moved since it was
   * prepared, or its session changed or is due for renewal (opened first, as the agent does).
   */
  const sendHeartbeat = async (k: SimKiosk, prepared: PreparedHeartbeat | undefined, measured: boolean) => {
    const send =
      prepared &&
      prepared.auditSeq === k.auditSeq &&
      prepared.session === k.session &&
      !sessionDue(k.session, Date.now())
        ? (poster: SignedPoster) => poster.send(prepared)
        : async (poster: SignedPoster) =>
            poster.postInSession(
              await sessionFor(k, poster),
              '/v1/heartbeat',
              await heartbeatBody(k, Date.now()),
            );
    if (await tally(k, send, hb, measured)) {
      if (measured) heartbeats++;
    }
  };
  const sendPickup = async (k: SimKiosk, measured: boolean) => {
    const pickup = ++k.pickups;
    k.auditSeq += AUDIT_RECORDS_PER_PICKUP;
    for (const events of pickupEventBatches(k.id, pickup, new Date())) {
      const send = async (poster: SignedPoster) =>
        poster.postInSession(await sessionFor(k, poster), '/v1/events', { events });
      if (!(await tally(k, send, ev, measured))) return;
      if (measured) eventPosts++;
    }
  };

  const lag = monitorEventLoopDelay({ resolution: 10 });
  // Central's /metrics is read before the step and after it (reading it makes central count its fleet and sweep
  // stale kiosks: not something to do inside the measured window).
  const routesBefore = await routeTimes(opts.central).catch(() => undefined);
  let mark:
    | {
        wall: number;
        cpu: NodeJS.CpuUsage;
        central: number | undefined;
        database: number | undefined;
        pressure: PressureMark | undefined;
      }
    | undefined;
  const openedBefore = sessionsOpened(opts.kiosks);
  const prepared = await prepareHeartbeats(
    opts.kiosks,
    opts.posters,
    heartbeatsDue(totalMs, n, period),
    period,
  );
  let hbSent = 0;
  let pickupsSent = 0;
  const t0 = performance.now();
  for (;;) {
    const elapsed = performance.now() - t0;
    if (elapsed >= totalMs) break;
    if (!mark && elapsed >= opts.warmupMs) {
      lag.enable();
      mark = {
        wall: performance.now(),
        cpu: process.cpuUsage(),
        central: opts.central.cpuSeconds(),
        database: opts.databaseCpuSeconds?.(),
        pressure: pressureMark(),
      };
    }
    for (const due = heartbeatsDue(elapsed, n, period); hbSent < due; hbSent++) {
      const { kiosk, atMs } = heartbeatAt(hbSent, n, period);
      const hbPrepared = prepared[hbSent];
      prepared[hbSent] = undefined;
      track(sendHeartbeat(opts.kiosks[kiosk]!, hbPrepared, atMs >= opts.warmupMs));
    }
    for (const due = pickupsDue(elapsed, spacing); pickupsSent < due; pickupsSent++) {
      const k = opts.kiosks[pickupKiosk(pickupsSent, n)]!;
      track(sendPickup(k, (pickupsSent + 1) * spacing >= opts.warmupMs));
    }
    await sleep(2);
  }
  const wall = (performance.now() - (mark?.wall ?? t0)) / 1000;
  const cpu = process.cpuUsage(mark?.cpu);
  const centralCpu = opts.central.cpuSeconds();
  const databaseCpu = opts.databaseCpuSeconds?.();
  const pressure = mark?.pressure ? pressureSince(mark.pressure, wall) : undefined;
  lag.disable();
  await Promise.all(inflight);
  const routesAfter = await routeTimes(opts.central).catch(() => undefined);

  const lagP99Ms = lag.percentile(99) / 1e6;
  const result: StepResult = {
    kiosks: n,
    seconds: round(wall, 1),
    heartbeats,
    heartbeatsPerS: round((heartbeats / opts.measureMs) * 1000, 1),
    heartbeat: {
      p50Ms: round(hb.percentileMs(50)),
      p99Ms: round(hb.percentileMs(99)),
      maxMs: round(hb.maxMs()),
    },
    eventPosts,
    events: { p50Ms: round(ev.percentileMs(50)), p99Ms: round(ev.percentileMs(99)) },
    sessionsOpened: sessionsOpened(opts.kiosks) - openedBefore,
    errors,
    errorKinds,
    generatorCpuPct: round(((cpu.user + cpu.system) / 1e6 / wall) * 100, 0),
    generatorLagP99Ms: round(lagP99Ms),
    generatorSaturated: lagP99Ms > (opts.generatorLagLimitMs ?? 50),
  };
  if (pressure) result.machinePressure = pressure;
  if (mark?.central !== undefined && centralCpu !== undefined)
    result.centralCpuPct = round(((centralCpu - mark.central) / wall) * 100, 0);
  if (mark?.database !== undefined && databaseCpu !== undefined)
    result.databaseCpuPct = round(((databaseCpu - mark.database) / wall) * 100, 0);
  if (routesBefore && routesAfter) {
    const h = routeMeanMs(routesBefore, routesAfter, 'POST /v1/heartbeat');
    const e = routeMeanMs(routesBefore, routesAfter, 'POST /v1/events');
    if (h !== undefined) result.centralHeartbeatMs = round(h);
    if (e !== undefined) result.centralEventsMs = round(e);
  }
  return result;
}

/** A heartbeat MACed ahead, for the audit head and the session its kiosk had then. */
interface PreparedHeartbeat extends PreparedPost {
  auditSeq: number;
  session: RequestSession;
}

/**
 * The step's first `count` heartbeats, MACed, each dated when it is due from now; none for a kiosk without a
 * session or whose session is due for renewal by then (it opens one and MACs when it sends).
 */
async function prepareHeartbeats(
  kiosks: readonly SimKiosk[],
  posters: readonly SignedPoster[],
  count: number,
  period: number,
): Promise<(PreparedHeartbeat | undefined)[]> {
  const start = Date.now();
  const out: (PreparedHeartbeat | undefined)[] = [];
  for (let s = 0; s < count; s++) {
    const { kiosk, atMs } = heartbeatAt(s, kiosks.length, period);
    const k = kiosks[kiosk]!;
    const at = Math.round(start + atMs);
    const session = k.session;
    if (!session || sessionDue(session, at)) {
      out.push(undefined);
      continue;
    }
    const body = await heartbeatBody(k, at);
    const { bytes } = posters[k.central]!.prepareInSession(session, '/v1/heartbeat', body, at);
    out.push({ bytes, auditSeq: k.auditSeq, session });
  }
  return out;
}

function sessionsOpened(kiosks: readonly SimKiosk[]): number {
  let n = 0;
  for (const k of kiosks) n += k.sessionsOpened;
  return n;
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
