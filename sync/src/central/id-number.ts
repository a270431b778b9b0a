// The ID numbers a person may order with, and their checks, in one place:
// - 18 characters, GB 11643 (weighted mod-11 check character): the resident ID card; the HK/Macao/Taiwan
//   residence permits (numbers beginning 81, 82, 83); and the foreigner's permanent residence card of 2023,
//   whose number begins with 9;
// - 15 characters: the foreigner's permanent residence card of 2004/2017 — three letters (ISO 3166-1 alpha-3
//   nationality), four digits (the accepting region), the birth date as YYMMDD and two digits of sequence
//   (e.g. USA 4400 811005 12, born 1981-10-05).
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export type IdNumberKind =
  | 'resident'
  | 'hmt-residence-permit'
  | 'foreign-permanent-2023'
  | 'foreign-permanent-15';

export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] ?? 0);
  return CHECK[sum % 11]!;
}

function validDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** What kind of number `id` is, or null when it is none a person may order with. */
export function idNumberKind(id: string): IdNumberKind | null {
  if (/^\d{17}[\dX]$/.test(id)) {
    if (idCheckCharacter(id.slice(0, 17)) !== id[17]) return null;
    if (!validDate(Number(id.slice(6, 10)), Number(id.slice(10, 12)), Number(id.slice(12, 14)))) return null;
    if (/^8[123]/.test(id)) return 'hmt-residence-permit';
    if (id.startsWith('9')) return 'foreign-permanent-2023';
    return 'resident';
  }
  const old = /^[A-Z]{3}\d{4}(\d{2})(\d{2})(\d{2})\d{2}$/.exec(id);
  if (old) {
    const [, yy, mm, dd] = old;
    // YYMMDD: a valid day in either century.
    const ok = [1900, 2000].some((c) => validDate(c + Number(yy), Number(mm), Number(dd)));
    return ok ? 'foreign-permanent-15' : null;
  }
  return null;
}

export function isValidIdNumber(id: string): boolean {
  return idNumberKind(id) !== null;
}

/** What is wrong with `id`, in words for the person who typed it; null when it is a valid number. */
export function idNumberProblem(id: string): string | null {
  if (idNumberKind(id) !== null) return null;
  if (/^\d{17}[\dX]$/.test(id) && idCheckCharacter(id.slice(0, 17)) !== id[17])
    return 'has a wrong check character';
  return 'is not a valid ID card, residence permit or permanent residence number';
}

/** The one ID-number mask, shared with the kiosk through config (central keeps no copy of its own). */
export { maskIdNumber } from '@certkiosk/config';
