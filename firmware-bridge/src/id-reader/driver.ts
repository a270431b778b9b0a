// The ID-card reader driver: speaks the security-module protocol over any ByteTransport (serial first,
// USB bulk later). `read()` is the one thing the appliance needs; the rest is for staff diagnostics.
import { DeviceError } from '../errors.js';
import { type ByteTransport, openSerial } from '../transport/serial.js';
import { type IdCard, parseCardText } from './card.js';
import { COMMANDS, type CommandName, RETRYABLE_CODES, SW3, statusError } from './commands.js';
import { idReaderError } from './errors.js';
import { encodeCommand, FrameDecoder, type ResponseFrame } from './frame.js';
import { decodeReadData } from './read-data.js';

export type IdCardReadResult = { state: 'card'; card: IdCard } | { state: 'no-card' };

export interface IdCardReadOptions {
  /** Total time for find → select → read including retries. */
  timeoutMs?: number;
  /** Also read the fingerprint templates (command 30 10). */
  withFingerprint?: boolean;
}

/** What the appliance may ask of an ID-card reader. "No card" is a state, not an error. */
export interface IdCardReader {
  read(opts?: IdCardReadOptions): Promise<IdCardReadResult>;
  /** Is a card on the reader (nothing is read)? */
  cardPresent(): Promise<boolean>;
  close(): Promise<void>;
}

export interface IdCardReaderDriverOptions {
  /** 115200 for most readers; some default to 9600. */
  baudRate?: number;
  /** Per-command limit for writing a command and receiving its answer. */
  timeoutMs?: number;
  /** Default total time for `read()`. */
  readTimeoutMs?: number;
  /** Extra find → select → read rounds after a retryable failure (line noise, card moved). */
  retries?: number;
}

const DEFAULTS = { baudRate: 115200, timeoutMs: 2000, readTimeoutMs: 6000, retries: 2 };

interface Waiter {
  command: CommandName;
  resolve(frame: ResponseFrame): void;
  reject(err: DeviceError): void;
  /** A frame that arrived but does not fit this command (a late answer to an earlier one). */
  misfit?: ResponseFrame;
}

export class IdCardReaderDriver implements IdCardReader {
  private transport: ByteTransport | undefined;
  private readonly path: string | undefined;
  private readonly opts: typeof DEFAULTS;
  private readonly decoder = new FrameDecoder('response');
  private waiter: Waiter | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private detach: Array<() => void> = [];
  private closeListeners = new Set<(err?: Error) => void>();
  private closedByUs = false;
  /** Frames that arrived with nobody waiting, or not fitting the command (diagnostics). */
  strayFrames = 0;

  constructor(transport: ByteTransport, opts: IdCardReaderDriverOptions & { path?: string } = {}) {
    this.path = opts.path;
    this.opts = {
      baudRate: opts.baudRate ?? DEFAULTS.baudRate,
      timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
      readTimeoutMs: opts.readTimeoutMs ?? DEFAULTS.readTimeoutMs,
      retries: opts.retries ?? DEFAULTS.retries,
    };
    this.attach(transport);
  }

  /** Open a serial port (e.g. `/dev/ttyACM0`) and talk to the reader behind it. */
  static async open(port: string, opts: IdCardReaderDriverOptions = {}): Promise<IdCardReaderDriver> {
    const transport = await openPort(port, opts.baudRate ?? DEFAULTS.baudRate);
    return new IdCardReaderDriver(transport, { ...opts, path: port });
  }

  get isOpen(): boolean {
    return this.transport?.isOpen === true;
  }

  /** Called when the port closes for any reason other than close(), e.g. the reader unplugged. */
  onClose(listener: (err?: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Open the port again after the reader was unplugged (or pass a fresh transport). */
  async reopen(transport?: ByteTransport): Promise<void> {
    await this.release();
    if (transport) {
      this.attach(transport);
      return;
    }
    if (!this.path) {
      throw idReaderError(
        'ID_READER_CLOSED',
        {},
        'This reader was given a transport, not a port; pass a new one.',
      );
    }
    this.attach(await openPort(this.path, this.opts.baudRate));
  }

  async close(): Promise<void> {
    await this.release();
  }

  /** Security-module self-check: resolves when the module says 90, else a typed error. */
  async status(): Promise<'ok'> {
    this.expect('moduleStatus', await this.exchange('moduleStatus', this.opts.timeoutMs));
    return 'ok';
  }

  async reset(): Promise<void> {
    this.expect('reset', await this.exchange('reset', this.opts.timeoutMs));
  }

  /** The security-module id as vendor tools print it, e.g. `05.01-20101025-0012345678-1234567890`. */
  async moduleId(): Promise<string> {
    const frame = this.expect('moduleId', await this.exchange('moduleId', this.opts.timeoutMs));
    return formatModuleId(frame.data);
  }

  async read(opts: IdCardReadOptions = {}): Promise<IdCardReadResult> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.opts.readTimeoutMs);
    const withFingerprint = opts.withFingerprint ?? false;
    let lastError: DeviceError | undefined;
    for (let round = 0; round <= this.opts.retries; round++) {
      try {
        const found = await this.step('findCard', deadline);
        if (found.sw3 === SW3.NO_CARD) return { state: 'no-card' };
        this.expect('findCard', found);
        this.expect('selectCard', await this.step('selectCard', deadline));
        const command = withFingerprint ? 'readBaseWithFingerprint' : 'readBase';
        const answer = this.expect(command, await this.step(command, deadline));
        const parts = decodeReadData(answer.data, withFingerprint);
        return { state: 'card', card: parseCardText(parts.text, parts) };
      } catch (err) {
        const e = asReaderError(err);
        if (!RETRYABLE_CODES.has(e.code) || Date.now() >= deadline) throw e;
        lastError = e;
      }
    }
    throw lastError!;
  }

  /** Is a card on the reader? One "find card" and nothing read (the take-your-card reminder polls this). */
  async cardPresent(): Promise<boolean> {
    const found = await this.exchange('findCard', this.opts.timeoutMs);
    if (found.sw3 === SW3.NO_CARD) return false;
    this.expect('findCard', found);
    return true;
  }

  /** The newest address written to the card after issue (select a card first, e.g. via read()). */
  async readLatestAddress(): Promise<string> {
    const frame = this.expect(
      'readLatestAddress',
      await this.exchange('readLatestAddress', this.opts.timeoutMs),
    );
    return Buffer.from(frame.data).toString('utf16le').trim();
  }

  private step(command: CommandName, deadline: number): Promise<ResponseFrame> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.reject(timeoutError(command, 0));
    return this.exchange(command, Math.min(this.opts.timeoutMs, left));
  }

  private expect(command: CommandName, frame: ResponseFrame): ResponseFrame {
    if (frame.sw3 !== COMMANDS[command].success) throw statusError(frame.sw3, command);
    return frame;
  }

  /** One command, one answer; commands are serialised so answers cannot be confused. */
  private exchange(command: CommandName, timeoutMs: number): Promise<ResponseFrame> {
    const run = () => this.exchangeNow(command, timeoutMs);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  private async exchangeNow(command: CommandName, timeoutMs: number): Promise<ResponseFrame> {
    const transport = this.transport;
    if (!transport?.isOpen) throw closedError(this.path);
    // Half a frame left over from an earlier timed-out command must not glue onto this answer.
    this.decoder.reset();
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<ResponseFrame>((resolve, reject) => {
      this.waiter = { command, resolve, reject };
    });
    answer.catch(() => {});
    try {
      const spec = COMMANDS[command];
      await transport.write(encodeCommand(spec.cmd, spec.para), timeoutMs).catch((err: unknown) => {
        throw transportError(err, command, timeoutMs, this.path);
      });
      const left = Math.max(0, timeoutMs - (Date.now() - started));
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const misfit = this.waiter?.misfit;
          reject(
            misfit
              ? idReaderError('ID_READER_UNEXPECTED_RESPONSE', {
                  command: COMMANDS[command].label,
                  sw3: misfit.sw3,
                  dataLength: misfit.data.length,
                })
              : timeoutError(command, timeoutMs),
          );
        }, left);
      });
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
      this.waiter = undefined;
    }
  }

  private onBytes(chunk: Uint8Array): void {
    for (const item of this.decoder.push(chunk)) {
      const waiter = this.waiter;
      if (!waiter) {
        this.strayFrames++;
      } else if (item instanceof DeviceError) {
        this.waiter = undefined;
        waiter.reject(item);
      } else if (!fitsCommand(item, waiter.command)) {
        this.strayFrames++;
        waiter.misfit = item;
      } else {
        this.waiter = undefined;
        waiter.resolve(item);
      }
    }
  }

  private attach(transport: ByteTransport): void {
    this.transport = transport;
    this.closedByUs = false;
    this.decoder.reset();
    this.detach = [
      transport.onData((chunk) => this.onBytes(chunk)),
      transport.onClose((err) => {
        this.waiter?.reject(closedError(this.path));
        this.waiter = undefined;
        if (!this.closedByUs) for (const l of this.closeListeners) l(err);
      }),
    ];
  }

  private async release(): Promise<void> {
    const transport = this.transport;
    this.closedByUs = true;
    for (const off of this.detach) off();
    this.detach = [];
    this.waiter?.reject(closedError(this.path));
    this.waiter = undefined;
    this.transport = undefined;
    await transport?.close();
  }
}

/** An answer fits a command when it has the status bytes and data length that command produces. */
function fitsCommand(frame: ResponseFrame, command: CommandName): boolean {
  if (frame.sw1 !== 0 || frame.sw2 !== 0) return false;
  const spec = COMMANDS[command];
  if (frame.sw3 !== spec.success) return frame.data.length === 0;
  if (spec.dataLength !== undefined) return frame.data.length === spec.dataLength;
  return frame.data.length >= 4;
}

function formatModuleId(data: Uint8Array): string {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return [
    `${pad(v.getUint16(0, true), 2)}.${pad(v.getUint16(2, true), 2)}`,
    pad(v.getUint32(4, true), 8),
    pad(v.getUint32(8, true), 10),
    pad(v.getUint32(12, true), 10),
  ].join('-');
}

async function openPort(path: string, baudRate: number): Promise<ByteTransport> {
  try {
    return await openSerial(path, { baudRate });
  } catch (err) {
    throw idReaderError(
      'ID_READER_OPEN_FAILED',
      { path },
      `Cannot open the ID-card reader at ${path} (${(err as Error).message}); check the port name and the cable.`,
      err,
    );
  }
}

function timeoutError(command: CommandName, timeoutMs: number): DeviceError {
  return idReaderError(
    'ID_READER_TIMEOUT',
    { command: COMMANDS[command].label, timeoutMs },
    `The ID-card reader did not answer "${COMMANDS[command].label}" within ${timeoutMs} ms; check that it is connected and powered.`,
  );
}

function closedError(path: string | undefined): DeviceError {
  return idReaderError('ID_READER_CLOSED', { path });
}

function transportError(err: unknown, command: CommandName, timeoutMs: number, path?: string): DeviceError {
  if (err instanceof DeviceError && err.code === 'SERIAL_WRITE_TIMEOUT')
    return timeoutError(command, timeoutMs);
  return idReaderError('ID_READER_CLOSED', { path }, undefined, err);
}

function asReaderError(err: unknown): DeviceError {
  if (err instanceof DeviceError) return err;
  return idReaderError(
    'ID_READER_UNEXPECTED_RESPONSE',
    {},
    `Unexpected failure while reading the card: ${String(err)}`,
    err,
  );
}
