// The unified social credit code (统一社会信用代码, GB 32100-2015) and its checks, in one place for central and
// the kiosk: 18 characters from a 31-character alphabet (digits and capital letters without I, O, Z, S, V) —
// registration authority (1), kind of organisation (2), region code (3–8, digits), the organisation code
// (9–17, GB 11714: 8 characters and its own check character) and the check character (18).

/** The code's alphabet; a character's value is its index (0–30). */
export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** GB 32100 weights of characters 1–17 (3^(i-1) mod 31). */
export const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
/** GB 11714 weights of the organisation code's 8 characters. */
const ORGANISATION_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;

export type UsccProblemKind = 'length' | 'character' | 'check' | 'organisation-check';

/** What is wrong with a code: its kind (UIs key messages on it) and a sentence in Chinese and English. */
export interface UsccProblem {
  kind: UsccProblemKind;
  message: string;
  /** `length`: how many characters the code has. */
  length?: number;
  /** `character`: where the first character not allowed is (1–18), and which it is. */
  position?: number;
  character?: string;
}

/** The code as typed, made comparable: surrounding and inner spaces or hyphens dropped, capitals. */
export function normaliseUscc(raw: string): string {
  return raw.replace(/[\s-]+/g, '').toUpperCase();
}

/** The GB 32100 check character (position 18) of the first 17 characters (each from USCC_ALPHABET). */
export function usccCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17[i] ?? '') * (USCC_WEIGHTS[i] ?? 0);
  return USCC_ALPHABET[(31 - (sum % 31)) % 31]!;
}

/**
 * The GB 11714 check character of an organisation code's first 8 characters: 11 − (Σ value × weight mod 11),
 * 10 → X, 11 → 0; a digit counts its value, a letter A–Z 10–35.
 */
export function organisationCodeCheckCharacter(first8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++)
    sum += Number.parseInt(first8[i] ?? '0', 36) * (ORGANISATION_CODE_WEIGHTS[i] ?? 0);
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

const FORBIDDEN = 'IOZSV';

/** What is wrong with a normalised code, or null when it is valid. */
export function usccProblem(code: string): UsccProblem | null {
  if (code.length !== 18)
    return {
      kind: 'length',
      length: code.length,
      message: `统一社会信用代码为 18 位，此处为 ${code.length} 位。 A unified social credit code has 18 characters, not ${code.length}.`,
    };
  for (let i = 0; i < 18; i++) {
    const c = code[i]!;
    const digitsOnly = i >= 2 && i <= 7;
    if (USCC_ALPHABET.includes(c) && (!digitsOnly || /[0-9]/.test(c))) continue;
    const [zh, en] = digitsOnly
      ? ['第 3–8 位为行政区划码，只能是数字', 'characters 3–8 are the region code, digits only']
      : FORBIDDEN.includes(c)
        ? ['代码中不使用字母 I、O、Z、S、V', 'the letters I, O, Z, S and V are not used']
        : ['只能是数字和大写字母', 'only digits and capital letters are used'];
    return {
      kind: 'character',
      position: i + 1,
      character: c,
      message: `统一社会信用代码第 ${i + 1} 位“${c}”无效：${zh}。 Character ${i + 1} ("${c}") of the unified social credit code is not allowed: ${en}.`,
    };
  }
  const org = code.slice(8, 17);
  if (organisationCodeCheckCharacter(org) !== org[8])
    return {
      kind: 'organisation-check',
      message:
        '统一社会信用代码第 9–17 位（组织机构代码）校验不符，请核对。 Characters 9–17 (the organisation code) fail their GB 11714 check; check for a typing error.',
    };
  if (usccCheckCharacter(code) !== code[17])
    return {
      kind: 'check',
      message:
        '统一社会信用代码校验位（第 18 位）不符，请核对。 The check character (18th) does not match; check for a typing error.',
    };
  return null;
}

export function isValidUscc(code: string): boolean {
  return usccProblem(code) === null;
}
