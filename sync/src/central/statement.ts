import { createHash } from 'node:crypto';
import type { OrderStatus } from '../contract/order-status.js';
import type { StatementImportResponse, StatementLineResult } from '../contract/schemas.js';
// Bank statement import: CSV lines matched to transfer-pending orders by amount and 6-digit remittance code.
// A line is matched only when exactly one order fits; every other credit goes to the operator queue
// (statement-queue.ts) with its reason, never guessed. A file with a line that cannot be read is refused whole,
// and a line is imported once however often its file (or an overlapping statement) is uploaded.
import { filterSeq, mapSeq } from './async-list.js';
import { type CsvRow, parseCsvRows, UnclosedQuote } from './csv-rows.js';
import { CentralError } from './errors.js';
import { yuan } from './invoices/amount-in-words.js';
import type { OrderService } from './orders.js';
import { lockSubject, prepared } from './sql.js';
import type { StatementQueue } from './statement-queue.js';
import type { Db } from './store.js';

export interface StatementLine {
  /** Line of the file the row starts on (the header is line 1). */
  line: number;
  date: string;
  amountFen: number;
  payer: string;
  remark: string;
  reference: string;
  /** Idempotency key of the line (see withKeys). */
  key: string;
}

/** The largest statement file central imports at once (a month of a busy account is far below it). */
export const STATEMENT_MAX_BYTES = 5_000_000;
/** The columns a statement must have; `payer` and `reference` may be absent. */
const REQUIRED_COLUMNS = ['date', 'amount', 'remark'] as const;
/** Problems named in a refusal; the rest are counted (one bad export tends to be bad on every line). */
const PROBLEMS_SHOWN = 5;

function malformed(problems: string[]): CentralError {
  const shown = problems.slice(0, PROBLEMS_SHOWN).join(' ');
  const more = problems.length > PROBLEMS_SHOWN ? ` (${problems.length - PROBLEMS_SHOWN} more.)` : '';
  return new CentralError(
    'STATEMENT_MALFORMED',
    `The statement was not imported (nothing was stored). ${shown}${more}`,
    { problems },
  );
}

/** The rows, or the whole file refused when a quoted field is never closed. */
function csvRowsOf(text: string): CsvRow[] {
  try {
    return parseCsvRows(text);
  } catch (e) {
    if (e instanceof UnclosedQuote) throw malformed([`Line ${e.line}: a quoted field is not closed.`]);
    throw e;
  }
}

function yuanToFen(s: string): number | null {
  const t = s.replace(/[,\s¥￥]/g, '');
  const m = /^([+-]?)(\d+)(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) return null;
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(fen)) return null;
  return m[1] === '-' ? -fen : fen;
}

/**
 * Each line's idempotency key: the SHA-256 of its content and, for the n-th line of the same content in a
 * file (two equal transfers on one day without a bank reference), of n too. So a file uploaded again, or a
 * later statement that overlaps it, imports each line once, and a real repeat is not taken for the first.
 */
function withKeys(lines: Array<Omit<StatementLine, 'key'>>): StatementLine[] {
  const seen = new Map<string, number>();
  return lines.map((l) => {
    const content = JSON.stringify([l.date, l.amountFen, l.payer, l.remark, l.reference]);
    const n = (seen.get(content) ?? 0) + 1;
    seen.set(content, n);
    // The first keeps the content-only key that imports before 011-bank-transfer stored.
    const key = createHash('sha256')
      .update(n === 1 ? content : JSON.stringify([content, n]))
      .digest('hex');
    return { ...l, key };
  });
}

/**
 * Parse a statement: header `date,amount,payer,remark[,reference]` (any order, case-insensitive), amounts in
 * yuan. Blank lines are skipped; any other line that cannot be read refuses the whole file (STATEMENT_MALFORMED
 * naming the lines), so an import never half-happens.
 */
export function parseStatementCsv(text: string): StatementLine[] {
  const rows = csvRowsOf(text.replace(/^\uFEFF/, '')).filter((r) => r.cells.some((c) => c.trim() !== ''));
  const [head, ...body] = rows;
  if (!head) throw malformed(['The file is empty: no header line (date,amount,payer,remark,reference).']);
  const header = head.cells.map((h) => h.trim().toLowerCase());
  const problems: string[] = [];
  for (const need of REQUIRED_COLUMNS)
    if (!header.includes(need)) problems.push(`The CSV header (line ${head.line}) has no "${need}" column.`);
  for (const name of new Set(header))
    if (name && header.indexOf(name) !== header.lastIndexOf(name))
      problems.push(`The CSV header (line ${head.line}) names "${name}" twice.`);
  if (problems.length > 0) throw malformed(problems);
  const lines: Array<Omit<StatementLine, 'key'>> = [];
  for (const { line, cells } of body) {
    if (cells.length !== header.length) {
      problems.push(`Line ${line} has ${cells.length} fields; the header has ${header.length}.`);
      continue;
    }
    const get = (name: string) => (header.includes(name) ? cells[header.indexOf(name)]!.trim() : '');
    const amountFen = yuanToFen(get('amount'));
    if (amountFen === null) {
      problems.push(`Line ${line}: the amount "${get('amount')}" cannot be read (yuan, such as 300.00).`);
      continue;
    }
    if (get('date') === '') {
      problems.push(`Line ${line} has no date.`);
      continue;
    }
    lines.push({
      line,
      date: get('date'),
      amountFen,
      payer: get('payer'),
      remark: get('remark'),
      reference: get('reference'),
    });
  }
  if (problems.length > 0) throw malformed(problems);
  return withKeys(lines);
}

/**
 * A statement file's bytes as text: UTF-8 (a BOM is dropped), else GB18030 — Chinese online banking often
 * exports GBK, which GB18030 contains.
 */
export function decodeStatementFile(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** The 6-digit remittance codes quoted in a remark (a longer run of digits is not one). */
export function remittanceCodesIn(remark: string): Set<string> {
  return new Set(remark.match(/(?<!\d)\d{6}(?!\d)/g) ?? []);
}

export interface OpenTransfer {
  orderId: string;
  remittanceCode: string;
  priceFen: number;
}

/** An order that had a remittance code and awaits a transfer no more (paid already, or further on). */
export interface SettledTransfer {
  orderId: string;
  remittanceCode: string;
  status: OrderStatus;
}

export interface MatchContext {
  /** Orders that a line waiting in the operator queue may already pay: a new line for them is not taken either. */
  contested?: ReadonlySet<string>;
  /** Named in the reason of a line whose code no open order has (a second payment, to refund). */
  settled?: readonly SettledTransfer[];
}

export type StatementMatch = Pick<StatementImportResponse, 'matched' | 'unmatched' | 'ambiguous' | 'ignored'>;

/** Pure matching: which lines pay which order, and why the others do not. */
export function matchStatement(
  lines: StatementLine[],
  open: OpenTransfer[],
  context: MatchContext = {},
): StatementMatch {
  const matched: StatementLineResult[] = [];
  const unmatched: StatementLineResult[] = [];
  const ambiguous: StatementLineResult[] = [];
  const ignored: StatementLineResult[] = [];
  for (const l of lines) {
    const base = { line: l.line, amountFen: l.amountFen, remark: l.remark };
    if (l.amountFen <= 0) {
      ignored.push({ ...base, reason: 'Not a credit (money paid out, or none).' });
      continue;
    }
    const codes = remittanceCodesIn(l.remark);
    if (codes.size === 0) {
      unmatched.push({ ...base, reason: 'No 6-digit remittance code in the remark.' });
      continue;
    }
    const byCode = open.filter((o) => codes.has(o.remittanceCode));
    if (byCode.length === 0) {
      const settled = (context.settled ?? []).filter((o) => codes.has(o.remittanceCode));
      unmatched.push({
        ...base,
        reason:
          settled.length > 0
            ? `No open bank-transfer order has this remittance code; ${settled.map((o) => `${o.orderId} (${o.status})`).join(', ')} had it — a second payment?`
            : 'No open bank-transfer order has this remittance code.',
      });
      continue;
    }
    const fits = byCode.filter((o) => o.priceFen === l.amountFen);
    if (fits.length === 0) {
      unmatched.push({
        ...base,
        candidates: byCode.map((o) => o.orderId),
        reason: `The amount differs from the order price (${byCode.map((o) => yuan(o.priceFen)).join(', ')} yuan).`,
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
  // Two lines paying the same order, or one while a queued line may: none is taken; a person decides.
  const counts = new Map<string, number>();
  for (const m of matched) counts.set(m.orderId!, (counts.get(m.orderId!) ?? 0) + 1);
  const single: StatementLineResult[] = [];
  for (const m of matched) {
    const { orderId, ...rest } = m;
    if (counts.get(orderId!)! > 1)
      ambiguous.push({
        ...rest,
        candidates: [orderId!],
        reason: 'Several statement lines pay the same order.',
      });
    else if (context.contested?.has(orderId!))
      ambiguous.push({
        ...rest,
        candidates: [orderId!],
        reason: 'A line waiting in the operator queue may already pay this order.',
      });
    else single.push(m);
  }
  return { matched: single, unmatched, ambiguous: ambiguous.sort((a, b) => a.line - b.line), ignored };
}

/** How a line is named in an order's history. */
export function describeLine(l: Pick<StatementLine, 'date' | 'amountFen' | 'payer' | 'reference'>): string {
  return `Bank statement line ${l.date} ¥${yuan(l.amountFen)} from ${l.payer || 'an unnamed payer'}${l.reference ? ` (ref ${l.reference})` : ''}`;
}

/** Record that a line paid an order (matched on import, or assigned by an operator): it is never taken again. */
export async function recordPayingLine(
  db: Db,
  l: Pick<StatementLine, 'key' | 'amountFen' | 'remark'>,
  orderId: string,
  at: string,
): Promise<void> {
  await db.run(
    'INSERT INTO statement_lines (line_hash, order_id, amount_fen, remark, imported_at) VALUES (?, ?, ?, ?, ?)',
    l.key,
    orderId,
    l.amountFen,
    l.remark,
    at,
  );
}

export class StatementImporter {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly orders: OrderService,
    private readonly queue: StatementQueue,
  ) {}

  /**
   * Import a CSV in one transaction: a line that fits one order pays it (confirm-transfer, noted in its
   * history); other credits are queued for an operator; lines imported before are only reported.
   */
  async import(csv: string): Promise<StatementImportResponse> {
    const lines = parseStatementCsv(csv);
    return await this.db.transaction(async (): Promise<StatementImportResponse> => {
      await lockSubject(this.db, 'statement-import');
      const alreadyImported: StatementLineResult[] = [];
      const fresh = await filterSeq(lines, async (l) => {
        const earlier = await this.earlier(l);
        if (earlier) alreadyImported.push(earlier);
        return !earlier;
      });
      const result = matchStatement(fresh, await this.openTransfers(), {
        contested: await this.queue.contestedOrders(),
        settled: await this.settledTransfers(fresh),
      });
      const byLine = new Map(fresh.map((l) => [l.line, l]));
      const at = new Date(this.now()).toISOString();
      for (const m of result.matched) {
        const l = byLine.get(m.line)!;
        await this.orders.act(m.orderId!, {
          action: 'confirm-transfer',
          reason: `${describeLine(l)}, matched by remittance code and amount.`,
        });
        await recordPayingLine(this.db, l, m.orderId!, at);
      }
      // Queued in the file's order, so the queue reads like the statement.
      const toQueue = [
        ...result.ambiguous.map((r) => ['ambiguous', r] as const),
        ...result.unmatched.map((r) => ['unmatched', r] as const),
      ].sort(([, x], [, y]) => x.line - y.line);
      const queueIds = new Map<number, number>();
      for (const [kind, r] of toQueue)
        queueIds.set(r.line, await this.queue.add(byLine.get(r.line)!, kind, r.reason!, r.candidates ?? []));
      const queued = (r: StatementLineResult) => ({ ...r, queueId: queueIds.get(r.line)! });
      return {
        matched: result.matched,
        unmatched: result.unmatched.map(queued),
        ambiguous: result.ambiguous.map(queued),
        ignored: result.ignored,
        alreadyImported,
      };
    });
  }

  /** What an earlier import did with this line, or undefined for a new line. */
  private async earlier(l: StatementLine): Promise<StatementLineResult | undefined> {
    const base = { line: l.line, amountFen: l.amountFen, remark: l.remark };
    const paid = (await this.db.get('SELECT order_id FROM statement_lines WHERE line_hash = ?', l.key)) as
      | { order_id: string }
      | undefined;
    if (paid) return { ...base, orderId: paid.order_id, reason: 'Imported before; it paid this order.' };
    const queued = await this.queue.byKey(l.key);
    if (queued)
      return {
        ...base,
        queueId: queued.id,
        reason: `Imported before; in the operator queue (${queued.state}).`,
      };
    return undefined;
  }

  private async openTransfers(): Promise<OpenTransfer[]> {
    const rows = (await this.db.all(
      "SELECT id, remittance_code, price_fen FROM orders WHERE status = 'transfer-pending' AND remittance_code IS NOT NULL",
    )) as Array<{ id: string; remittance_code: string; price_fen: number }>;
    return rows.map((r) => ({ orderId: r.id, remittanceCode: r.remittance_code, priceFen: r.price_fen }));
  }

  private async settledTransfers(lines: StatementLine[]): Promise<SettledTransfer[]> {
    const codes = new Set(lines.flatMap((l) => [...remittanceCodesIn(l.remark)]));
    const q = prepared(
      this.db,
      "SELECT id, remittance_code, status FROM orders WHERE remittance_code = ? AND status <> 'transfer-pending'",
    );
    return (
      await mapSeq(codes, (code) => q.all<{ id: string; remittance_code: string; status: OrderStatus }>(code))
    )
      .flat()
      .map((r) => ({
        orderId: r.id,
        remittanceCode: r.remittance_code,
        status: r.status,
      }));
  }
}
