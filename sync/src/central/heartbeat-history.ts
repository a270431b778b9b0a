// Heartbeat history: the numbers of an appliance's heartbeats (uptime, queue depth, parked events, in doubt,
// blank keys), one point per HEARTBEAT_HISTORY_STEP_MS, kept HEARTBEAT_HISTORY_DAYS for the per-appliance console
// page's chart. A point per heartbeat would be 2,880 rows per kiosk per day (a billion for 50,000 kiosks over the
// week); one per 5 minutes is 2,016 per kiosk for the week. Older rows are pruned at most once a minute, by index.
import type { HeartbeatRequest } from '../contract/schemas.js';
import { AtMostEvery, AtMostEveryPerKey } from './at-most-every.js';
import type { CallBatcher } from './call-batcher.js';
import { batchedHistoryPoints, type HistoryPoint } from './request-batches.js';
import type { Db } from './store.js';

/** How long heartbeat history is kept. */
export const HEARTBEAT_HISTORY_DAYS = 7;
const RETENTION_MS = HEARTBEAT_HISTORY_DAYS * 24 * 3600 * 1000;
/** At most one point per appliance in this time. */
export const HEARTBEAT_HISTORY_STEP_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 60_000;
/** Appliances whose last point this process remembers (beyond, it forgets them all and asks the store). */
const MAX_REMEMBERED = 200_000;

export interface HeartbeatPoint {
  at: string;
  uptimeS: number | null;
  queueDepth: number;
  parkedEvents: number;
  inDoubt: number | null;
  blankKeys: number | null;
}

export class HeartbeatHistory {
  private readonly prune: AtMostEvery;
  /** When this process last kept a point per appliance: within the step, no statement at all. */
  private readonly point: AtMostEveryPerKey;
  /** PostgreSQL: the points of the heartbeats arriving together kept in one statement. */
  private readonly points: CallBatcher<HistoryPoint, boolean> | null;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.prune = new AtMostEvery(PRUNE_EVERY_MS, now);
    this.point = new AtMostEveryPerKey(HEARTBEAT_HISTORY_STEP_MS, now, MAX_REMEMBERED);
    this.points = db.dialect === 'postgres' ? batchedHistoryPoints(db.relaxed) : null;
  }

  /**
   * Keep a heartbeat as a point unless the appliance has one from the last step (one statement, by the
   * appliance's index; on PostgreSQL one for the points of the heartbeats arriving together); drop what is past
   * the retention, at most once a minute.
   */
  async record(applianceId: string, hb: HeartbeatRequest): Promise<void> {
    if (!this.point.due(applianceId)) return;
    const now = this.now();
    const point: HistoryPoint = {
      applianceId,
      at: new Date(now).toISOString(),
      uptimeS: hb.uptimeS ?? null,
      queueDepth: hb.queueDepth,
      parkedEvents: hb.parkedEvents,
      inDoubt: hb.inDoubt ?? null,
      blankKeys: hb.consumables.blankKeys ?? null,
      since: new Date(now - HEARTBEAT_HISTORY_STEP_MS).toISOString(),
    };
    if (await this.keep(point)) this.point.mark(applianceId);
    if (!this.prune.take()) return;
    await this.db.relaxed.run(
      'DELETE FROM heartbeat_history WHERE at < ?',
      new Date(now - RETENTION_MS).toISOString(),
    );
  }

  /**
   * Keep a point unless its appliance has one after `since` (one statement, by the appliance's index); true if
   * kept. A relaxed commit: a point lost to a database crash is a gap of one step in a chart.
   */
  private async keep(p: HistoryPoint): Promise<boolean> {
    if (this.points) return this.points.call(p);
    const kept = await this.db.relaxed.run(
      `INSERT INTO heartbeat_history (appliance_id, at, uptime_s, queue_depth, parked_events, in_doubt, blank_keys)
         SELECT ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
         WHERE NOT EXISTS (SELECT 1 FROM heartbeat_history WHERE appliance_id = ? AND at > ?)`,
      p.applianceId,
      p.at,
      p.uptimeS,
      p.queueDepth,
      p.parkedEvents,
      p.inDoubt,
      p.blankKeys,
      p.applianceId,
      p.since,
    );
    return kept.changes === 1;
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
