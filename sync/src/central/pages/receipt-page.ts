// The receipt page: what the QR code on a kiosk receipt opens (`/lookup/<order id>/<receipt token>`). Masked
// data only — order id, certificate type, status, the holder's masked name, the amount paid — and the
// invoice card (the request form; once issued, the invoice with its PDF link as a QR code). No ID number, full name, phone or organisation details: whoever holds the paper
// receipt (or a photo of it) sees no more than the receipt itself shows.
import { CERTIFICATE_TYPE_LABELS, maskName } from '@certkiosk/config';
import type { Order } from '../../contract/schemas.js';
import type { InvoiceRequest } from '../invoice-requests.js';
import { renderInvoiceCard } from '../invoices/invoice-card.js';
import type { IssuedInvoiceView } from '../invoices/invoices.js';
import { esc, layout } from './html.js';
import { statusLabel } from './phone-page.js';

export interface ReceiptPageInput {
  order: Order;
  /** The page's own path (`/lookup/<id>/<token>`): the form posts to `<path>/invoice`. */
  path: string;
  invoice?: InvoiceRequest;
  /** The issued invoice: number, amount and its PDF link as a QR code. */
  issued?: IssuedInvoiceView;
  /** A refused form post: its message, and what was typed (shown again). */
  formError?: string;
  typed?: { titleType?: string; title?: string; taxId?: string; email?: string };
}

/** The masked name on the receipt page: the holder's, else the legal representative's (organisation). */
function maskedPerson(order: Order): string | null {
  const who = order.holder ?? order.legalRepresentative;
  return who ? maskName(who.name) : null;
}

export function renderReceiptPage(input: ReceiptPageInput): string {
  const { order } = input;
  const [zh, en] = statusLabel(order);
  const type = CERTIFICATE_TYPE_LABELS[order.certificateType];
  const person = maskedPerson(order);
  const card = `<div class="card" data-order-id="${esc(order.id)}"><h1>订单 Order ${esc(order.id)}</h1>
<div class="status" data-status="${esc(order.status)}">${esc(zh)}<br><span class="muted">${esc(en)}</span></div>
<p>证书类型 Certificate: ${esc(type.zh)} ${esc(type.en)}</p>
${person ? `<p>持有人 Holder: <span data-holder>${esc(person)}</span></p>` : ''}
<p>服务年限 Years: ${order.serviceYears}</p>
<p>支付金额 Paid: ¥${(order.priceFen / 100).toFixed(2)}</p>
<p class="muted">领取大厅 Hall: ${esc(order.hall)}</p></div>`;
  const invoice = renderInvoiceCard({
    status: order.status,
    action: `${input.path}/invoice`,
    ...(input.invoice ? { request: input.invoice } : {}),
    ...(input.issued ? { issued: input.issued } : {}),
    ...(input.formError ? { formError: input.formError } : {}),
    ...(input.typed ? { typed: input.typed } : {}),
  });
  return layout(`订单 ${order.id}`, `${card}\n${invoice}`);
}

/** The answer to a receipt link that opens nothing (unknown order or wrong token: the same page). */
export function renderReceiptNotFound(): string {
  return layout(
    '未找到 Not found',
    `<div class="card bad" data-not-found><p>未找到此订单，请核对凭证上的二维码。<br>No order behind this link; check the QR code on your receipt.</p></div>`,
  );
}
