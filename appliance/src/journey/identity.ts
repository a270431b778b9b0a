// Who may collect an order, per certificate type (from the CA's published process):
// natural person — the holder only; organisation-individual — the holder, or the registered handler when
// the holder already verified online; organisation — the handler or the legal representative.
import { createHmac } from 'node:crypto';
import type { IdCard } from '@certkiosk/firmware-bridge';
import { validateCard } from '@certkiosk/firmware-bridge';
import type { ApplianceErrorCode } from '../api/contract.js';
import type { OrderSnapshot, PersonRef } from './record.js';

export type IdentityRole = 'holder' | 'handler' | 'legal-representative';

export type IdentityCheck =
  | { ok: true; role: IdentityRole }
  | {
      ok: false;
      code: Extract<ApplianceErrorCode, 'ID_CARD_EXPIRED' | 'ID_CARD_INVALID' | 'ID_MISMATCH_PERSON'>;
      detail: string;
    };

export function allowedCollectors(order: OrderSnapshot): Array<{ role: IdentityRole; person: PersonRef }> {
  const out: Array<{ role: IdentityRole; person: PersonRef }> = [];
  const add = (role: IdentityRole, person?: PersonRef) => person && out.push({ role, person });
  switch (order.certificateType) {
    case 'natural-person':
      add('holder', order.holder);
      break;
    case 'organisation-individual':
      add('holder', order.holder);
      if (order.holderVerifiedOnline) add('handler', order.handler);
      break;
    case 'organisation':
      add('handler', order.handler);
      add('legal-representative', order.legalRepresentative);
      break;
  }
  return out;
}

const normaliseName = (s: string) => s.replace(/[\s·•・.]/g, '').toUpperCase();

/**
 * HMAC-SHA256 of an ID number (upper-case X) under `key`, the only form in which a journey keeps one. The key is
 * derived on the appliance token and held in memory only: without the token no candidate can be tried.
 */
export function hashIdNumber(key: Buffer | string, idNumber: string): string {
  return createHmac('sha256', key).update(idNumber.toUpperCase()).digest('hex');
}

export function checkIdentity(
  card: IdCard,
  order: OrderSnapshot,
  today: Date,
  key: Buffer | string,
): IdentityCheck {
  const problems = validateCard(card, today);
  if (problems.some((p) => p.kind === 'expired' || p.kind === 'not-yet-valid')) {
    return { ok: false, code: 'ID_CARD_EXPIRED', detail: 'the card is outside its validity period' };
  }
  if (problems.some((p) => p.kind === 'bad-check-character')) {
    return { ok: false, code: 'ID_CARD_INVALID', detail: 'the ID number check character is wrong' };
  }
  const cardId = hashIdNumber(key, card.idNumber);
  for (const { role, person } of allowedCollectors(order)) {
    if (person.idNumberHash === cardId && normaliseName(person.name) === normaliseName(card.name)) {
      return { ok: true, role };
    }
  }
  return {
    ok: false,
    code: 'ID_MISMATCH_PERSON',
    detail: `the card holder is not among the ${allowedCollectors(order)
      .map((c) => c.role)
      .join(', ')}`,
  };
}

/** The kiosk's one name mask (config/src/masks.ts). */
export { maskName } from '@certkiosk/config';
