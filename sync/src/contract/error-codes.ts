// Every error code central answers with, its HTTP status and a plain sentence (UI messages key on the code).
export const CENTRAL_ERRORS = {
  AUTH_UNSIGNED: [401, 'The request is not signed by an appliance.'],
  AUTH_BAD_SIGNATURE: [401, 'The request signature does not verify against the enrolled appliance key.'],
  AUTH_STALE_TIMESTAMP: [
    401,
    'The request timestamp is too far from the server clock; check the kiosk clock.',
  ],
  AUTH_REPLAYED: [401, 'This request was already received (nonce reused).'],
  AUTH_UNKNOWN_APPLIANCE: [401, 'This appliance is not enrolled.'],
  AUTH_APPLIANCE_NOT_APPROVED: [401, 'This appliance is enrolled but not approved by an operator yet.'],
  AUTH_SESSION_INVALID: [
    401,
    'The request session ticket is not valid here (forged, of another appliance, or of a replaced key): open a new session.',
  ],
  AUTH_SESSION_EXPIRED: [401, 'The request session has expired: open a new session.'],
  AUTH_SESSION_NEEDS_SIGNATURE: [
    401,
    'This request must be signed with the appliance key; a session MAC does not authenticate it.',
  ],
  ADMIN_UNAUTHORISED: [
    401,
    'An operator token is required (Authorization: Bearer …, or a session from POST /admin/login).',
  ],
  SESSION_KEY_INVALID: [400, 'ephemeralPublicKey must be an EC P-256 public key (base64 SPKI DER).'],
  ENROL_PROOF_INVALID: [400, 'The enrolment request must be signed with the key being enrolled.'],
  ENROL_KEY_MISMATCH: [409, 'This appliance id is already enrolled with a different key.'],
  ENROLMENT_CODE_REQUIRED: [
    401,
    'Enrolling a new appliance or key needs the one-time enrolment code an operator registered it with.',
  ],
  ENROLMENT_CODE_INVALID: [403, 'The enrolment code is not valid for this appliance id.'],
  ENROLMENT_CODE_USED: [
    403,
    'The enrolment code was already used to enrol a key; ask an operator for a new one.',
  ],
  ENROLMENT_CODE_EXPIRED: [410, 'The enrolment code has expired; ask an operator for a new one.'],
  ENROLMENT_HALL_MISMATCH: [403, 'The appliance is registered for another hall.'],
  APPLIANCE_NOT_FOUND: [404, 'No appliance with this id.'],
  APPLIANCE_FINGERPRINT_MISMATCH: [
    409,
    'The key fingerprint confirmed does not match the enrolled key; do not approve this appliance.',
  ],
  ALARM_NOT_FOUND: [404, 'No alarm with this id.'],
  ADMIN_CROSS_ORIGIN: [
    403,
    'This console form was not posted from the console itself (Origin or Sec-Fetch-Site is not this site).',
  ],
  OPERATOR_LOGIN_FAILED: [401, 'Wrong operator name or password.'],
  OPERATOR_LOCKED: [429, 'Too many wrong passwords: this operator is locked for a while.'],
  OPERATOR_INVALID: [400, 'The operator name or password does not meet the rules.'],
  OPERATOR_NOT_FOUND: [404, 'No operator with this name.'],
  AUDIT_HEAD_BAD_SIGNATURE: [400, 'The audit head signature does not verify against the appliance key.'],
  ORDER_NOT_FOUND: [404, 'No order with this id.'],
  ORDER_INVALID: [400, 'The order details do not fit the certificate type.'],
  ORDER_ILLEGAL_TRANSITION: [409, 'This action is not allowed in the order’s current status.'],
  ORDER_REASON_REQUIRED: [400, 'A rejection needs a reason the applicant can act on.'],
  INVOICE_REQUEST_INVALID: [400, 'The invoice request is incomplete (title and e-mail are required).'],
  INVOICE_NOT_AVAILABLE: [409, 'An invoice cannot be requested for this order now.'],
  // ---- invoices (issue 14 §3): the credit code's checks (contract/uscc.ts), issuing and fetching ----
  USCC_WRONG_LENGTH: [400, 'A unified social credit code has 18 characters.'],
  USCC_FORBIDDEN_CHARACTER: [
    400,
    'The unified social credit code has a character it does not use (I, O, Z, S, V, a letter among the region digits 3–8, or anything but digits and capital letters).',
  ],
  USCC_CHECK_MISMATCH: [
    400,
    'The check character of the unified social credit code does not match (GB 32100); check for a typing error.',
  ],
  USCC_ORGANISATION_CODE_MISMATCH: [
    400,
    'The organisation code in the unified social credit code (characters 9–17) fails its GB 11714 check; check for a typing error.',
  ],
  INVOICE_NOT_REQUESTED: [404, 'No invoice was requested for this order.'],
  INVOICE_NOT_FOUND: [404, 'No invoice behind this link.'],
  INVOICE_FONT_MISSING: [
    500,
    'Central has no Chinese font to render invoices with; install Debian’s fonts-noto-cjk.',
  ],
  // ---- end of invoices ----
  ORDER_WRONG_HALL: [403, 'This order is to be collected at another hall.'],
  ORDER_NOT_APPROVED: [409, 'The order is not approved for issuance.'],
  ID_ATTEMPTS_EXHAUSTED: [
    403,
    'Too many ID cards that do not match were tried for this order; hall staff can check the applicant in person and reset it.',
  ],
  ORDER_ALREADY_ISSUED: [409, 'A certificate was already issued for this order.'],
  ORDER_ALREADY_ACTIVATED: [
    409,
    'The holder already activated this certificate; it cannot be voided at a kiosk (central operations can revoke it).',
  ],
  PICKUP_CODE_INVALID: [400, 'The pickup code is not valid.'],
  PICKUP_CODE_EXPIRED: [410, 'The pickup code has expired; refresh it on the phone.'],
  PICKUP_CODE_SUPERSEDED: [409, 'This pickup code was replaced by a newer one.'],
  IDEMPOTENCY_CONFLICT: [409, 'This idempotency key was used with a different key pair or order.'],
  CSR_MALFORMED: [400, 'The certificate request (CSR) cannot be read.'],
  CSR_BAD_SIGNATURE: [400, 'The certificate request signature does not verify.'],
  CSR_WEAK_KEY: [400, 'The key in the certificate request is weaker than policy allows.'],
  CSR_KEY_REVOKED: [
    409,
    'A certificate for this key pair was revoked; generate a new key pair on the key and ask again.',
  ],
  KEY_EVIDENCE_REFUSED: [
    400,
    'The key pair was not generated on the USB key as non-extractable and sensitive; it cannot be certified.',
  ],
  IDENTITY_STATEMENT_INVALID: [
    400,
    'The identity statement does not belong to this request (order or appliance).',
  ],
  IDENTITY_STATEMENT_BAD_SIGNATURE: [
    403,
    'The identity statement signature does not verify against the requesting appliance key.',
  ],
  IDENTITY_STATEMENT_STALE: [
    400,
    'The identity check is too old (or dated in the future); check the card again.',
  ],
  IDENTITY_ROLE_NOT_ALLOWED: [403, 'This role may not collect this order.'],
  IDENTITY_MISMATCH: [403, 'The ID card stated does not match the order’s person for this role.'],
  CERTIFICATE_NOT_FOUND: [404, 'No certificate matches.'],
  CERTIFICATE_ALREADY_REVOKED: [409, 'The certificate is already revoked.'],
  CERTIFICATE_VOIDED: [
    410,
    'The certificate issued under this idempotency key was voided; never write it — issue again with a new key pair and idempotency key.',
  ],
  CERTIFICATE_WRONG_APPLIANCE: [403, 'Only the appliance that issued this certificate can void it.'],
  EVENT_WRONG_APPLIANCE: [
    403,
    'Events about this order are accepted only from the appliance that issued its certificate (or, before issuance, an appliance of its hall).',
  ],
  ACTIVATION_NOT_AVAILABLE: [
    409,
    'This key is not waiting for activation (no couriered order with an activation code).',
  ],
  ACTIVATION_CODE_WRONG: [403, 'The activation code is wrong.'],
  ACTIVATION_CODE_EXPIRED: [410, 'The activation code has expired (valid 30 days); call the service desk.'],
  ACTIVATION_LOCKED: [423, 'Too many wrong activation codes; call the service desk.'],
  ACTIVATION_ALREADY_DONE: [409, 'This key was already activated.'],
  CERTIFICATE_NOT_OURS: [
    404,
    'This certificate was not issued by our CA onto this key (or the key is not one of ours).',
  ],
  CERTIFICATE_REVOKED: [409, 'The certificate is revoked.'],
  CERTIFICATE_EXPIRED: [409, 'The certificate has expired; apply for a new one.'],
  RENEWAL_ORDER_NOT_FOUND: [404, 'No renewal was ordered for this certificate; renew it online first.'],
  RENEWAL_NOT_PAID: [409, 'The renewal order for this certificate is not paid yet.'],
  RENEWAL_WRONG_KEY: [
    409,
    'A renewal is written onto the key holding the certificate it renews; this is another certificate or key.',
  ],
  CSR_KEY_REUSED: [409, 'A renewed certificate needs a new key pair; this key pair is already certified.'],
  ISSUANCE_ADMISSION_MISSING: [
    400,
    'This kind of order is admitted otherwise: a new or reissue order with its pickup code, a renewal with the certificate it renews (previousCertificateSerial).',
  ],
  REVOCATION_NOT_ALLOWED: [
    403,
    'A kiosk may revoke a certificate only for the renewal or reissue order that names it.',
  ],
  REVOCATION_REASON_NOT_ALLOWED: [400, 'This revocation reason is not allowed for this kind of order.'],
  REVOCATION_TOO_EARLY: [
    409,
    'A renewed certificate is revoked only once its replacement was issued (and verified on the key).',
  ],
  UNLOCK_LIMIT_REACHED: [
    429,
    'This key was unlocked (or tried) too often today; try again tomorrow or ask hall staff.',
  ],
  STATEMENT_MALFORMED: [400, 'The bank statement CSV cannot be read.'],
  // ---- bank transfer (issue 14 §2): the statement upload, the operator queue, the applicant's "I have paid" ----
  STATEMENT_FILE_MISSING: [400, 'Choose the bank statement CSV file to upload.'],
  STATEMENT_TOO_LARGE: [413, 'The bank statement file is too large; import it in parts.'],
  STATEMENT_LINE_NOT_FOUND: [404, 'No queued bank statement line with this id.'],
  STATEMENT_LINE_RESOLVED: [409, 'This bank statement line was already assigned or dismissed.'],
  STATEMENT_RESOLUTION_INCOMPLETE: [
    400,
    'Name the operator who decides; dismissing a line also needs the reason.',
  ],
  STATEMENT_AMOUNT_MISMATCH: [
    409,
    'The statement line’s amount is not the order’s price; dismiss the line (for a refund) instead.',
  ],
  TRANSFER_NOT_PENDING: [409, 'This order is not awaiting a bank transfer.'],
  // ---- end of bank transfer ----
  // ---- kiosk payments (WeChat Pay Native, central/payments/) ----
  PAYMENT_NOT_AVAILABLE: [
    409,
    'This order cannot be paid at a kiosk now (it is not a kiosk order awaiting payment).',
  ],
  PAYMENT_NOT_FOUND: [404, 'No kiosk payment was started for this order.'],
  PAYMENT_PROVIDER_FAILED: [
    502,
    'The payment provider could not be reached or refused the request; try again in a moment.',
  ],
  TRADE_BILL_MALFORMED: [400, 'The WeChat Pay trade bill cannot be read.'],
  // ---- end of kiosk payments ----
  // ---- reconciliation (issue 14 §4, central/reconciliation/) ----
  RECONCILIATION_DAY_INVALID: [
    400,
    'The day to reconcile must be a Beijing calendar day written YYYY-MM-DD that has begun.',
  ],
  RECONCILIATION_NOT_FOUND: [404, 'No reconciliation was run for this day yet.'],
  // ---- end of reconciliation ----
  RATE_LIMITED: [429, 'Too many requests from this address; wait a moment and try again.'],
  NOT_IMPLEMENTED: [501, 'Not implemented yet.'],
} as const satisfies Record<string, readonly [number, string]>;
export type CentralErrorCode = keyof typeof CENTRAL_ERRORS;
