import { describe, expect, it } from 'vitest';
import { EscPosBuilder, encodeGb18030, statusRequest } from './escpos.js';
import { encodeReceipt, line, qrCode } from './receipt.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ESC/POS encoder', () => {
  it('starts a job with ESC @ then FS & (Chinese mode)', () => {
    expect(hex(new EscPosBuilder().initialize().build())).toBe('1b401c26');
  });

  it('encodes Chinese text in GB18030, including characters GBK cannot encode', () => {
    expect(hex(encodeGb18030('中文'))).toBe('d6d0cec4');
    // Extension-A 䶮 and ¥ live only in GB18030; Extension-B 𠀀 is a four-byte sequence.
    expect(hex(encodeGb18030('䶮'))).toBe('fe9f');
    expect(hex(encodeGb18030('¥'))).toBe('81308436');
    expect(hex(encodeGb18030('𠀀'))).toBe('95328236');
  });

  it('refuses control characters and lone surrogates in text with PRINTER_BAD_RECEIPT', () => {
    expect(() => encodeGb18030('a\nb')).toThrow(expect.objectContaining({ code: 'PRINTER_BAD_RECEIPT' }));
    expect(() => encodeGb18030('a\u001bb')).toThrow(/U\+001B/);
    expect(() => encodeGb18030('x\ud800')).toThrow(expect.objectContaining({ code: 'PRINTER_BAD_RECEIPT' }));
  });

  it('emits alignment, emphasis and size commands only when they change', () => {
    const bytes = new EscPosBuilder()
      .setAlign('center')
      .setBold(true)
      .setSize(true, true)
      .text('A')
      .lineFeed()
      .setAlign('center')
      .setBold(true)
      .setSize(false, true)
      .text('B')
      .lineFeed()
      .feed(3)
      .build();
    expect(hex(bytes)).toBe('1b61011b45011d2111410a1d2101420a1b6403');
  });

  it('emits the five GS ( k QR functions with the right lengths', () => {
    const bytes = new EscPosBuilder().qr('AB', { moduleSize: 7, errorCorrection: 'Q' }).build();
    expect(hex(bytes)).toBe(
      [
        '1d286b04003141 3200', // model 2
        '1d286b03003143 07', // module size
        '1d286b03003145 32', // error correction Q
        '1d286b0500315030 4142', // store: pL = 2 + 3
        '1d286b03003151 30', // print
      ]
        .join('')
        .replaceAll(' ', ''),
    );
  });

  it('counts the QR store length over 255 bytes in pL and pH', () => {
    const bytes = new EscPosBuilder().qr('x'.repeat(300)).build();
    const store = Buffer.from(bytes).indexOf(Buffer.from([0x1d, 0x28, 0x6b, 0x2f, 0x01, 0x31, 0x50, 0x30]));
    expect(store).toBeGreaterThan(0); // 303 = 0x12F
  });

  it('refuses QR payloads that are empty, too long or need impossible options', () => {
    const b = new EscPosBuilder();
    expect(() => b.qr('')).toThrow(expect.objectContaining({ code: 'PRINTER_BAD_RECEIPT' }));
    expect(() => b.qr('x'.repeat(1274), { errorCorrection: 'H' })).toThrow(/at most 1273/);
    expect(() => b.qr('x', { moduleSize: 17 })).toThrow(/1…16/);
  });

  it('cuts with GS V 65/66 n', () => {
    expect(hex(new EscPosBuilder().cut().build())).toBe('1d564130');
    expect(hex(new EscPosBuilder().cut('partial', 0).build())).toBe('1d564200');
  });

  it('turns a receipt into init, styled lines, QR and feed-and-cut', () => {
    const bytes = encodeReceipt({ items: [line('收据', { align: 'center', bold: true }), qrCode('Q')] });
    const h = hex(bytes);
    expect(h.startsWith('1b401c26' + '1b6101' + '1b4501' + 'cad5bedd' + '0a')).toBe(true);
    expect(h.endsWith('1d286b03003151301d564130')).toBe(true);
    expect(hex(encodeReceipt({ items: [], cut: 'none' }))).toBe('1b401c26');
  });

  it('asks for real-time status with DLE EOT n', () => {
    expect(hex(statusRequest(4))).toBe('100404');
  });
});
