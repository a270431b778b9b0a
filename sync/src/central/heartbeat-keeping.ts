// A heartbeat kept: its signed audit head checked and kept (audit-heads.ts), the alarms the appliance reports
// raised, then the heartbeat on the appliance's row. Nearly every heartbeat repeats the head already kept and
// reports no alarm: on PostgreSQL it is then one statement gathered with the heartbeats arriving together
// (ApplianceRegistry.recordHeartbeatRepeatingHead); anything else takes the full path.
import type { HeartbeatRequest } from '../contract/schemas.js';
import type { ApplianceRow } from './appliances.js';
import type { CentralContext } from './context.js';

/** Keep a heartbeat of an authenticated appliance; answers its open alarms (AUDIT_HEAD_BAD_SIGNATURE: refused). */
export async function keepHeartbeat(
  ctx: CentralContext,
  appliance: ApplianceRow,
  hb: HeartbeatRequest,
): Promise<{ openAlarms: number }> {
  if (hb.auditHead && !hb.alarms?.length) {
    const kept = await ctx.appliances.recordHeartbeatRepeatingHead(appliance.id, {
      ...hb,
      auditHead: hb.auditHead,
    });
    if (kept) return kept;
  }
  if (hb.auditHead) await ctx.auditHeads.accept(appliance, hb.auditHead);
  for (const a of hb.alarms ?? []) {
    await ctx.alarms.raise(appliance.id, a.kind, `reported by the appliance: ${a.kind}`, {
      ...(a.subject ? { subject: a.subject } : {}),
      since: a.since,
    });
  }
  return ctx.appliances.recordHeartbeat(appliance.id, hb);
}
