// The security-module frame codec: `AA AA AA 96 69 | LEN_H LEN_L | body… | CHK`, both directions.
// Pure: bytes in, frames out; no I/O, so the driver (responses) and the emulator (commands) share it.
import type { DeviceError } from '../errors.js';
import { idReaderError } from './errors.js';

export const PREAMBLE = Uint8Array.of(0xaa, 0xaa, 0xaa, 0x96, 0x69);
/** Bytes before the body: preamble + the 2-byte length. */
export const HEADER_SIZE = PREAMBLE.length + 2;
/** Smallest LEN of a command frame: CMD, PARA, CHK. */
export const MIN_COMMAND_LEN = 3;
/** Smallest LEN of a response frame: SW1, SW2, SW3, CHK. */
export const MIN_RESPONSE_LEN = 4;
/** Largest LEN the protocol defines: read with fingerprint (3 status + 6 lengths + 256 + 1024 + 1024 + CHK). */
export const MAX_FRAME_LEN = 2314;

export interface CommandFrame {
  kind: 'command';
  cmd: number;
  para: number;
  data: Uint8Array;
}

export interface ResponseFrame {
  kind: 'response';
  sw1: number;
  sw2: number;
  sw3: number;
  data: Uint8Array;
}

export type Frame = CommandFrame | ResponseFrame;
/** Which side's frames a decoder reads: the host decodes responses, the emulator decodes commands. */
export type FrameDirection = Frame['kind'];
/** The frame type a decoder for direction D yields. */
export type FrameOf<D extends FrameDirection> = Extract<Frame, { kind: D }>;

/** XOR of every byte: the protocol's checksum over LEN and body. */
export function xorChecksum(bytes: Uint8Array): number {
  let x = 0;
  for (const b of bytes) x ^= b;
  return x;
}

function wrapBody(body: Uint8Array): Uint8Array {
  const len = body.length + 1;
  if (len > 0xffff) throw new RangeError(`frame body of ${body.length} bytes does not fit a 16-bit length`);
  const out = new Uint8Array(HEADER_SIZE + len);
  out.set(PREAMBLE, 0);
  out[5] = len >> 8;
  out[6] = len & 0xff;
  out.set(body, HEADER_SIZE);
  out[out.length - 1] = xorChecksum(out.subarray(PREAMBLE.length, out.length - 1));
  return out;
}

export function encodeCommand(cmd: number, para: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = new Uint8Array(2 + data.length);
  body[0] = cmd;
  body[1] = para;
  body.set(data, 2);
  return wrapBody(body);
}

export function encodeResponse(
  sw3: number,
  data: Uint8Array = new Uint8Array(0),
  sw1 = 0x00,
  sw2 = 0x00,
): Uint8Array {
  const body = new Uint8Array(3 + data.length);
  body[0] = sw1;
  body[1] = sw2;
  body[2] = sw3;
  body.set(data, 3);
  return wrapBody(body);
}

export function encodeFrame(frame: Frame): Uint8Array {
  return frame.kind === 'command'
    ? encodeCommand(frame.cmd, frame.para, frame.data)
    : encodeResponse(frame.sw3, frame.data, frame.sw1, frame.sw2);
}

export interface FrameDecoderOptions {
  /** Largest LEN accepted; anything bigger is treated as line noise. */
  maxLen?: number;
}

/**
 * Streaming decoder: `push(bytes)` returns every complete frame and every typed error found so far.
 * Junk between frames is skipped silently (counted in `discardedBytes`); a frame with a bad length or
 * checksum yields a DeviceError and the search restarts one byte after its preamble, so a good frame
 * hidden behind a broken one is still found.
 */
export class FrameDecoder<D extends FrameDirection = FrameDirection> {
  readonly direction: D;
  private readonly minLen: number;
  private readonly maxLen: number;
  private buf: Buffer = Buffer.alloc(0);
  private discarded = 0;

  constructor(direction: D, opts: FrameDecoderOptions = {}) {
    this.direction = direction;
    this.minLen = direction === 'command' ? MIN_COMMAND_LEN : MIN_RESPONSE_LEN;
    this.maxLen = Math.max(this.minLen, Math.min(opts.maxLen ?? MAX_FRAME_LEN, 0xffff));
  }

  /** Bytes held back waiting for the rest of a frame (or a possible preamble start). */
  get pendingBytes(): number {
    return this.buf.length;
  }

  /** Junk bytes skipped since construction. */
  get discardedBytes(): number {
    return this.discarded;
  }

  /** Forget any partial frame (after a timeout, before a new command). */
  reset(): void {
    this.buf = Buffer.alloc(0);
  }

  push(bytes: Uint8Array): Array<FrameOf<D> | DeviceError> {
    this.buf = this.buf.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.buf, bytes]);
    const out: Array<FrameOf<D> | DeviceError> = [];
    const buf = this.buf;
    let pos = 0;
    for (;;) {
      const at = buf.indexOf(PREAMBLE, pos);
      if (at < 0) {
        const keep = partialPreambleStart(buf, pos);
        this.discarded += keep - pos;
        pos = keep;
        break;
      }
      this.discarded += at - pos;
      pos = at;
      if (buf.length - pos < HEADER_SIZE) break;
      const len = (buf[pos + 5]! << 8) | buf[pos + 6]!;
      if (len < this.minLen || len > this.maxLen) {
        out.push(
          idReaderError('ID_READER_BAD_LENGTH', {
            length: len,
            min: this.minLen,
            max: this.maxLen,
            frame: this.direction,
          }),
        );
        pos += 1;
        continue;
      }
      const end = pos + HEADER_SIZE + len;
      if (buf.length < end) break;
      const expected = xorChecksum(buf.subarray(pos + PREAMBLE.length, end - 1));
      const actual = buf[end - 1]!;
      if (expected !== actual) {
        out.push(idReaderError('ID_READER_CHECKSUM', { expected, actual, frame: this.direction }));
        pos += 1;
        continue;
      }
      out.push(this.toFrame(new Uint8Array(buf.subarray(pos + HEADER_SIZE, end - 1))));
      pos = end;
    }
    this.buf = pos === 0 ? buf : Buffer.from(buf.subarray(pos));
    return out;
  }

  private toFrame(body: Uint8Array): FrameOf<D> {
    const frame: Frame =
      this.direction === 'command'
        ? { kind: 'command', cmd: body[0]!, para: body[1]!, data: body.subarray(2) }
        : { kind: 'response', sw1: body[0]!, sw2: body[1]!, sw3: body[2]!, data: body.subarray(3) };
    return frame as FrameOf<D>;
  }
}

/** Where a possible preamble start begins in the tail of `buf` (or buf.length if none): keep it for the next push. */
function partialPreambleStart(buf: Buffer, from: number): number {
  for (let k = Math.max(from, buf.length - (PREAMBLE.length - 1)); k < buf.length; k++) {
    let match = true;
    for (let i = k; i < buf.length; i++) {
      if (buf[i] !== PREAMBLE[i - k]) {
        match = false;
        break;
      }
    }
    if (match) return k;
  }
  return buf.length;
}
