import { describe, expect, it } from 'vitest';
import { checkPin } from './pin-policy.js';

const policy = { minLength: 6, maxLength: 8, digitsOnly: true, forbidSequences: true, forbidRepeated: true };

describe('PIN policy', () => {
  it('accepts an ordinary PIN', () => expect(checkPin('385172', policy)).toEqual([]));
  it('names each violation', () => {
    expect(checkPin('12a', policy)).toEqual(['too-short', 'not-digits']);
    expect(checkPin('123456', policy)).toEqual(['sequence']);
    expect(checkPin('987654', policy)).toEqual(['sequence']);
    expect(checkPin('000000', policy)).toEqual(['repeated']);
    expect(checkPin('123456789', policy)).toEqual(['too-long', 'sequence']);
  });
  it('allows what the policy allows', () => {
    expect(checkPin('123456', { ...policy, forbidSequences: false })).toEqual([]);
  });
});
