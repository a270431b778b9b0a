// A QR code drawn by the UI itself (the issued invoice's link, for the holder's phone): the `qrcode` package
// (the one central draws its pages' codes with) makes the modules, this turns them into one SVG path, so the
// screen needs neither a canvas nor {@html}.
import QRCode from 'qrcode';

/** Modules of light border on each side (the quiet zone a reader needs). */
export const QR_QUIET_ZONE = 4;

export interface QrPicture {
  /** Width and height in modules, quiet zone included: the SVG's viewBox is `0 0 size size`. */
  size: number;
  /** The dark modules, one unit each, a horizontal run of them as one rectangle. */
  path: string;
}

/** The QR code of `text` (error correction M, as central's pages). */
export function qrPicture(text: string): QrPicture {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const runs: string[] = [];
  for (let row = 0; row < n; row++) {
    let col = 0;
    while (col < n) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && modules.get(row, col)) col++;
      const w = col - start;
      runs.push(`M${start + QR_QUIET_ZONE} ${row + QR_QUIET_ZONE}h${w}v1h-${w}z`);
    }
  }
  return { size: n + 2 * QR_QUIET_ZONE, path: runs.join('') };
}
