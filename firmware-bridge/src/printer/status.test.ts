import { describe, expect, it } from 'vitest';
import {
  decodePrinterStatus,
  encodeStatusAnswer,
  type PrinterCondition,
  STATUS_FUNCTIONS,
  type StatusBytes,
} from './status.js';

const healthy: StatusBytes = { printer: 0x12, offlineCause: 0x12, errorCause: 0x12, paperSensor: 0x12 };

describe('DLE EOT status decoding', () => {
  it('reads 0x12 everywhere as ready and online', () => {
    expect(decodePrinterStatus(healthy)).toMatchObject({ state: 'ready', online: true, error: false });
  });

  it.each([
    [{ paperSensor: 0x1e }, 'paper-near-end'],
    [{ printer: 0x1a, offlineCause: 0x32, paperSensor: 0x7e }, 'paper-out'],
    [{ offlineCause: 0x32 }, 'paper-out'], // printing stopped by paper end, sensor not reported
    [{ printer: 0x1a, offlineCause: 0x16 }, 'cover-open'],
    [{ printer: 0x1a, offlineCause: 0x52, errorCause: 0x1a }, 'error'], // auto-cutter error
    [{ errorCause: 0x32 }, 'error'], // unrecoverable error
    [{ printer: 0x1a }, 'offline'], // offline with no cause given (e.g. paused)
    [{ printer: 0x1a, offlineCause: 0x16, paperSensor: 0x7e }, 'cover-open'], // cover first
  ] as const)('decodes %o as %s', (bytes, state) => {
    expect(decodePrinterStatus({ ...healthy, ...bytes }).state).toBe(state);
  });

  it('rejects an answer whose fixed bits are wrong with PRINTER_BAD_STATUS', () => {
    for (const bad of [0x00, 0xff, 0x13, 0x92, 0x02]) {
      expect(() => decodePrinterStatus({ ...healthy, paperSensor: bad })).toThrow(
        expect.objectContaining({ code: 'PRINTER_BAD_STATUS' }),
      );
    }
  });

  it('round-trips every emulated condition through the answer bytes', () => {
    const cases: [PrinterCondition, string][] = [
      [{ paper: 'ok', coverOpen: false, fault: 'none' }, 'ready'],
      [{ paper: 'near-end', coverOpen: false, fault: 'none' }, 'paper-near-end'],
      [{ paper: 'out', coverOpen: false, fault: 'none' }, 'paper-out'],
      [{ paper: 'ok', coverOpen: true, fault: 'none' }, 'cover-open'],
      [{ paper: 'ok', coverOpen: false, fault: 'auto-cutter' }, 'error'],
      [{ paper: 'ok', coverOpen: false, fault: 'unrecoverable' }, 'error'],
    ];
    for (const [condition, state] of cases) {
      const [printer, offlineCause, errorCause, paperSensor] = STATUS_FUNCTIONS.map((n) =>
        encodeStatusAnswer(n, condition),
      ) as [number, number, number, number];
      expect(decodePrinterStatus({ printer, offlineCause, errorCause, paperSensor }).state).toBe(state);
    }
    expect(encodeStatusAnswer(1, { paper: 'ok', coverOpen: false, fault: 'none' })).toBe(0x12);
  });
});
