// What the operations console shows, computed once for the fleet page, its live stream and the per-appliance
// page: one row per appliance (heartbeat facts, issuances today, audit-head state, open alarms) and the open
// alarms, newest first, with the hall and subject an operator needs.

import { UNLOCK_DAY_UTC_OFFSET_MINUTES, unlockDay } from '../contract/after-sales.js';
import { groupFingerprint, publicKeySha256 } from '../contract/identity.js';
import type { Alarm, HeartbeatRequest } from '../contract/schemas.js';
import type { ApplianceRow } from './appliances.js';
import type { CentralContext } from './context.js';

/** The audit log's state as central sees it: no head received yet, a fork or a truncation open, or fine. */
export type AuditHeadState = 'ok' | 'forked' | 'truncated' | 'none';

export interface ConsoleRow {
  appliance: ApplianceRow;
  heartbeat: HeartbeatRequest | null;
  fingerprint: string;
  /** No heartbeat within the configured stale time (or never one). */
  stale: boolean;
  /** certificate.issued events central received this Beijing day. */
  issuedToday: number;
  auditHead: AuditHeadState;
  /** Open alarms of this appliance. */
  alarms: Alarm[];
}

export interface ConsoleAlarm {
  alarm: Alarm;
  hall: string;
  /** What the alarm is about (the staff id locked out, the failing device …), else its message. */
  subject: string;
  /** When the condition began: the appliance's own `since` when it reported one, else when it was raised. */
  since: string;
}

/** The Beijing day (China Standard Time) `nowMs` falls in, as [start, end) ISO instants. */
export function beijingDay(nowMs: number): { day: string; from: string; to: string } {
  const day = unlockDay(nowMs);
  const start = Date.parse(`${day}T00:00:00Z`) - UNLOCK_DAY_UTC_OFFSET_MINUTES * 60_000;
  return {
    day,
    from: new Date(start).toISOString(),
    to: new Date(start + 24 * 3600 * 1000).toISOString(),
  };
}

/** Bound parameters per `IN (…)` list: SQLite allows 32,766 per statement; lists stay far below, and short. */
export const IN_LIST_CHUNK = 500;

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * `select` with ` IN (?, …)` appended, once per chunk of `ids` (IN_LIST_CHUNK), rows concatenated; once without
 * the list when `ids` is null (every row). The same text with `?` on SQLite and PostgreSQL.
 */
async function rowsIn<T>(
  ctx: CentralContext,
  ids: readonly string[] | null,
  sql: (inList: string) => string,
  ...params: unknown[]
): Promise<T[]> {
  if (ids === null) return ctx.db.all<T>(sql(''), ...params);
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += IN_LIST_CHUNK) {
    const chunk = ids.slice(i, i + IN_LIST_CHUNK);
    out.push(...(await ctx.db.all<T>(sql(` IN (${marks(chunk.length)})`), ...params, ...chunk)));
  }
  return out;
}

function auditHeadState(alarms: Alarm[], hasHead: boolean): AuditHeadState {
  if (alarms.some((x) => x.kind === 'audit-forked')) return 'forked';
  if (alarms.some((x) => x.kind === 'audit-truncated')) return 'truncated';
  return hasHead ? 'ok' : 'none';
}

/**
 * The rows of `appliances` with three statements (per IN_LIST_CHUNK of them), not three per appliance: the
 * Beijing day's issuances grouped by appliance, which have audit heads, and their open alarms (`open`, when the
 * caller read them already: every open alarm, or at least those of these appliances). `all`: the appliances are
 * the whole fleet, so the statements need no id list.
 */
async function rowsOf(
  ctx: CentralContext,
  appliances: ApplianceRow[],
  all: boolean,
  open?: Alarm[],
): Promise<ConsoleRow[]> {
  if (appliances.length === 0) return [];
  const ids = all ? null : appliances.map((a) => a.id);
  const { from, to } = beijingDay(ctx.now());
  const issued = await rowsIn<{ appliance_id: string; n: number }>(
    ctx,
    ids,
    (inList) => `SELECT appliance_id, COUNT(*) AS n FROM events
       WHERE type = 'certificate.issued' AND received_at >= ? AND received_at < ?${inList ? ` AND appliance_id${inList}` : ''}
       GROUP BY appliance_id`,
    from,
    to,
  );
  const issuedOf = new Map(issued.map((r) => [r.appliance_id, Number(r.n)]));
  const headed = await rowsIn<{ id: string }>(
    ctx,
    ids,
    (inList) => `SELECT a.id FROM appliances a
       WHERE ${inList ? `a.id${inList} AND ` : ''}EXISTS (SELECT 1 FROM audit_heads h WHERE h.appliance_id = a.id)`,
  );
  const hasHead = new Set(headed.map((r) => r.id));
  const alarmsOf = new Map<string, Alarm[]>();
  for (const al of open ?? (await ctx.alarms.list())) {
    const list = alarmsOf.get(al.applianceId);
    if (list) list.push(al);
    else alarmsOf.set(al.applianceId, [al]);
  }
  const now = ctx.now();
  return appliances.map((a) => {
    const alarms = alarmsOf.get(a.id) ?? [];
    const last = a.last_heartbeat_at ? Date.parse(a.last_heartbeat_at) : null;
    return {
      appliance: a,
      heartbeat: a.heartbeat_json ? (JSON.parse(a.heartbeat_json) as HeartbeatRequest) : null,
      fingerprint: groupFingerprint(publicKeySha256(a.public_key_pem)),
      stale: last === null || now - last > ctx.fleetAlarms.staleMs,
      issuedToday: issuedOf.get(a.id) ?? 0,
      auditHead: auditHeadState(alarms, hasHead.has(a.id)),
      alarms,
    };
  });
}

/** One appliance's row (its page). */
export async function consoleRow(ctx: CentralContext, a: ApplianceRow): Promise<ConsoleRow> {
  return (await rowsOf(ctx, [a], false, await ctx.alarms.list({ applianceId: a.id })))[0]!;
}

/**
 * The rows of the appliances `ids` (unknown ids left out, in no particular order), or of the whole fleet in
 * display order (hall, id) when `ids` is absent, with a fixed number of statements however many appliances
 * there are (per IN_LIST_CHUNK ids). `open`: every open alarm, when the caller read them already.
 */
export async function consoleRowsOf(
  ctx: CentralContext,
  ids?: readonly string[],
  open?: Alarm[],
): Promise<ConsoleRow[]> {
  if (ids === undefined) return rowsOf(ctx, await ctx.appliances.list(), true, open);
  const appliances = await rowsIn<ApplianceRow>(
    ctx,
    [...new Set(ids)],
    (inList) => `SELECT * FROM appliances WHERE id${inList}`,
  );
  return rowsOf(ctx, appliances, false, open);
}

/**
 * Every open alarm, newest first (`open`: the list, when the caller read it already), with the halls of their
 * appliances only (per IN_LIST_CHUNK of them), not the whole fleet's.
 */
export async function consoleAlarms(ctx: CentralContext, open?: Alarm[]): Promise<ConsoleAlarm[]> {
  const alarms = open ?? (await ctx.alarms.list());
  const ids = [...new Set(alarms.map((al) => al.applianceId))];
  const halls = new Map(
    ids.length === 0
      ? []
      : (
          await rowsIn<{ id: string; hall: string }>(
            ctx,
            ids,
            (inList) => `SELECT id, hall FROM appliances WHERE id${inList}`,
          )
        ).map((a) => [a.id, a.hall]),
  );
  return alarms.map((alarm) => {
    const subject = alarm.details.subject;
    const since = alarm.details.since;
    return {
      alarm,
      hall: halls.get(alarm.applianceId) ?? '—',
      subject: typeof subject === 'string' ? subject : alarm.message,
      since: typeof since === 'string' ? since : alarm.raisedAt,
    };
  });
}
