// HTTP calls to the appliance: the appliance's typed client (appliance/src/api/client.ts, a method per route of
// its route table), on this page's origin. Every failure comes back as an ErrorBody, never as a thrown
// exception. The client is plain fetch: neither TypeBox nor Fastify reaches the bundle (types only).
import { createApplianceClient } from '../../../appliance/src/api/client.ts';

export type { ApiResult } from '../../../appliance/src/api/client.ts';
export { toErrorBody, unreachable } from '../../../appliance/src/api/client.ts';

/** The appliance that served this page: `api.startJourney()`, `api.scan({ body: { code } })`, … */
export const api = createApplianceClient('');
