import { describe, expect, it } from 'vitest';
import { AtMostEvery, AtMostEveryPerKey } from './at-most-every.js';

describe('AtMostEvery', () => {
  it('lets the work run once per period, the first time at once', () => {
    let now = 1_000_000;
    const gate = new AtMostEvery(1000, () => now);
    expect(gate.take()).toBe(true);
    expect(gate.take()).toBe(false);
    now += 999;
    expect(gate.take()).toBe(false);
    now += 1;
    expect(gate.take()).toBe(true);
    expect(gate.take()).toBe(false);
  });

  it('mark() starts a period without asking (the work ran on its own)', () => {
    let now = 5000;
    const gate = new AtMostEvery(1000, () => now);
    gate.mark();
    expect(gate.take()).toBe(false);
    now += 1000;
    expect(gate.take()).toBe(true);
  });
});

describe('AtMostEveryPerKey', () => {
  it('keeps a period per key, started only by mark()', () => {
    let now = 0;
    const gate = new AtMostEveryPerKey(300, () => now, 10);
    expect(gate.due('a')).toBe(true);
    expect(gate.due('a')).toBe(true); // asking starts nothing
    gate.mark('a');
    expect(gate.due('a')).toBe(false);
    expect(gate.due('b')).toBe(true);
    now += 300;
    expect(gate.due('a')).toBe(true);
  });

  it('forgets every key past its bound, so the work may run again rather than memory grow', () => {
    const now = 0;
    const gate = new AtMostEveryPerKey(300, () => now, 2);
    gate.mark('a');
    gate.mark('b');
    gate.mark('b'); // a key it remembers does not count twice
    expect(gate.due('a')).toBe(false);
    gate.mark('c');
    expect(gate.due('a')).toBe(true);
    expect(gate.due('b')).toBe(true);
    expect(gate.due('c')).toBe(false);
  });
});
