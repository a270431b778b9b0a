// A decoded receipt as plain text for a terminal: 48 columns, aligned like the paper, QR codes and cuts marked.
import type { PrintedDocument, PrintedLine } from './decoder.js';
import { cellsOf } from './escpos.js';

const COLUMNS = 48;

function width(text: string, scale: number): number {
  let w = 0;
  for (const ch of text) w += cellsOf(ch) * scale;
  return w;
}

function indent(align: PrintedLine['align'], used: number): number {
  const free = Math.max(0, COLUMNS - used);
  return align === 'center' ? Math.floor(free / 2) : align === 'right' ? free : 0;
}

function place(text: string, align: PrintedLine['align'], used: number): string {
  return ' '.repeat(indent(align, used)) + text;
}

function formatLine(line: PrintedLine): string {
  // The paper width a double-width line takes decides its position; the terminal shows it at single width.
  const left = indent(line.align, width(line.text, line.doubleWidth ? 2 : 1));
  const body = ' '.repeat(left) + line.text;
  const marks = [line.bold && 'bold', line.doubleWidth && '2w', line.doubleHeight && '2h'].filter(Boolean);
  if (marks.length === 0) return body;
  const pad = ' '.repeat(Math.max(0, COLUMNS - left - width(line.text, 1)));
  return `${body}${pad}  [${marks.join(',')}]`;
}

export function formatReceiptText(doc: PrintedDocument): string {
  const out: string[] = [];
  const itemsAt = (i: number) => {
    for (const qr of doc.qrCodes.filter((q) => q.lineIndex === i)) {
      const label = `[QR ${qr.errorCorrection} ×${qr.moduleSize}] ${qr.payload}`;
      out.push(place(label, qr.align, width(label, 1)));
    }
    for (const cut of doc.cuts.filter((c) => c.lineIndex === i)) {
      out.push(
        `${'-'.repeat(COLUMNS / 2 - 6)} ${cut.partial ? 'partial cut' : '  full cut '} ${'-'.repeat(COLUMNS / 2 - 7)}`,
      );
    }
  };
  doc.lines.forEach((line, i) => {
    itemsAt(i);
    out.push(formatLine(line).trimEnd());
  });
  itemsAt(doc.lines.length);
  return `${out.join('\n')}\n`;
}
