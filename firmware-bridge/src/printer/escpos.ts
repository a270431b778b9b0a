// ESC/POS encoder: a chainable builder that emits exactly the command subset in specs/escpos.md.
import iconv from 'iconv-lite';
import { printerError } from './errors.js';

export const ESC = 0x1b;
export const GS = 0x1d;
export const FS = 0x1c;
export const DLE = 0x10;
export const EOT = 0x04;
export const LF = 0x0a;

export type Align = 'left' | 'center' | 'right';
export const ALIGN_CODES: Readonly<Record<Align, number>> = { left: 0, center: 1, right: 2 };

export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';
export const QR_EC_CODES: Readonly<Record<QrErrorCorrection, number>> = {
  L: 0x30,
  M: 0x31,
  Q: 0x32,
  H: 0x33,
};
/** Byte-mode capacity of a version-40 model-2 symbol, per error-correction level. */
export const QR_MAX_BYTES: Readonly<Record<QrErrorCorrection, number>> = {
  L: 2953,
  M: 2331,
  Q: 1663,
  H: 1273,
};

export interface QrOptions {
  /** Dots per module, 1…16 (6–8 suits 80 mm paper). */
  moduleSize?: number;
  errorCorrection?: QrErrorCorrection;
}

// C0 controls and DEL would be read by the printer as commands, so text must not contain them.
export function isControlChar(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return c < 0x20 || c === 0x7f;
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Text → GB18030 bytes. Throws PRINTER_BAD_RECEIPT for control characters, lone surrogates and the few
 * code points whose GB18030 bytes would not read back as the same character.
 */
export function encodeGb18030(text: string): Buffer {
  const control = [...text].find(isControlChar);
  if (control !== undefined) {
    throw printerError(
      'PRINTER_BAD_RECEIPT',
      { codePoint: codePointLabel(control) },
      `Receipt text holds the control character ${codePointLabel(control)}; put each line in its own item instead.`,
    );
  }
  const bytes = iconv.encode(text, 'gb18030');
  if (iconv.decode(bytes, 'gb18030') !== text) {
    const bad = [...text].find((ch) => iconv.decode(iconv.encode(ch, 'gb18030'), 'gb18030') !== ch) ?? '?';
    throw printerError(
      'PRINTER_BAD_RECEIPT',
      { codePoint: codePointLabel(bad) },
      `Receipt text holds ${codePointLabel(bad)}, which GB18030 cannot carry (a lone surrogate or private-use character); remove it.`,
    );
  }
  return bytes;
}

function codePointLabel(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Bytes of `GS ( k` function `fn` (cn = 0x31 QR) with parameters `params`. */
function qrFunction(fn: number, params: ArrayLike<number>): number[] {
  const len = params.length + 2; // cn + fn + params
  return [GS, 0x28, 0x6b, len & 0xff, len >> 8, 0x31, fn, ...Array.from(params)];
}

/** Builds one ESC/POS job. Style commands are emitted only when the style changes. */
export class EscPosBuilder {
  private readonly parts: Uint8Array[] = [];
  private readonly segments: Uint8Array[] = [];
  private segmentStart = 0;
  private align: Align = 'left';
  private bold = false;
  private size = 0x00;

  private push(...bytes: number[]): this {
    this.parts.push(Uint8Array.from(bytes));
    return this;
  }

  /** ESC @ then FS & — reset all modes and enter Chinese (double-byte) mode for GB18030 text. */
  initialize(): this {
    this.align = 'left';
    this.bold = false;
    this.size = 0x00;
    return this.push(ESC, 0x40, FS, 0x26);
  }

  setAlign(align: Align): this {
    if (align === this.align) return this;
    this.align = align;
    return this.push(ESC, 0x61, ALIGN_CODES[align]);
  }

  setBold(on: boolean): this {
    if (on === this.bold) return this;
    this.bold = on;
    return this.push(ESC, 0x45, on ? 1 : 0);
  }

  /** GS ! n: high nibble width−1, low nibble height−1. */
  setSize(doubleWidth: boolean, doubleHeight: boolean): this {
    const n = (doubleWidth ? 0x10 : 0) | (doubleHeight ? 0x01 : 0);
    if (n === this.size) return this;
    this.size = n;
    return this.push(GS, 0x21, n);
  }

  /** Text without a line end (GB18030). */
  text(text: string): this {
    this.parts.push(encodeGb18030(text));
    return this;
  }

  lineFeed(): this {
    return this.push(LF);
  }

  /** ESC d n: print the buffer and feed n lines. */
  feed(lines: number): this {
    if (!Number.isInteger(lines) || lines < 0 || lines > 255) {
      throw printerError('PRINTER_BAD_RECEIPT', { lines }, `Feed must be 0…255 lines, got ${lines}.`);
    }
    return this.push(ESC, 0x64, lines);
  }

  /** QR code: select model 2, module size, error correction, store data (UTF-8), print. */
  qr(payload: string, opts: QrOptions = {}): this {
    const moduleSize = opts.moduleSize ?? 6;
    const ec = opts.errorCorrection ?? 'M';
    if (!Number.isInteger(moduleSize) || moduleSize < 1 || moduleSize > 16) {
      throw printerError(
        'PRINTER_BAD_RECEIPT',
        { moduleSize },
        `QR module size must be 1…16 dots, got ${moduleSize}.`,
      );
    }
    if (!(ec in QR_EC_CODES)) {
      throw printerError(
        'PRINTER_BAD_RECEIPT',
        { ec },
        `QR error correction must be L, M, Q or H, got ${ec}.`,
      );
    }
    if (payload.length === 0) {
      throw printerError(
        'PRINTER_BAD_RECEIPT',
        {},
        'The QR payload is empty; give the text the QR code should hold.',
      );
    }
    if (LONE_SURROGATE.test(payload)) {
      throw printerError(
        'PRINTER_BAD_RECEIPT',
        {},
        'The QR payload holds a lone surrogate and cannot be encoded as UTF-8.',
      );
    }
    const data = Buffer.from(payload, 'utf8');
    if (data.length > QR_MAX_BYTES[ec]) {
      throw printerError(
        'PRINTER_BAD_RECEIPT',
        { bytes: data.length, max: QR_MAX_BYTES[ec] },
        `The QR payload is ${data.length} bytes; at error correction ${ec} a QR code holds at most ${QR_MAX_BYTES[ec]}.`,
      );
    }
    this.push(...qrFunction(0x41, [0x32, 0x00]));
    this.push(...qrFunction(0x43, [moduleSize]));
    this.push(...qrFunction(0x45, [QR_EC_CODES[ec]]));
    this.parts.push(Uint8Array.from(qrFunction(0x50, [0x30, ...data])));
    return this.push(...qrFunction(0x51, [0x30]));
  }

  /** GS V m n: feed n dots then cut (m 0x41 full, 0x42 partial). */
  cut(kind: 'full' | 'partial' = 'full', feedDots = 48): this {
    if (!Number.isInteger(feedDots) || feedDots < 0 || feedDots > 255) {
      throw printerError(
        'PRINTER_BAD_RECEIPT',
        { feedDots },
        `Cut feed must be 0…255 dots, got ${feedDots}.`,
      );
    }
    return this.push(GS, 0x56, kind === 'full' ? 0x41 : 0x42, feedDots);
  }

  /** Raw bytes, for commands the builder does not know (they bypass style tracking). */
  raw(bytes: Uint8Array): this {
    this.parts.push(Uint8Array.from(bytes));
    return this;
  }

  /** End a segment here: a driver may pause (e.g. to ask for status) between segments, never inside one. */
  boundary(): this {
    if (this.parts.length > this.segmentStart) {
      this.segments.push(Buffer.concat(this.parts.slice(this.segmentStart)));
      this.segmentStart = this.parts.length;
    }
    return this;
  }

  build(): Uint8Array {
    return Buffer.concat(this.parts);
  }

  /** The job cut at its boundaries; whole commands only, so they concatenate to `build()`. */
  buildSegments(): Uint8Array[] {
    this.boundary();
    return [...this.segments];
  }
}

/** Half-width cells a character takes: in Chinese mode every non-ASCII character is double-byte, printed full width. */
export function cellsOf(ch: string): 1 | 2 {
  return (ch.codePointAt(0) ?? 0) < 0x80 ? 1 : 2;
}

/** DLE EOT n: real-time status request (n = 1 printer, 2 offline cause, 3 error cause, 4 paper sensor). */
export function statusRequest(n: 1 | 2 | 3 | 4): Uint8Array {
  return Uint8Array.from([DLE, EOT, n]);
}
