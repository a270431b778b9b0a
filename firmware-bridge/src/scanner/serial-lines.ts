// Serial (CDC) scanners send each code as text followed by CR, LF or CRLF. This splits a byte stream
// into codes however the bytes are chunked. Pure: bytes in, events out, no I/O.
import { scannerError } from './errors.js';
import {
  codeFromBytes,
  type DecoderOptions,
  MAX_CODE_LENGTH,
  type ScanEvent,
  StaleInput,
} from './scan-event.js';

const CR = 0x0d;
const LF = 0x0a;

export class SerialLineDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;
  private readonly stale: StaleInput;

  constructor(opts: DecoderOptions = {}) {
    this.stale = new StaleInput(opts);
  }

  push(chunk: Uint8Array): ScanEvent[] {
    const events: ScanEvent[] = [];
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.stale.arrived(this.hasPartial())) {
      events.push({ kind: 'error', error: scannerError('SCANNER_INCOMPLETE_CODE', { bytes: this.size }) });
      this.reset();
    }

    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b !== CR && b !== LF) continue;
      this.append(bytes.subarray(start, i));
      // CR and LF both end a line and empty lines are dropped, so CRLF (even split across chunks) is one end.
      this.finishLine(events);
      start = i + 1;
    }
    this.append(bytes.subarray(start));
    return events;
  }

  /** True while bytes of an unfinished line are buffered. */
  hasPartial(): boolean {
    return this.size > 0 || this.overflowed;
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0 || this.overflowed) return;
    if (this.size + bytes.length > MAX_CODE_LENGTH) {
      // Drop what we hold and the rest of this line, then report it once the line ends.
      this.parts = [];
      this.size = 0;
      this.overflowed = true;
      return;
    }
    this.parts.push(Buffer.from(bytes));
    this.size += bytes.length;
  }

  private finishLine(events: ScanEvent[]): void {
    if (this.overflowed) {
      events.push({
        kind: 'error',
        error: scannerError('SCANNER_CODE_TOO_LONG', { maxBytes: MAX_CODE_LENGTH }),
      });
    } else if (this.size > 0) {
      events.push(codeFromBytes(Buffer.concat(this.parts, this.size)));
    }
    this.reset();
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.overflowed = false;
  }
}
