// What a staff PIN must be: 6–12 digits, not trivially guessable (one digit repeated, an ascending or
// descending run, a short pattern repeated, or one of the PINs people pick most).
import { checkPin, type PinPolicy } from '@certkiosk/config';

export const STAFF_PIN_POLICY: Readonly<PinPolicy> = Object.freeze({
  minLength: 6,
  maxLength: 12,
  digitsOnly: true,
  forbidSequences: true,
  forbidRepeated: true,
});

export type StaffPinProblem =
  | 'too-short'
  | 'too-long'
  | 'not-digits'
  | 'sequence'
  | 'repeated'
  | 'pattern'
  | 'common';

// Keypad lines, palindromes of runs and the "lucky" numbers that top leaked-PIN lists in China.
const COMMON = new Set([
  '123321',
  '112233',
  '147258',
  '258369',
  '147258369',
  '159753',
  '357159',
  '789456',
  '456123',
  '520520',
  '521521',
  '520131',
  '131420',
  '5201314',
  '168168',
  '888666',
  '666888',
  '010203',
]);

/** The first `period` digits repeated over the whole PIN (121212, 123123, 100100). */
function repeatsWithPeriod(pin: string, period: number): boolean {
  for (let i = period; i < pin.length; i++) if (pin[i] !== pin[i - period]) return false;
  return true;
}

/** Every digit is the one before it ±1 modulo 10 (890123, 210987), a run that wraps around. */
function wrappingRun(pin: string): boolean {
  const d = [...pin].map(Number);
  const steps = d.slice(1).map((x, i) => (x - d[i]! + 10) % 10);
  return steps.every((s) => s === 1) || steps.every((s) => s === 9);
}

/** Problems with a would-be staff PIN; empty when it is acceptable. The PIN itself is never returned. */
export function checkStaffPin(pin: unknown): StaffPinProblem[] {
  if (typeof pin !== 'string') return ['not-digits'];
  const problems: StaffPinProblem[] = checkPin(pin, STAFF_PIN_POLICY);
  if (!problems.includes('not-digits') && pin.length >= 2) {
    if (!problems.includes('sequence') && wrappingRun(pin)) problems.push('sequence');
    if (!problems.includes('repeated') && [2, 3].some((n) => pin.length > n && repeatsWithPeriod(pin, n))) {
      problems.push('pattern');
    }
    if (COMMON.has(pin)) problems.push('common');
  }
  return problems;
}
