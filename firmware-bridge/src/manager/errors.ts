// Error codes of the device manager.
import { DeviceError, type ErrorTable } from '../errors.js';
import { DEVICE_NAMES, type DeviceStatus } from './device-status.js';

export const MANAGER_ERRORS = {
  DEVICE_UNAVAILABLE:
    'The device is not available right now; check its status on the maintenance screen and try again.',
} as const satisfies ErrorTable;

export type ManagerErrorCode = keyof typeof MANAGER_ERRORS;

/** DEVICE_UNAVAILABLE naming the device and its state, with the status in `details`. */
export function unavailableError(status: DeviceStatus): DeviceError<ManagerErrorCode> {
  const why = status.detail ? `${status.state}: ${status.detail}` : status.state;
  return new DeviceError(
    'DEVICE_UNAVAILABLE',
    `The ${DEVICE_NAMES[status.kind]} is not available (${why}); check it on the maintenance screen and try again.`,
    { kind: status.kind, state: status.state, detail: status.detail },
  );
}
