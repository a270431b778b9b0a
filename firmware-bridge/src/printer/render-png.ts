// Draws a decoded receipt the way an 80 mm thermal printer lays it out (576 dots, 12×24 / 24×24 cells),
// so a person can look at what the kiosk printed.
import { existsSync } from 'node:fs';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import QRCode from 'qrcode';
import type { PrintedDocument, PrintedLine, PrintedQr } from './decoder.js';
import { cellsOf } from './escpos.js';

/** Layout in printer dots (203 dpi); one canvas pixel is one dot. */
export const RECEIPT_LAYOUT = {
  width: 576,
  margin: 24,
  cellWidth: 12,
  cellHeight: 24,
  /** Default line spacing (ESC 2): 30 dots from one line to the next. */
  lineGap: 6,
  qrMargin: 12,
  cutHeight: 24,
} as const;

const L = RECEIPT_LAYOUT;
const FONT_FAMILY = 'certkiosk-receipt-cjk';
const FONT_FILES = [
  [
    '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
    '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc',
  ],
  ['/usr/share/fonts/truetype/wqy/wqy-microhei.ttc'],
];
let fontsRegistered = false;

// A system font with CJK glyphs; without one, Chinese text would render as boxes.
function registerFonts(): void {
  if (fontsRegistered) return;
  fontsRegistered = true;
  for (const files of FONT_FILES) {
    if (!existsSync(files[0]!)) continue;
    for (const f of files) if (existsSync(f)) GlobalFonts.registerFromPath(f, FONT_FAMILY);
    return;
  }
}

/** Characters of a line broken into the physical rows a 576-dot head prints. */
function rows(line: PrintedLine): string[][] {
  const perRow = L.width / L.cellWidth;
  const scale = line.doubleWidth ? 2 : 1;
  const out: string[][] = [[]];
  let used = 0;
  for (const ch of line.text) {
    const cells = cellsOf(ch) * scale;
    if (used + cells > perRow && used > 0) {
      out.push([]);
      used = 0;
    }
    out[out.length - 1]!.push(ch);
    used += cells;
  }
  return out;
}

function rowHeight(line: PrintedLine): number {
  return L.cellHeight * (line.doubleHeight ? 2 : 1) + L.lineGap;
}

interface QrPlacement {
  size: number;
  moduleSize: number;
  modules: { get(row: number, col: number): number };
}

function placeQr(qr: PrintedQr): QrPlacement {
  const code = QRCode.create([{ data: Buffer.from(qr.payload, 'utf8'), mode: 'byte' }], {
    errorCorrectionLevel: qr.errorCorrection,
  });
  const size = code.modules.size;
  // A symbol wider than the paper is shrunk, as printers do, rather than clipped.
  const moduleSize = Math.max(1, Math.min(qr.moduleSize, Math.floor(L.width / size)));
  return { size, moduleSize, modules: code.modules };
}

/** Pixel size of the rendered receipt. */
export function receiptImageSize(doc: PrintedDocument): { width: number; height: number } {
  let height = 2 * L.margin + doc.cuts.length * L.cutHeight;
  for (const line of doc.lines) height += rows(line).length * rowHeight(line);
  for (const qr of doc.qrCodes) {
    const p = placeQr(qr);
    height += p.size * p.moduleSize + 2 * L.qrMargin;
  }
  return { width: L.width, height };
}

/** Render a decoded document to PNG bytes (white paper, black print, dashed line at each cut). */
export async function renderReceiptPng(doc: PrintedDocument): Promise<Buffer> {
  registerFonts();
  const { width, height } = receiptImageSize(doc);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000000';
  ctx.strokeStyle = '#000000';
  ctx.textBaseline = 'alphabetic';

  let y: number = L.margin;
  const drawItemsBefore = (lineIndex: number) => {
    for (const qr of doc.qrCodes) if (qr.lineIndex === lineIndex) y = drawQr(ctx, qr, y);
    for (const cut of doc.cuts) if (cut.lineIndex === lineIndex) y = drawCut(ctx, y);
  };
  doc.lines.forEach((line, i) => {
    drawItemsBefore(i);
    for (const row of rows(line)) y = drawRow(ctx, line, row, y);
  });
  drawItemsBefore(doc.lines.length);
  return canvas.encode('png');
}

function drawRow(ctx: SKRSContext2D, line: PrintedLine, chars: string[], top: number): number {
  const sx = line.doubleWidth ? 2 : 1;
  const sy = line.doubleHeight ? 2 : 1;
  const rowWidth = chars.reduce((w, ch) => w + cellsOf(ch) * L.cellWidth * sx, 0);
  let x =
    line.align === 'center' ? (L.width - rowWidth) / 2 : line.align === 'right' ? L.width - rowWidth : 0;
  ctx.font = `${line.bold ? 'bold ' : ''}${L.cellHeight - 2}px "${FONT_FAMILY}", "Noto Sans CJK SC", sans-serif`;
  const baseline = top + (L.cellHeight - 4) * sy;
  for (const ch of chars) {
    const cellWidth = cellsOf(ch) * L.cellWidth;
    const glyphWidth = ctx.measureText(ch).width;
    ctx.save();
    ctx.translate(x, baseline);
    ctx.scale(sx, sy);
    // Centre each glyph in its cell: the printer's font is fixed-pitch, the screen font is not.
    ctx.fillText(ch, Math.max(0, (cellWidth - glyphWidth) / 2), 0);
    ctx.restore();
    x += cellWidth * sx;
  }
  return top + rowHeight(line);
}

function drawQr(ctx: SKRSContext2D, qr: PrintedQr, top: number): number {
  const p = placeQr(qr);
  const px = p.size * p.moduleSize;
  const left =
    qr.align === 'center' ? Math.floor((L.width - px) / 2) : qr.align === 'right' ? L.width - px : 0;
  const y0 = top + L.qrMargin;
  for (let r = 0; r < p.size; r++) {
    for (let c = 0; c < p.size; c++) {
      if (p.modules.get(r, c))
        ctx.fillRect(left + c * p.moduleSize, y0 + r * p.moduleSize, p.moduleSize, p.moduleSize);
    }
  }
  return y0 + px + L.qrMargin;
}

function drawCut(ctx: SKRSContext2D, top: number): number {
  const y = top + L.cutHeight / 2;
  ctx.save();
  ctx.setLineDash([8, 6]);
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(0, y);
  ctx.lineTo(L.width, y);
  ctx.stroke();
  ctx.restore();
  return top + L.cutHeight;
}
