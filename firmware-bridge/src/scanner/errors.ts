// Every way the QR scanner can fail, as a stable code and the sentence shown when nothing more specific is known.
import { DeviceError, type ErrorTable } from '../errors.js';

export const SCANNER_ERRORS = {
  SCANNER_NOT_FOUND:
    'No QR scanner with the configured USB vendor and product id is connected. Check the cable and the ids in the config.',
  SCANNER_OPEN_FAILED:
    'The QR scanner was found but could not be opened. Check that no other program holds it and that the kiosk user may access it.',
  SCANNER_DISCONNECTED: 'The QR scanner was disconnected. Plug it back in; the kiosk reconnects by itself.',
  SCANNER_BAD_REPORT:
    'The QR scanner sent a report that does not follow its protocol. Check the scanner mode in the config.',
  SCANNER_BAD_ENCODING:
    'The scanned code is not valid UTF-8 text. Set the scanner to send UTF-8, or scan the code again.',
  SCANNER_CODE_TOO_LONG: 'The scanned code is longer than any code the kiosk accepts; it was discarded.',
  SCANNER_INCOMPLETE_CODE:
    'The scanner stopped in the middle of a code; the partial code was discarded. Scan it again.',
  SCANNER_UNTYPABLE_CHARACTER:
    'The code holds a character a US keyboard cannot type; use the serial or HID-POS scanner mode for such codes.',
  SCANNER_BAD_ARGUMENTS: 'The command line is not valid. Run with --help to see the accepted options.',
} as const satisfies ErrorTable;

export type ScannerErrorCode = keyof typeof SCANNER_ERRORS;

export function scannerError(
  code: ScannerErrorCode,
  details: Record<string, unknown> = {},
  message: string = SCANNER_ERRORS[code],
  cause?: unknown,
): DeviceError<ScannerErrorCode> {
  return new DeviceError(code, message, details, cause === undefined ? undefined : { cause });
}
