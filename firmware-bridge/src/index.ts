export { DeviceError, isDeviceError } from './errors.js';
export * from './token/index.js';
export { createPtyPair, type PtyPair } from './transport/pty-pair.js';
export { type ByteTransport, openSerial, SERIAL_ERRORS } from './transport/serial.js';
