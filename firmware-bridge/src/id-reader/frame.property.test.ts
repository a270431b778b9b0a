import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeviceError } from '../errors.js';
import { ID_READER_ERRORS } from './errors.js';
import { encodeFrame, type Frame, FrameDecoder, PREAMBLE } from './frame.js';

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    kind: fc.constant('command' as const),
    cmd: fc.integer({ min: 0, max: 255 }),
    para: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    kind: fc.constant('response' as const),
    sw1: fc.integer({ min: 0, max: 255 }),
    sw2: fc.integer({ min: 0, max: 255 }),
    sw3: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 300 }),
  }),
);

/** Split bytes at arbitrary points, like reads from a serial port. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  return out;
}

const containsPreamble = (b: Uint8Array) => Buffer.from(b).indexOf(PREAMBLE) >= 0;

describe('FrameDecoder properties', () => {
  it('turns any byte sequence into frames or typed ID_READER errors, never another throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(PREAMBLE)), { maxLength: 40 }),
        fc.constantFrom('command' as const, 'response' as const),
        (chunks, direction) => {
          const d = new FrameDecoder(direction);
          for (const chunk of chunks) {
            for (const item of d.push(chunk)) {
              if (item instanceof DeviceError) expect(Object.keys(ID_READER_ERRORS)).toContain(item.code);
              else expect(item.kind).toBe(direction);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips frames through encode → junk and arbitrary chunking → decode', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('command' as const, 'response' as const),
        fc.array(fc.tuple(frameArb, fc.uint8Array({ maxLength: 20 })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (direction, items, cuts) => {
          const frames = items.map(([f]) => f).filter((f) => f.kind === direction);
          const stream = Buffer.concat(
            items.flatMap(([f, junk]) => [containsPreamble(junk) ? new Uint8Array(0) : junk, encodeFrame(f)]),
          );
          const d = new FrameDecoder(direction);
          const out = chunked(stream, cuts).flatMap((c) => d.push(c));
          // Frames of the other direction are junk to this decoder (too short, or read with the wrong field names).
          const decoded = out.filter((x): x is Frame => !(x instanceof DeviceError));
          for (const f of frames) expect(decoded).toContainEqual(f);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('catches any single corrupted byte after the length field and still decodes the next frame', () => {
    fc.assert(
      fc.property(frameArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (frame, at, flip) => {
        const good = encodeFrame(frame);
        const bad = Uint8Array.from(good);
        const i = 7 + (at % (bad.length - 7));
        bad[i]! ^= flip;
        const d = new FrameDecoder(frame.kind);
        const out = d.push(Uint8Array.from([...bad, ...good]));
        expect(out[0]).toMatchObject({ code: 'ID_READER_CHECKSUM' });
        expect(out.at(-1)).toEqual(frame);
      }),
      { numRuns: 300 },
    );
  });
});
