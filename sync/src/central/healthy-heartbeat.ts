// A healthy kiosk's heartbeat, for tests and the ops console's end-to-end kiosk (one shape, defined once):
// every device online, paper and blank keys fine, nothing queued, parked or in doubt.
import type { HeartbeatRequest } from '../contract/schemas.js';

/** A healthy kiosk's heartbeat (every device online, paper and blank keys in stock, nothing queued), patched. */
export function healthyHeartbeat(patch: Partial<HeartbeatRequest> = {}): HeartbeatRequest {
  return {
    softwareVersion: '0.4.0',
    devices: [{ device: 'printer', status: 'online' }],
    consumables: { paper: 'ok', blankKeys: 40 },
    queueDepth: 0,
    parkedEvents: 0,
    inDoubt: 0,
    uptimeS: 3600,
    ...patch,
  };
}
