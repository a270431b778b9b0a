import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hidPosReportsFor } from './emulator.js';
import { HID_POS_LAYOUT, HidPosDecoder } from './hid-pos.js';
import type { ScanEvent } from './scan-event.js';

const decodeAll = (d: HidPosDecoder, reports: Uint8Array[]): ScanEvent[] => reports.flatMap((r) => d.push(r));
const errorCodes = (events: ScanEvent[]) => events.flatMap((e) => (e.kind === 'error' ? [e.error.code] : []));

function posReport(data: string, opts: { continued?: boolean; aim?: string } = {}): Buffer {
  const r = Buffer.alloc(64);
  r[0] = 0x02;
  r[1] = Buffer.byteLength(data);
  Buffer.from(opts.aim ?? ']Q1', 'latin1').copy(r, 2);
  Buffer.from(data).copy(r, 5);
  r[63] = opts.continued ? 1 : 0;
  return r;
}

describe('HID-POS decoder', () => {
  it('reads a code from one report, with its AIM symbology id', () => {
    expect(new HidPosDecoder().push(posReport('CK1.abc'))).toEqual([
      { kind: 'code', code: 'CK1.abc', symbology: ']Q1' },
    ]);
  });

  it('joins continuation reports into one code', () => {
    const first = 'A'.repeat(56);
    const d = new HidPosDecoder();
    expect(d.push(posReport(first, { continued: true }))).toEqual([]);
    expect(d.hasPartial()).toBe(true);
    expect(d.push(posReport('tail'))).toEqual([{ kind: 'code', code: `${first}tail`, symbology: ']Q1' }]);
  });

  it('splits long UTF-8 codes across reports and rebuilds them, even mid-character', () => {
    const code = `证书-${'字'.repeat(40)}`;
    const reports = hidPosReportsFor(code);
    expect(reports.length).toBeGreaterThan(1);
    expect(reports.every((r) => r.length === HID_POS_LAYOUT.reportLength)).toBe(true);
    expect(decodeAll(new HidPosDecoder(), reports)).toEqual([{ kind: 'code', code, symbology: ']Q1' }]);
  });

  it('removes a CR/LF suffix the scanner left configured', () => {
    expect(new HidPosDecoder().push(posReport('CODE\r\n'))).toEqual([
      { kind: 'code', code: 'CODE', symbology: ']Q1' },
    ]);
  });

  it('leaves out the symbology when the scanner sends none', () => {
    expect(new HidPosDecoder().push(posReport('X', { aim: '\0\0\0' }))).toEqual([
      { kind: 'code', code: 'X' },
    ]);
  });

  it('ignores reports with another report id', () => {
    const other = Buffer.alloc(64);
    other[0] = 0x04;
    other[1] = 3;
    expect(new HidPosDecoder().push(other)).toEqual([]);
  });

  it('reports short reports and impossible lengths as SCANNER_BAD_REPORT and recovers', () => {
    const d = new HidPosDecoder();
    const tooLong = posReport('x');
    tooLong[1] = 57;
    const events = decodeAll(d, [Buffer.from([0x02, 1, 0x41]), tooLong, posReport('ok')]);
    expect(errorCodes(events)).toEqual(['SCANNER_BAD_REPORT', 'SCANNER_BAD_REPORT']);
    expect(events.at(-1)).toEqual({ kind: 'code', code: 'ok', symbology: ']Q1' });
  });

  it('reports invalid UTF-8 as SCANNER_BAD_ENCODING', () => {
    const r = posReport('ab');
    r[5] = 0xff;
    expect(errorCodes(new HidPosDecoder().push(r))).toEqual(['SCANNER_BAD_ENCODING']);
  });

  it('discards a continued code whose next report never came', () => {
    let now = 0;
    const d = new HidPosDecoder({ staleAfterMs: 500, now: () => now });
    d.push(posReport('part', { continued: true }));
    now = 2000;
    const events = d.push(posReport('new'));
    expect(errorCodes(events)).toEqual(['SCANNER_INCOMPLETE_CODE']);
    expect(events.at(-1)).toEqual({ kind: 'code', code: 'new', symbology: ']Q1' });
  });

  it('property: any text encoded by the emulator decodes back identically', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }), (text) => {
        fc.pre(!/[\r\n]$/.test(text));
        const events = decodeAll(new HidPosDecoder({ now: () => 0 }), hidPosReportsFor(text));
        expect(events).toEqual([{ kind: 'code', code: text, symbology: ']Q1' }]);
      }),
    );
  });

  it('property: any report bytes give codes or typed errors, never a throw', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 20 }), (reports) => {
        const d = new HidPosDecoder({ now: () => 0 });
        for (const r of reports)
          for (const e of d.push(r)) if (e.kind === 'error') expect(e.error.code).toMatch(/^SCANNER_/);
      }),
    );
  });
});
