// Public surface of the device manager.
export {
  type DeviceDrivers,
  DeviceManager,
  type DeviceManagerEvents,
  type DeviceManagerOptions,
  type DevicesConfig,
} from './device-manager.js';
export {
  DEVICE_DETAILS,
  DEVICE_KINDS,
  DEVICE_NAMES,
  DEVICE_STATES,
  type DeviceDetail,
  type DeviceKind,
  type DeviceReading,
  type DeviceState,
  type DeviceStatus,
} from './device-status.js';
export { MANAGER_ERRORS, type ManagerErrorCode } from './errors.js';
