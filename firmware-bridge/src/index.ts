export { DeviceError, isDeviceError } from './errors.js';
