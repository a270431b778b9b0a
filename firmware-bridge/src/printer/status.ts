// Real-time status (DLE EOT n): the answer bytes on both sides — decoding for the driver, encoding for
// the emulator — so the bit layout of specs/escpos.md lives in one place.
import { type PrinterErrorCode, printerError } from './errors.js';

/** Device states, in the order the driver reports them when several apply (most actionable first). */
export const PRINTER_STATES = [
  'cover-open',
  'paper-out',
  'error',
  'offline',
  'paper-near-end',
  'ready',
] as const;
export type PrinterState = (typeof PRINTER_STATES)[number];

export const STATUS_FUNCTIONS = [1, 2, 3, 4] as const;
export type StatusFunction = (typeof STATUS_FUNCTIONS)[number];

/** The four answer bytes, one per DLE EOT n. */
export interface StatusBytes {
  printer: number;
  offlineCause: number;
  errorCause: number;
  paperSensor: number;
}

export interface PrinterStatus {
  state: PrinterState;
  online: boolean;
  coverOpen: boolean;
  paperOut: boolean;
  paperNearEnd: boolean;
  /** Some error bit is set (details in `errors`). */
  error: boolean;
  errors: { recoverable: boolean; autoCutter: boolean; unrecoverable: boolean; autoRecoverable: boolean };
  raw: StatusBytes;
}

// Bits 1 and 4 are always 1, bits 0 and 7 always 0 in every answer.
export function isStatusByte(byte: number): boolean {
  return (byte & 0x93) === 0x12;
}

const bit = (byte: number, mask: number) => (byte & mask) !== 0;

export function decodePrinterStatus(raw: StatusBytes): PrinterStatus {
  for (const [name, byte] of Object.entries(raw)) {
    if (!isStatusByte(byte)) {
      throw printerError(
        'PRINTER_BAD_STATUS',
        { [name]: byte },
        `The printer answered the ${name} status request with 0x${byte.toString(16).padStart(2, '0')}, which is not an ESC/POS status byte. Check the printer model and baud rate.`,
      );
    }
  }
  const errors = {
    recoverable: bit(raw.errorCause, 0x04),
    autoCutter: bit(raw.errorCause, 0x08),
    unrecoverable: bit(raw.errorCause, 0x20),
    autoRecoverable: bit(raw.errorCause, 0x40),
  };
  const coverOpen = bit(raw.offlineCause, 0x04);
  const paperOut = bit(raw.paperSensor, 0x60) || bit(raw.offlineCause, 0x20);
  const paperNearEnd = bit(raw.paperSensor, 0x0c);
  const error = bit(raw.offlineCause, 0x40) || Object.values(errors).some(Boolean);
  const online = !bit(raw.printer, 0x08);
  const state: PrinterState = coverOpen
    ? 'cover-open'
    : paperOut
      ? 'paper-out'
      : error
        ? 'error'
        : !online
          ? 'offline'
          : paperNearEnd
            ? 'paper-near-end'
            : 'ready';
  return { state, online, coverOpen, paperOut, paperNearEnd, error, errors, raw };
}

/** A job may start (or go on) only in these states. */
export function canPrint(state: PrinterState): boolean {
  return state === 'ready' || state === 'paper-near-end';
}

/** The error code that tells why a printer in `state` cannot print. */
export const STATE_ERROR_CODES: Readonly<Record<PrinterState, PrinterErrorCode | null>> = {
  'cover-open': 'PRINTER_COVER_OPEN',
  'paper-out': 'PRINTER_PAPER_OUT',
  error: 'PRINTER_HARDWARE_ERROR',
  offline: 'PRINTER_OFFLINE',
  'paper-near-end': null,
  ready: null,
};

/** What the emulated mechanism is doing; the emulator answers status requests from it. */
export interface PrinterCondition {
  paper: 'ok' | 'near-end' | 'out';
  coverOpen: boolean;
  fault: 'none' | 'auto-cutter' | 'unrecoverable' | 'auto-recoverable';
}

export function encodeStatusAnswer(n: StatusFunction, c: PrinterCondition): number {
  const paperOut = c.paper === 'out';
  const fault = c.fault !== 'none';
  switch (n) {
    case 1:
      return 0x12 | (c.coverOpen || paperOut || fault ? 0x08 : 0);
    case 2:
      return 0x12 | (c.coverOpen ? 0x04 : 0) | (paperOut ? 0x20 : 0) | (fault ? 0x40 : 0);
    case 3:
      return (
        0x12 |
        (c.fault === 'auto-cutter' ? 0x08 : 0) |
        (c.fault === 'unrecoverable' ? 0x20 : 0) |
        (c.fault === 'auto-recoverable' ? 0x40 : 0)
      );
    case 4:
      return 0x12 | (c.paper !== 'ok' ? 0x0c : 0) | (paperOut ? 0x60 : 0);
  }
}
