// Every error code the receipt printer layer throws, with the sentence shown when nothing more specific is known.
import { DeviceError } from '../errors.js';
import { USB_PRINTER_ERRORS } from '../transport/usb-printer.js';

export const PRINTER_ERRORS = {
  PRINTER_PAPER_OUT: 'The receipt printer is out of paper. Load a new paper roll and close the cover.',
  PRINTER_COVER_OPEN: 'The receipt printer cover is open. Close the cover and try again.',
  PRINTER_OFFLINE: 'The receipt printer is offline. Check that it is switched on and not paused.',
  PRINTER_HARDWARE_ERROR:
    'The receipt printer reports a hardware error (cutter or mechanism). Open and close the cover; call staff if it persists.',
  PRINTER_TIMEOUT: 'The receipt printer did not answer in time. Check its power and cable, then try again.',
  PRINTER_JOB_FAILED:
    'The receipt was not printed completely. Fix the printer (see the cause) and print the receipt again.',
  PRINTER_DISCONNECTED: 'The receipt printer connection is lost. Check the cable; it reconnects by itself.',
  PRINTER_BAD_STATUS: 'The receipt printer answered a status request with a byte that is not ESC/POS status.',
  PRINTER_BAD_RECEIPT: 'The receipt cannot be encoded for the printer. Fix the receipt content.',
  PRINTER_STREAM_INVALID: 'The ESC/POS stream holds a malformed or unknown command.',
  ...USB_PRINTER_ERRORS,
} as const;

export type PrinterErrorCode = keyof typeof PRINTER_ERRORS;

/** A DeviceError with a printer code; the message defaults to the table sentence. */
export function printerError(
  code: PrinterErrorCode,
  details: Record<string, unknown> = {},
  message: string = PRINTER_ERRORS[code],
  cause?: unknown,
): DeviceError<PrinterErrorCode> {
  return new DeviceError(code, message, details, cause === undefined ? undefined : { cause });
}
