// What every decoder yields: a complete code, or a typed error for input it could not turn into one.
import type { DeviceError } from '../errors.js';
import { type ScannerErrorCode, scannerError } from './errors.js';

export type ScanEvent =
  | {
      kind: 'code';
      code: string /** AIM symbology id such as `]Q1` when the protocol carries one. */;
      symbology?: string;
    }
  | { kind: 'error'; error: DeviceError<ScannerErrorCode> };

/** Longest code accepted, in bytes or keystrokes: a pickup token is far shorter; anything longer is noise. */
export const MAX_CODE_LENGTH = 4096;

/** A partial code older than this when more input arrives is a cut-off scan, not the start of the next one. */
export const DEFAULT_STALE_AFTER_MS = 1000;

export interface DecoderOptions {
  staleAfterMs?: number;
  now?: () => number;
}

/** When a decoder's partial code is cut off: more input arrives after `staleAfterMs` without any. */
export class StaleInput {
  private lastInputAt = 0;
  private readonly staleAfterMs: number;
  private readonly now: () => number;

  constructor(opts: DecoderOptions = {}) {
    this.staleAfterMs = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.now = opts.now ?? Date.now;
  }

  /** Note input arriving now: true when the partial code held before it (`holding`) had gone stale. */
  arrived(holding: boolean): boolean {
    const now = this.now();
    const stale = holding && now - this.lastInputAt > this.staleAfterMs;
    this.lastInputAt = now;
    return stale;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 so that a scanner left in a legacy code page is reported instead of yielding mojibake. */
export function codeFromBytes(bytes: Uint8Array, symbology?: string): ScanEvent {
  try {
    const code = utf8.decode(bytes);
    return symbology === undefined ? { kind: 'code', code } : { kind: 'code', code, symbology };
  } catch {
    return { kind: 'error', error: scannerError('SCANNER_BAD_ENCODING', { length: bytes.length }) };
  }
}
