// The kiosk's daily run on a fake clock: nothing before 02:30 Beijing, then the previous day once; a failure (central
// unreachable) is tried again at the next check; the next day is due the next night; the timer checks by itself.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DailyReconciliation } from './daily-run.js';

/** A Beijing wall-clock time as epoch ms. */
const bj = (at: string) => Date.parse(`${at}+08:00`);

function world(startAt: string) {
  const clock = { ms: bj(startAt) };
  const runs: string[] = [];
  const told: string[] = [];
  let failing = false;
  const daily = new DailyReconciliation({
    now: () => clock.ms,
    run: async (day) => {
      runs.push(day);
      if (failing) throw new Error('central unreachable');
    },
    onRun: (day, outcome) => {
      told.push(`${day} ${outcome.ok ? 'ok' : 'failed'}`);
    },
  });
  return {
    clock,
    runs,
    told,
    daily,
    fail: (v: boolean) => {
      failing = v;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the kiosk’s daily reconciliation', () => {
  it('sends the previous day once, from 02:30 Beijing', async () => {
    const w = world('2026-03-02T02:29:00');
    expect(await w.daily.check()).toBeNull();
    expect(w.runs).toEqual([]);
    w.clock.ms = bj('2026-03-02T02:30:00');
    expect(await w.daily.check()).toBe('2026-03-01');
    w.clock.ms = bj('2026-03-02T23:59:00');
    expect(await w.daily.check()).toBeNull();
    expect(w.runs).toEqual(['2026-03-01']);
    // The next night: the next day, and not before its 02:30.
    w.clock.ms = bj('2026-03-03T00:10:00');
    expect(await w.daily.check()).toBeNull();
    w.clock.ms = bj('2026-03-03T02:31:00');
    expect(await w.daily.check()).toBe('2026-03-02');
    expect(w.runs).toEqual(['2026-03-01', '2026-03-02']);
    expect(w.told).toEqual(['2026-03-01 ok', '2026-03-02 ok']);
  });

  it('a run that failed is tried again at the next check, until it works', async () => {
    const w = world('2026-03-02T03:00:00');
    w.fail(true);
    expect(await w.daily.check()).toBeNull();
    expect(await w.daily.check()).toBeNull();
    w.fail(false);
    expect(await w.daily.check()).toBe('2026-03-01');
    expect(await w.daily.check()).toBeNull();
    expect(w.runs).toEqual(['2026-03-01', '2026-03-01', '2026-03-01']);
    expect(w.told).toEqual(['2026-03-01 failed', '2026-03-01 failed', '2026-03-01 ok']);
  });

  it('checks by itself every interval once started, one run at a time, and stops', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = { ms: bj('2026-03-02T02:00:00') };
    let release: () => void = () => {};
    const runs: string[] = [];
    const daily = new DailyReconciliation({
      now: () => clock.ms,
      checkEveryMs: 60_000,
      run: (day) =>
        new Promise<void>((resolve) => {
          runs.push(day);
          release = resolve;
        }),
    });
    daily.start();
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(runs).toEqual([]);
    clock.ms = bj('2026-03-02T02:30:00');
    await vi.advanceTimersByTimeAsync(60_000);
    // Still running: later ticks do not start a second run of the day.
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(runs).toEqual(['2026-03-01']);
    release();
    await daily.stop();
    clock.ms = bj('2026-03-03T03:00:00');
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(runs).toEqual(['2026-03-01']);
  });

  it('a listener that fails does not make the day undone', async () => {
    const runs: string[] = [];
    const daily = new DailyReconciliation({
      now: () => bj('2026-03-02T04:00:00'),
      run: async (day) => {
        runs.push(day);
      },
      onRun: () => {
        throw new Error('audit disk full');
      },
    });
    expect(await daily.check()).toBe('2026-03-01');
    expect(await daily.check()).toBeNull();
    expect(runs).toEqual(['2026-03-01']);
  });
});
