import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { decodeEscPos, type PrintedDocument } from './decoder.js';
import { encodeReceipt, line, qrCode } from './receipt.js';
import { RECEIPT_LAYOUT as L, renderReceiptPng } from './render-png.js';

async function pixels(png: Buffer) {
  const img = await loadImage(png);
  const ctx = createCanvas(img.width, img.height).getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: ctx.getImageData(0, 0, img.width, img.height).data };
}

const oneLine = (text: string): PrintedDocument =>
  decodeEscPos(encodeReceipt({ items: [line(text)], cut: 'none' }));

describe('receipt PNG rendering', () => {
  it('renders a PNG of the paper width and the height the layout gives', async () => {
    const doc = decodeEscPos(
      encodeReceipt({
        items: [
          line('凭证', { align: 'center', doubleHeight: true, doubleWidth: true }),
          line('a'),
          line('b', { bold: true }),
          qrCode('hello', { moduleSize: 6, errorCorrection: 'M' }), // version 1: 21 modules
          line('谢谢'),
        ],
      }),
    );
    const img = await pixels(await renderReceiptPng(doc));
    const normal = L.cellHeight + L.lineGap;
    const double = 2 * L.cellHeight + L.lineGap;
    const qr = 21 * 6 + 2 * L.qrMargin;
    expect(img.width).toBe(576);
    expect(img.height).toBe(2 * L.margin + double + 3 * normal + qr + L.cutHeight);
  });

  it('wraps a line longer than 48 columns onto a second row', async () => {
    const short = await pixels(await renderReceiptPng(oneLine('x'.repeat(48))));
    const long = await pixels(await renderReceiptPng(oneLine('x'.repeat(49))));
    const wide = await pixels(await renderReceiptPng(oneLine('中'.repeat(25))));
    expect(long.height - short.height).toBe(L.cellHeight + L.lineGap);
    expect(wide.height).toBe(long.height);
  });

  it('draws Chinese characters with a CJK font (two characters give two different pictures)', async () => {
    const a = await pixels(await renderReceiptPng(oneLine('中')));
    const b = await pixels(await renderReceiptPng(oneLine('国')));
    const blank = await pixels(await renderReceiptPng(oneLine('')));
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(false);
    const dark = (d: Uint8ClampedArray) => d.filter((v, i) => i % 4 === 0 && v < 128).length;
    expect(dark(a.data)).toBeGreaterThan(50);
    expect(dark(blank.data)).toBe(0);
  });
});
