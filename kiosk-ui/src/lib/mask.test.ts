import { describe, expect, it } from 'vitest';
import { maskIdNumber, maskName } from './mask.ts';

describe('masking', () => {
  it('masks an 18-character ID number to its first and last four', () => {
    expect(maskIdNumber('44030119900101123X')).toBe('4403**********123X');
  });
  it('leaves an already masked number alone and hides short ones completely', () => {
    expect(maskIdNumber('4403**********123X')).toBe('4403**********123X');
    expect(maskIdNumber('12345')).toBe('*****');
  });
  it('masks names like the receipt does', () => {
    expect(maskName('张三')).toBe('张*');
    expect(maskName('李小娜')).toBe('李*娜');
    expect(maskName('欧阳娜娜')).toBe('欧**娜');
    expect(maskName('李*娜')).toBe('李*娜');
  });
});
