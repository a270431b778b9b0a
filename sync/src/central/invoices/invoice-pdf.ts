// The invoice as a PDF (pdfkit, A5 landscape), with the Chinese text in a subset of a CJK font embedded (pdfkit
// subsets TTF/OTF/TTC fonts through fontkit), so any reader shows it and pdftotext reads it back. Dated with
// the issue time, so rendering the same invoice again gives the same document.
import PDFDocument from 'pdfkit';
import type { InvoiceTitleType } from '../../contract/invoices.js';
import { amountInWords, yuan } from './amount-in-words.js';
import type { CjkFont } from './cjk-font.js';
import { hallDate } from './hall-time.js';

/** Everything printed on an invoice. */
export interface InvoiceContent {
  number: string;
  issuedAt: string;
  titleType: InvoiceTitleType;
  /** The buyer (发票抬头). */
  title: string;
  taxId?: string;
  amountFen: number;
  /** What was paid for, e.g. 数字证书服务（自然人证书，2 年）. */
  item: string;
  orderId: string;
  /** The seller (the CA). */
  seller: string;
}

const MARGIN = 36;
const INK = '#1c2430';
const RULE = '#8a6d3b';

export function renderInvoicePdf(c: InvoiceContent, font: CjkFont): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A5',
    layout: 'landscape',
    margin: MARGIN,
    info: {
      Title: `电子发票 ${c.number}`,
      Subject: `Invoice ${c.number} for order ${c.orderId}`,
      Author: c.seller,
      CreationDate: new Date(c.issuedAt),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (b: Buffer) => chunks.push(b));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('cjk', font.path, font.postscriptName);
  doc.font('cjk').fillColor(INK);

  const width = doc.page.width - 2 * MARGIN;
  const right = { width, align: 'right' as const };
  doc.fontSize(20).fillColor(RULE).text('电子发票（普通发票）', MARGIN, MARGIN, { width, align: 'center' });
  doc.fontSize(9).text('Electronic invoice', { width, align: 'center' }).fillColor(INK);
  doc.moveDown(0.6);
  doc.fontSize(10).text(`发票号码 Number: ${c.number}`, right);
  doc.text(`开票日期 Date: ${hallDate(c.issuedAt)}`, right);

  const box = (top: number, height: number) =>
    doc.lineWidth(0.8).strokeColor(RULE).rect(MARGIN, top, width, height).stroke();
  const row = (label: string, value: string, y: number) => {
    doc
      .fontSize(9)
      .fillColor('#667')
      .text(label, MARGIN + 10, y, { width: 170 });
    doc
      .fontSize(11)
      .fillColor(INK)
      .text(value, MARGIN + 180, y - 1, { width: width - 190 });
  };

  let y = doc.y + 10;
  box(y, 58);
  row('购买方 Buyer', c.title, y + 8);
  row(
    c.titleType === 'organisation' ? '统一社会信用代码 Credit code' : '纳税人识别号 Tax ID',
    c.taxId ?? '—',
    y + 32,
  );
  y += 68;
  box(y, 58);
  row('项目名称 Item', c.item, y + 8);
  row('订单号 Order', c.orderId, y + 32);
  y += 68;
  box(y, 58);
  row('价税合计（小写）Total', `¥${yuan(c.amountFen)}`, y + 8);
  row('价税合计（大写）In words', amountInWords(c.amountFen), y + 32);
  y += 68;
  box(y, 34);
  row('销售方 Seller', c.seller, y + 10);

  doc.end();
  return done;
}
