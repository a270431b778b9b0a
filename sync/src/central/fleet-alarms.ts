// Condition alarms: what a kiosk's heartbeat says is wrong (a device in error, the paper out, blank keys below
// the threshold, transactions in doubt, events parked), and a kiosk whose heartbeat stopped. Each is open while
// its condition holds (every heartbeat that shows it counts one more occurrence) and cleared by the first
// heartbeat without it; an operator may acknowledge it before. A heartbeat clears a stale alarm; the stale ones
// are found by a sweep (every STALE_SWEEP_MS, and whenever operators look at the alarms or the metrics).
import type { ConditionAlarmKind, HeartbeatRequest } from '../contract/schemas.js';
import { AtMostEvery } from './at-most-every.js';
import type { Alarms } from './audit-heads.js';
import type { Db } from './store.js';

/** An approved appliance with no heartbeat for this long is stale (4 missed beats at the kiosk's 30 s). */
export const DEFAULT_STALE_HEARTBEAT_SECONDS = 120;
/** Fewer blank keys than this in the kiosk is low stock. */
export const DEFAULT_LOW_STOCK_BLANK_KEYS = 10;
/** How often central looks for stale heartbeats on its own. */
export const STALE_SWEEP_MS = 30_000;
/** Reads of alarms or metrics sweep again only when the last sweep is older than this. */
export const SWEEP_ON_READ_MS = 1_000;

export interface FleetAlarmOptions {
  staleHeartbeatSeconds?: number;
  lowStockBlankKeys?: number;
}

type Condition = { message: string; details: Record<string, unknown> };

/** The heartbeat's conditions, each kind with what an operator is told. */
export function heartbeatConditions(
  hb: HeartbeatRequest,
  lowStockBlankKeys: number,
): Partial<Record<Exclude<ConditionAlarmKind, 'heartbeat-stale'>, Condition>> {
  const out: Partial<Record<Exclude<ConditionAlarmKind, 'heartbeat-stale'>, Condition>> = {};
  const failing = hb.devices.filter((d) => d.status === 'hardware-error');
  if (failing.length > 0)
    out['device-error'] = {
      message: `Device error: ${failing.map((d) => (d.detail ? `${d.device} (${d.detail})` : d.device)).join(', ')}`,
      details: {
        devices: failing.map((d) => ({ device: d.device, ...(d.detail ? { detail: d.detail } : {}) })),
      },
    };
  if (hb.consumables.paper === 'out')
    out['paper-out'] = { message: 'The receipt printer is out of paper.', details: {} };
  const keys = hb.consumables.blankKeys;
  if (keys !== undefined && keys < lowStockBlankKeys)
    out['low-stock'] = {
      message: `${keys} blank keys left (below ${lowStockBlankKeys}).`,
      details: { blankKeys: keys, threshold: lowStockBlankKeys },
    };
  if ((hb.inDoubt ?? 0) > 0)
    out['in-doubt'] = {
      message: `${hb.inDoubt} transaction(s) in doubt wait for staff.`,
      details: { inDoubt: hb.inDoubt },
    };
  if (hb.parkedEvents > 0)
    out['parked-events'] = {
      message: `${hb.parkedEvents} event(s) refused by central are parked at the kiosk.`,
      details: { parkedEvents: hb.parkedEvents },
    };
  return out;
}

const HEARTBEAT_KINDS = ['device-error', 'paper-out', 'low-stock', 'in-doubt', 'parked-events'] as const;

export class FleetAlarms {
  readonly staleMs: number;
  private readonly lowStock: number;
  private readonly sweptOnRead: AtMostEvery;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly alarms: Alarms,
    opts: FleetAlarmOptions = {},
  ) {
    this.staleMs = (opts.staleHeartbeatSeconds ?? DEFAULT_STALE_HEARTBEAT_SECONDS) * 1000;
    this.lowStock = opts.lowStockBlankKeys ?? DEFAULT_LOW_STOCK_BLANK_KEYS;
    this.sweptOnRead = new AtMostEvery(SWEEP_ON_READ_MS, now);
  }

  /**
   * A heartbeat arrived: its conditions raised (or counted again), the others and staleness cleared.
   * `openAlarms`, the appliance's open alarms counted as its heartbeat was kept: a healthy kiosk with none open
   * (nearly every heartbeat) costs no statement here.
   */
  async onHeartbeat(applianceId: string, hb: HeartbeatRequest, openAlarms: number): Promise<void> {
    const conditions = heartbeatConditions(hb, this.lowStock);
    const held = HEARTBEAT_KINDS.filter((kind) => conditions[kind]);
    if (held.length === 0 && openAlarms === 0) return;
    const open = new Set(
      (
        await this.db.all<{ kind: string }>(
          'SELECT DISTINCT kind FROM alarms WHERE appliance_id = ? AND cleared_at IS NULL',
          applianceId,
        )
      ).map((r) => r.kind),
    );
    const ended = [...HEARTBEAT_KINDS, 'heartbeat-stale' as const].filter(
      (kind) => open.has(kind) && !(kind !== 'heartbeat-stale' && conditions[kind]),
    );
    if (held.length === 0 && ended.length === 0) return;
    await this.db.transaction(async () => {
      for (const kind of held) {
        const c = conditions[kind]!;
        await this.alarms.hold(applianceId, kind, c.message, c.details);
      }
      for (const kind of ended) await this.alarms.clear(applianceId, kind);
    });
  }

  /**
   * Raise one stale alarm for each approved appliance not heard from within the threshold (counted from its
   * approval when it never sent a heartbeat) that has none yet (open or acknowledged: until a heartbeat clears
   * it); returns how many were raised.
   */
  async sweepStale(): Promise<number> {
    this.sweptOnRead.mark();
    const before = new Date(this.now() - this.staleMs).toISOString();
    const stale = (await this.db.all(
      `SELECT a.id, a.last_heartbeat_at FROM appliances a
         WHERE a.status = 'approved'
           AND (a.last_heartbeat_at < ?
                OR (a.last_heartbeat_at IS NULL AND COALESCE(a.approved_at, a.enrolled_at) < ?))
           AND NOT EXISTS (SELECT 1 FROM alarms x
                           WHERE x.appliance_id = a.id AND x.kind = 'heartbeat-stale' AND x.cleared_at IS NULL)`,
      before,
      before,
    )) as { id: string; last_heartbeat_at: string | null }[];
    for (const a of stale) {
      await this.alarms.raise(
        a.id,
        'heartbeat-stale',
        a.last_heartbeat_at
          ? `No heartbeat since ${a.last_heartbeat_at} (more than ${this.staleMs / 1000} s).`
          : `No heartbeat since approval (more than ${this.staleMs / 1000} s).`,
        { lastHeartbeatAt: a.last_heartbeat_at, staleAfterSeconds: this.staleMs / 1000 },
      );
    }
    return stale.length;
  }

  /**
   * The sweep before operators read alarms or metrics, skipped when one ran within SWEEP_ON_READ_MS: a console
   * or a scraper polling often then costs no scan of the fleet each time.
   */
  async sweepStaleIfDue(): Promise<void> {
    if (this.sweptOnRead.take()) await this.sweepStale();
  }
}
