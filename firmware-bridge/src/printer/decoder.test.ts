import { describe, expect, it } from 'vitest';
import { decodeEscPos, EscPosDecoder, type EscPosEvent } from './decoder.js';
import { EscPosBuilder } from './escpos.js';
import { encodeReceipt, line, qrCode } from './receipt.js';

const plain = { align: 'left', bold: false, doubleWidth: false, doubleHeight: false } as const;

describe('ESC/POS decoder', () => {
  it('gives back styled lines, QR codes with their position, and cuts', () => {
    const doc = decodeEscPos(
      encodeReceipt({
        items: [
          line('电子认证服务', { align: 'center', bold: true, doubleWidth: true, doubleHeight: true }),
          line('姓名: 王䶮'),
          qrCode('https://ca.example/o/42', { moduleSize: 8, errorCorrection: 'H' }),
          line('¥ 120.00', { align: 'right' }),
        ],
      }),
    );
    expect(doc.lines).toEqual([
      { text: '电子认证服务', align: 'center', bold: true, doubleWidth: true, doubleHeight: true },
      { ...plain, text: '姓名: 王䶮' },
      { ...plain, text: '¥ 120.00', align: 'right' },
    ]);
    expect(doc.qrCodes).toEqual([
      {
        payload: 'https://ca.example/o/42',
        lineIndex: 2,
        align: 'center',
        moduleSize: 8,
        errorCorrection: 'H',
      },
    ]);
    expect(doc.cuts).toEqual([{ lineIndex: 3, partial: false }]);
    expect(doc.skippedBytes).toBe(0);
  });

  it('decodes the same events whatever way the stream is split', () => {
    const bytes = encodeReceipt({ items: [line('分段 𠀀 ¥'), qrCode('拆分'), line('end')] });
    const whole = new EscPosDecoder().push(bytes);
    const split: EscPosEvent[] = [];
    const d = new EscPosDecoder();
    for (const b of bytes) split.push(...d.push(Uint8Array.of(b)));
    expect(split).toEqual(whole);
  });

  it('answers DLE EOT wherever it sits and feeds blank lines for ESC d', () => {
    const bytes = Buffer.concat([
      new EscPosBuilder().initialize().text('a').build(),
      Buffer.from([0x10, 0x04, 0x02]),
      new EscPosBuilder().text('b').feed(3).build(),
    ]);
    const events = new EscPosDecoder().push(bytes);
    expect(events).toContainEqual({ type: 'status-request', n: 2 });
    expect(decodeEscPos(bytes).lines.map((l) => l.text)).toEqual(['ab', '', '']);
  });

  it('understands ESC ! print modes, ESC i cut and leaving Chinese mode', () => {
    const bytes = Buffer.from([
      0x1b,
      0x21,
      0x38,
      0x41,
      0x0a, // ESC ! bold + double height + double width
      0x1c,
      0x2e,
      0x82,
      0x0a, // FS . then a single-byte code page character (é in PC437)
      0x1b,
      0x69,
    ]);
    const doc = decodeEscPos(bytes);
    expect(doc.lines).toEqual([
      { text: 'A', align: 'left', bold: true, doubleWidth: true, doubleHeight: true },
      { text: 'é', align: 'left', bold: true, doubleWidth: true, doubleHeight: true },
    ]);
    expect(doc.cuts).toEqual([{ lineIndex: 2, partial: false }]);
  });

  it('does not print text that never got a line end, and ESC @ clears it', () => {
    expect(decodeEscPos(Buffer.from('pending')).lines).toEqual([]);
    expect(decodeEscPos(Buffer.from('x\u001b@y\n')).lines.map((l) => l.text)).toEqual(['y']);
  });

  it('skips unknown commands and counts them; strict mode throws PRINTER_STREAM_INVALID at their offset', () => {
    const bytes = Buffer.from([0x41, 0x1b, 0xff, 0x42, 0x0a]);
    expect(decodeEscPos(bytes)).toMatchObject({ lines: [{ text: 'AB' }], skippedBytes: 2 });
    const strict = new EscPosDecoder({ strict: true });
    expect(() => strict.push(bytes)).toThrow(
      expect.objectContaining({
        code: 'PRINTER_STREAM_INVALID',
        details: expect.objectContaining({ offset: 1 }),
      }),
    );
    // after the error the decoder goes on with the rest of the stream
    expect(strict.push(new Uint8Array())).toContainEqual(expect.objectContaining({ type: 'line' }));
  });

  it('rejects a QR function with a wrong length in strict mode', () => {
    const bad = Buffer.from([0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x43, 0x06, 0x00]);
    expect(() => new EscPosDecoder({ strict: true }).push(bad)).toThrow(/module size has length 4/);
  });

  it('skips raster images without buffering them', () => {
    const header = Buffer.from([0x1d, 0x76, 0x30, 0x00, 0x10, 0x00, 0x00, 0x01]); // 16 × 256 bytes
    const d = new EscPosDecoder({ strict: true });
    d.push(header);
    for (let k = 0; k < 16; k++) expect(d.push(Buffer.alloc(256, 0x0a))).toEqual([]);
    expect(d.push(Buffer.from('ok\n'))).toEqual([{ type: 'line', line: { ...plain, text: 'ok' } }]);
  });
});
