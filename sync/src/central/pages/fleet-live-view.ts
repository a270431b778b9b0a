// What the fleet page's live stream (fleet-feed.ts) renders: the snapshot for a new connection, and for each
// comparison only the rows that may have changed, found with a fixed number of statements (fleet-console.ts
// consoleRowsOf) however large the fleet:
// - the rows the feed was poked for (the appliances a change request concerned), or every row;
// - the rows whose open alarms changed since the last comparison (the alarm list is read for every comparison
//   anyway: an alarm the stale sweep raised, or one acknowledged elsewhere, shows in its row at once);
// - on a periodic comparison, after the stale sweep (when due): the rows that turned stale since the last one,
//   the appliances whose last heartbeat fell behind the stale threshold in between (one range query).
import type { Alarm, Appliance } from '../../contract/schemas.js';
import type { CentralContext } from '../context.js';
import { consoleAlarms, consoleRowsOf } from '../fleet-console.js';
import type { FleetSource, FleetView, RowScope } from '../fleet-feed.js';
import { NO_APPLIANCE_ROW, renderAlarmList, renderFleetRow } from './fleet-page.js';

/** Every appliance status, so the stale query can use SQLite's (status, last_heartbeat_at) index (migrations 014, 022). */
const STATUSES = Object.keys({ pending: 1, approved: 1, revoked: 1 } satisfies Record<
  Appliance['status'],
  1
>);

/** What a row shows of each of its open alarms, by appliance. */
function alarmsShown(open: Alarm[]): Map<string, string> {
  const byAppliance = new Map<string, unknown[]>();
  for (const al of open) {
    const shown = [al.id, al.kind, al.occurrences, al.message];
    const list = byAppliance.get(al.applianceId);
    if (list) list.push(shown);
    else byAppliance.set(al.applianceId, [shown]);
  }
  return new Map([...byAppliance].map(([id, list]) => [id, JSON.stringify(list)]));
}

export class FleetLiveView implements FleetSource {
  /** Open alarms by appliance as the last comparison rendered them. */
  private alarmsSeen = new Map<string, string>();
  /** Heartbeats older than this were stale at the last periodic comparison (or the first snapshot). */
  private staleBefore: string | null = null;

  /** `ctx` is asked for when the view is first rendered (the context holds the feed that holds this). */
  constructor(private readonly context: () => CentralContext) {}

  async snapshot(): Promise<FleetView> {
    const ctx = this.context();
    this.staleBefore ??= this.staleCutoff();
    await ctx.fleetAlarms.sweepStaleIfDue();
    return this.render(undefined, await ctx.alarms.list());
  }

  async compare(scope: RowScope, periodic: boolean): Promise<FleetView> {
    const ctx = this.context();
    if (periodic) await ctx.fleetAlarms.sweepStaleIfDue();
    const open = await ctx.alarms.list();
    const shown = alarmsShown(open);
    const ids = scope === 'all' ? null : new Set(scope);
    if (ids) {
      for (const id of new Set([...shown.keys(), ...this.alarmsSeen.keys()]))
        if (shown.get(id) !== this.alarmsSeen.get(id)) ids.add(id);
    }
    this.alarmsSeen = shown;
    if (periodic) {
      const cutoff = this.staleCutoff();
      if (ids && this.staleBefore !== null) for (const id of await this.turnedStale(cutoff)) ids.add(id);
      this.staleBefore = cutoff;
    }
    return this.render(ids === null ? undefined : [...ids], open);
  }

  /** Appliances whose last heartbeat is at or after the last cutoff and before `cutoff`: stale only now. */
  private async turnedStale(cutoff: string): Promise<string[]> {
    const rows = await this.context().db.all<{ id: string }>(
      `SELECT id FROM appliances WHERE status IN (${STATUSES.map((s) => `'${s}'`).join(', ')})
         AND last_heartbeat_at >= ? AND last_heartbeat_at < ?`,
      this.staleBefore,
      cutoff,
    );
    return rows.map((r) => r.id);
  }

  /** A row is stale once its last heartbeat is before this (fleet-console.ts: older than the stale time). */
  private staleCutoff(): string {
    const ctx = this.context();
    return new Date(ctx.now() - ctx.fleetAlarms.staleMs).toISOString();
  }

  /** The rows of `ids` (every row when absent) and the alarm list, rendered. */
  private async render(ids: string[] | undefined, open: Alarm[]): Promise<FleetView> {
    const ctx = this.context();
    const rows = ids?.length === 0 ? [] : await consoleRowsOf(ctx, ids, open);
    const alarms = await consoleAlarms(ctx, open);
    return {
      rows: new Map(rows.map((r) => [r.appliance.id, renderFleetRow(r)])),
      alarms: { html: renderAlarmList(alarms), count: alarms.length },
      empty: NO_APPLIANCE_ROW,
    };
  }
}
