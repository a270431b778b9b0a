import { describe, expect, it } from 'vitest';
import {
  clearDigits,
  deleteDigit,
  emptyPinEntry,
  FALLBACK_PIN_POLICY,
  type PinEntry,
  pinRules,
  submitPin,
  typeDigit,
} from './pin-entry.ts';

const policy = FALLBACK_PIN_POLICY; // 6–8 digits, no runs, no repeats
const typeAll = (entry: PinEntry, digits: string) =>
  [...digits].reduce((e, d) => typeDigit(e, d, policy), entry);
const stateOf = (pin: string) => Object.fromEntries(pinRules(pin, policy).map((r) => [r.rule, r.state]));

describe('PIN rules as typed', () => {
  it('are pending before anything is typed', () => {
    expect(stateOf('')).toEqual({
      length: 'pending',
      digits: 'pending',
      sequence: 'pending',
      repeated: 'pending',
    });
  });

  it('flag a run or a repeat while it is being typed', () => {
    expect(stateOf('123')).toMatchObject({ length: 'pending', sequence: 'bad', repeated: 'ok' });
    expect(stateOf('777')).toMatchObject({ sequence: 'ok', repeated: 'bad' });
    expect(stateOf('654321')).toMatchObject({ length: 'ok', sequence: 'bad' });
  });

  it('are all met by an acceptable PIN', () => {
    expect(stateOf('305917')).toEqual({ length: 'ok', digits: 'ok', sequence: 'ok', repeated: 'ok' });
  });

  it('follow the policy the kiosk was given', () => {
    const lax = { ...policy, minLength: 4, forbidSequences: false, forbidRepeated: false };
    expect(pinRules('1234', lax).map((r) => [r.rule, r.state])).toEqual([
      ['length', 'ok'],
      ['digits', 'ok'],
    ]);
  });
});

describe('two-pass PIN entry', () => {
  it('stops typing at the maximum length and ignores anything but digits', () => {
    const e = typeAll(emptyPinEntry(), '1357924680x');
    expect(e.typed).toBe('13579246');
    expect(deleteDigit(e).typed).toBe('1357924');
    expect(clearDigits(e).typed).toBe('');
  });

  it('refuses to go on with a PIN that breaks the policy', () => {
    const e = typeAll(emptyPinEntry(), '111111');
    expect(submitPin(e, policy).kind).toBe('not-acceptable');
  });

  it('asks again, then hands over the PIN when both entries match', () => {
    const first = submitPin(typeAll(emptyPinEntry(), '305917'), policy);
    expect(first.kind).toBe('again');
    expect(first.entry).toMatchObject({ phase: 'second', typed: '' });
    const second = submitPin(typeAll(first.entry, '305917'), policy);
    expect(second).toMatchObject({ kind: 'done', pin: '305917' });
    expect(second.entry).toEqual(emptyPinEntry());
  });

  it('starts over, saying why, when the two entries differ', () => {
    const first = submitPin(typeAll(emptyPinEntry(), '305917'), policy);
    const second = submitPin(typeAll(first.entry, '305918'), policy);
    expect(second.kind).toBe('mismatch');
    expect(second.entry).toEqual({ phase: 'first', first: '', typed: '', mismatch: true });
    expect(typeDigit(second.entry, '1', policy).mismatch).toBe(false);
  });
});
