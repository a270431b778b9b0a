// Public surface of the QR scanner: interface, drivers, emulators, the pure decoders and the error table.
export type { HidOpenOptions, HidTransport } from '../transport/hid.js';
export { openHid } from '../transport/hid.js';
export { DEFAULT_DEDUPE_WINDOW_MS, DuplicateFilter } from './dedupe.js';
export {
  HidQrScanner,
  type HidScannerMode,
  type HidScannerOptions,
  openScanner,
  type QrScanner,
  type ScannerDeviceConfig,
  type ScannerOptions,
  SerialQrScanner,
} from './driver.js';
export { runScannerEmulator, type ScannerEmulatorArgs } from './emulate-cli.js';
export {
  type HidPosReportOptions,
  HidScannerEmulator,
  type HidScannerEmulatorOptions,
  hidPosReportsFor,
  type KeyboardReportOptions,
  keyboardReportsFor,
  type LineSuffix,
  SerialScannerEmulator,
  type SerialScanOptions,
} from './emulator.js';
export { SCANNER_ERRORS, type ScannerErrorCode } from './errors.js';
export { HID_POS_LAYOUT, HID_POS_USAGE_PAGE, HidPosDecoder } from './hid-pos.js';
export { KeyboardWedgeDecoder, US_KEY_FOR_CHAR, US_LAYOUT } from './keyboard-wedge.js';
export { type DecoderOptions, MAX_CODE_LENGTH, type ScanEvent } from './scan-event.js';
export { SerialLineDecoder } from './serial-lines.js';
