// The two-pass PIN entry: typed on the keypad, checked against the policy as typed, then entered again.
import { checkPin } from '../../../config/src/pin-policy.ts';
import type { KioskSettings } from './contract.ts';

export type PinPolicy = KioskSettings['pinPolicy'];
export type RuleName = 'length' | 'digits' | 'sequence' | 'repeated';
export type RuleState = 'ok' | 'bad' | 'pending';

export interface PinRule {
  rule: RuleName;
  state: RuleState;
}

/** The policy's rules with their state for what has been typed so far (shown live under the PIN dots). */
export function pinRules(pin: string, policy: PinPolicy): PinRule[] {
  const problems = checkPin(pin, policy);
  const rules: PinRule[] = [];
  const lengthOk = !problems.includes('too-short') && !problems.includes('too-long');
  rules.push({ rule: 'length', state: lengthOk ? 'ok' : problems.includes('too-long') ? 'bad' : 'pending' });
  if (policy.digitsOnly) {
    rules.push({ rule: 'digits', state: problems.includes('not-digits') ? 'bad' : pin ? 'ok' : 'pending' });
  }
  const judged = (problem: 'sequence' | 'repeated'): RuleState =>
    pin.length < 2 ? 'pending' : problems.includes(problem) ? 'bad' : 'ok';
  if (policy.forbidSequences) rules.push({ rule: 'sequence', state: judged('sequence') });
  if (policy.forbidRepeated) rules.push({ rule: 'repeated', state: judged('repeated') });
  return rules;
}

export function pinAcceptable(pin: string, policy: PinPolicy): boolean {
  return checkPin(pin, policy).length === 0;
}

export interface PinEntry {
  phase: 'first' | 'second';
  /** The first PIN while the second is typed; kept in memory only. */
  first: string;
  typed: string;
  /** The two PINs differed on the last try. */
  mismatch: boolean;
}

export const emptyPinEntry = (): PinEntry => ({ phase: 'first', first: '', typed: '', mismatch: false });

export function typeDigit(entry: PinEntry, digit: string, policy: PinPolicy): PinEntry {
  if (!/^[0-9]$/.test(digit) || entry.typed.length >= policy.maxLength) return entry;
  return { ...entry, typed: entry.typed + digit, mismatch: false };
}

export function deleteDigit(entry: PinEntry): PinEntry {
  return { ...entry, typed: entry.typed.slice(0, -1) };
}

export function clearDigits(entry: PinEntry): PinEntry {
  return { ...entry, typed: '' };
}

export type SubmitResult =
  | { kind: 'not-acceptable'; entry: PinEntry }
  | { kind: 'again'; entry: PinEntry }
  | { kind: 'mismatch'; entry: PinEntry }
  | { kind: 'done'; pin: string; entry: PinEntry };

/** First pass → ask again; second pass → done when both match, else start over. */
export function submitPin(entry: PinEntry, policy: PinPolicy): SubmitResult {
  if (!pinAcceptable(entry.typed, policy)) return { kind: 'not-acceptable', entry };
  if (entry.phase === 'first') {
    return { kind: 'again', entry: { phase: 'second', first: entry.typed, typed: '', mismatch: false } };
  }
  if (entry.typed !== entry.first) {
    return { kind: 'mismatch', entry: { ...emptyPinEntry(), mismatch: true } };
  }
  return { kind: 'done', pin: entry.typed, entry: emptyPinEntry() };
}

/** Used only until GET /api/kiosk has answered: the config schema's default policy. */
export const FALLBACK_PIN_POLICY: PinPolicy = {
  minLength: 6,
  maxLength: 8,
  digitsOnly: true,
  forbidSequences: true,
  forbidRepeated: true,
};
