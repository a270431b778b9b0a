// What every engine does to make a change durable: write the store (a failure is STORE_UNAVAILABLE, with the
// store's data put back to what is durable), and queue an event for central under an id derived from the
// journey, so an event re-sent after a crash is deduplicated by central.
import type { SyncEvent } from '@certkiosk/sync';
import { ApplianceError } from '../errors.js';
import type { StateStore } from './ports.js';

/** Write the store; a failure throws STORE_UNAVAILABLE (memory is back to what is on disk). */
export async function writeStore(store: StateStore): Promise<void> {
  try {
    await store.write();
  } catch (err) {
    throw new ApplianceError(
      'STORE_UNAVAILABLE',
      `The kiosk cannot save: ${(err as Error).message}`,
      undefined,
      {
        cause: err,
      },
    );
  }
}

/** An event about a journey: its id is the journey's, the type's and the attempt's (deduplicated by central). */
export function journeyEvent(opts: {
  applianceId: string;
  journeyId: string;
  type: string;
  attempt: number;
  at: Date;
  orderId?: string;
  payload: Record<string, unknown>;
  id?: string;
}): SyncEvent {
  return {
    id: opts.id ?? `${opts.journeyId}:${opts.type}:${opts.attempt}`,
    type: opts.type,
    occurredAt: opts.at.toISOString(),
    ...(opts.orderId ? { orderId: opts.orderId } : {}),
    payload: { applianceId: opts.applianceId, journeyId: opts.journeyId, ...opts.payload },
  };
}
