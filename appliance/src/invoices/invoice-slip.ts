// The invoice slip (发票凭条): printed at the kiosk when the holder asks for it on the invoice screen, through the
// receipt printer like the receipt. It carries the order id masked, the amount, the invoice number once issued (else
// 已申请 requested), and a QR code of the order's invoice link on central — the PDF once issued, the order's page
// until then — so the same slip fetches the invoice later. Masked data only: it may wait in the reprint queue.
import { line, qrCode, type Receipt } from '@certkiosk/firmware-bridge';
import { maskOrderId } from '@certkiosk/sync';
import type { InvoiceView } from '../api/contract.js';
import { localDateTime, type ReceiptSettings, receiptZone, yuan } from '../journey/receipt.js';

/** The slip as data (kept in the reprint queue, so it prints the same later). */
export interface InvoiceSlipData {
  orderIdMasked: string;
  state: 'requested' | 'issued';
  /** The invoice number once issued. */
  number?: string;
  /** The amount invoiced (or to be), in fen, when central said it. */
  amountFen?: number;
  /** The order's invoice link (else the issued PDF's); empty when central gave none (no QR code). */
  link: string;
  /** Local time with its UTC offset: `2026-03-01 19:41:00 UTC+8`. */
  time: string;
  kioskId: string;
  hallName: string;
  serviceHotline?: string;
}

/** Labels of the slip lines: Chinese first, English second. */
export const INVOICE_SLIP_LABELS = {
  title: ['发票凭条', 'Invoice Slip'],
  reprint: ['补打', 'REPRINT'],
  orderId: ['订单号', 'Order'],
  amount: ['发票金额', 'Amount'],
  number: ['发票号码', 'Invoice No.'],
  requested: ['已申请，待开具', 'Requested'],
  hall: ['办理大厅', 'Hall'],
  kiosk: ['自助终端', 'Kiosk'],
  time: ['打印时间', 'Printed'],
  hotline: ['服务热线', 'Hotline'],
  scan: ['扫码获取电子发票', 'Scan for the invoice PDF'],
  noQr: ['发票将发送至您的邮箱', 'The invoice is sent by e-mail'],
} as const satisfies Record<string, readonly [zh: string, en: string]>;

/** The slip of an order's invoice as central answered it (requested or issued), printed now. */
export function invoiceSlipData(
  orderId: string,
  invoice: Exclude<InvoiceView, { state: 'none' }>,
  kiosk: ReceiptSettings,
  now: Date,
): InvoiceSlipData {
  const printed = localDateTime(now, receiptZone(kiosk.timeZone));
  const link = invoice.link ?? (invoice.state === 'issued' ? invoice.url : '');
  return {
    orderIdMasked: maskOrderId(orderId),
    state: invoice.state,
    ...(invoice.state === 'issued' ? { number: invoice.number } : {}),
    ...(invoice.amountFen !== undefined ? { amountFen: invoice.amountFen } : {}),
    link,
    time: `${printed.date} ${printed.time} ${printed.offset}`,
    kioskId: kiosk.kioskId,
    hallName: kiosk.hallName ?? kiosk.hall,
    ...(kiosk.serviceHotline ? { serviceHotline: kiosk.serviceHotline } : {}),
  };
}

const label = (l: readonly [string, string], value: string) => line(`${l[0]} ${l[1]}: ${value}`);
const both = (l: readonly [string, string]) => `${l[0]} ${l[1]}`;

export function invoiceSlipDocument(d: InvoiceSlipData, opts: { reprint?: boolean } = {}): Receipt {
  const L = INVOICE_SLIP_LABELS;
  const items: Receipt['items'] = [line(both(L.title), { align: 'center', bold: true, doubleHeight: true })];
  if (opts.reprint) {
    items.push(line(both(L.reprint), { align: 'center', bold: true, doubleWidth: true, doubleHeight: true }));
  }
  items.push(line(''), label(L.orderId, d.orderIdMasked));
  if (d.amountFen !== undefined) items.push(label(L.amount, yuan(d.amountFen)));
  items.push(d.number ? label(L.number, d.number) : line(both(L.requested)));
  items.push(label(L.hall, d.hallName), label(L.kiosk, d.kioskId), label(L.time, d.time));
  if (d.serviceHotline) items.push(label(L.hotline, d.serviceHotline));
  items.push(line(''));
  if (d.link) items.push(line(both(L.scan), { align: 'center' }), qrCode(d.link, { align: 'center' }));
  else items.push(line(both(L.noQr), { align: 'center' }));
  return { items, cut: 'full' };
}
