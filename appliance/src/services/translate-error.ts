// Central's after-sales refusals and a few device errors, as the service journeys tell them; everything else
// as the pickup journey does (journey/translate-error.ts). A refusal that spent a try keeps the tries left.
import { isDeviceError } from '@certkiosk/firmware-bridge';
import { isCentralClientError } from '@certkiosk/sync';
import type { ApplianceErrorCode } from '../api/contract.js';
import { ApplianceError } from '../errors.js';
import { asApplianceError } from '../journey/translate-error.js';

/** Central's codes that mean something specific to a holder at an after-sales service. */
const CENTRAL_CODES: Record<string, ApplianceErrorCode> = {
  CERTIFICATE_NOT_OURS: 'KEY_NOT_OURS',
  ACTIVATION_NOT_AVAILABLE: 'ACTIVATION_NOT_AVAILABLE',
  ACTIVATION_ALREADY_DONE: 'ACTIVATION_ALREADY_DONE',
  ACTIVATION_CODE_WRONG: 'ACTIVATION_CODE_WRONG',
  ACTIVATION_LOCKED: 'ACTIVATION_LOCKED',
  ACTIVATION_CODE_EXPIRED: 'ACTIVATION_CODE_EXPIRED',
  CERTIFICATE_REVOKED: 'CERTIFICATE_REVOKED',
  // The unlock's ID card is not of a person the certificate belongs to.
  IDENTITY_MISMATCH: 'UNLOCK_CARD_MISMATCH',
  // A 429, but not a "try again soon": the key's unlocks of the day are spent.
  UNLOCK_LIMIT_REACHED: 'UNLOCK_LIMIT_REACHED',
  // Look-up by code.
  PICKUP_CODE_INVALID: 'LOOKUP_CODE_UNKNOWN',
  ORDER_WRONG_HALL: 'PICKUP_CODE_WRONG_HALL',
  PICKUP_CODE_SUPERSEDED: 'PICKUP_CODE_SUPERSEDED',
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
  // Renew.
  RENEWAL_ORDER_NOT_FOUND: 'RENEWAL_ORDER_NOT_FOUND',
  RENEWAL_NOT_PAID: 'RENEWAL_NOT_PAID',
  CERTIFICATE_EXPIRED: 'CERTIFICATE_EXPIRED',
  ORDER_ALREADY_ISSUED: 'ORDER_ALREADY_ISSUED',
};

export function serviceError(err: unknown): ApplianceError {
  if (isCentralClientError(err) && err.code === 'CENTRAL_REFUSED') {
    const mapped = err.centralCode ? CENTRAL_CODES[err.centralCode] : undefined;
    if (mapped) {
      const left = err.details.attemptsLeft;
      return new ApplianceError(mapped, undefined, left !== undefined ? { triesLeft: left } : undefined, {
        cause: err,
      });
    }
  }
  if (isDeviceError(err) && (err as { code: string }).code === 'TOKEN_SO_PIN_INCORRECT') {
    // Our keys carry the SO-PIN this kiosk derives: one that does not is not a key this kiosk may reset.
    return new ApplianceError('TOKEN_FAILED', (err as Error).message, {
      deviceCode: 'TOKEN_SO_PIN_INCORRECT',
    });
  }
  return asApplianceError(err);
}
