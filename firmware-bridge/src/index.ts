// Public surface of the device layer. Device parts are also reachable as namespaces to keep names apart.
export { DeviceError, isDeviceError } from './errors.js';
export * as idReader from './id-reader/index.js';
export {
  cardFixturePaths,
  type IdCard,
  type IdCardReader,
  IdCardReaderDriver,
  IdCardReaderEmulator,
  type IdCardReadResult,
  loadCardFixture,
  maskIdNumber,
  validateCard,
} from './id-reader/index.js';
export * from './manager/index.js';
export * as printer from './printer/index.js';
export {
  line,
  openReceiptPrinter,
  qrCode,
  type Receipt,
  type ReceiptPrinter,
  ReceiptPrinterDriver,
  ReceiptPrinterEmulator,
  renderReceiptPng,
} from './printer/index.js';
export * as scanner from './scanner/index.js';
export { openScanner, type QrScanner, SerialScannerEmulator } from './scanner/index.js';
export * from './token/index.js';
export { createPtyPair, type PtyPair } from './transport/pty-pair.js';
export { type ByteTransport, openSerial, SERIAL_ERRORS } from './transport/serial.js';
