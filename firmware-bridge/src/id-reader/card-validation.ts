// Judging a parsed card: expired, not yet valid, bad check character, unknown nation. These are results the
// caller decides about (the kiosk refuses an expired card), never exceptions.
import type { IdCard } from './card.js';
import { ID_READER_ERRORS } from './errors.js';
import { hasValidCheckCharacter, idCheckCharacter, isWellFormedIdNumber } from './id-number.js';
import { NATIONS } from './nations.js';

export type CardProblem =
  | { kind: 'expired'; code: 'ID_READER_CARD_EXPIRED'; message: string; validTo: string }
  | { kind: 'not-yet-valid'; code: 'ID_READER_NOT_YET_VALID'; message: string; validFrom: string }
  | {
      kind: 'bad-check-character';
      code: 'ID_READER_BAD_CHECK_CHARACTER';
      message: string;
      /** The check character the first 17 digits call for; undefined when the number is malformed. */
      expected: string | undefined;
    }
  | { kind: 'unknown-nation'; code: 'ID_READER_UNKNOWN_NATION'; message: string; nationCode: string };

export type CardProblemKind = CardProblem['kind'];

/** `today` as the kiosk's local calendar date, YYYY-MM-DD. */
export function localIsoDate(d: Date): string {
  const mm = String(d.getMonth() + 1).padStart(2, '0');
  const dd = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${mm}-${dd}`;
}

/** Every problem with the card as of `today` (a Date, or YYYY-MM-DD); empty when the card is fine. */
export function validateCard(card: IdCard, today: Date | string = new Date()): CardProblem[] {
  const day = typeof today === 'string' ? today : localIsoDate(today);
  const problems: CardProblem[] = [];
  // The card is valid through its end date inclusive.
  if (card.validTo !== null && card.validTo < day) {
    problems.push({
      kind: 'expired',
      code: 'ID_READER_CARD_EXPIRED',
      message: ID_READER_ERRORS.ID_READER_CARD_EXPIRED,
      validTo: card.validTo,
    });
  }
  if (card.validFrom > day) {
    problems.push({
      kind: 'not-yet-valid',
      code: 'ID_READER_NOT_YET_VALID',
      message: ID_READER_ERRORS.ID_READER_NOT_YET_VALID,
      validFrom: card.validFrom,
    });
  }
  if (usesCitizenNumberRules(card) && !hasValidCheckCharacter(card.idNumber)) {
    problems.push({
      kind: 'bad-check-character',
      code: 'ID_READER_BAD_CHECK_CHARACTER',
      message: ID_READER_ERRORS.ID_READER_BAD_CHECK_CHARACTER,
      expected: isWellFormedIdNumber(card.idNumber)
        ? idCheckCharacter(card.idNumber.slice(0, 17))
        : undefined,
    });
  }
  if (card.cardType === 'resident' && !Object.hasOwn(NATIONS, card.nationCode)) {
    problems.push({
      kind: 'unknown-nation',
      code: 'ID_READER_UNKNOWN_NATION',
      message: ID_READER_ERRORS.ID_READER_UNKNOWN_NATION,
      nationCode: card.nationCode,
    });
  }
  return problems;
}

/** Resident cards, HMT permits and 2023 foreigner cards carry an 18-character GB 11643 number; 2017 ones do not. */
function usesCitizenNumberRules(card: IdCard): boolean {
  if (card.cardType !== 'foreign-permanent') return true;
  return card.layoutMark === 'Y' && card.idNumber.length === 18;
}
