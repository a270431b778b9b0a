import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyboardReportsFor } from './emulator.js';
import { KeyboardWedgeDecoder } from './keyboard-wedge.js';
import type { ScanEvent } from './scan-event.js';

const SHIFT = 0x02;
const report = (mods: number, ...keys: number[]) => {
  const r = Buffer.alloc(8);
  r[0] = mods;
  keys.forEach((k, i) => {
    r[2 + i] = k;
  });
  return r;
};
const decodeAll = (decoder: KeyboardWedgeDecoder, reports: Uint8Array[]): ScanEvent[] =>
  reports.flatMap((r) => decoder.push(r));
const codes = (events: ScanEvent[]) => events.flatMap((e) => (e.kind === 'code' ? [e.code] : []));
const errorCodes = (events: ScanEvent[]) => events.flatMap((e) => (e.kind === 'error' ? [e.error.code] : []));

describe('keyboard-wedge decoder', () => {
  it('turns usage codes with and without shift into characters, Enter ends the code', () => {
    const d = new KeyboardWedgeDecoder();
    // "Ab1!" Enter
    const events = decodeAll(d, [
      report(SHIFT, 0x04),
      report(0),
      report(0, 0x05),
      report(0),
      report(0, 0x1e),
      report(0),
      report(SHIFT, 0x1e),
      report(0),
      report(0, 0x28),
      report(0),
    ]);
    expect(events).toEqual([{ kind: 'code', code: 'Ab1!' }]);
  });

  it('types a key once while it is held and again after it is released', () => {
    const d = new KeyboardWedgeDecoder();
    const events = decodeAll(d, [
      report(0, 0x04),
      report(0, 0x04), // still held: not typed again
      report(0),
      report(0, 0x04),
      report(0, 0x04, 0x05), // rollover: b goes down while a is still held
      report(0, 0x05),
      report(0, 0x28),
    ]);
    expect(codes(events)).toEqual(['aab']);
  });

  it('decodes the punctuation a URL-style QR payload uses', () => {
    const text = 'https://x.cn/p?a=1&b=-_+%#~!*\'(),;@$[]{}|\\"<>^`';
    expect(codes(decodeAll(new KeyboardWedgeDecoder(), keyboardReportsFor(text)))).toEqual([text]);
  });

  it('reads keypad digits and keypad Enter', () => {
    const events = decodeAll(new KeyboardWedgeDecoder(), [
      report(0, 0x59),
      report(0),
      report(0, 0x62),
      report(0),
      report(0, 0x63),
      report(0),
      report(0, 0x58),
    ]);
    expect(codes(events)).toEqual(['10.']);
  });

  it('skips a leading report id on 9-byte reports', () => {
    const reports = keyboardReportsFor('Q1', { reportId: 1 });
    expect(reports[0]).toHaveLength(9);
    expect(codes(decodeAll(new KeyboardWedgeDecoder(), reports))).toEqual(['Q1']);
  });

  it('ignores a phantom (ErrorRollOver) report without retyping held keys', () => {
    const events = decodeAll(new KeyboardWedgeDecoder(), [
      report(0, 0x04),
      report(0, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01),
      report(0, 0x04),
      report(0),
      report(0, 0x28),
    ]);
    expect(codes(events)).toEqual(['a']);
  });

  it('reports a code holding a non-character key instead of returning it with a gap', () => {
    const events = decodeAll(new KeyboardWedgeDecoder(), [
      report(0, 0x04),
      report(0),
      report(0, 0x3a), // F1
      report(0),
      report(0, 0x05),
      report(0),
      report(0, 0x28),
      report(0),
      report(0, 0x06),
      report(0),
      report(0, 0x28),
    ]);
    expect(errorCodes(events)).toEqual(['SCANNER_BAD_REPORT']);
    expect(codes(events)).toEqual(['c']); // the next code is fine again
  });

  it('treats Ctrl-held keys as shortcuts, not text', () => {
    const events = decodeAll(new KeyboardWedgeDecoder(), [report(0x01, 0x06), report(0), report(0, 0x28)]);
    expect(errorCodes(events)).toEqual(['SCANNER_BAD_REPORT']);
  });

  it('rejects reports of the wrong size with a typed error', () => {
    const events = new KeyboardWedgeDecoder().push(Buffer.alloc(64));
    expect(errorCodes(events)).toEqual(['SCANNER_BAD_REPORT']);
    expect(events[0]?.kind === 'error' && events[0].error.message).toMatch(/8 bytes/);
  });

  it('discards a partial code when the rest never came before the next scan', () => {
    let now = 0;
    const d = new KeyboardWedgeDecoder({ staleAfterMs: 1000, now: () => now });
    d.push(report(0, 0x04));
    d.push(report(0));
    now = 5000;
    const events = decodeAll(d, keyboardReportsFor('ok'));
    expect(errorCodes(events)).toEqual(['SCANNER_INCOMPLETE_CODE']);
    expect(codes(events)).toEqual(['ok']);
  });

  it('ignores an Enter with nothing typed', () => {
    expect(decodeAll(new KeyboardWedgeDecoder(), [report(0, 0x28), report(0)])).toEqual([]);
  });

  it('refuses to emulate characters a US keyboard cannot type', () => {
    expect(() => keyboardReportsFor('证书')).toThrow(
      expect.objectContaining({ code: 'SCANNER_UNTYPABLE_CHARACTER' }),
    );
  });

  it('property: any printable ASCII string typed by the emulator decodes back identically', () => {
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 1,
    });
    fc.assert(
      fc.property(fc.array(printable, { minLength: 1, maxLength: 5 }), fc.boolean(), (texts, rollover) => {
        const d = new KeyboardWedgeDecoder({ now: () => 0 });
        const events = texts.flatMap((t) => decodeAll(d, keyboardReportsFor(t, { rollover })));
        expect(events).toEqual(texts.map((code) => ({ kind: 'code', code })));
      }),
    );
  });
});
