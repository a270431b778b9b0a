// The invoice screen's form (the done screen's "开发票"), the pure part: which fields a title asks for, which keys
// the on-screen keyboard offers for each, what a key does to a field, which field a refusal is about, and the
// request sent. The appliance judges what was typed (the credit code's GB 32100 check, the address) and says
// what is wrong by code; the form only keeps each field to what can be typed into it. Nothing here is stored.
import { USCC_ALPHABET } from '../../../sync/src/contract/uscc.ts';
import type { ApplianceErrorCode, InvoiceRequestInput, InvoiceTitle } from './contract.ts';

export type InvoiceField = 'name' | 'code' | 'email';

export interface InvoiceForm {
  title: InvoiceTitle;
  /** The organisation's name: the order's, when the order is an organisation's; else as typed. */
  name: string;
  code: string;
  email: string;
}

/** The fields a title asks for, in the order the screen shows them. */
export const INVOICE_FIELDS: Record<InvoiceTitle, readonly InvoiceField[]> = {
  person: ['email'],
  organisation: ['name', 'code', 'email'],
};

/** A credit code has 18 characters: the keyboard stops there (a shorter one is the appliance's to refuse). */
export const CREDIT_CODE_LENGTH = 18;
/** The longest organisation name central takes (contract/invoice-fields.ts INVOICE_TITLE_MAX_LENGTH). */
export const ORGANISATION_NAME_MAX = 100;
/** The longest address mail servers take. */
export const EMAIL_MAX = 254;

/** The keys that type a space and the usual mail domains (one tap each: easier for the elderly). */
export const SPACE_KEY = ' ';
export const MAIL_DOMAINS: readonly string[] = ['@qq.com', '@163.com', '@126.com', '.com', '.cn'];

const LETTERS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];

/**
 * The character keys of each field beside the digit keypad: a credit code's letters are those of its alphabet
 * (no I, O, Z, S, V); an address takes small letters, its symbols and the usual domains; a name in Latin
 * letters, a space and the punctuation of company names.
 */
export const FIELD_KEYS: Record<InvoiceField, readonly string[]> = {
  code: [...USCC_ALPHABET].filter((c) => !/[0-9]/.test(c)),
  email: [...LETTERS.map((l) => l.toLowerCase()), '@', '.', '-', '_', ...MAIL_DOMAINS],
  name: [...LETTERS, SPACE_KEY, '(', ')', '&', '.', '-', ','],
};

export const emptyInvoiceForm = (organisationName = ''): InvoiceForm => ({
  title: organisationName ? 'organisation' : 'person',
  name: organisationName,
  code: '',
  email: '',
});

/** The field after one key (a character, a digit or a mail domain), kept to what the field can hold. */
export function typeInto(field: InvoiceField, current: string, key: string): string {
  switch (field) {
    case 'code': {
      const k = key.toUpperCase();
      return /^[0-9A-Z]$/.test(k) && current.length < CREDIT_CODE_LENGTH ? current + k : current;
    }
    case 'email': {
      const next = current + key.toLowerCase();
      // One @ only: a domain key after one was typed adds its part after the @ (".com"), not a second @.
      if (key.includes('@') && current.includes('@')) return current;
      return next.length <= EMAIL_MAX && !/\s/.test(key) ? next : current;
    }
    case 'name': {
      // No leading or doubled space: what the holder sees is what is sent.
      if (key === SPACE_KEY && (current === '' || current.endsWith(SPACE_KEY))) return current;
      const next = current + key;
      return [...next].length <= ORGANISATION_NAME_MAX ? next : current;
    }
  }
}

/** The field without its last character. */
export const eraseFrom = (current: string): string => [...current].slice(0, -1).join('');

/** Every field of the title is filled (what is in them the appliance judges). */
export function invoiceFormReady(form: InvoiceForm): boolean {
  return INVOICE_FIELDS[form.title].every((f) => form[f].trim().length > 0);
}

/** What is sent: a person's address only; an organisation's name, credit code and address. */
export function invoiceInput(form: InvoiceForm): InvoiceRequestInput {
  if (form.title === 'person') return { title: 'person', email: form.email.trim() };
  return {
    title: 'organisation',
    organisationName: form.name.trim(),
    creditCode: form.code,
    email: form.email.trim(),
  };
}

const FIELD_OF_ERROR: Partial<Record<ApplianceErrorCode, InvoiceField>> = {
  INVOICE_ORGANISATION_NAME_INVALID: 'name',
  INVOICE_CREDIT_CODE_MISSING: 'code',
  USCC_WRONG_LENGTH: 'code',
  USCC_FORBIDDEN_CHARACTER: 'code',
  USCC_CHECK_MISMATCH: 'code',
  USCC_ORGANISATION_CODE_MISMATCH: 'code',
  INVOICE_EMAIL_INVALID: 'email',
};

/** The field a refusal is about (the screen marks it and puts the keyboard on it), or null. */
export function invoiceErrorField(code: ApplianceErrorCode): InvoiceField | null {
  return FIELD_OF_ERROR[code] ?? null;
}

/** An amount in fen as yuan with two decimals: 10000 → "100.00". */
export function yuan(fen: number): string {
  return (fen / 100).toFixed(2);
}

/** The credit code grouped for reading back (9144 0300 7084 6113 6T): shown, never sent so. */
export function groupedCode(code: string): string {
  return code.replace(/(.{4})(?=.)/g, '$1 ');
}
