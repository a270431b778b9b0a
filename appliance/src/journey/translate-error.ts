// Errors from the devices and from central, translated once into the appliance's error codes.
import { isDeviceError } from '@certkiosk/firmware-bridge';
import { isDurableStoreError } from '@certkiosk/sync';
import type { ApplianceErrorCode } from '../api/contract.js';
import { ApplianceError } from '../errors.js';

const TOKEN_CODES: Record<string, ApplianceErrorCode> = {
  TOKEN_REMOVED: 'TOKEN_REMOVED',
  TOKEN_NOT_PRESENT: 'TOKEN_ABSENT',
  TOKEN_NOT_FOUND: 'TOKEN_REMOVED',
  TOKEN_PIN_POLICY: 'TOKEN_PIN_POLICY',
  TOKEN_CERT_KEY_MISMATCH: 'CERTIFICATE_KEY_MISMATCH',
  TOKEN_ALREADY_INITIALIZED: 'TOKEN_NOT_BLANK',
  TOKEN_SO_PIN_INCORRECT: 'TOKEN_NOT_BLANK',
};

/** The printer's own codes staff get a specific message for (what to do at the printer). */
const PRINTER_CODES: Record<string, ApplianceErrorCode> = {
  PRINTER_PAPER_OUT: 'PRINTER_OUT_OF_PAPER',
  PRINTER_COVER_OPEN: 'PRINTER_COVER_OPEN',
};

/** Central's own refusal codes the applicant gets a specific message for. */
const CENTRAL_CODES: Record<string, ApplianceErrorCode> = {
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
  ORDER_ALREADY_ISSUED: 'ORDER_ALREADY_ISSUED',
  ORDER_NOT_APPROVED: 'ORDER_NOT_APPROVED',
  ORDER_WRONG_HALL: 'PICKUP_CODE_WRONG_HALL',
  PICKUP_CODE_SUPERSEDED: 'PICKUP_CODE_SUPERSEDED',
  PICKUP_CODE_EXPIRED: 'PICKUP_CODE_EXPIRED',
  PICKUP_CODE_FORGED: 'PICKUP_CODE_FORGED',
  PICKUP_CODE_WRONG_HALL: 'PICKUP_CODE_WRONG_HALL',
  PICKUP_CODE_USED: 'PICKUP_CODE_USED',
  ID_ATTEMPTS_EXHAUSTED: 'ID_ATTEMPTS_EXHAUSTED',
};

/** HTTP statuses of a refusal that says nothing about the request itself (auth, rate, timeout): retried. */
const RETRYABLE_REFUSALS = new Set([401, 408, 425, 429]);

export function asApplianceError(err: unknown): ApplianceError {
  if (err instanceof ApplianceError) return err;
  if (isDeviceError(err)) {
    const code = (err as { code: string }).code;
    // A job that stopped half-way says why in its details (the paper ran out while printing).
    const cause = (err as { details?: { cause?: unknown } }).details?.cause;
    const mapped =
      TOKEN_CODES[code] ??
      PRINTER_CODES[code] ??
      (code === 'PRINTER_JOB_FAILED' && typeof cause === 'string' ? PRINTER_CODES[cause] : undefined) ??
      (code.startsWith('TOKEN_') ? 'TOKEN_FAILED' : 'DEVICE_UNAVAILABLE');
    return new ApplianceError(mapped, (err as Error).message, { deviceCode: code }, { cause: err });
  }
  if (isDurableStoreError(err)) {
    // The outbox or the journal could not write: nothing more may happen until the disk is back.
    return new ApplianceError('STORE_UNAVAILABLE', err.message, undefined, { cause: err });
  }
  const e = err as { code?: string; centralCode?: string; status?: number; message?: string };
  if (e?.code === 'CENTRAL_UNAVAILABLE' || e?.code === 'CENTRAL_BAD_RESPONSE') {
    return new ApplianceError('CENTRAL_UNAVAILABLE', e.message, undefined, { cause: err });
  }
  if (e?.code === 'CENTRAL_REFUSED') {
    if (e.status !== undefined && RETRYABLE_REFUSALS.has(e.status)) {
      return new ApplianceError('CENTRAL_UNAVAILABLE', e.message, { status: e.status }, { cause: err });
    }
    const mapped = e.centralCode ? CENTRAL_CODES[e.centralCode] : undefined;
    if (mapped) return new ApplianceError(mapped, undefined, undefined, { cause: err });
    return new ApplianceError(
      'CENTRAL_REFUSED',
      e.message,
      e.centralCode ? { centralCode: e.centralCode } : undefined,
      { cause: err },
    );
  }
  return new ApplianceError('INTERNAL', e?.message ?? String(err), undefined, { cause: err });
}

/** After a call to central, these leave the outcome unknown (it may have acted): ask again, never assume. */
export function outcomeUnknown(e: ApplianceError): boolean {
  return e.code === 'CENTRAL_UNAVAILABLE' || e.code === 'INTERNAL' || e.code === 'STORE_UNAVAILABLE';
}
