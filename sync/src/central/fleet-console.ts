// What the operations console shows, computed once for the fleet page, its live stream and the per-appliance
// page: one row per appliance (heartbeat facts, issuances today, audit-head state, open alarms) and the open
// alarms, newest first, with the hall and subject an operator needs.

import { UNLOCK_DAY_UTC_OFFSET_MINUTES, unlockDay } from '../contract/after-sales.js';
import { groupFingerprint, publicKeySha256 } from '../contract/identity.js';
import type { Alarm, HeartbeatRequest } from '../contract/schemas.js';
import type { ApplianceRow } from './appliances.js';
import { mapSeq } from './async-list.js';
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

async function auditHeadState(
  ctx: CentralContext,
  a: ApplianceRow,
  alarms: Alarm[],
): Promise<AuditHeadState> {
  if (alarms.some((x) => x.kind === 'audit-forked')) return 'forked';
  if (alarms.some((x) => x.kind === 'audit-truncated')) return 'truncated';
  const head = await ctx.db.get('SELECT 1 FROM audit_heads WHERE appliance_id = ? LIMIT 1', a.id);
  return head ? 'ok' : 'none';
}

export async function consoleRow(ctx: CentralContext, a: ApplianceRow): Promise<ConsoleRow> {
  const { from, to } = beijingDay(ctx.now());
  const issued = (await ctx.db.get(
    `SELECT COUNT(*) AS n FROM events WHERE appliance_id = ? AND type = 'certificate.issued'
       AND received_at >= ? AND received_at < ?`,
    a.id,
    from,
    to,
  )) as { n: number };
  const alarms = await ctx.alarms.list({ applianceId: a.id });
  const last = a.last_heartbeat_at ? Date.parse(a.last_heartbeat_at) : null;
  return {
    appliance: a,
    heartbeat: a.heartbeat_json ? (JSON.parse(a.heartbeat_json) as HeartbeatRequest) : null,
    fingerprint: groupFingerprint(publicKeySha256(a.public_key_pem)),
    stale: last === null || ctx.now() - last > ctx.fleetAlarms.staleMs,
    issuedToday: issued.n,
    auditHead: await auditHeadState(ctx, a, alarms),
    alarms,
  };
}

export async function consoleRows(ctx: CentralContext): Promise<ConsoleRow[]> {
  return mapSeq(await ctx.appliances.list(), async (a) => consoleRow(ctx, a));
}

/** Every open alarm, newest first. */
export async function consoleAlarms(ctx: CentralContext): Promise<ConsoleAlarm[]> {
  const halls = new Map((await ctx.appliances.list()).map((a) => [a.id, a.hall]));
  return (await ctx.alarms.list()).map((alarm) => {
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
