// The 18-character citizen ID number (GB 11643): its ISO 7064 MOD 11-2 check character and its masked form.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARACTERS = '10X98765432';

/** The check character for the first 17 digits, or undefined if they are not 17 digits. */
export function idCheckCharacter(first17: string): string | undefined {
  if (!/^\d{17}$/.test(first17)) return undefined;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARACTERS[sum % 11];
}

/** 17 digits followed by a digit or X (the shape, not the check). */
export function isWellFormedIdNumber(id: string): boolean {
  return /^\d{17}[\dX]$/i.test(id);
}

export function hasValidCheckCharacter(id: string): boolean {
  return isWellFormedIdNumber(id) && idCheckCharacter(id.slice(0, 17)) === id[17]!.toUpperCase();
}

/** The kiosk's one ID-number mask (config/src/masks.ts), for logs and receipts. */
export { maskIdNumber } from '@certkiosk/config';
