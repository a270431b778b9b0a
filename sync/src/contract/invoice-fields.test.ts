// The e-mail and title checks a kiosk runs before it asks central: addresses mail servers take pass, typing
// slips do not, and they agree with what central's own request check (central/invoice-requests.ts) accepts, so
// the kiosk never refuses what central would take, nor sends what central would refuse.
import { describe, expect, it } from 'vitest';
import { checkInvoiceRequest } from '../central/invoice-requests.js';
import { INVOICE_TITLE_MAX_LENGTH, isInvoiceEmail } from './invoice-fields.js';

const GOOD = [
  'finance@example.cn',
  'zhang.wei+invoice@mail.example.com.cn',
  '12345678@qq.com',
  'a_b-c@sub-domain.example.org',
  `${'x'.repeat(64)}@example.cn`,
];
const BAD = [
  '',
  'finance',
  'finance@',
  '@example.cn',
  'finance@example',
  'finance@@example.cn',
  'fin ance@example.cn',
  'finance@example..cn',
  '.finance@example.cn',
  'finance.@example.cn',
  'finance@-example.cn',
  'finance@example.c',
  'finance@example.cn.',
  '张伟@example.cn',
  `${'x'.repeat(65)}@example.cn`,
  `a@${`${'b'.repeat(60)}.`.repeat(5)}cn`,
  `finance@${'b'.repeat(64)}.cn`,
];

/** Whether central's request check takes the address (a person's request with a valid title). */
function centralTakes(email: string): boolean {
  try {
    checkInvoiceRequest({ titleType: 'person', title: '个人', email });
    return true;
  } catch {
    return false;
  }
}

describe('isInvoiceEmail', () => {
  it.each(GOOD)('%s is an address the invoice can go to', (email) => {
    expect(isInvoiceEmail(email)).toBe(true);
  });

  it.each(BAD)('%j is refused', (email) => {
    expect(isInvoiceEmail(email)).toBe(false);
  });

  it('agrees with central’s request check on every address above', () => {
    for (const email of [...GOOD, ...BAD]) expect(isInvoiceEmail(email), email).toBe(centralTakes(email));
  });
});

describe('INVOICE_TITLE_MAX_LENGTH', () => {
  it('is the longest title central takes', () => {
    const request = (title: string) => () =>
      checkInvoiceRequest({ titleType: 'organisation', title, taxId: '91440300708461136T', email: 'a@b.cn' });
    expect(request('单'.repeat(INVOICE_TITLE_MAX_LENGTH))).not.toThrow();
    expect(request('单'.repeat(INVOICE_TITLE_MAX_LENGTH + 1))).toThrow();
  });
});
