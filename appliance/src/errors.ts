// The appliance's error codes: HTTP status, what the applicant can do, and an English sentence for logs.
// The UI's locale files carry the applicant-facing text for each code (kiosk-ui/src/locales/*.json).
import type { ApplianceErrorCode, ErrorBody } from './api/contract.js';

type Spec = readonly [status: number, action: ErrorBody['action'], retryable: boolean, message: string];

export const APPLIANCE_ERRORS: Record<ApplianceErrorCode, Spec> = {
  PICKUP_CODE_MALFORMED: [
    400,
    'retry',
    true,
    'This is not a pickup code. Show the QR code from the order page.',
  ],
  PICKUP_CODE_FORGED: [
    400,
    'call-staff',
    true,
    'This pickup code was not issued by the certificate authority.',
  ],
  PICKUP_CODE_EXPIRED: [
    400,
    'retry',
    true,
    'This pickup code has expired. Refresh it on your phone and scan again.',
  ],
  PICKUP_CODE_WRONG_HALL: [400, 'none', false, 'This order is to be collected at another service hall.'],
  PICKUP_CODE_USED: [409, 'call-staff', false, 'This pickup code was already used at this kiosk.'],
  PICKUP_CODE_SUPERSEDED: [
    409,
    'retry',
    true,
    'This pickup code was replaced by a newer one. Refresh the order page and scan the newest code.',
  ],
  ORDER_NOT_APPROVED: [409, 'come-back-later', false, 'The order is not approved for collection yet.'],
  ORDER_ALREADY_ISSUED: [409, 'call-staff', false, 'A certificate was already issued for this order.'],
  ORDER_NOT_FOUND: [404, 'call-staff', false, 'The order could not be found.'],
  ID_CARD_NOT_PRESENT: [409, 'retry', true, 'No ID card on the reader. Place the card on the reader.'],
  ID_CARD_UNREADABLE: [409, 'retry', true, 'The ID card could not be read. Lift it and place it again.'],
  ID_CARD_EXPIRED: [409, 'retry', true, 'This ID card has expired. Use a valid ID card.'],
  ID_CARD_INVALID: [409, 'call-staff', true, 'This ID card did not pass the validity checks.'],
  ID_MISMATCH_PERSON: [
    409,
    'retry',
    true,
    'This ID card does not belong to a person allowed to collect this order.',
  ],
  ID_ATTEMPTS_EXHAUSTED: [409, 'call-staff', false, 'Too many ID cards did not match this order.'],
  TOKEN_ABSENT: [409, 'retry', true, 'No USB key in the writer. Insert a blank USB key.'],
  TOKEN_NOT_BLANK: [409, 'retry', true, 'This USB key is not a blank key from the tray. Insert a blank key.'],
  TOKEN_REMOVED: [409, 'retry', true, 'The USB key was removed too early. Insert it again.'],
  TOKEN_FAILED: [500, 'call-staff', true, 'The USB key reported an error.'],
  TOKEN_PIN_POLICY: [400, 'retry', true, 'The PIN does not meet the rules shown.'],
  PIN_NOT_CONFIRMED: [
    409,
    'retry',
    true,
    'The PIN could not be confirmed on the USB key; it was reset safely. Please set your PIN again.',
  ],
  CENTRAL_UNAVAILABLE: [503, 'come-back-later', true, 'The certificate service cannot be reached right now.'],
  CENTRAL_REFUSED: [409, 'call-staff', false, 'The certificate service refused the request.'],
  ISSUANCE_PENDING: [
    503,
    'retry',
    true,
    'The certificate was requested; waiting for the certificate service to answer (retrying by itself).',
  ],
  ISSUANCE_IN_DOUBT: [
    409,
    'call-staff',
    false,
    'The certificate was issued but not written; staff will finish it.',
  ],
  CERTIFICATE_KEY_MISMATCH: [
    500,
    'call-staff',
    false,
    'The issued certificate does not match the key on the USB key.',
  ],
  VERIFY_FAILED: [500, 'call-staff', false, 'The final test signature did not verify.'],
  PRINTER_UNAVAILABLE: [503, 'none', false, 'The receipt could not be printed; staff will reprint it.'],
  PRINTER_OUT_OF_PAPER: [
    409,
    'none',
    true,
    'The receipt printer is out of paper: load a new roll, close the cover, then reprint.',
  ],
  PRINTER_COVER_OPEN: [409, 'none', true, 'The receipt printer cover is open: close it, then reprint.'],
  REPRINT_UNKNOWN: [404, 'none', false, 'This receipt is no longer waiting to be reprinted.'],
  BLANK_KEY_COUNT_INVALID: [
    400,
    'none',
    false,
    'The number of blank keys added must be a whole number from 1 to 1000.',
  ],
  SELF_TEST_SESSION_OPEN: [
    409,
    'none',
    true,
    'A device self-test waits until no applicant is using the kiosk (end the session first).',
  ],
  SELF_TEST_NOTHING_SCANNED: [
    409,
    'none',
    true,
    'Nothing was scanned in time. Hold a code under the scanner.',
  ],
  NO_ACTIVE_JOURNEY: [409, 'none', false, 'Nothing is in progress. Start again.'],
  JOURNEY_BUSY: [409, 'none', true, 'Please wait: the kiosk is still working on the previous step.'],
  WRONG_STEP: [409, 'none', false, 'That action does not fit the current step.'],
  PIN_ALREADY_SET: [409, 'none', false, 'The PIN was already set.'],
  BAD_REQUEST: [400, 'none', false, 'The request was not understood.'],
  BODY_TOO_LARGE: [413, 'none', false, 'The request body is too large.'],
  UNSUPPORTED_MEDIA_TYPE: [
    415,
    'none',
    false,
    'A request that changes something must be sent as JSON (content-type: application/json).',
  ],
  HOST_NOT_ALLOWED: [421, 'none', false, 'The kiosk answers only on its own loopback address.'],
  ORIGIN_NOT_ALLOWED: [403, 'none', false, 'Requests from other sites are refused.'],
  STAFF_AUTH_REQUIRED: [401, 'none', false, 'Staff login required.'],
  STAFF_PIN_WRONG: [401, 'none', false, 'The staff PIN is wrong.'],
  DEVICE_UNAVAILABLE: [503, 'call-staff', true, 'A device of the kiosk is not available.'],
  STORE_UNAVAILABLE: [
    503,
    'call-staff',
    true,
    'The kiosk cannot save its records (storage full or failing); nothing more is done until it can.',
  ],
  STEP_TIMEOUT: [504, 'call-staff', false, 'This step took too long; staff will finish it.'],
  TAKE_KEY_FIRST: [
    409,
    'none',
    true,
    'A USB key is still in the writer: the last holder must take it before a new pickup starts.',
  ],
  CANCEL_NOT_ALLOWED: [
    409,
    'none',
    false,
    'The certificate is already issued for this order: finish here, or call staff.',
  ],
  TOKEN_MODEL_NOT_ALLOWED: [
    422,
    'retry',
    true,
    'This kind of USB key is not one the kiosk may use. Take it out and use a blank key from the tray.',
  ],
  KEY_EVIDENCE_REFUSED: [
    422,
    'retry',
    true,
    'This USB key did not keep the new key on the token as required. Take it out and use another blank key.',
  ],
  TOKEN_NOT_RESPONDING: [
    504,
    'retry',
    true,
    'The USB key did not answer in time. Take it out, put it back in and try again.',
  ],
  SESSION_ENDED_BY_STAFF: [409, 'none', false, 'Staff ended this session.'],
  INTERNAL: [500, 'call-staff', false, 'Something went wrong inside the kiosk.'],
  JOURNEY_REF_UNKNOWN: [404, 'none', false, 'No journey kept on this kiosk has this reference number.'],
  STAFF_CALL_UNKNOWN: [404, 'none', false, 'There is no open call for staff with this reference.'],
  STAFF_LOCKED: [
    429,
    'none',
    true,
    'Too many wrong staff PINs: sign-in is locked for a while (params.retryAfter seconds).',
  ],
  STAFF_FORBIDDEN: [403, 'none', false, 'Only an administrator may do this.'],
  STAFF_PIN_TOO_WEAK: [
    400,
    'none',
    true,
    'The new staff PIN is too easy to guess: 6 to 12 digits, not one digit repeated, not a run like 123456.',
  ],
  STAFF_ACCOUNT_UNKNOWN: [404, 'none', false, 'There is no staff account with this id.'],
  STAFF_ACCOUNT_EXISTS: [409, 'none', false, 'A staff account with this id already exists.'],
  STAFF_ACCOUNT_INVALID: [
    400,
    'none',
    true,
    'The staff account is not valid (id like "S001", a name, role operator or administrator).',
  ],
  STAFF_ACCOUNT_DISABLED: [403, 'none', false, 'This staff account is disabled.'],
  STAFF_LAST_ADMINISTRATOR: [
    409,
    'none',
    false,
    'The last active administrator cannot be disabled or demoted.',
  ],
  KEY_NOT_OURS: [
    422,
    'retry',
    true,
    'This USB key carries no certificate of our certificate authority. Take it out and insert one of ours.',
  ],
  ACTIVATION_NOT_AVAILABLE: [
    409,
    'call-staff',
    false,
    'This USB key has no couriered order waiting for activation.',
  ],
  ACTIVATION_ALREADY_DONE: [409, 'none', false, 'The certificate on this USB key is already activated.'],
  ACTIVATION_CODE_WRONG: [
    403,
    'retry',
    true,
    'The activation code is wrong (params.triesLeft tries left before it locks).',
  ],
  ACTIVATION_LOCKED: [
    423,
    'call-staff',
    false,
    'The activation code was typed wrong too often and is locked.',
  ],
  ACTIVATION_CODE_EXPIRED: [410, 'call-staff', false, 'The activation code is older than 30 days.'],
  CERTIFICATE_REVOKED: [409, 'none', false, 'The certificate on this USB key is revoked.'],
  PIN_NOT_LOCKED: [409, 'none', false, 'The PIN of this USB key is not locked: nothing to unlock.'],
  UNLOCK_CARD_MISMATCH: [
    403,
    'retry',
    true,
    "This ID card is not of a person the certificate belongs to (each such card uses one of today's unlocks).",
  ],
  UNLOCK_LIMIT_REACHED: [
    429,
    'come-back-later',
    false,
    'This USB key was unlocked as often as allowed today.',
  ],
  LOOKUP_CODE_UNKNOWN: [400, 'retry', true, 'This is not an order or pickup QR code of ours.'],
  RENEWAL_ORDER_NOT_FOUND: [
    404,
    'none',
    false,
    'No renewal order was paid for the certificate on this USB key. Apply and pay for the renewal online first.',
  ],
  RENEWAL_NOT_PAID: [402, 'come-back-later', false, 'The renewal order of this certificate is not paid yet.'],
  CERTIFICATE_EXPIRED: [
    410,
    'none',
    false,
    'The certificate on this USB key has expired: it can no longer be renewed; apply for a new one.',
  ],
  PAYMENT_EXPIRED: [
    410,
    'retry',
    true,
    'The payment QR code expired before it was paid (nothing was taken); show a new one, or leave.',
  ],
  PAYMENT_NOT_AVAILABLE: [
    409,
    'call-staff',
    false,
    'This order cannot be paid at the kiosk now (it is no longer awaiting payment).',
  ],
  PAYMENT_PROVIDER_FAILED: [
    502,
    'retry',
    true,
    'WeChat Pay could not be reached or refused the payment; try again in a moment.',
  ],
  CURRENT_PIN_WRONG: [
    403,
    'retry',
    true,
    'The PIN of this USB key is wrong (params.triesLow: only a few tries are left before it locks).',
  ],
  CURRENT_PIN_LOCKED: [
    423,
    'none',
    false,
    'The PIN of this USB key is locked. Unlock it first (解锁), then renew.',
  ],
  INVOICE_ORGANISATION_NAME_INVALID: [
    400,
    'retry',
    true,
    "Type the organisation's name as registered (at most 100 characters).",
  ],
  INVOICE_CREDIT_CODE_MISSING: [
    400,
    'retry',
    true,
    "An organisation's invoice needs its unified social credit code (18 characters).",
  ],
  USCC_WRONG_LENGTH: [
    400,
    'retry',
    true,
    'A unified social credit code has 18 characters (params.length were typed).',
  ],
  USCC_FORBIDDEN_CHARACTER: [
    400,
    'retry',
    true,
    'A character of the credit code is not allowed there (params.position, params.character).',
  ],
  USCC_CHECK_MISMATCH: [
    400,
    'retry',
    true,
    'The check character (18th) of the credit code does not match: check for a typing error.',
  ],
  USCC_ORGANISATION_CODE_MISMATCH: [
    400,
    'retry',
    true,
    'Characters 9–17 of the credit code (the organisation code) fail their check: check for a typing error.',
  ],
  INVOICE_EMAIL_INVALID: [
    400,
    'retry',
    true,
    'The e-mail address for the electronic invoice is missing or not valid (like name@example.cn).',
  ],
  INVOICE_REQUEST_INVALID: [
    400,
    'call-staff',
    false,
    'The certificate service did not accept the invoice request as typed.',
  ],
  INVOICE_NOT_AVAILABLE: [
    409,
    'none',
    false,
    'An invoice cannot be requested for this order now (it was invoiced already, or is not collected yet).',
  ],
  RECONCILIATION_DAY_INVALID: [
    400,
    'retry',
    true,
    'Choose a day written YYYY-MM-DD that has begun in Beijing; nothing was sent.',
  ],
  RECONCILIATION_NOT_FOUND: [404, 'none', false, 'No reconciliation of this day was run yet; run it now.'],
  INVOICE_ORDER_UNKNOWN: [404, 'none', false, 'This order is not one shown on the result screen.'],
  PAYMENT_ORDER_UNKNOWN: [404, 'none', false, "This order is not one the look-up's list shows."],
  KIOSK_OUT_OF_SERVICE: [503, 'come-back-later', false, 'This kiosk is out of service for now.'],
  RESTART_SESSION_RUNNING: [
    409,
    'none',
    false,
    'An applicant session is running: end it first, or confirm to restart anyway.',
  ],
  AUDIT_FILTER_INVALID: [400, 'none', false, 'A filter of the audit log search is not valid.'],
  PARKED_EVENT_UNKNOWN: [404, 'none', false, 'This event is no longer parked.'],
};

export class ApplianceError extends Error {
  constructor(
    readonly code: ApplianceErrorCode,
    message?: string,
    readonly params?: Record<string, string | number>,
    options?: { cause?: unknown },
  ) {
    super(message ?? APPLIANCE_ERRORS[code][3], options);
    this.name = 'ApplianceError';
  }

  get status(): number {
    return APPLIANCE_ERRORS[this.code][0];
  }

  toBody(): ErrorBody {
    const [, action, retryable] = APPLIANCE_ERRORS[this.code];
    return {
      code: this.code,
      message: this.message,
      action,
      retryable,
      ...(this.params ? { params: this.params } : {}),
    };
  }
}

export function errorBody(
  code: ApplianceErrorCode,
  message?: string,
  params?: Record<string, string | number>,
): ErrorBody {
  return new ApplianceError(code, message, params).toBody();
}
