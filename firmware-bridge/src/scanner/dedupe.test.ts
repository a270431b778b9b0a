import { describe, expect, it } from 'vitest';
import { DuplicateFilter } from './dedupe.js';

describe('duplicate filter', () => {
  it('drops the same code within the window and lets it through after', () => {
    let now = 0;
    const f = new DuplicateFilter(1500, () => now);
    expect(f.accept('A')).toBe(true);
    now = 1000;
    expect(f.accept('A')).toBe(false);
    now = 2600; // 1600 ms after the last read of A
    expect(f.accept('A')).toBe(true);
  });

  it('counts the window from the latest read, so a code held under the scanner is reported once', () => {
    let now = 0;
    const f = new DuplicateFilter(1500, () => now);
    const accepted = [];
    for (now = 0; now <= 6000; now += 500) accepted.push(f.accept('A'));
    expect(accepted.filter(Boolean)).toHaveLength(1);
  });

  it('lets a different code through at once, and the first code again after it', () => {
    const f = new DuplicateFilter(1500, () => 0);
    expect([f.accept('A'), f.accept('B'), f.accept('A')]).toEqual([true, true, true]);
  });

  it('forgets the last code on reset', () => {
    const f = new DuplicateFilter(1500, () => 0);
    f.accept('A');
    f.reset();
    expect(f.accept('A')).toBe(true);
  });
});
