// Heartbeat history: the numbers of every heartbeat an appliance sent (uptime, queue depth, parked events, in
// doubt, blank keys), kept HEARTBEAT_HISTORY_DAYS for the per-appliance console page's chart; older rows are
// pruned whenever a heartbeat is recorded.
import type { HeartbeatRequest } from '../contract/schemas.js';
import type { Db } from './store.js';

/** How long heartbeat history is kept. */
export const HEARTBEAT_HISTORY_DAYS = 7;
const RETENTION_MS = HEARTBEAT_HISTORY_DAYS * 24 * 3600 * 1000;

export interface HeartbeatPoint {
  at: string;
  uptimeS: number | null;
  queueDepth: number;
  parkedEvents: number;
  inDoubt: number | null;
  blankKeys: number | null;
}

export class HeartbeatHistory {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** Keep one heartbeat and drop everything older than the retention. */
  async record(applianceId: string, hb: HeartbeatRequest): Promise<void> {
    const now = this.now();
    await this.db.transaction(async () => {
      await this.db.run(
        `INSERT INTO heartbeat_history (appliance_id, at, uptime_s, queue_depth, parked_events, in_doubt, blank_keys)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        applianceId,
        new Date(now).toISOString(),
        hb.uptimeS ?? null,
        hb.queueDepth,
        hb.parkedEvents,
        hb.inDoubt ?? null,
        hb.consumables.blankKeys ?? null,
      );
      await this.db.run(
        'DELETE FROM heartbeat_history WHERE at < ?',
        new Date(now - RETENTION_MS).toISOString(),
      );
    });
  }

  /** The appliance's kept heartbeats, oldest first. */
  async list(applianceId: string): Promise<HeartbeatPoint[]> {
    const rows = (await this.db.all(
      `SELECT at, uptime_s, queue_depth, parked_events, in_doubt, blank_keys FROM heartbeat_history
         WHERE appliance_id = ? ORDER BY at, id`,
      applianceId,
    )) as {
      at: string;
      uptime_s: number | null;
      queue_depth: number;
      parked_events: number;
      in_doubt: number | null;
      blank_keys: number | null;
    }[];
    return rows.map((r) => ({
      at: r.at,
      uptimeS: r.uptime_s,
      queueDepth: r.queue_depth,
      parkedEvents: r.parked_events,
      inDoubt: r.in_doubt,
      blankKeys: r.blank_keys,
    }));
  }
}
