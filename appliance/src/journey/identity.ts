// Who may collect an order, per certificate type (from the CA's published process):
// natural person — the holder only; organisation-individual — the holder, or the registered handler when
// the holder already verified online; organisation — the handler or the legal representative.
import { createHmac } from 'node:crypto';
import type { IdCard } from '@certkiosk/firmware-bridge';
import { validateCard } from '@certkiosk/firmware-bridge';
import {
  allowedIdentityRoles,
  cardMatchesPerson,
  IDENTITY_MATCH_RULE,
  IDENTITY_ROLE_FIELDS,
  type IdentityRole,
  type IdentityStatement,
  idNumberMatchHmac,
  normaliseIdNumber,
  personNameMatchHmac,
} from '@certkiosk/sync';
import type { ApplianceErrorCode } from '../api/contract.js';
import type { OrderSnapshot, PersonRef } from './record.js';

export type { IdentityRole };

export type IdentityCheck =
  | { ok: true; role: IdentityRole }
  | {
      ok: false;
      code: Extract<ApplianceErrorCode, 'ID_CARD_EXPIRED' | 'ID_CARD_INVALID' | 'ID_MISMATCH_PERSON'>;
      detail: string;
    };

/** The people allowed to collect this order, in matching order (the rule is central's: allowedIdentityRoles). */
export function allowedCollectors(order: OrderSnapshot): Array<{ role: IdentityRole; person: PersonRef }> {
  return allowedIdentityRoles(order).flatMap((role) => {
    const person = order[IDENTITY_ROLE_FIELDS[role]];
    return person ? [{ role, person }] : [];
  });
}

/**
 * HMAC-SHA256 of an ID number (normalised) under `key`, for the issuance record. The key is derived on the
 * appliance token and held in memory only: without the token no candidate can be tried.
 */
export function hashIdNumber(key: Buffer | string, idNumber: string): string {
  return createHmac('sha256', key).update(normaliseIdNumber(idNumber)).digest('hex');
}

/** Does the card (valid today) belong to a person allowed to collect the order? Matched by HMAC only. */
export function checkIdentity(card: IdCard, order: OrderSnapshot, today: Date): IdentityCheck {
  const problems = validateCard(card, today);
  if (problems.some((p) => p.kind === 'expired' || p.kind === 'not-yet-valid')) {
    return { ok: false, code: 'ID_CARD_EXPIRED', detail: 'the card is outside its validity period' };
  }
  if (problems.some((p) => p.kind === 'bad-check-character')) {
    return { ok: false, code: 'ID_CARD_INVALID', detail: 'the ID number check character is wrong' };
  }
  for (const { role, person } of allowedCollectors(order)) {
    if (cardMatchesPerson(order.identitySalt, card, person)) return { ok: true, role };
  }
  return {
    ok: false,
    code: 'ID_MISMATCH_PERSON',
    detail: `the card holder is not among the ${allowedCollectors(order)
      .map((c) => c.role)
      .join(', ')}`,
  };
}

/** The statement the kiosk signs when a card matched: HMACs under the order's salt, never the card itself. */
export function identityStatementFor(
  card: IdCard,
  order: OrderSnapshot,
  role: IdentityRole,
  applianceId: string,
  checkedAt: Date,
): IdentityStatement {
  return {
    orderId: order.orderId,
    applianceId,
    role,
    cardIdHmac: idNumberMatchHmac(order.identitySalt, card.idNumber),
    cardNameHmac: personNameMatchHmac(order.identitySalt, card.name),
    matchRule: IDENTITY_MATCH_RULE,
    checkedAt: checkedAt.toISOString(),
  };
}

/** The kiosk's one name mask (config/src/masks.ts). */
export { maskName } from '@certkiosk/config';
