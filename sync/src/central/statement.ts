// Bank statement import: CSV lines matched to transfer-pending orders by amount and 6-digit remittance code.
// A line is matched only when exactly one order fits; everything else is listed with a reason, never guessed.
import { createHash } from 'node:crypto';
import type { StatementImportResponse, StatementLineResult } from '../contract/schemas.js';
import { CentralError } from './errors.js';
import type { OrderService } from './orders.js';
import type { Db } from './store.js';

export interface StatementLine {
  line: number;
  date: string;
  amountFen: number;
  payer: string;
  remark: string;
  reference: string;
}

/** RFC 4180 fields: commas, quotes with "" escapes, CRLF or LF. */
function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new CentralError('STATEMENT_MALFORMED', 'A quoted field is not closed.');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function yuanToFen(s: string): number | null {
  const t = s.replace(/[,\s¥￥]/g, '');
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) return null;
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

/** Parse a statement: header `date,amount,payer,remark[,reference]` (any order, case-insensitive), amounts in yuan. */
export function parseStatementCsv(text: string): {
  lines: StatementLine[];
  unreadable: StatementLineResult[];
} {
  const rows = parseCsvRows(text.replace(/^\uFEFF/, ''));
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  for (const need of ['date', 'amount', 'remark']) {
    if (col(need) < 0)
      throw new CentralError('STATEMENT_MALFORMED', `The CSV header has no "${need}" column.`);
  }
  const lines: StatementLine[] = [];
  const unreadable: StatementLineResult[] = [];
  rows.slice(1).forEach((cells, i) => {
    const line = i + 2;
    if (cells.every((c) => c.trim() === '')) return;
    const get = (name: string) => (col(name) >= 0 ? (cells[col(name)] ?? '').trim() : '');
    const amountFen = yuanToFen(get('amount'));
    if (amountFen === null) {
      unreadable.push({
        line,
        remark: get('remark'),
        reason: `The amount "${get('amount')}" cannot be read.`,
      });
      return;
    }
    lines.push({
      line,
      date: get('date'),
      amountFen,
      payer: get('payer'),
      remark: get('remark'),
      reference: get('reference'),
    });
  });
  return { lines, unreadable };
}

export interface OpenTransfer {
  orderId: string;
  remittanceCode: string;
  priceFen: number;
}

/** Pure matching: which lines pay which order, and why the others do not. */
export function matchStatement(
  lines: StatementLine[],
  open: OpenTransfer[],
): Pick<StatementImportResponse, 'matched' | 'unmatched' | 'ambiguous'> {
  const matched: StatementLineResult[] = [];
  const unmatched: StatementLineResult[] = [];
  const ambiguous: StatementLineResult[] = [];
  for (const l of lines) {
    const base = { line: l.line, amountFen: l.amountFen, remark: l.remark };
    if (l.amountFen <= 0) {
      unmatched.push({ ...base, reason: 'Not a credit.' });
      continue;
    }
    const codes = new Set(l.remark.match(/(?<!\d)\d{6}(?!\d)/g) ?? []);
    if (codes.size === 0) {
      unmatched.push({ ...base, reason: 'No 6-digit remittance code in the remark.' });
      continue;
    }
    const byCode = open.filter((o) => codes.has(o.remittanceCode));
    if (byCode.length === 0) {
      unmatched.push({ ...base, reason: 'No open bank-transfer order has this remittance code.' });
      continue;
    }
    const fits = byCode.filter((o) => o.priceFen === l.amountFen);
    if (fits.length === 0) {
      unmatched.push({
        ...base,
        candidates: byCode.map((o) => o.orderId),
        reason: `The amount differs from the order price (${byCode.map((o) => o.priceFen / 100).join(', ')} yuan).`,
      });
    } else if (fits.length > 1) {
      ambiguous.push({
        ...base,
        candidates: fits.map((o) => o.orderId),
        reason: 'Several orders fit this line.',
      });
    } else {
      matched.push({ ...base, orderId: fits[0]!.orderId });
    }
  }
  // Two lines paying the same order: neither is taken; a person decides.
  const counts = new Map<string, number>();
  for (const m of matched) counts.set(m.orderId!, (counts.get(m.orderId!) ?? 0) + 1);
  const single = matched.filter((m) => counts.get(m.orderId!) === 1);
  for (const m of matched.filter((x) => counts.get(x.orderId!)! > 1)) {
    const { orderId, ...rest } = m;
    ambiguous.push({
      ...rest,
      candidates: [orderId!],
      reason: 'Several statement lines pay the same order.',
    });
  }
  return { matched: single, unmatched, ambiguous: ambiguous.sort((a, b) => a.line - b.line) };
}

const lineHash = (l: StatementLine) =>
  createHash('sha256')
    .update(JSON.stringify([l.date, l.amountFen, l.payer, l.remark, l.reference]))
    .digest('hex');

export class StatementImporter {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly orders: OrderService,
  ) {}

  /** Import a CSV: matched lines confirm the transfer (once per line, even if the file is imported again). */
  import(csv: string): StatementImportResponse {
    const { lines, unreadable } = parseStatementCsv(csv);
    return this.db.transaction((): StatementImportResponse => {
      const known = this.db.prepare('SELECT order_id FROM statement_lines WHERE line_hash = ?');
      const alreadyImported: StatementLineResult[] = [];
      const fresh = lines.filter((l) => {
        const k = known.get(lineHash(l)) as { order_id: string } | undefined;
        if (k)
          alreadyImported.push({
            line: l.line,
            amountFen: l.amountFen,
            remark: l.remark,
            orderId: k.order_id,
          });
        return !k;
      });
      const open = (
        this.db
          .prepare(
            "SELECT id, remittance_code, price_fen FROM orders WHERE status = 'transfer-pending' AND remittance_code IS NOT NULL",
          )
          .all() as Array<{ id: string; remittance_code: string; price_fen: number }>
      ).map((r) => ({ orderId: r.id, remittanceCode: r.remittance_code, priceFen: r.price_fen }));
      const result = matchStatement(fresh, open);
      const at = new Date(this.now()).toISOString();
      for (const m of result.matched) {
        const l = fresh.find((x) => x.line === m.line)!;
        this.orders.act(m.orderId!, { action: 'confirm-transfer' });
        this.db
          .prepare(
            'INSERT INTO statement_lines (line_hash, order_id, amount_fen, remark, imported_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(lineHash(l), m.orderId, l.amountFen, l.remark, at);
      }
      return { ...result, unmatched: [...unreadable, ...result.unmatched], alreadyImported };
    })();
  }
}
