import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScanEvent } from './scan-event.js';
import { SerialLineDecoder } from './serial-lines.js';

const codes = (events: ScanEvent[]) => events.flatMap((e) => (e.kind === 'code' ? [e.code] : []));
const errorCodes = (events: ScanEvent[]) => events.flatMap((e) => (e.kind === 'error' ? [e.error.code] : []));
const feed = (d: SerialLineDecoder, chunks: (string | number[])[]) =>
  chunks.flatMap((c) => d.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c)));

describe('serial line decoder', () => {
  it('ends a code at CR, LF or CRLF', () => {
    expect(codes(feed(new SerialLineDecoder(), ['one\rtwo\nthree\r\nfour\r']))).toEqual([
      'one',
      'two',
      'three',
      'four',
    ]);
  });

  it('keeps a code split over chunks, and CRLF split between chunks is one line end', () => {
    const d = new SerialLineDecoder();
    expect(feed(d, ['CK1.', 'abc\r'])).toEqual([{ kind: 'code', code: 'CK1.abc' }]);
    expect(feed(d, ['\n', 'next\r\n'])).toEqual([{ kind: 'code', code: 'next' }]);
  });

  it('decodes UTF-8 even when a character is split across chunks', () => {
    const bytes = [...Buffer.from('证书\r')];
    expect(
      codes(feed(new SerialLineDecoder(), [bytes.slice(0, 2), bytes.slice(2, 4), bytes.slice(4)])),
    ).toEqual(['证书']);
  });

  it('holds back a code until its line end arrives', () => {
    const d = new SerialLineDecoder();
    expect(feed(d, ['abc'])).toEqual([]);
    expect(d.hasPartial()).toBe(true);
  });

  it('reports invalid UTF-8 as SCANNER_BAD_ENCODING and carries on', () => {
    const events = feed(new SerialLineDecoder(), [[0xc3, 0x28, 0x0d], 'ok\r']);
    expect(errorCodes(events)).toEqual(['SCANNER_BAD_ENCODING']);
    expect(codes(events)).toEqual(['ok']);
  });

  it('reports an endless line as SCANNER_CODE_TOO_LONG once it ends, then reads the next code', () => {
    const d = new SerialLineDecoder();
    const events = feed(d, ['x'.repeat(3000), 'y'.repeat(3000), 'z\r', 'fine\r']);
    expect(errorCodes(events)).toEqual(['SCANNER_CODE_TOO_LONG']);
    expect(codes(events)).toEqual(['fine']);
  });

  it('discards a partial line followed by a long silence', () => {
    let now = 0;
    const d = new SerialLineDecoder({ staleAfterMs: 1000, now: () => now });
    feed(d, ['garb']);
    now = 3000;
    const events = feed(d, ['code\r']);
    expect(errorCodes(events)).toEqual(['SCANNER_INCOMPLETE_CODE']);
    expect(codes(events)).toEqual(['code']);
  });

  it('property: any chunking of the stream gives the same lines', () => {
    const codeArb = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
      .filter((s) => !/[\r\n]/.test(s));
    const suffixArb = fc.constantFrom('\r', '\n', '\r\n');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(codeArb, suffixArb), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 50 }),
        (lines, cuts) => {
          const stream = Buffer.from(lines.map(([c, s]) => c + s).join(''));
          const d = new SerialLineDecoder({ now: () => 0 });
          const events: ScanEvent[] = [];
          for (let i = 0, k = 0; i < stream.length; k++) {
            const n = cuts[k % cuts.length]!;
            events.push(...d.push(stream.subarray(i, i + n)));
            i += n;
          }
          expect(events).toEqual(lines.map(([code]) => ({ kind: 'code', code })));
        },
      ),
    );
  });
});
