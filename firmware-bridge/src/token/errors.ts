// USB-key (PKCS#11) error codes, and the one place raw pkcs11js errors become them.
import { DeviceError } from '../errors.js';

export const TOKEN_ERRORS = {
  TOKEN_MODULE_NOT_FOUND:
    'The PKCS#11 module could not be loaded; check devices.token.module in the configuration.',
  TOKEN_NOT_FOUND: 'No USB key with that label or serial is in the writer.',
  TOKEN_NOT_PRESENT: 'No USB key is in the writer; insert one.',
  TOKEN_REMOVED: 'The USB key was removed during the operation; insert it again and retry.',
  TOKEN_PIN_INCORRECT: 'The PIN is wrong.',
  TOKEN_PIN_LOCKED: 'The PIN is locked after too many wrong tries; staff can unlock it.',
  TOKEN_PIN_POLICY: 'The new PIN does not meet the PIN policy.',
  TOKEN_SO_PIN_INCORRECT: 'The security-officer PIN is wrong.',
  TOKEN_FULL: 'The USB key has no room left for this object.',
  TOKEN_NOT_INITIALIZED: 'The USB key is not initialised; prepare it first.',
  TOKEN_ALREADY_INITIALIZED: 'The USB key is already initialised.',
  TOKEN_WRITE_PROTECTED: 'The USB key is write-protected.',
  TOKEN_KEY_NOT_FOUND: 'No key pair with that id is on the USB key.',
  TOKEN_KEY_EXISTS: 'A key with that id already exists on the USB key.',
  TOKEN_CERT_KEY_MISMATCH: 'The certificate is for another key than the one on the USB key.',
  TOKEN_CERT_EXISTS: 'A different certificate is already stored for this key on the USB key.',
  TOKEN_BAD_CERTIFICATE: 'The certificate could not be parsed.',
  TOKEN_MECHANISM_UNSUPPORTED: 'The USB key does not support this algorithm.',
  TOKEN_CSR_SELF_CHECK: 'The request signed by the USB key did not verify; the key may be faulty.',
  TOKEN_BAD_ARGUMENT: 'An argument to the USB-key operation was invalid.',
  TOKEN_BUSY: 'The USB-key module is busy with another operation; try again.',
  TOKEN_MODULE_CLOSED: 'The PKCS#11 module has been closed.',
  TOKEN_FAILED: 'The USB key reported an error.',
  TOKEN_IDENTITY_MISMATCH:
    'This token does not hold the expected public key; nothing (no PIN) was sent to it.',
} as const;

export type TokenErrorCode = keyof typeof TOKEN_ERRORS;

export class TokenError extends DeviceError<TokenErrorCode> {
  constructor(
    code: TokenErrorCode,
    message?: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(code, message ?? TOKEN_ERRORS[code], details, cause === undefined ? undefined : { cause });
    this.name = 'TokenError';
  }
}

/** CKR_* name → our code, for the return values a user can cause. */
const CKR_TO_CODE: Record<string, TokenErrorCode> = {
  CKR_PIN_INCORRECT: 'TOKEN_PIN_INCORRECT',
  CKR_PIN_LOCKED: 'TOKEN_PIN_LOCKED',
  CKR_PIN_INVALID: 'TOKEN_PIN_POLICY',
  CKR_PIN_LEN_RANGE: 'TOKEN_PIN_POLICY',
  CKR_TOKEN_NOT_PRESENT: 'TOKEN_REMOVED',
  CKR_DEVICE_REMOVED: 'TOKEN_REMOVED',
  CKR_TOKEN_NOT_RECOGNIZED: 'TOKEN_NOT_PRESENT',
  CKR_DEVICE_MEMORY: 'TOKEN_FULL',
  CKR_TOKEN_WRITE_PROTECTED: 'TOKEN_WRITE_PROTECTED',
  CKR_MECHANISM_INVALID: 'TOKEN_MECHANISM_UNSUPPORTED',
  CKR_USER_PIN_NOT_INITIALIZED: 'TOKEN_NOT_INITIALIZED',
  CKR_ARGUMENTS_BAD: 'TOKEN_BAD_ARGUMENT',
  CKR_TEMPLATE_INCONSISTENT: 'TOKEN_BAD_ARGUMENT',
  CKR_ATTRIBUTE_VALUE_INVALID: 'TOKEN_BAD_ARGUMENT',
};

/** The CKR_* name of a pkcs11js error, or undefined for anything else. */
export function ckrName(err: unknown): string | undefined {
  if (err instanceof Error && /^CKR_[A-Z_]+$/.test(err.message)) return err.message;
  return undefined;
}

/**
 * Translate anything thrown below the driver into a TokenError. `stillPresent` is asked only when the
 * module's answer is ambiguous (a general or session error can mean the key was pulled).
 */
export function toTokenError(
  err: unknown,
  op: string,
  opts: { stillPresent?: () => boolean; so?: boolean } = {},
): TokenError {
  if (err instanceof TokenError) return err;
  const ckr = ckrName(err);
  const details = { op, ckr };
  if (ckr === 'CKR_PIN_INCORRECT' && opts.so)
    return new TokenError('TOKEN_SO_PIN_INCORRECT', undefined, details, err);
  const mapped = ckr ? CKR_TO_CODE[ckr] : undefined;
  if (mapped) return new TokenError(mapped, undefined, details, err);
  const ambiguous =
    ckr === undefined ||
    /^CKR_(GENERAL_ERROR|DEVICE_ERROR|SESSION_HANDLE_INVALID|SESSION_CLOSED|OBJECT_HANDLE_INVALID|KEY_HANDLE_INVALID|SLOT_ID_INVALID|FUNCTION_FAILED)$/.test(
      ckr,
    );
  if (ambiguous && opts.stillPresent && !safe(opts.stillPresent)) {
    return new TokenError('TOKEN_REMOVED', undefined, details, err);
  }
  const why = ckr ?? (err instanceof Error ? err.message : String(err));
  return new TokenError('TOKEN_FAILED', `The USB key reported an error during ${op} (${why}).`, details, err);
}

function safe(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
