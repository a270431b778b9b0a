// Digit order of the PIN keypad: shuffled each time it appears (shoulder-surfing), standard in easy mode.

export const STANDARD_DIGITS: readonly string[] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'];

/** Uniform integer in [0, maxExclusive). */
export type RandomInt = (maxExclusive: number) => number;

/** crypto.getRandomValues with rejection sampling, so every order is equally likely. */
export const cryptoRandomInt: RandomInt = (maxExclusive) => {
  const limit = Math.floor(0x1_0000_0000 / maxExclusive) * maxExclusive;
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    if (buf[0]! < limit) return buf[0]! % maxExclusive;
  }
};

function sameOrder(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A Fisher–Yates shuffle of the ten digits that differs from the standard order and from `previous`. */
export function shuffledDigits(
  randomInt: RandomInt = cryptoRandomInt,
  previous?: readonly string[],
): string[] {
  for (let attempt = 0; ; attempt++) {
    const digits = [...STANDARD_DIGITS];
    for (let i = digits.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [digits[i], digits[j]] = [digits[j]!, digits[i]!];
    }
    const repeatsOld = sameOrder(digits, STANDARD_DIGITS) || sameOrder(digits, previous);
    // A broken random source must not hang the keypad: after a few tries rotate instead.
    if (!repeatsOld) return digits;
    if (attempt >= 8) return rotateAway(previous ?? STANDARD_DIGITS);
  }
}

function rotateAway(order: readonly string[]): string[] {
  return [...order.slice(3), ...order.slice(0, 3)];
}

export function keypadDigits(
  mode: 'shuffled' | 'standard',
  previous?: readonly string[],
  randomInt: RandomInt = cryptoRandomInt,
): string[] {
  return mode === 'standard' ? [...STANDARD_DIGITS] : shuffledDigits(randomInt, previous);
}
