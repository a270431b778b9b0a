// The PIN policy check, shared by the token driver, the appliance API and the UI keypad.
import type { PinPolicy } from './schema.js';

export type PinProblem = 'too-short' | 'too-long' | 'not-digits' | 'sequence' | 'repeated';

export function checkPin(pin: string, policy: PinPolicy): PinProblem[] {
  const problems: PinProblem[] = [];
  if (pin.length < policy.minLength) problems.push('too-short');
  if (pin.length > policy.maxLength) problems.push('too-long');
  if (policy.digitsOnly && !/^[0-9]*$/.test(pin)) problems.push('not-digits');
  if (pin.length >= 2) {
    const codes = [...pin].map((c) => c.charCodeAt(0));
    const steps = codes.slice(1).map((c, i) => c - codes[i]!);
    if (policy.forbidSequences && (steps.every((s) => s === 1) || steps.every((s) => s === -1))) {
      problems.push('sequence');
    }
    if (policy.forbidRepeated && steps.every((s) => s === 0)) problems.push('repeated');
  }
  return problems;
}
