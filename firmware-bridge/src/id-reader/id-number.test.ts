import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasValidCheckCharacter, idCheckCharacter, maskIdNumber } from './id-number.js';

describe('GB 11643 check character (ISO 7064 MOD 11-2)', () => {
  it('matches the examples published with the standard', () => {
    expect(idCheckCharacter('11010519491231002')).toBe('X');
    expect(idCheckCharacter('44052418800101001')).toBe('4');
    expect(hasValidCheckCharacter('11010519491231002X')).toBe(true);
    expect(hasValidCheckCharacter('11010519491231002x')).toBe(true);
    expect(hasValidCheckCharacter('110105194912310021')).toBe(false);
  });

  it('rejects malformed numbers instead of computing nonsense', () => {
    expect(idCheckCharacter('1101051949123100')).toBeUndefined();
    expect(hasValidCheckCharacter('USA440081100512')).toBe(false);
    expect(hasValidCheckCharacter('11010519491231002Y')).toBe(false);
  });

  it('catches every single-digit change of a valid number', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{17}$/),
        fc.nat(16),
        fc.integer({ min: 1, max: 9 }),
        (first17, i, delta) => {
          const id = first17 + idCheckCharacter(first17);
          const changed = id.slice(0, i) + ((Number(id[i]) + delta) % 10) + id.slice(i + 1);
          expect(hasValidCheckCharacter(id)).toBe(true);
          expect(hasValidCheckCharacter(changed)).toBe(false);
        },
      ),
    );
  });
});

describe('maskIdNumber', () => {
  it('keeps the first and last four characters', () => {
    expect(maskIdNumber('44030519850307123X')).toBe('4403**********123X');
    expect(maskIdNumber('USA440081100512')).toBe('USA4*******0512');
    expect(maskIdNumber('H1234567')).toBe('********');
  });
});
