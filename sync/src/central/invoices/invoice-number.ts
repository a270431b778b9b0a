// Invoice numbers: the year of issue in the halls' time and the invoice's sequence in that year, six digits at
// least (2026-000123). Sequential without gaps per year: the next number is taken in the issuing transaction,
// and UNIQUE (year, seq) stops two issuers from ever sharing one.
import type { Db } from '../store.js';
import { hallYear } from './hall-time.js';

export function formatInvoiceNumber(year: number, seq: number): string {
  return `${year}-${String(seq).padStart(6, '0')}`;
}

/** The next number for an invoice issued at `iso`; call inside the transaction that inserts it. */
export async function nextInvoiceNumber(
  db: Db,
  iso: string,
): Promise<{ year: number; seq: number; number: string }> {
  const year = hallYear(iso);
  const { last } = (await db.get('SELECT MAX(seq) AS last FROM invoices WHERE year = ?', year)) as {
    last: number | null;
  };
  const seq = (last ?? 0) + 1;
  return { year, seq, number: formatInvoiceNumber(year, seq) };
}
