// The fleet-load bench's pure parts (phase spreading, the histogram's p99, the ramp's stop rule, session renewal)
// and one tiny run against a real central child: its kiosks open one session each, their heartbeats and events go
// in it and are accepted, and its appliances show them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_RENEW_BEFORE_MS } from '../../contract/request-sessions.js';
import { type CentralUnderLoad, routeTimes, spawnCentral } from './central-process.js';
import { sqliteHeartbeatMicros } from './cost-probes.js';
import { makeKiosk, type SimKiosk } from './kiosks.js';
import { LatencyHistogram } from './latency.js';
import { runStep } from './load-step.js';
import { pickupEventBatches } from './pickup-events.js';
import { judgeStep, nextStep, reached, type StepOutcome } from './ramp.js';
import { runRamp } from './run-ramp.js';
import {
  HEARTBEAT_INTERVAL_MS,
  heartbeatAt,
  heartbeatPhaseMs,
  heartbeatsDue,
  pickupKiosk,
  pickupSpacingMs,
  pickupsDue,
} from './schedule.js';
import { sessionDue } from './sessions.js';
import { SignedPoster } from './signed-poster.js';

describe('schedule', () => {
  it('spreads the phases evenly over the 30 s period', () => {
    const phases = Array.from({ length: 6 }, (_, i) => heartbeatPhaseMs(i, 6));
    expect(phases).toEqual([0, 5_000, 10_000, 15_000, 20_000, 25_000]);
  });

  it('sends each kiosk exactly one heartbeat per period, at even spacing', () => {
    const n = 7;
    const due = heartbeatsDue(HEARTBEAT_INTERVAL_MS - 1, n);
    expect(due).toBe(n);
    const sent = Array.from({ length: due }, (_, s) => heartbeatAt(s, n));
    expect(new Set(sent.map((x) => x.kiosk)).size).toBe(n);
    for (const [s, x] of sent.entries()) expect(x.atMs).toBeCloseTo((s * HEARTBEAT_INTERVAL_MS) / n);
    // The next period starts over with kiosk 0.
    expect(heartbeatsDue(HEARTBEAT_INTERVAL_MS, n)).toBe(n + 1);
    expect(heartbeatAt(n, n)).toEqual({ kiosk: 0, atMs: HEARTBEAT_INTERVAL_MS });
    // 50,000 kiosks: about 1,667 heartbeats a second.
    expect(heartbeatsDue(999.99, 50_000)).toBe(1_667);
    expect(heartbeatsDue(-1, n)).toBe(0);
  });

  it('spaces pickups at 20 a day per kiosk and walks every kiosk once per n pickups', () => {
    expect(pickupSpacingMs(50_000)).toBeCloseTo(86.4);
    expect(pickupSpacingMs(1, 20, 10)).toBeCloseTo(432_000);
    expect(pickupsDue(1_000, 86.4)).toBe(11);
    for (const n of [1, 2, 10, 500, 1_000]) {
      const kiosks = new Set(Array.from({ length: n }, (_, p) => pickupKiosk(p, n)));
      expect(kiosks.size).toBe(n);
    }
  });

  it("sends a pickup's events in the journey's batches, ids as the journey makes them", () => {
    const batches = pickupEventBatches('FLEET-000001', 3, new Date('2026-01-01T00:00:00Z'));
    expect(batches.map((b) => b.map((e) => e.type))).toEqual([
      ['certificate.issued'],
      ['certificate.written'],
      ['receipt.printed'],
      ['issuance.record', 'certificate.activated'],
    ]);
    expect(batches[0]![0]!.id).toBe('FLEET-000001-J3:certificate.issued:1');
  });
});

describe('request sessions', () => {
  it('opens a session when there is none or it is within the renewal margin of its expiry', () => {
    const session = { applianceId: 'K', ticket: 't', key: Buffer.alloc(32), expiresAtMs: 10 * 60_000 };
    expect(sessionDue(undefined, 0)).toBe(true);
    expect(sessionDue(session, 0)).toBe(false);
    expect(sessionDue(session, session.expiresAtMs - SESSION_RENEW_BEFORE_MS - 1)).toBe(false);
    expect(sessionDue(session, session.expiresAtMs - SESSION_RENEW_BEFORE_MS)).toBe(true);
  });
});

describe('LatencyHistogram', () => {
  it('gives the p99 of what it recorded, 0 when empty, and merges', () => {
    const h = new LatencyHistogram();
    expect(h.percentileMs(99)).toBe(0);
    for (let ms = 1; ms <= 1000; ms++) h.record(ms);
    expect(h.count).toBe(1000);
    expect(h.percentileMs(99)).toBeGreaterThanOrEqual(989);
    expect(h.percentileMs(99)).toBeLessThanOrEqual(991);
    expect(h.percentileMs(50)).toBeCloseTo(500, -1);
    const slow = new LatencyHistogram();
    for (let i = 0; i < 100; i++) slow.record(5_000);
    h.merge(slow);
    expect(h.count).toBe(1100);
    expect(h.percentileMs(99)).toBeCloseTo(5_000, -1);
    expect(h.maxMs()).toBeCloseTo(5_000, -1);
  });
});

describe('the ramp', () => {
  const ok = (kiosks: number, p99 = 20): StepOutcome => ({
    kiosks,
    heartbeatP99Ms: p99,
    errors: 0,
    heartbeats: 10,
  });
  const base = { ramp: [500, 1_000, 2_000], elapsedMs: 0, capMs: 600_000, stepEstimateMs: 40_000 };

  it('fails a step on p99 over 100 ms, on errors, on no heartbeats, on a saturated generator', () => {
    expect(judgeStep(ok(500, 100))).toEqual({ pass: true });
    expect(judgeStep(ok(500, 100.1)).pass).toBe(false);
    expect(judgeStep({ ...ok(500), errors: 1 }).pass).toBe(false);
    expect(judgeStep({ ...ok(500), heartbeats: 0 }).pass).toBe(false);
    expect(judgeStep({ ...ok(500), generatorSaturated: true }).pass).toBe(false);
  });

  it('goes on while steps pass, stops at the first failure, the end of the ramp or the time cap', () => {
    expect(nextStep({ ...base, done: [] })).toEqual({ next: 500 });
    expect(nextStep({ ...base, done: [ok(500)] })).toEqual({ next: 1_000 });
    expect(nextStep({ ...base, done: [ok(500), ok(1_000, 150)] })).toHaveProperty('stop');
    expect(nextStep({ ...base, done: [ok(500), ok(1_000), ok(2_000)] })).toEqual({ stop: 'end of the ramp' });
    expect(nextStep({ ...base, done: [ok(500)], elapsedMs: 580_000 })).toHaveProperty('stop');
  });

  it('reaches the last step that passed', () => {
    expect(reached([ok(500, 10), ok(1_000, 40), ok(2_000, 300)])).toEqual({ kiosks: 1_000, p99Ms: 40 });
    expect(reached([ok(500, 300)])).toEqual({ kiosks: 0, p99Ms: 0 });
    expect(reached([ok(500), { ...ok(1_000), errors: 2 }, ok(2_000)])).toEqual({ kiosks: 500, p99Ms: 20 });
  });
});

describe('a tiny fleet against a real central child', () => {
  let central: CentralUnderLoad;
  beforeAll(async () => {
    central = await spawnCentral();
  });
  afterAll(async () => {
    await central?.close();
    central?.removeData();
  });

  it('enrols 20 kiosks with codes, each opens a session, central records their session heartbeats and events; a forged session and a stranger count as errors', async () => {
    const result = await runRamp({
      centrals: [central],
      ramp: [20],
      warmupMs: 0,
      measureMs: 2_000,
      capMs: 120_000,
      // Quick: each kiosk beats every second and pickups come ~2,000× faster than 20 a day.
      heartbeatIntervalMs: 1_000,
      eventSpeedup: 2_000,
    });
    const step = result.steps[0]!;
    expect(step.errorKinds).toEqual({});
    // Each new kiosk opens its session and sends its first heartbeat (its audit head kept) as setup, before the
    // measured load; none opens another during the step. Central served exactly one opening per kiosk.
    expect(step.enrolled).toBe(20);
    expect(step.sessionOpensPerS).toBeGreaterThan(0);
    expect(step.firstHeartbeatsPerS).toBeGreaterThan(0);
    expect(step.sessionsOpened).toBe(0);
    for (const k of result.kiosks) expect(k.sessionsOpened).toBe(1);
    expect((await routeTimes(central)).get('POST /v1/session')?.count).toBe(20);
    expect(step.heartbeats).toBeGreaterThanOrEqual(20);
    expect(step.eventPosts).toBeGreaterThan(0);
    const res = await fetch(`${central.url}/admin/v1/appliances`, {
      headers: { authorization: `Bearer ${central.adminToken}` },
    });
    const { appliances } = (await res.json()) as {
      appliances: {
        applianceId: string;
        status: string;
        lastHeartbeatAt?: string;
        auditHead?: { seq: number };
        alarms: { kind: string }[];
      }[];
    };
    const fleet = appliances.filter((a) => a.applianceId.startsWith('FLEET-'));
    expect(fleet).toHaveLength(20);
    for (const a of fleet) {
      expect(a.status).toBe('approved');
      expect(a.lastHeartbeatAt).toBeDefined();
      expect(a.alarms).toEqual([]);
    }
    // The step's heartbeats were MACed before it began, with the audit heads of then (seq 1). A kiosk whose
    // pickups moved its head on during the step MACed its later heartbeats afresh, with the head it has now.
    const seqAtCentral = new Map(fleet.map((a) => [a.applianceId, a.auditHead?.seq ?? 0]));
    const moved = result.kiosks.filter((k) => k.auditSeq > 1);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.filter((k) => seqAtCentral.get(k.id)! > 1).length).toBeGreaterThan(0);
    for (const k of result.kiosks) expect(seqAtCentral.get(k.id)).toBeLessThanOrEqual(k.auditSeq);

    const poster = new SignedPoster(central.url);
    const oneKiosk = (k: SimKiosk) =>
      runStep({
        kiosks: [k],
        posters: [poster],
        central,
        warmupMs: 0,
        measureMs: 1_000,
        heartbeatIntervalMs: 500,
      });
    try {
      // The heartbeats are session requests: with its session's ticket forged, an enrolled kiosk's heartbeats are
      // refused (signed ones would pass), counted as errors by central's code, and not retried with a new session.
      const forged = result.kiosks[1]!;
      forged.session = { ...forged.session!, ticket: randomBytes(150).toString('base64url') };
      const refused = await oneKiosk(forged);
      expect(refused.heartbeats).toBe(0);
      expect(refused.errors).toBeGreaterThan(0);
      expect(Object.keys(refused.errorKinds)).toEqual(['HTTP 401 AUTH_SESSION_INVALID']);
      expect(refused.sessionsOpened).toBe(0);

      // A kiosk whose session is near its expiry opens a new one before sending, and its heartbeats go in that.
      const renewing = result.kiosks[2]!;
      const old = renewing.session!;
      renewing.session = { ...old, expiresAtMs: Date.now() + SESSION_RENEW_BEFORE_MS - 1 };
      const renewed = await oneKiosk(renewing);
      expect(renewed.errorKinds).toEqual({});
      expect(renewed.heartbeats).toBeGreaterThan(0);
      expect(renewed.sessionsOpened).toBe(1);
      expect(renewing.session!.ticket).not.toBe(old.ticket);

      // A kiosk central does not know: its session openings are refused, counted as errors by central's code,
      // and fail the step.
      const stranger = await oneKiosk(makeKiosk(999, central.url));
      expect(stranger.heartbeats).toBe(0);
      expect(stranger.errors).toBeGreaterThan(0);
      expect(Object.keys(stranger.errorKinds)).toEqual(['session opening: HTTP 401 AUTH_UNKNOWN_APPLIANCE']);
    } finally {
      poster.close();
    }

    await central.close();
    const cost = await sqliteHeartbeatMicros(
      central.dataDir!,
      result.kiosks.map((k) => k.id),
      20,
    );
    expect(cost.appliances).toBe(20);
    expect(cost.nonceRows).toBeGreaterThan(step.heartbeats);
  });
});
