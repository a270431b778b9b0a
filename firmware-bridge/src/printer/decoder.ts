// ESC/POS stream decoder: bytes in (in any split), print events out — the printer's side of escpos.ts.
// Pure: no I/O, bounded memory, every byte consumed or waited for, so no input can make it hang.
import iconv from 'iconv-lite';
import type { DeviceError } from '../errors.js';
import { type PrinterErrorCode, printerError } from './errors.js';
import type { Align, QrErrorCorrection } from './escpos.js';
import type { StatusFunction } from './status.js';

export interface PrintedLine {
  text: string;
  align: Align;
  bold: boolean;
  doubleWidth: boolean;
  doubleHeight: boolean;
}

export interface PrintedQr {
  payload: string;
  /** How many lines were printed before the symbol. */
  lineIndex: number;
  align: Align;
  moduleSize: number;
  errorCorrection: QrErrorCorrection;
}

export interface PrintedCut {
  /** How many lines were printed before the cut. */
  lineIndex: number;
  partial: boolean;
}

export interface PrintedDocument {
  lines: PrintedLine[];
  qrCodes: PrintedQr[];
  cuts: PrintedCut[];
  /** Bytes of unknown or malformed commands the decoder skipped (0 for a well-formed job). */
  skippedBytes: number;
}

export type EscPosEvent =
  | { type: 'init' }
  | { type: 'line'; line: PrintedLine }
  | { type: 'qr'; qr: Omit<PrintedQr, 'lineIndex'> }
  | { type: 'cut'; partial: boolean }
  | { type: 'status-request'; n: StatusFunction }
  | { type: 'skipped'; bytes: number; reason: string };

export interface EscPosDecoderOptions {
  /** Throw PRINTER_STREAM_INVALID at the first unknown or malformed command instead of skipping it. */
  strict?: boolean;
}

/** A line with no LF is printed (wrapped) by a real printer once its buffer fills; we flush at this size. */
export const MAX_LINE_BYTES = 4096;

const ALIGNS: readonly Align[] = ['left', 'center', 'right'];
const EC_LEVELS: Readonly<Record<number, QrErrorCorrection>> = { 48: 'L', 49: 'M', 50: 'Q', 51: 'H' };

// Commands with a fixed number of parameter bytes that change nothing we model: skipped quietly.
const ESC_FIXED: Readonly<Record<number, number>> = {
  32: 1,
  36: 2,
  37: 1,
  45: 1,
  50: 0,
  51: 1,
  60: 0,
  61: 1,
  63: 1,
  66: 2,
  71: 1,
  74: 1,
  76: 0,
  77: 1,
  82: 1,
  83: 0,
  84: 1,
  85: 1,
  86: 1,
  87: 8,
  92: 2,
  99: 2,
  101: 1,
  112: 3,
  114: 1,
  116: 1,
  123: 1,
};
const GS_FIXED: Readonly<Record<number, number>> = {
  36: 2,
  47: 1,
  58: 0,
  66: 1,
  69: 1,
  72: 1,
  73: 1,
  76: 2,
  80: 2,
  84: 1,
  87: 2,
  92: 2,
  97: 1,
  98: 1,
  102: 1,
  104: 1,
  114: 1,
  119: 1,
};
const FS_FIXED: Readonly<Record<number, number>> = {
  33: 1,
  45: 1,
  50: 74,
  63: 2,
  67: 1,
  83: 2,
  87: 1,
  112: 2,
};

/** Outcome of trying to read one command at the head of the buffer. */
type Step = { consumed: number } | 'incomplete';

export class EscPosDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private offset = 0;
  private skipRemaining = 0;
  private readonly strict: boolean;
  private events: EscPosEvent[] = [];
  private strictFailure: DeviceError | null = null;

  private align: Align = 'left';
  private bold = false;
  private doubleWidth = false;
  private doubleHeight = false;
  private chineseMode = true;

  private lineText = '';
  private lineBytes: number[] = [];
  private lineStyle: Omit<PrintedLine, 'text'> | null = null;

  private qrModuleSize = 3;
  private qrEc: QrErrorCorrection = 'L';
  private qrData: Buffer | null = null;

  constructor(opts: EscPosDecoderOptions = {}) {
    this.strict = opts.strict ?? false;
  }

  /** Feed bytes; returns the events they complete. In strict mode throws PRINTER_STREAM_INVALID. */
  push(bytes: Uint8Array): EscPosEvent[] {
    this.pending = this.pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.pending, bytes]);
    let i = 0;
    while (i < this.pending.length) {
      const step = this.step(this.pending, i);
      if (step === 'incomplete') break;
      i += step.consumed;
      this.offset += step.consumed;
      const failure = this.strictFailure;
      if (failure) {
        // The bad bytes are consumed, so a caller may catch and go on pushing (events so far come next time).
        this.strictFailure = null;
        this.pending = this.pending.subarray(i);
        throw failure;
      }
    }
    this.pending = this.pending.subarray(i);
    const out = this.events;
    this.events = [];
    return out;
  }

  private step(buf: Buffer, i: number): Step {
    if (this.skipRemaining > 0) {
      const n = Math.min(this.skipRemaining, buf.length - i);
      this.skipRemaining -= n;
      return { consumed: n };
    }
    const b = buf[i]!;
    if (b >= 0x20) {
      let j = i;
      while (j < buf.length && buf[j]! >= 0x20) j++;
      this.appendText(buf.subarray(i, j));
      return { consumed: j - i };
    }
    switch (b) {
      case 0x0a:
        this.printLines(1);
        return { consumed: 1 };
      case 0x0d: // CR: no-op with auto line feed off
      case 0x09: // HT: tab stops are not modelled
        return { consumed: 1 };
      case 0x10:
        return this.dle(buf, i);
      case 0x1b:
        return this.esc(buf, i);
      case 0x1d:
        return this.gs(buf, i);
      case 0x1c:
        return this.fs(buf, i);
      default:
        return this.malformed(1, `stray control byte 0x${hex(b)}`);
    }
  }

  private dle(buf: Buffer, i: number): Step {
    if (buf.length - i < 3) return 'incomplete';
    const fn = buf[i + 1]!;
    const n = buf[i + 2]!;
    if (fn === 0x04 && n >= 1 && n <= 4) {
      this.events.push({ type: 'status-request', n: n as StatusFunction });
      return { consumed: 3 };
    }
    if (fn === 0x05) return { consumed: 3 }; // DLE ENQ n: real-time request to recover, not modelled
    if (fn === 0x14) return buf.length - i < 5 ? 'incomplete' : { consumed: 5 }; // DLE DC4 fn m t
    return this.malformed(2, `unknown real-time command 10 ${hex(fn)}`);
  }

  private esc(buf: Buffer, i: number): Step {
    if (buf.length - i < 2) return 'incomplete';
    const cmd = buf[i + 1]!;
    const arg = (k: number) => buf[i + 2 + k]!;
    const need = (n: number) => buf.length - i >= 2 + n;
    switch (cmd) {
      case 0x40: // ESC @: reset modes and clear the print buffer
        this.resetModes();
        this.events.push({ type: 'init' });
        return { consumed: 2 };
      case 0x61: {
        if (!need(1)) return 'incomplete';
        const n = arg(0) >= 0x30 ? arg(0) - 0x30 : arg(0);
        if (n > 2) return this.malformed(3, `alignment ${arg(0)} is not 0, 1 or 2`);
        this.align = ALIGNS[n]!;
        return { consumed: 3 };
      }
      case 0x45:
        if (!need(1)) return 'incomplete';
        this.bold = (arg(0) & 1) === 1;
        return { consumed: 3 };
      case 0x21: // ESC ! n: print mode — bit 3 emphasis, bit 4 double height, bit 5 double width
        if (!need(1)) return 'incomplete';
        this.bold = (arg(0) & 0x08) !== 0;
        this.doubleHeight = (arg(0) & 0x10) !== 0;
        this.doubleWidth = (arg(0) & 0x20) !== 0;
        return { consumed: 3 };
      case 0x64:
        if (!need(1)) return 'incomplete';
        this.printLines(arg(0));
        return { consumed: 3 };
      case 0x69: // ESC i / ESC m: the older full / partial cut
      case 0x6d:
        this.cut(cmd === 0x6d);
        return { consumed: 2 };
      case 0x2a: {
        // ESC * m nL nH d…: bit image, 1 or 3 bytes per column
        if (!need(3)) return 'incomplete';
        const columns = arg(1) + 256 * arg(2);
        const perColumn = arg(0) === 32 || arg(0) === 33 ? 3 : arg(0) <= 1 ? 1 : 0;
        if (perColumn === 0) return this.malformed(3, `bit-image mode ${arg(0)} is unknown`);
        this.skipRemaining = columns * perColumn;
        return { consumed: 5 };
      }
      case 0x44: {
        // ESC D n1 … NUL: horizontal tab positions (at most 32)
        for (let k = i + 2; k < buf.length && k <= i + 34; k++)
          if (buf[k] === 0) return { consumed: k - i + 1 };
        return buf.length - i > 34 ? this.malformed(2, 'tab position list without NUL') : 'incomplete';
      }
      default: {
        const fixed = ESC_FIXED[cmd];
        if (fixed === undefined) return this.malformed(2, `unknown command 1B ${hex(cmd)}`);
        return need(fixed) ? { consumed: 2 + fixed } : 'incomplete';
      }
    }
  }

  private gs(buf: Buffer, i: number): Step {
    if (buf.length - i < 2) return 'incomplete';
    const cmd = buf[i + 1]!;
    const avail = buf.length - i;
    switch (cmd) {
      case 0x21: {
        if (avail < 3) return 'incomplete';
        const n = buf[i + 2]!;
        if ((n & 0x88) !== 0) return this.malformed(3, `character size 0x${hex(n)} is out of range`);
        this.doubleWidth = n >> 4 >= 1;
        this.doubleHeight = (n & 0x0f) >= 1;
        return { consumed: 3 };
      }
      case 0x56: {
        if (avail < 3) return 'incomplete';
        const m = buf[i + 2]!;
        if (m === 0x00 || m === 0x01 || m === 0x30 || m === 0x31) {
          this.cut(m === 0x01 || m === 0x31);
          return { consumed: 3 };
        }
        if (m === 0x41 || m === 0x42 || m === 0x61 || m === 0x62 || m === 0x67 || m === 0x68) {
          if (avail < 4) return 'incomplete';
          this.cut(m % 2 === 0);
          return { consumed: 4 };
        }
        return this.malformed(3, `cut mode 0x${hex(m)} is unknown`);
      }
      case 0x28: {
        // GS ( X pL pH …: length-prefixed function group
        if (avail < 5) return 'incomplete';
        const len = buf[i + 3]! + 256 * buf[i + 4]!;
        if (buf[i + 2] !== 0x6b) {
          this.skipRemaining = len;
          return { consumed: 5 };
        }
        if (avail < 5 + len) return 'incomplete'; // at most 64 KiB buffered
        return this.qrFunction(buf.subarray(i + 5, i + 5 + len));
      }
      case 0x6b: {
        // GS k m …: 1-D barcode, NUL-terminated (m ≤ 6) or length-prefixed (m ≥ 65)
        if (avail < 3) return 'incomplete';
        const m = buf[i + 2]!;
        if (m <= 6) {
          for (let k = i + 3; k < buf.length && k <= i + 258; k++)
            if (buf[k] === 0) return { consumed: k - i + 1 };
          return avail > 258 ? this.malformed(3, 'barcode data without NUL') : 'incomplete';
        }
        if (m >= 65 && m <= 79) {
          if (avail < 4) return 'incomplete';
          this.skipRemaining = buf[i + 3]!;
          return { consumed: 4 };
        }
        return this.malformed(3, `barcode system ${m} is unknown`);
      }
      case 0x76: {
        // GS v 0 m xL xH yL yH d…: raster image
        if (avail < 8) return 'incomplete';
        if (buf[i + 2] !== 0x30) return this.malformed(3, 'raster image without "0"');
        this.skipRemaining = (buf[i + 4]! + 256 * buf[i + 5]!) * (buf[i + 6]! + 256 * buf[i + 7]!);
        return { consumed: 8 };
      }
      case 0x2a: {
        // GS * x y d…: downloaded bit image, x·y·8 bytes
        if (avail < 4) return 'incomplete';
        this.skipRemaining = buf[i + 2]! * buf[i + 3]! * 8;
        return { consumed: 4 };
      }
      default: {
        const fixed = GS_FIXED[cmd];
        if (fixed === undefined) return this.malformed(2, `unknown command 1D ${hex(cmd)}`);
        return avail >= 2 + fixed ? { consumed: 2 + fixed } : 'incomplete';
      }
    }
  }

  private fs(buf: Buffer, i: number): Step {
    if (buf.length - i < 2) return 'incomplete';
    const cmd = buf[i + 1]!;
    if (cmd === 0x26 || cmd === 0x2e) {
      this.setChineseMode(cmd === 0x26);
      return { consumed: 2 };
    }
    if (cmd === 0x28) {
      if (buf.length - i < 5) return 'incomplete';
      this.skipRemaining = buf[i + 3]! + 256 * buf[i + 4]!;
      return { consumed: 5 };
    }
    const fixed = FS_FIXED[cmd];
    if (fixed === undefined) return this.malformed(2, `unknown command 1C ${hex(cmd)}`);
    return buf.length - i >= 2 + fixed ? { consumed: 2 + fixed } : 'incomplete';
  }

  /** `body` = cn fn parameters of one `GS ( k` function. */
  private qrFunction(body: Buffer): Step {
    const consumed = 5 + body.length;
    if (body[0] !== 0x31) return { consumed }; // another 2-D symbology (PDF417, MaxiCode…): not modelled
    const fn = body[1];
    const fixedLength = (n: number, what: string) =>
      body.length === n
        ? null
        : this.malformed(consumed, `QR ${what} has length ${body.length}, expected ${n}`);
    switch (fn) {
      case 0x41: {
        const bad = fixedLength(4, 'model selection');
        if (bad) return bad;
        if (body[2]! < 0x31 || body[2]! > 0x33)
          return this.malformed(consumed, `QR model 0x${hex(body[2]!)} is unknown`);
        return { consumed };
      }
      case 0x43: {
        const bad = fixedLength(3, 'module size');
        if (bad) return bad;
        if (body[2]! < 1 || body[2]! > 16)
          return this.malformed(consumed, `QR module size ${body[2]} is not 1…16`);
        this.qrModuleSize = body[2]!;
        return { consumed };
      }
      case 0x45: {
        const bad = fixedLength(3, 'error correction');
        if (bad) return bad;
        const ec = EC_LEVELS[body[2]!];
        if (!ec) return this.malformed(consumed, `QR error correction 0x${hex(body[2]!)} is unknown`);
        this.qrEc = ec;
        return { consumed };
      }
      case 0x50:
        if (body.length < 4 || body[2] !== 0x30) return this.malformed(consumed, 'QR store without data');
        this.qrData = Buffer.from(body.subarray(3));
        return { consumed };
      case 0x51: {
        const bad = fixedLength(3, 'print');
        if (bad) return bad;
        if (this.qrData) {
          this.flushLine();
          this.events.push({
            type: 'qr',
            qr: {
              payload: new TextDecoder().decode(this.qrData),
              align: this.align,
              moduleSize: this.qrModuleSize,
              errorCorrection: this.qrEc,
            },
          });
        }
        return { consumed };
      }
      case 0x52: // transmit size information: not modelled
        return { consumed };
      default:
        return this.malformed(consumed, `QR function 0x${hex(fn ?? 0)} is unknown`);
    }
  }

  private malformed(length: number, reason: string): Step {
    const at = this.offset;
    if (this.strict) this.strictFailure = streamError(reason, at);
    else this.events.push({ type: 'skipped', bytes: length, reason: `${reason} at byte ${at}` });
    return { consumed: length };
  }

  private resetModes(): void {
    this.align = 'left';
    this.bold = false;
    this.doubleWidth = false;
    this.doubleHeight = false;
    this.qrModuleSize = 3;
    this.qrEc = 'L';
    this.qrData = null;
    this.lineText = '';
    this.lineBytes = [];
    this.lineStyle = null;
  }

  private style(): Omit<PrintedLine, 'text'> {
    return {
      align: this.align,
      bold: this.bold,
      doubleWidth: this.doubleWidth,
      doubleHeight: this.doubleHeight,
    };
  }

  private appendText(bytes: Buffer): void {
    for (const b of bytes) {
      this.lineStyle ??= this.style();
      this.lineBytes.push(b);
      if (this.lineBytes.length >= MAX_LINE_BYTES) this.printLines(1);
    }
  }

  private setChineseMode(on: boolean): void {
    this.decodePendingText();
    this.chineseMode = on;
  }

  private decodePendingText(): void {
    if (this.lineBytes.length === 0) return;
    this.lineText += iconv.decode(Buffer.from(this.lineBytes), this.chineseMode ? 'gb18030' : 'cp437');
    this.lineBytes = [];
  }

  private get hasLineContent(): boolean {
    return this.lineStyle !== null;
  }

  /** Print the buffer and feed `n` lines (ESC d n; LF is n = 1). */
  private printLines(n: number): void {
    const count = Math.max(n, this.hasLineContent ? 1 : 0);
    for (let k = 0; k < count; k++) {
      this.decodePendingText();
      const line: PrintedLine = { text: this.lineText, ...(this.lineStyle ?? this.style()) };
      this.lineText = '';
      this.lineStyle = null;
      this.events.push({ type: 'line', line });
    }
  }

  private flushLine(): void {
    if (this.hasLineContent) this.printLines(1);
  }

  private cut(partial: boolean): void {
    this.flushLine();
    this.events.push({ type: 'cut', partial });
  }
}

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

function streamError(reason: string, offset: number): DeviceError<PrinterErrorCode> {
  return printerError(
    'PRINTER_STREAM_INVALID',
    { offset, reason },
    `The ESC/POS stream is malformed at byte ${offset}: ${reason}.`,
  );
}

/** Builds documents from decoder events; `take()` hands over the current one and starts the next. */
export class DocumentAssembler {
  private doc: PrintedDocument = emptyDocument();

  apply(event: EscPosEvent): void {
    switch (event.type) {
      case 'line':
        this.doc.lines.push(event.line);
        break;
      case 'qr':
        this.doc.qrCodes.push({ ...event.qr, lineIndex: this.doc.lines.length });
        break;
      case 'cut':
        this.doc.cuts.push({ lineIndex: this.doc.lines.length, partial: event.partial });
        break;
      case 'skipped':
        this.doc.skippedBytes += event.bytes;
        break;
      default:
        break;
    }
  }

  get current(): PrintedDocument {
    return this.doc;
  }

  get isEmpty(): boolean {
    const d = this.doc;
    return d.lines.length + d.qrCodes.length + d.cuts.length + d.skippedBytes === 0;
  }

  take(): PrintedDocument {
    const d = this.doc;
    this.doc = emptyDocument();
    return d;
  }
}

export function emptyDocument(): PrintedDocument {
  return { lines: [], qrCodes: [], cuts: [], skippedBytes: 0 };
}

/** Decode a whole stream into one document (every cut listed in `cuts`). Text after the last LF is not printed. */
export function decodeEscPos(bytes: Uint8Array, opts: EscPosDecoderOptions = {}): PrintedDocument {
  const assembler = new DocumentAssembler();
  for (const e of new EscPosDecoder(opts).push(bytes)) assembler.apply(e);
  return assembler.current;
}
