// The receipt document model callers build, so nobody above the driver touches ESC/POS bytes.
import { type Align, EscPosBuilder, type QrErrorCorrection } from './escpos.js';

export interface TextStyle {
  align?: Align;
  bold?: boolean;
  doubleWidth?: boolean;
  doubleHeight?: boolean;
}

/** One printed line (no control characters; a line longer than the paper wraps on the printer). */
export interface ReceiptText extends TextStyle {
  kind: 'text';
  text: string;
}

export interface ReceiptQr {
  kind: 'qr';
  /** Stored as UTF-8 bytes in the symbol. */
  payload: string;
  align?: Align;
  moduleSize?: number;
  errorCorrection?: QrErrorCorrection;
}

export type ReceiptItem = ReceiptText | ReceiptQr;

export interface Receipt {
  items: ReceiptItem[];
  /** How the job ends; default `'full'`. */
  cut?: 'full' | 'partial' | 'none';
}

/** Shorthand for a text item: `line('合计', { bold: true })`. */
export function line(text: string, style: TextStyle = {}): ReceiptText {
  return { kind: 'text', text, ...style };
}

export function qrCode(payload: string, opts: Omit<ReceiptQr, 'kind' | 'payload'> = {}): ReceiptQr {
  return { kind: 'qr', payload, ...opts };
}

/** Receipt → one ESC/POS job: ESC @ and FS &, the items, then feed-and-cut. Throws PRINTER_BAD_RECEIPT. */
export function encodeReceipt(receipt: Receipt): Uint8Array {
  return receiptBuilder(receipt).build();
}

/** The same job split between items, so a driver can check status mid-job without splitting a command. */
export function encodeReceiptSegments(receipt: Receipt): Uint8Array[] {
  return receiptBuilder(receipt).buildSegments();
}

function receiptBuilder(receipt: Receipt): EscPosBuilder {
  const b = new EscPosBuilder().initialize().boundary();
  for (const item of receipt.items) {
    if (item.kind === 'text') {
      b.setAlign(item.align ?? 'left')
        .setBold(item.bold ?? false)
        .setSize(item.doubleWidth ?? false, item.doubleHeight ?? false)
        .text(item.text)
        .lineFeed();
    } else {
      b.setAlign(item.align ?? 'center');
      b.qr(item.payload, { moduleSize: item.moduleSize, errorCorrection: item.errorCorrection });
    }
    b.boundary();
  }
  const cut = receipt.cut ?? 'full';
  if (cut !== 'none') b.cut(cut);
  return b;
}
