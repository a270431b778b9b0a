import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keypadDigits, STANDARD_DIGITS, shuffledDigits } from './keypad.ts';

const fromSeq = (seq: number[]) => {
  let i = 0;
  return (max: number) => (seq[i++ % seq.length] ?? 0) % max;
};

describe('keypad digit order', () => {
  it('is always a permutation of the ten digits, never the standard order nor the previous one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 30 }),
        fc.shuffledSubarray([...STANDARD_DIGITS], { minLength: 10 }),
        (seq, previous) => {
          const order = shuffledDigits(fromSeq(seq), previous);
          expect([...order].sort()).toEqual([...STANDARD_DIGITS].sort());
          expect(order).not.toEqual(STANDARD_DIGITS);
          expect(order).not.toEqual(previous);
        },
      ),
    );
  });

  it('still changes when the random source is stuck', () => {
    const stuck = () => 0;
    const first = shuffledDigits(stuck);
    const second = shuffledDigits(stuck, first);
    expect(second).not.toEqual(first);
    expect([...second].sort()).toEqual([...STANDARD_DIGITS].sort());
  });

  it('differs between two appearances with the real random source', () => {
    const a = keypadDigits('shuffled');
    const b = keypadDigits('shuffled', a);
    expect(b).not.toEqual(a);
  });

  it('uses the standard order in easy mode', () => {
    expect(keypadDigits('standard')).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']);
  });
});
