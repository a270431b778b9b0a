import { describe, expect, it } from 'vitest';
import { idleDeadline, idlePhase, idleTimings, needsKeepalive } from './idle.ts';

const settings = { idleWarningMs: 60_000, idleWipeMs: 30_000, elderlyTimeoutFactor: 2 };

describe('idle timings', () => {
  it('come from the settings, longer in easy mode', () => {
    expect(idleTimings(settings, false)).toEqual({ quietMs: 60_000, countdownMs: 30_000 });
    expect(idleTimings(settings, true)).toEqual({ quietMs: 120_000, countdownMs: 60_000 });
  });

  it('always warn at least 20 s before the wipe', () => {
    expect(idleTimings({ ...settings, idleWipeMs: 5000 }, false).countdownMs).toBe(20_000);
  });

  it('never shorten the time in easy mode', () => {
    expect(idleTimings({ ...settings, elderlyTimeoutFactor: 0.5 }, true)).toEqual({
      quietMs: 60_000,
      countdownMs: 30_000,
    });
  });
});

describe('idle phase', () => {
  const t = { quietMs: 10_000, countdownMs: 20_000 };
  it('is quiet, then a countdown of whole seconds, then expired', () => {
    expect(idlePhase(0, 9_999, t)).toEqual({ phase: 'quiet' });
    expect(idlePhase(0, 10_000, t)).toEqual({ phase: 'warning', secondsLeft: 20 });
    expect(idlePhase(0, 29_001, t)).toEqual({ phase: 'warning', secondsLeft: 1 });
    expect(idlePhase(0, 30_000, t)).toEqual({ phase: 'expired' });
  });

  it('starts again from activity', () => {
    expect(idlePhase(25_000, 30_000, t)).toEqual({ phase: 'quiet' });
    expect(idleDeadline(25_000, t)).toBe(55_000);
  });
});

describe('keepalive', () => {
  const base = { serverCountdownMs: 20_000, now: 100_000 };
  it('touches the server when it would warn before the UI does', () => {
    expect(needsKeepalive({ ...base, serverWipeAt: 122_000, localDeadline: 160_000 })).toBe(true);
  });
  it('leaves the server alone when its wipe is not near', () => {
    expect(needsKeepalive({ ...base, serverWipeAt: 140_000, localDeadline: 160_000 })).toBe(false);
  });
  it('leaves the server alone when both deadlines agree (the applicant really is gone)', () => {
    expect(needsKeepalive({ ...base, serverWipeAt: 110_000, localDeadline: 110_500 })).toBe(false);
  });
  it('does nothing without a server deadline', () => {
    expect(needsKeepalive({ ...base, serverWipeAt: null, localDeadline: 160_000 })).toBe(false);
  });
});
