import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdleTimer } from './idle-timer.js';

afterEach(() => vi.useRealTimers());

describe('idle timer', () => {
  it('warns after the idle time, wipes after the countdown, and starts over on activity', () => {
    vi.useFakeTimers();
    const t = new IdleTimer(60_000, 30_000);
    const events: string[] = [];
    t.on('warning', (at) => events.push(`warning:${at}`));
    t.on('expired', () => events.push('expired'));
    const wipeAt = t.touch();
    vi.advanceTimersByTime(59_999);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual([`warning:${new Date(wipeAt).toISOString()}`]);
    // "More time": the countdown is cancelled and the whole idle time starts again.
    t.touch();
    vi.advanceTimersByTime(89_000);
    expect(events.filter((e) => e === 'expired')).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(events.at(-1)).toBe('expired');
    t.stop();
  });
});
