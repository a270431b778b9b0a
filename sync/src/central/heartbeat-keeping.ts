// A heartbeat kept: its signed audit head checked and kept (audit-heads.ts), the alarms the appliance reports
// raised, then the heartbeat on the appliance's row. Nearly every heartbeat repeats the head already kept and
// reports no alarm: on PostgreSQL it is then one statement gathered with the heartbeats arriving together
// (ApplianceRegistry.recordHeartbeatRepeatingHead); anything else takes the full path.
import type { AuditHead, HeartbeatRequest } from '../contract/schemas.js';
import type { RequestAppliance } from './appliances.js';
import type { CentralContext } from './context.js';

/** A heartbeat that may simply repeat the kept audit head: it has one, and reports no alarm. */
function mayRepeatHead(hb: HeartbeatRequest): hb is HeartbeatRequest & { auditHead: AuditHead } {
  return hb.auditHead !== undefined && !hb.alarms?.length;
}

/** Keep a heartbeat of an authenticated appliance; answers its open alarms (AUDIT_HEAD_BAD_SIGNATURE: refused). */
export async function keepHeartbeat(
  ctx: CentralContext,
  appliance: RequestAppliance,
  hb: HeartbeatRequest,
): Promise<{ openAlarms: number }> {
  let renewalTried = false;
  if (mayRepeatHead(hb)) {
    const answer = await ctx.appliances.recordHeartbeatRepeatingHead(appliance.id, hb);
    if (typeof answer === 'object') return answer;
    renewalTried = answer === 'head-not-renewed';
  }
  if (hb.auditHead) await ctx.auditHeads.accept(appliance, hb.auditHead, { renewalTried });
  for (const a of hb.alarms ?? []) {
    await ctx.alarms.raise(appliance.id, a.kind, `reported by the appliance: ${a.kind}`, {
      ...(a.subject ? { subject: a.subject } : {}),
      since: a.since,
    });
  }
  return ctx.appliances.recordHeartbeat(appliance.id, hb);
}
