// Property tests: what the encoder writes, the decoder reads back unchanged; no byte soup breaks the decoder.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDeviceError } from '../errors.js';
import { decodeEscPos, EscPosDecoder, type PrintedLine } from './decoder.js';
import { type Align, isControlChar, type QrErrorCorrection, statusRequest } from './escpos.js';
import { encodeReceipt, encodeReceiptSegments, type Receipt, type ReceiptItem } from './receipt.js';

// Mostly CJK (common, Extension-A, Extension-B), full-width punctuation and symbols, plus any code point.
const cjkUnit = fc.oneof(
  fc.integer({ min: 0x4e00, max: 0x9fff }).map((c) => String.fromCodePoint(c)),
  fc.integer({ min: 0x3400, max: 0x4dbf }).map((c) => String.fromCodePoint(c)),
  fc.integer({ min: 0x20000, max: 0x2a6df }).map((c) => String.fromCodePoint(c)),
  fc.constantFrom('·', '¥', '，', '。', '（', '）', '€', '—', '䶮', '𠀀'),
);
const anyUnit = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
// C0 controls and DEL are commands to a printer; U+E5E5 is the one code point GB18030 cannot carry.
const printable = (s: string) => ![...s].some((ch) => isControlChar(ch) || ch === '\ue5e5');
const text = fc
  .string({ unit: fc.oneof(cjkUnit, anyUnit, fc.string({ minLength: 1, maxLength: 1 })), maxLength: 40 })
  .filter(printable);

const align = fc.constantFrom<Align>('left', 'center', 'right');
const ec = fc.constantFrom<QrErrorCorrection>('L', 'M', 'Q', 'H');
const item: fc.Arbitrary<ReceiptItem> = fc.oneof(
  fc.record({
    kind: fc.constant('text' as const),
    text,
    align,
    bold: fc.boolean(),
    doubleWidth: fc.boolean(),
    doubleHeight: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('qr' as const),
    payload: fc.string({ unit: fc.oneof(cjkUnit, anyUnit), minLength: 1, maxLength: 200 }),
    align,
    moduleSize: fc.integer({ min: 1, max: 16 }),
    errorCorrection: ec,
  }),
);
const receipt: fc.Arbitrary<Receipt> = fc.record({
  items: fc.array(item, { maxLength: 12 }),
  cut: fc.constantFrom<'full' | 'partial'>('full', 'partial'),
});

describe('ESC/POS encoder → decoder round trip', () => {
  it('gives back every line with its style and every QR payload at its position', () => {
    fc.assert(
      fc.property(receipt, (r) => {
        const doc = decodeEscPos(encodeReceipt(r), { strict: true });
        const lines: PrintedLine[] = [];
        const qrCodes: unknown[] = [];
        for (const it of r.items) {
          if (it.kind === 'text') {
            const { kind: _, ...l } = it;
            lines.push(l as PrintedLine);
          } else {
            const { kind: _, ...q } = it;
            qrCodes.push({ ...q, lineIndex: lines.length });
          }
        }
        expect(doc).toEqual({
          lines,
          qrCodes,
          cuts: [{ lineIndex: lines.length, partial: r.cut === 'partial' }],
          skippedBytes: 0,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('splits a job only between whole commands: a status request between segments changes nothing', () => {
    fc.assert(
      fc.property(receipt, (r) => {
        const segments = encodeReceiptSegments(r);
        expect(Buffer.concat(segments)).toEqual(Buffer.from(encodeReceipt(r)));
        const withStatus = Buffer.concat(segments.flatMap((s) => [s, statusRequest(1)]));
        const d = new EscPosDecoder({ strict: true });
        const events = d.push(withStatus);
        expect(events.filter((e) => e.type === 'status-request')).toHaveLength(segments.length);
        expect(decodeEscPos(withStatus, { strict: true })).toEqual(decodeEscPos(encodeReceipt(r)));
      }),
      { numRuns: 200 },
    );
  });

  it('accepts any text without control characters, and refuses the rest only with PRINTER_BAD_RECEIPT', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
        try {
          const doc = decodeEscPos(encodeReceipt({ items: [{ kind: 'text', text: s }] }));
          expect(doc.lines[0]?.text).toBe(s);
        } catch (err) {
          expect(isDeviceError(err, 'PRINTER_BAD_RECEIPT')).toBe(true);
          expect(printable(s)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('ESC/POS decoder on arbitrary bytes', () => {
  // Bytes weighted toward command introducers so that real command paths get exercised.
  const byte = fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(0x0a, 0x10, 0x1b, 0x1c, 0x1d, 0x28, 0x6b, 0x31, 0x50, 0x51, 0x56, 0x04, 0x00),
  );
  const stream = fc.array(byte, { maxLength: 400 }).map((a) => Uint8Array.from(a));
  const chunked = fc.tuple(
    stream,
    fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
  );

  it('lenient decoding never throws and never stalls, whatever the split', () => {
    fc.assert(
      fc.property(chunked, ([bytes, sizes]) => {
        const d = new EscPosDecoder();
        let at = 0;
        let k = 0;
        while (at < bytes.length) {
          const n = sizes[k++ % sizes.length]!;
          d.push(bytes.subarray(at, at + n));
          at += n;
        }
        // Whatever is still waiting (a command cut short) stays bounded by what was pushed.
        expect(() => d.push(new Uint8Array())).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });

  it('strict decoding throws nothing but PRINTER_STREAM_INVALID and always makes progress', () => {
    fc.assert(
      fc.property(stream, (bytes) => {
        const d = new EscPosDecoder({ strict: true });
        let pushes = 0;
        let next: Uint8Array = bytes;
        // Each error consumes at least one byte, so this loop ends within bytes.length + 1 rounds.
        for (;;) {
          pushes++;
          expect(pushes).toBeLessThanOrEqual(bytes.length + 1);
          try {
            d.push(next);
            break;
          } catch (err) {
            expect(isDeviceError(err, 'PRINTER_STREAM_INVALID')).toBe(true);
            next = new Uint8Array();
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('finishes a megabyte of random bytes quickly', () => {
    const bytes = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 2654435761) >>> 24);
    const started = Date.now();
    decodeEscPos(bytes);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
