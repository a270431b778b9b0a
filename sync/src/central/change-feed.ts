// The change feed: an append-only table read per appliance (its hall's orders plus global changes) by cursor.
import { performance } from 'node:perf_hooks';
import type { Change } from '../contract/schemas.js';
import type { Db } from './store.js';

/**
 * How long a hall's newest change is answered from memory. Every heartbeat asks (1,700 a second at 50,000 kiosks,
 * a few hundred kiosks a hall): a change is seen within this time (one this process records, as a rule, at once:
 * recording forgets what is remembered). A kiosk that learns a second late pulls a second late.
 */
export const LATEST_CACHE_MS = 1000;
/** Halls remembered (beyond, all are forgotten and read again). */
const MAX_HALLS = 10_000;

type ChangeType = Change['type'];

interface ChangeRow {
  seq: number;
  type: ChangeType;
  order_id: string | null;
  payload_json: string;
  at: string;
}

export class ChangeFeed {
  /** A hall's newest change and when (monotonic, not central's clock, which tests hold still) it was read. */
  private readonly newest = new Map<string, { seq: string; readAt: number }>();
  /** Changes this process recorded: a read that began before one is not kept, nor shared with later callers. */
  private recorded = 0;
  /** A hall's read of its newest change that is running, and the count of changes recorded when it began. */
  private readonly reading = new Map<string, { recorded: number; seq: Promise<string> }>();

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
    this.recorded++;
    this.newest.clear(); // a global change is every hall's newest
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

  /**
   * The cursor of the newest change the hall's appliances see (from memory within LATEST_CACHE_MS). Callers that
   * find nothing remembered while a read of the hall is running share that read, unless this process recorded a
   * change since it began: at thousands of heartbeats a second, each heartbeat arriving while the hall's newest is
   * being read again would otherwise read it too (counted in the fleet load: about 200 of these reads a second for
   * one hall, a third of all of central's statements).
   */
  async latest(hall: string): Promise<string> {
    const known = this.newest.get(hall);
    if (known && performance.now() - known.readAt < LATEST_CACHE_MS) return known.seq;
    const running = this.reading.get(hall);
    if (running && running.recorded === this.recorded) return running.seq;
    const read = this.readLatest(hall);
    this.reading.set(hall, { recorded: this.recorded, seq: read });
    try {
      return await read;
    } finally {
      if (this.reading.get(hall)?.seq === read) this.reading.delete(hall);
    }
  }

  private async readLatest(hall: string): Promise<string> {
    const readAt = performance.now();
    const recorded = this.recorded;
    // Two index lookups (changes_hall_seq), not a scan of every change.
    const r = (await this.db.get(
      `SELECT MAX(seq) AS seq FROM (SELECT MAX(seq) AS seq FROM changes WHERE hall IS NULL
         UNION ALL SELECT MAX(seq) AS seq FROM changes WHERE hall = ?) newest`,
      hall,
    )) as { seq: number | null };
    const seq = String(r.seq ?? 0);
    if (recorded === this.recorded) {
      if (this.newest.size >= MAX_HALLS) this.newest.clear();
      this.newest.set(hall, { seq, readAt });
    }
    return seq;
  }
}
