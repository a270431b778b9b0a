// The receipt printer driver: ESC/POS over any ByteTransport (serial or USB printer class), with status
// checked before the job and after every chunk of it, and every write and answer bounded by a timeout.
import { isDeviceError } from '../errors.js';
import { type ByteTransport, openSerial } from '../transport/serial.js';
import { openUsbPrinter } from '../transport/usb-printer.js';
import { PRINTER_ERRORS, type PrinterErrorCode, printerError } from './errors.js';
import { statusRequest } from './escpos.js';
import { encodeReceiptSegments, type Receipt } from './receipt.js';
import {
  canPrint,
  decodePrinterStatus,
  type PrinterState,
  type PrinterStatus,
  STATE_ERROR_CODES,
  type StatusFunction,
} from './status.js';

/** What the appliance may ask of a receipt printer. */
export interface ReceiptPrinter {
  /** Current status; throws PRINTER_TIMEOUT when the printer does not answer, PRINTER_DISCONNECTED when gone. */
  status(): Promise<PrinterStatus>;
  /** Print a receipt (or a prepared ESC/POS job); resolves once every byte is sent and the printer is still fine. */
  print(job: Receipt | Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface ReceiptPrinterDriverOptions {
  /** Wait for each status answer byte; default 1000 ms. */
  statusTimeoutMs?: number;
  /** Timeout of each write; default 5000 ms. */
  writeTimeoutMs?: number;
  /** Bytes sent between two status checks (whole receipt items, so a large item may exceed it); default 512. */
  chunkSize?: number;
}

/** How to reach the printer; matches `devices.printer` of the config. */
export type PrinterConnection =
  | { transport: 'serial'; port: string; baudRate?: number }
  | { transport: 'usb'; vendorId: number; productId: number };

const TRANSPORT_TIMEOUT_CODES = new Set(['SERIAL_WRITE_TIMEOUT', 'PRINTER_USB_WRITE_TIMEOUT']);

const JOB_FAILURE_CAUSES: Readonly<Record<PrinterState, string>> = {
  'paper-out': 'the printer ran out of paper. Load a new roll',
  'cover-open': 'the printer cover was opened. Close it',
  error: 'the printer reported a hardware error. Open and close the cover',
  offline: 'the printer went offline. Check it',
  'paper-near-end': '',
  ready: '',
};

export class ReceiptPrinterDriver implements ReceiptPrinter {
  private transport: ByteTransport | null = null;
  private readonly connect: (() => Promise<ByteTransport>) | null;
  private unsubscribe: (() => void)[] = [];
  private inbox: number[] = [];
  private wake: (() => void) | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly statusTimeoutMs: number;
  private readonly writeTimeoutMs: number;
  private readonly chunkSize: number;

  /**
   * `source` is an open transport, or a function that opens one: with a function the driver reconnects by
   * itself after the printer was unplugged and plugged back.
   */
  constructor(
    source: ByteTransport | (() => Promise<ByteTransport>),
    opts: ReceiptPrinterDriverOptions = {},
  ) {
    this.statusTimeoutMs = opts.statusTimeoutMs ?? 1000;
    this.writeTimeoutMs = opts.writeTimeoutMs ?? 5000;
    this.chunkSize = opts.chunkSize ?? 512;
    if (typeof source === 'function') this.connect = source;
    else {
      this.connect = null;
      this.use(source);
    }
  }

  status(): Promise<PrinterStatus> {
    return this.exclusive(async () => this.readStatus(await this.connection()));
  }

  print(job: Receipt | Uint8Array): Promise<void> {
    return this.exclusive(async () => {
      // Encode first: a bad receipt must fail before anything reaches the paper.
      const chunks =
        job instanceof Uint8Array ? [job] : joinSegments(encodeReceiptSegments(job), this.chunkSize);
      const total = chunks.reduce((n, c) => n + c.length, 0);
      const t = await this.connection();
      const before = await this.readStatus(t);
      const refusal = STATE_ERROR_CODES[before.state];
      if (refusal) throw printerError(refusal, { state: before.state, phase: 'before-job' });

      let sent = 0;
      for (const chunk of chunks) {
        let after: PrinterStatus;
        try {
          await this.write(t, chunk, this.writeTimeoutMs);
          sent += chunk.length;
          after = await this.readStatus(t);
        } catch (err) {
          if (isDeviceError(err, 'PRINTER_TIMEOUT')) {
            throw printerError(
              'PRINTER_TIMEOUT',
              { phase: 'during-job', bytesSent: sent, bytesTotal: total },
              'The receipt printer stopped answering during the job; the receipt may be incomplete. Check the printer, then print the receipt again.',
              err,
            );
          }
          throw err;
        }
        if (!canPrint(after.state)) {
          throw printerError(
            'PRINTER_JOB_FAILED',
            {
              state: after.state,
              cause: STATE_ERROR_CODES[after.state],
              bytesSent: sent,
              bytesTotal: total,
            },
            `The receipt was not printed completely: ${JOB_FAILURE_CAUSES[after.state]}, then print the receipt again.`,
          );
        }
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const t = this.transport;
    this.release();
    await t?.close();
  }

  /** Operations take turns: a status request in the middle of a job would read the wrong answer. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private use(t: ByteTransport): void {
    this.transport = t;
    this.unsubscribe = [
      t.onData((chunk) => {
        for (const b of chunk) this.inbox.push(b);
        this.wake?.();
      }),
      t.onClose(() => this.wake?.()),
    ];
  }

  private release(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.transport = null;
  }

  private async connection(): Promise<ByteTransport> {
    if (this.closed) throw printerError('PRINTER_DISCONNECTED', {}, 'The receipt printer driver was closed.');
    if (this.transport?.isOpen) return this.transport;
    const stale = this.transport;
    this.release();
    await stale?.close().catch(() => {});
    if (!this.connect) throw printerError('PRINTER_DISCONNECTED');
    try {
      const t = await this.connect();
      this.use(t);
      return t;
    } catch (err) {
      if (isDeviceError(err) && err.code in PRINTER_ERRORS) throw err;
      throw printerError(
        'PRINTER_DISCONNECTED',
        {},
        `Cannot reach the receipt printer: ${(err as Error).message}. Check the cable; the kiosk retries by itself.`,
        err,
      );
    }
  }

  private async write(t: ByteTransport, bytes: Uint8Array, timeoutMs: number): Promise<void> {
    try {
      await t.write(bytes, timeoutMs);
    } catch (err) {
      const code: PrinterErrorCode =
        isDeviceError(err) && TRANSPORT_TIMEOUT_CODES.has(err.code)
          ? 'PRINTER_TIMEOUT'
          : 'PRINTER_DISCONNECTED';
      throw printerError(code, { timeoutMs }, undefined, err);
    }
  }

  private async readStatus(t: ByteTransport): Promise<PrinterStatus> {
    const ask = async (n: StatusFunction) => {
      this.inbox = []; // a late answer to an earlier, timed-out request must not be taken for this one
      await this.write(t, statusRequest(n), this.statusTimeoutMs);
      return this.readByte(t, n);
    };
    const printer = await ask(1);
    const offlineCause = await ask(2);
    const errorCause = await ask(3);
    const paperSensor = await ask(4);
    return decodePrinterStatus({ printer, offlineCause, errorCause, paperSensor });
  }

  private async readByte(t: ByteTransport, n: StatusFunction): Promise<number> {
    const deadline = Date.now() + this.statusTimeoutMs;
    for (;;) {
      const b = this.inbox.shift();
      if (b !== undefined) return b;
      if (!t.isOpen) throw printerError('PRINTER_DISCONNECTED', { request: n });
      const left = deadline - Date.now();
      if (left <= 0) {
        throw printerError(
          'PRINTER_TIMEOUT',
          { request: n, timeoutMs: this.statusTimeoutMs },
          `The receipt printer did not answer status request ${n} within ${this.statusTimeoutMs} ms. Check that it is switched on and its cable is in.`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = null;
    }
  }
}

/** Group whole segments into chunks of about `size` bytes (a segment is never split: it may hold a command). */
function joinSegments(segments: Uint8Array[], size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let length = 0;
  for (const s of segments) {
    if (length > 0 && length + s.length > size) {
      chunks.push(Buffer.concat(group));
      group = [];
      length = 0;
    }
    group.push(s);
    length += s.length;
  }
  if (length > 0) chunks.push(Buffer.concat(group));
  return chunks;
}

/** A driver for the printer named in config; it opens the transport on first use and after a reconnect. */
export function openReceiptPrinter(
  connection: PrinterConnection,
  opts: ReceiptPrinterDriverOptions = {},
): ReceiptPrinterDriver {
  const connect =
    connection.transport === 'serial'
      ? () => openSerial(connection.port, { baudRate: connection.baudRate })
      : () => openUsbPrinter({ vendorId: connection.vendorId, productId: connection.productId });
  return new ReceiptPrinterDriver(connect, opts);
}
