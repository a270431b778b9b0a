// The unified social credit code rule (GB 32100, with the GB 11714 check of its organisation code): published
// codes pass, and each way a typed code can be wrong is refused with its own kind and a message saying where.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isValidUscc,
  normaliseUscc,
  organisationCodeCheckCharacter,
  USCC_ALPHABET,
  usccCheckCharacter,
  usccProblem,
} from './uscc.js';

/** Codes printed on business licences and in references; each passes both checks. */
const PUBLISHED = [
  { who: '深圳市腾讯计算机系统有限公司', code: '91440300708461136T' },
  { who: '华为技术有限公司', code: '914403001922038216' },
  { who: '阿里巴巴（中国）有限公司', code: '91330100799655058B' },
  { who: '小米科技有限责任公司', code: '91110108551385082Q' },
  { who: '百度在线网络技术（北京）有限公司', code: '91110000802100433B' },
  { who: 'the example of GB 32100 (an organisation code with letters)', code: '91350100M000100Y43' },
  { who: 'python-stdnum’s cn.uscc example', code: '91110000600037341L' },
];

/** Replace the character at 0-based `i`. */
const withChar = (code: string, i: number, c: string) => code.slice(0, i) + c + code.slice(i + 1);

describe('unified social credit code: valid', () => {
  it.each(PUBLISHED)('$code ($who) is valid', ({ code }) => {
    expect(usccProblem(code)).toBeNull();
    expect(usccCheckCharacter(code.slice(0, 17))).toBe(code[17]);
    expect(organisationCodeCheckCharacter(code.slice(8, 16))).toBe(code[16]);
  });

  it('normalises what people type: lower case, spaces and hyphens', () => {
    expect(normaliseUscc(' 9144 0300-7084 6113 6t ')).toBe('91440300708461136T');
    expect(isValidUscc(normaliseUscc('91350100m000100y43'))).toBe(true);
  });

  it('computes the check characters at their edges: 31 → 0 (GB 32100); 10 → X, 11 → 0 (GB 11714)', () => {
    expect(usccCheckCharacter('00000000000000000')).toBe('0');
    expect(organisationCodeCheckCharacter('10000018')).toBe('X');
    expect(organisationCodeCheckCharacter('10000004')).toBe('0');
  });

  it('a code built by the rule is valid, and every single mistyped character is caught', () => {
    const char = fc.constantFrom(...USCC_ALPHABET);
    const digit = fc.constantFrom(...'0123456789');
    const built = fc
      .tuple(
        fc.array(char, { minLength: 2, maxLength: 2 }),
        fc.array(digit, { minLength: 6, maxLength: 6 }),
        fc.array(fc.constantFrom(...'0123456789ABCDEFGHJKLMNPQRTUWXY'), { minLength: 8, maxLength: 8 }),
      )
      .map(([a, region, body]) => {
        const org = body.join('') + organisationCodeCheckCharacter(body.join(''));
        const first17 = a.join('') + region.join('') + org;
        return first17 + usccCheckCharacter(first17);
      });
    fc.assert(
      fc.property(built, fc.nat(17), char, (code, i, c) => {
        expect(usccProblem(code)).toBeNull();
        fc.pre(c !== code[i] && (i < 2 || i > 7 || /[0-9]/.test(c)));
        expect(isValidUscc(withChar(code, i, c))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('unified social credit code: refused, each with its own kind and a message saying where', () => {
  const tencent = '91440300708461136T';

  it('a wrong check character (18th)', () => {
    const p = usccProblem(withChar(tencent, 17, 'U'));
    expect(p?.kind).toBe('check');
    expect(p?.message).toContain('校验位（第 18 位）不符');
    expect(p?.message).toContain('check character (18th) does not match');
  });

  it.each([
    ['I', 9],
    ['O', 12],
    ['Z', 1],
    ['S', 17],
    ['V', 16],
  ] as const)('the letter %s (never used), at character %i', (letter, pos) => {
    const p = usccProblem(withChar(tencent, pos - 1, letter));
    expect(p).toMatchObject({ kind: 'character', position: pos, character: letter });
    expect(p?.message).toContain(`第 ${pos} 位“${letter}”`);
    expect(p?.message).toContain(`Character ${pos} ("${letter}")`);
    expect(p?.message).toContain('I, O, Z, S and V are not used');
  });

  it('a letter among the region digits (characters 3–8), and anything but digits and capitals', () => {
    const region = usccProblem(withChar(tencent, 4, 'A'));
    expect(region).toMatchObject({ kind: 'character', position: 5, character: 'A' });
    expect(region?.message).toContain('characters 3–8 are the region code, digits only');
    const other = usccProblem(withChar(tencent, 10, '＃'));
    expect(other).toMatchObject({ kind: 'character' });
    expect(other?.message).toContain('only digits and capital letters');
  });

  it.each([0, 15, 17, 19, 20])('a code of %i characters', (n) => {
    const code = (tencent + tencent).slice(0, n);
    const p = usccProblem(code);
    expect(p).toMatchObject({ kind: 'length', length: n });
    expect(p?.message).toContain(`此处为 ${n} 位`);
    expect(p?.message).toContain(`18 characters, not ${n}`);
  });

  it('an organisation code (characters 9–17) that fails its GB 11714 check, even with a matching 18th', () => {
    const first17 = withChar(tencent, 16, '7').slice(0, 17); // 70846113-7: its check is 6
    const code = first17 + usccCheckCharacter(first17);
    const p = usccProblem(code);
    expect(p?.kind).toBe('organisation-check');
    expect(p?.message).toContain('GB 11714');
  });
});
