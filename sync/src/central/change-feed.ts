// The change feed: an append-only table read per appliance (its hall's orders plus global changes) by cursor.
import type { Change } from '../contract/schemas.js';
import type { Db } from './store.js';

type ChangeType = Change['type'];

interface ChangeRow {
  seq: number;
  type: ChangeType;
  order_id: string | null;
  payload_json: string;
  at: string;
}

export class ChangeFeed {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** Append a change; hall null = every appliance sees it. */
  async record(
    type: ChangeType,
    hall: string | null,
    orderId: string | null,
    payload: Record<string, unknown>,
  ): Promise<void> {
    await this.db.run(
      'INSERT INTO changes (hall, type, order_id, payload_json, at) VALUES (?, ?, ?, ?, ?)',
      hall,
      type,
      orderId,
      JSON.stringify(payload),
      new Date(this.now()).toISOString(),
    );
  }

  async read(
    hall: string,
    cursor: number,
    limit: number,
  ): Promise<{ changes: Change[]; cursor: string; hasMore: boolean }> {
    const rows = (await this.db.all(
      'SELECT seq, type, order_id, payload_json, at FROM changes WHERE seq > ? AND (hall IS NULL OR hall = ?) ORDER BY seq LIMIT ?',
      cursor,
      hall,
      limit + 1,
    )) as ChangeRow[];
    const page = rows.slice(0, limit);
    const changes = page.map((r) => ({
      cursor: String(r.seq),
      type: r.type,
      at: r.at,
      ...(r.order_id ? { orderId: r.order_id } : {}),
      payload: JSON.parse(r.payload_json) as Record<string, unknown>,
    }));
    return { changes, cursor: changes.at(-1)?.cursor ?? String(cursor), hasMore: rows.length > limit };
  }

  async latest(hall: string): Promise<string> {
    // Two index lookups (changes_hall_seq), not a scan of every change: each heartbeat asks.
    const r = (await this.db.get(
      `SELECT MAX(seq) AS seq FROM (SELECT MAX(seq) AS seq FROM changes WHERE hall IS NULL
         UNION ALL SELECT MAX(seq) AS seq FROM changes WHERE hall = ?) newest`,
      hall,
    )) as { seq: number | null };
    return String(r.seq ?? 0);
  }
}
