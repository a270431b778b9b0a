// Public surface of the receipt printer: interface, driver, emulator, document model, ESC/POS codec, PNG render.

export { openUsbPrinter, USB_PRINTER_ERRORS, type UsbPrinterOptions } from '../transport/usb-printer.js';
export {
  DocumentAssembler,
  decodeEscPos,
  EscPosDecoder,
  type EscPosDecoderOptions,
  type EscPosEvent,
  type PrintedCut,
  type PrintedDocument,
  type PrintedLine,
  type PrintedQr,
} from './decoder.js';
export {
  openReceiptPrinter,
  type PrinterConnection,
  type ReceiptPrinter,
  ReceiptPrinterDriver,
  type ReceiptPrinterDriverOptions,
} from './driver.js';
export { type PrinterEmulatorArgs, runPrinterEmulator } from './emulate-cli.js';
export { ReceiptPrinterEmulator, type ReceiptPrinterEmulatorOptions } from './emulator.js';
export { PRINTER_ERRORS, type PrinterErrorCode } from './errors.js';
export {
  type Align,
  EscPosBuilder,
  encodeGb18030,
  type QrErrorCorrection,
  type QrOptions,
  statusRequest,
} from './escpos.js';
export {
  encodeReceipt,
  encodeReceiptSegments,
  line,
  qrCode,
  type Receipt,
  type ReceiptItem,
  type ReceiptQr,
  type ReceiptText,
  type TextStyle,
} from './receipt.js';
export { formatReceiptText } from './receipt-text.js';
export { RECEIPT_LAYOUT, receiptImageSize, renderReceiptPng } from './render-png.js';
export {
  canPrint,
  decodePrinterStatus,
  encodeStatusAnswer,
  PRINTER_STATES,
  type PrinterCondition,
  type PrinterState,
  type PrinterStatus,
  STATE_ERROR_CODES,
  type StatusBytes,
} from './status.js';
