// The operator queue of bank statement lines the import did not match on its own (several orders fit, several
// lines pay one order, or none fits). An operator assigns a line to an order (it moves to paid, its history
// naming the operator) or dismisses it with a reason (a refund, someone else's money); either is final.
import type {
  AssignStatementLineRequest,
  DismissStatementLineRequest,
  Order,
  QueuedStatementLine,
} from '../contract/schemas.js';
import { CentralError } from './errors.js';
import { yuan } from './invoices/amount-in-words.js';
import type { OrderService } from './orders.js';
import { describeLine, recordPayingLine, type StatementLine } from './statement.js';
import type { Db } from './store.js';

export type QueueKind = QueuedStatementLine['kind'];

interface QueueRow {
  id: number;
  line_key: string;
  kind: QueueKind;
  reason: string;
  candidates_json: string;
  line_no: number;
  date: string;
  amount_fen: number;
  payer: string;
  remark: string;
  reference: string;
  queued_at: string;
  resolution: 'assigned' | 'dismissed' | null;
  order_id: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
  resolved_at: string | null;
}

function toLine(r: QueueRow): QueuedStatementLine {
  return {
    id: r.id,
    kind: r.kind,
    reason: r.reason,
    candidates: JSON.parse(r.candidates_json) as string[],
    line: r.line_no,
    date: r.date,
    amountFen: r.amount_fen,
    payer: r.payer,
    remark: r.remark,
    reference: r.reference,
    queuedAt: r.queued_at,
    state: r.resolution ?? 'open',
    ...(r.order_id ? { orderId: r.order_id } : {}),
    ...(r.resolved_by ? { resolvedBy: r.resolved_by } : {}),
    ...(r.resolution_note ? { resolutionNote: r.resolution_note } : {}),
    ...(r.resolved_at ? { resolvedAt: r.resolved_at } : {}),
  };
}

/** The operator's name as given, or a refusal: the admin token is shared, so the name is the only "who". */
function operatorName(given: string): string {
  const name = given.trim();
  if (!name) throw new CentralError('STATEMENT_RESOLUTION_INCOMPLETE', 'Name the operator who decides.');
  return name;
}

export class StatementQueue {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly orders: OrderService,
  ) {}

  /** Queue a line (inside the import's transaction); its id. */
  async add(l: StatementLine, kind: QueueKind, reason: string, candidates: string[]): Promise<number> {
    const r = await this.db.get<{ id: number }>(
      `INSERT INTO statement_queue (line_key, kind, reason, candidates_json, line_no, date, amount_fen, payer,
          remark, reference, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      l.key,
      kind,
      reason,
      JSON.stringify(candidates),
      l.line,
      l.date,
      l.amountFen,
      l.payer,
      l.remark,
      l.reference,
      new Date(this.now()).toISOString(),
    );
    return Number(r!.id);
  }

  async byKey(key: string): Promise<QueuedStatementLine | undefined> {
    const r = (await this.db.get('SELECT * FROM statement_queue WHERE line_key = ?', key)) as
      | QueueRow
      | undefined;
    return r ? toLine(r) : undefined;
  }

  async get(id: number): Promise<QueuedStatementLine> {
    return toLine(await this.row(id));
  }

  /** Open lines oldest first (worked in order); resolved ones newest first, at most `limit`. */
  async list(state: 'open' | 'resolved', limit = 200): Promise<QueuedStatementLine[]> {
    const sql =
      state === 'open'
        ? 'SELECT * FROM statement_queue WHERE resolution IS NULL ORDER BY id LIMIT ?'
        : 'SELECT * FROM statement_queue WHERE resolution IS NOT NULL ORDER BY resolved_at DESC, id DESC LIMIT ?';
    return ((await this.db.all(sql, limit)) as QueueRow[]).map(toLine);
  }

  /** Orders named by open ambiguous lines: a later line for one of them is not matched on its own. */
  async contestedOrders(): Promise<Set<string>> {
    const rows = (await this.db.all(
      "SELECT candidates_json FROM statement_queue WHERE resolution IS NULL AND kind = 'ambiguous'",
    )) as Array<{ candidates_json: string }>;
    return new Set(rows.flatMap((r) => JSON.parse(r.candidates_json) as string[]));
  }

  /**
   * The line paid this order: it must await a transfer of exactly the line's amount (an operator does not turn
   * a wrong amount into a payment; that line is dismissed and refunded). One transaction: the order is paid,
   * the line recorded as paying it, the queue entry closed.
   */
  async assign(
    id: number,
    req: AssignStatementLineRequest,
  ): Promise<{ line: QueuedStatementLine; order: Order }> {
    const operator = operatorName(req.operator);
    return await this.db.transaction(async () => {
      const q = await this.open(id);
      const orderId = req.orderId.trim();
      if (!orderId)
        throw new CentralError('STATEMENT_RESOLUTION_INCOMPLETE', 'Name the order the line pays.');
      const order = await this.orders.row(orderId);
      if (order.status !== 'transfer-pending')
        throw new CentralError(
          'TRANSFER_NOT_PENDING',
          `Order ${order.id} is not awaiting a bank transfer (it is ${order.status}).`,
        );
      if (order.price_fen !== q.amount_fen)
        throw new CentralError(
          'STATEMENT_AMOUNT_MISMATCH',
          `The line is ¥${yuan(q.amount_fen)}, order ${order.id} costs ¥${yuan(order.price_fen)}; dismiss the line (for a refund) instead.`,
        );
      const note = req.note?.trim();
      const at = new Date(this.now()).toISOString();
      const { order: paid } = await this.orders.act(order.id, {
        action: 'confirm-transfer',
        reason: `${describeLine({ date: q.date, amountFen: q.amount_fen, payer: q.payer, reference: q.reference })}, assigned from the operator queue (#${q.id}) by operator ${operator}${note ? `: ${note}` : '.'}`,
      });
      await recordPayingLine(
        this.db,
        { key: q.line_key, amountFen: q.amount_fen, remark: q.remark },
        order.id,
        at,
      );
      await this.resolve(q.id, 'assigned', operator, note || null, at, order.id);
      return { line: await this.get(q.id), order: paid };
    });
  }

  /** Not a payment for any order (a refund, a wrong amount, someone else's money): closed with the reason. */
  async dismiss(id: number, req: DismissStatementLineRequest): Promise<QueuedStatementLine> {
    const operator = operatorName(req.operator);
    const reason = req.reason.trim();
    if (!reason) throw new CentralError('STATEMENT_RESOLUTION_INCOMPLETE', 'Say why the line is dismissed.');
    return await this.db.transaction(async () => {
      const q = await this.open(id);
      await this.resolve(q.id, 'dismissed', operator, reason, new Date(this.now()).toISOString(), null);
      return this.get(q.id);
    });
  }

  private async row(id: number): Promise<QueueRow> {
    const r = (await this.db.get('SELECT * FROM statement_queue WHERE id = ?', id)) as QueueRow | undefined;
    if (!r) throw new CentralError('STATEMENT_LINE_NOT_FOUND', `No queued bank statement line #${id}.`);
    return r;
  }

  private async open(id: number): Promise<QueueRow> {
    const r = await this.row(id);
    if (r.resolution)
      throw new CentralError(
        'STATEMENT_LINE_RESOLVED',
        `Statement line #${id} was already ${r.resolution} by ${r.resolved_by} at ${r.resolved_at}.`,
      );
    return r;
  }

  private async resolve(
    id: number,
    resolution: 'assigned' | 'dismissed',
    operator: string,
    note: string | null,
    at: string,
    orderId: string | null,
  ): Promise<void> {
    await this.db.run(
      'UPDATE statement_queue SET resolution = ?, resolved_by = ?, resolution_note = ?, resolved_at = ?, order_id = ? WHERE id = ?',
      resolution,
      operator,
      note,
      at,
      orderId,
      id,
    );
  }
}
