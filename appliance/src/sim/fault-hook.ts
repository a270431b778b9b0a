// Fault injection for the sim profile only: CERTKIOSK_FAULT_AT=before:write-certificate,after:change-pin …
// (pickup-table.ts) or before:request-unlock,after:activate-code … (services/service-table.ts) makes the
// daemon SIGKILL itself at those side-effect boundaries. Armed loudly, never in production.

import { PICKUP_STEPS } from '../api/contract.js';
import { FAULT_POINTS, type FaultPoint } from '../journey/pickup-table.js';
import {
  SERVICE_FAULT_POINTS,
  SERVICE_STEP_FAULT_POINTS,
  type ServiceFaultPoint,
} from '../services/service-table.js';

const VALID = new Set<string>([
  ...FAULT_POINTS,
  ...PICKUP_STEPS.map((s) => `step:${s}`),
  ...SERVICE_FAULT_POINTS,
  ...SERVICE_STEP_FAULT_POINTS,
]);

export function faultHookFromEnv(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): ((point: FaultPoint | ServiceFaultPoint) => void) | undefined {
  const spec = env['CERTKIOSK_FAULT_AT'];
  if (!spec) return undefined;
  const points = spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = points.filter((p) => !VALID.has(p));
  if (unknown.length) {
    throw new Error(
      `CERTKIOSK_FAULT_AT: unknown fault point(s) ${unknown.join(', ')}; valid: ${[...VALID].join(', ')}`,
    );
  }
  log(
    `!!! FAULT INJECTION ARMED: this daemon kills itself (SIGKILL) at ${points.join(', ')} — test use only !!!`,
  );
  const armed = new Set(points);
  return (point) => {
    if (armed.has(point)) process.kill(process.pid, 'SIGKILL');
  };
}
