import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles up to the ceiling and starts over after reset', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 1 });
    expect(Array.from({ length: 6 }, () => b.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(b.attempt).toBe(6);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('property: each wait lies between half the step and the step (jitter), never above the ceiling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (failures, r) => {
          const b = new Backoff({ baseMs: 50, maxMs: 30_000, random: () => r });
          for (let i = 0; i < failures; i++) b.next();
          const step = Math.min(30_000, 50 * 2 ** failures);
          const wait = b.next();
          expect(wait).toBeGreaterThanOrEqual(Math.floor(step / 2));
          expect(wait).toBeLessThanOrEqual(step);
        },
      ),
    );
  });
});
