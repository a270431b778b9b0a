// The invoice card of the receipt page and the phone page: the request form while the order may ask for one,
// "submitted" once asked (the details stay editable, never shown back), and the issued invoice — number,
// amount and its PDF link as a QR code. The typed e-mail address is never shown back: whoever holds a receipt
// sees no more than it shows.
import type { OrderStatus } from '../../contract/order-status.js';
import { INVOICEABLE_STATUSES, type InvoiceRequest } from '../invoice-requests.js';
import { esc } from '../pages/html.js';
import { yuan } from './amount-in-words.js';
import { hallTime } from './hall-time.js';
import type { IssuedInvoiceView } from './invoices.js';

export interface InvoiceCardInput {
  status: OrderStatus;
  /** Where the form posts. */
  action: string;
  request?: InvoiceRequest;
  issued?: IssuedInvoiceView;
  /** A refused form post: its message, and what was typed (shown again). */
  formError?: string;
  typed?: { titleType?: string; title?: string; taxId?: string; email?: string };
}

/** Whether the card has a form (a page that refreshes itself must not, while one is on it). */
export function invoiceCardHasForm(status: OrderStatus): boolean {
  return INVOICEABLE_STATUSES.includes(status);
}

function form(input: InvoiceCardInput): string {
  const typed = input.typed ?? {};
  const organisation = typed.titleType === 'organisation' || (!typed.titleType && Boolean(typed.taxId));
  return `<form method="post" action="${esc(input.action)}" data-invoice-form>
<p><label><input type="radio" name="titleType" value="person"${organisation ? '' : ' checked'}> 个人 Person</label>
<label><input type="radio" name="titleType" value="organisation"${organisation ? ' checked' : ''}> 单位 Organisation</label></p>
<p><label for="title">发票抬头 Invoice title</label><br>
<input id="title" name="title" required maxlength="100" size="32" value="${esc(typed.title)}"></p>
<p><label for="taxId">统一社会信用代码 Credit code <span class="muted">(单位 organisations, 18 位)</span></label><br>
<input id="taxId" name="taxId" maxlength="20" size="24" autocapitalize="characters" value="${esc(typed.taxId)}"></p>
<p><label for="email">电子邮箱 E-mail <span class="muted">(电子发票 e-invoice)</span></label><br>
<input id="email" name="email" type="email" required maxlength="254" size="32" value="${esc(typed.email)}"></p>
<p><button type="submit">${input.request ? '更新申请 Update request' : '申请发票 Request invoice'}</button></p>
</form>`;
}

export function renderInvoiceCard(input: InvoiceCardInput): string {
  const { request, issued } = input;
  const error = input.formError ? `<p class="bad" data-invoice-error>${esc(input.formError)}</p>` : '';
  if (issued) {
    return `<div class="card qr" data-invoice-state="issued"><h2>发票 Invoice</h2>
<p class="status ok">已开票<br><span class="muted">Invoiced</span></p>
<p>发票号码 Number: <span data-invoice-number>${esc(issued.number)}</span></p>
<p>金额 Amount: ¥${yuan(issued.amountFen)}</p>
<p class="muted">开票时间 Issued: ${esc(hallTime(issued.issuedAt))}（北京时间 Beijing time）</p>
<div data-invoice-qr data-invoice-url="${esc(issued.url)}">${issued.qrSvg}</div>
<p><a href="${esc(issued.url)}" rel="noreferrer">下载发票 PDF Download the invoice</a></p></div>`;
  }
  if (input.status === 'invoiced') {
    return `<div class="card" data-invoice-state="invoiced"><h2>发票 Invoice</h2>${error}
<p class="status ok">已开票<br><span class="muted">Invoiced</span></p></div>`;
  }
  if (!invoiceCardHasForm(input.status)) {
    return `<div class="card" data-invoice-state="unavailable"><h2>发票 Invoice</h2>${error}
<p>证书领取后可申请发票<br><span class="muted">An invoice can be requested once the certificate is collected.</span></p></div>`;
  }
  if (request) {
    return `<div class="card" data-invoice-state="submitted"><h2>发票 Invoice</h2>
<p class="status ok">发票申请已提交<br><span class="muted">Invoice request submitted</span></p>
<p class="muted">提交时间 Submitted: ${esc(hallTime(request.updatedAt))}（北京时间 Beijing time）</p>
${error}<details${input.formError ? ' open' : ''}><summary>修改 Change</summary>${form(input)}</details></div>`;
  }
  return `<div class="card" data-invoice-state="open"><h2>申请发票 Request an invoice</h2>${error}${form(input)}</div>`;
}
