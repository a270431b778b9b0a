// Which fleet rows a successful change request may have changed, for the console's live stream (fleet-feed.ts
// poke): the appliance that signed it (heartbeat, events, issuance …), the appliance a route names
// (`:applianceId`: approve, revoke) or the appliance of the alarm a route names (`:alarmId`: acknowledge). A
// registration or enrolment (a new row), a console request, or an operator's login or logout (a stream may end)
// may change any row: 'all'. Anything else (orders, payments, statements, certificates, look-ups) shows nowhere
// in the fleet table: null, no comparison — so thousands of orders an hour cost an open console nothing.
import type { FastifyRequest } from 'fastify';
import type { Alarms } from './audit-heads.js';

/** Requests without a single appliance that may still change the fleet view. */
const MAY_CHANGE_ANY_ROW =
  /^\/(admin\/(login|logout)|admin\/v1\/appliances|fleet|v1\/appliances\/enrol)([/?]|$)/;

export async function changedAppliance(req: FastifyRequest, alarms: Alarms): Promise<string | 'all' | null> {
  if (req.appliance) return req.appliance.id;
  const params = (req.params ?? {}) as Record<string, unknown>;
  if (typeof params.applianceId === 'string') return params.applianceId;
  const alarmId = Number(params.alarmId);
  if (Number.isInteger(alarmId) && alarmId > 0) {
    try {
      return (await alarms.get(alarmId)).applianceId;
    } catch {
      return 'all';
    }
  }
  return MAY_CHANGE_ANY_ROW.test(req.url) ? 'all' : null;
}
