// A phone camera reading the paper: the QR codes' content found in a rendered receipt PNG (tests only).
import { createCanvas, loadImage } from '@napi-rs/canvas';
import jsqr from 'jsqr';

type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
// jsqr is CommonJS: Node's ESM loader puts the function on `default.default`, bundlers on `default`.
const decode: Decode = ((jsqr as unknown as { default?: Decode }).default ?? jsqr) as Decode;

/** The content of the QR code in a PNG, or null when none is found. */
export async function readQr(png: Buffer): Promise<string | null> {
  const img = await loadImage(png);
  const ctx = createCanvas(img.width, img.height).getContext('2d');
  ctx.drawImage(img, 0, 0);
  const { data, width, height } = ctx.getImageData(0, 0, img.width, img.height);
  return (
    decode(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), width, height)?.data ?? null
  );
}
