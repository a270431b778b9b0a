// The receipt page: what the QR code on a kiosk receipt opens (`/lookup/<order id>/<receipt token>`). Masked
// data only — order id, certificate type, status, the holder's masked name, the amount paid — and the
// invoice request form. No ID number, full name, phone or organisation details: whoever holds the paper
// receipt (or a photo of it) sees no more than the receipt itself shows.
import { CERTIFICATE_TYPE_LABELS, maskName } from '@certkiosk/config';
import type { OrderStatus } from '../../contract/order-status.js';
import type { Order } from '../../contract/schemas.js';
import { INVOICEABLE_STATUSES, type InvoiceRequest } from '../invoice-requests.js';
import { esc, layout } from './html.js';
import { statusLabel } from './phone-page.js';

/** Central's times on its pages are the halls' local time. */
const PAGE_TIME_ZONE = 'Asia/Shanghai';

function localTime(iso: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: PAGE_TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

export interface ReceiptPageInput {
  order: Order;
  /** The page's own path (`/lookup/<id>/<token>`): the form posts to `<path>/invoice`. */
  path: string;
  invoice?: InvoiceRequest;
  /** A refused form post: its message, and what was typed (shown again). */
  formError?: string;
  typed?: { title?: string; taxId?: string; email?: string };
}

/** The masked name on the receipt page: the holder's, else the legal representative's (organisation). */
function maskedPerson(order: Order): string | null {
  const who = order.holder ?? order.legalRepresentative;
  return who ? maskName(who.name) : null;
}

function invoiceCard(input: ReceiptPageInput): string {
  const { order, invoice } = input;
  const error = input.formError ? `<p class="bad" data-invoice-error>${esc(input.formError)}</p>` : '';
  if (order.status === 'invoiced') {
    return `<div class="card" data-invoice-state="invoiced"><h2>发票 Invoice</h2>${error}
<p class="status ok">已开票<br><span class="muted">Invoiced</span></p></div>`;
  }
  const can = (INVOICEABLE_STATUSES as readonly OrderStatus[]).includes(order.status);
  if (!can) {
    return `<div class="card" data-invoice-state="unavailable"><h2>发票 Invoice</h2>${error}
<p>证书领取后可申请发票<br><span class="muted">An invoice can be requested once the certificate is collected.</span></p></div>`;
  }
  const typed = input.typed ?? {};
  const form = `<form method="post" action="${esc(`${input.path}/invoice`)}" data-invoice-form>
<p><label for="title">发票抬头 Invoice title</label><br>
<input id="title" name="title" required maxlength="100" size="32" value="${esc(typed.title)}"></p>
<p><label for="taxId">纳税人识别号 Tax ID <span class="muted">(单位 organisations)</span></label><br>
<input id="taxId" name="taxId" maxlength="20" size="24" autocapitalize="characters" value="${esc(typed.taxId)}"></p>
<p><label for="email">电子邮箱 E-mail <span class="muted">(电子发票 e-invoice)</span></label><br>
<input id="email" name="email" type="email" required maxlength="254" size="32" value="${esc(typed.email)}"></p>
<p><button type="submit">${invoice ? '更新申请 Update request' : '申请发票 Request invoice'}</button></p>
</form>`;
  if (invoice) {
    return `<div class="card" data-invoice-state="submitted"><h2>发票 Invoice</h2>
<p class="status ok">发票申请已提交<br><span class="muted">Invoice request submitted</span></p>
<p class="muted">提交时间 Submitted: ${esc(localTime(invoice.updatedAt))}（北京时间 Beijing time）</p>
${error}<details${input.formError ? ' open' : ''}><summary>修改 Change</summary>${form}</details></div>`;
  }
  return `<div class="card" data-invoice-state="open"><h2>申请发票 Request an invoice</h2>${error}${form}</div>`;
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
  return layout(`订单 ${order.id}`, `${card}\n${invoiceCard(input)}`);
}

/** The answer to a receipt link that opens nothing (unknown order or wrong token: the same page). */
export function renderReceiptNotFound(): string {
  return layout(
    '未找到 Not found',
    `<div class="card bad" data-not-found><p>未找到此订单，请核对凭证上的二维码。<br>No order behind this link; check the QR code on your receipt.</p></div>`,
  );
}
