// The fields of an invoice request beside the credit code (uscc.ts): the longest title and the e-mail address,
// checked the same way wherever a request is typed (central's pages, a kiosk before it asks central). Pure, no
// TypeBox: the appliance and the kiosk's UI bundle take it as it is.

/** The longest invoice title (发票抬头) accepted, in characters. */
export const INVOICE_TITLE_MAX_LENGTH = 100;

/** The longest local part (before the @) of an address, as mail servers accept it. */
const EMAIL_LOCAL_MAX_LENGTH = 64;

/**
 * An address mail servers take: a dot-atom local part, a host of labels of letters, digits and inner hyphens,
 * and a top-level domain of letters; 3–254 characters in all.
 */
export const INVOICE_EMAIL_PATTERN =
  /^(?=.{3,254}$)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$/;

/** Whether the electronic invoice can be sent to this address (trimmed by the caller). */
export function isInvoiceEmail(email: string): boolean {
  return INVOICE_EMAIL_PATTERN.test(email) && (email.split('@')[0] ?? '').length <= EMAIL_LOCAL_MAX_LENGTH;
}
