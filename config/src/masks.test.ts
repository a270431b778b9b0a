import { describe, expect, it } from 'vitest';
import { maskIdNumber, maskName, normaliseIdNumber, normalisePersonName } from './masks.js';

describe('the one mask for ID numbers and names', () => {
  it.each([
    ['440305199001011234', '4403**********1234'],
    ['44030519900101123X', '4403**********123X'],
    ['810000199001011234', '8100**********1234'],
    ['12345678', '********'],
    ['1234567', '*******'],
    ['', ''],
    ['4403**********1234', '4403**********1234'],
  ])('ID number %s → %s', (id, masked) => expect(maskIdNumber(id)).toBe(masked));

  it.each([
    ['张伟', '张*'],
    ['李小娜', '李*娜'],
    ['阿依古丽·买买提', '阿******提'],
    [' 王五 ', '王*'],
    ['张', '*'],
    ['张*', '张*'],
    ['', ''],
  ])('name %s → %s', (name, masked) => expect(maskName(name)).toBe(masked));

  it('never shows a full ID number, whatever its length', () => {
    for (let n = 1; n <= 20; n++) {
      const id = '1'.repeat(n);
      expect(maskIdNumber(id)).not.toBe(id);
    }
  });
});

describe('the one normalisation for matching ID numbers and names', () => {
  it.each([
    ['44030519900101123x', '44030519900101123X'],
    [' 44030519900101123X\n', '44030519900101123X'],
    ['440305199001011234', '440305199001011234'],
  ])('ID number %j → %s', (id, n) => expect(normaliseIdNumber(id)).toBe(n));

  it.each([
    ['张伟', '张伟'],
    [' 张 伟 ', '张伟'],
    ['阿依古丽·买买提', '阿依古丽买买提'],
    ['阿依古丽•买买提', '阿依古丽买买提'],
    ['阿依古丽・买买提', '阿依古丽买买提'],
    ['Li Na', 'LINA'],
    ['j.smith', 'JSMITH'],
  ])('name %j → %s', (name, n) => expect(normalisePersonName(name)).toBe(n));

  it('is what the kiosk compared before (identity.ts normaliseName): same rule, character for character', () => {
    const old = (s: string) => s.replace(/[\s·•・.]/g, '').toUpperCase();
    for (const s of ['张伟', ' 阿依古丽 · 买买提 ', 'Mary-Jane O.Neil', '\t李\u3000娜']) {
      expect(normalisePersonName(s)).toBe(old(s));
    }
  });
});
