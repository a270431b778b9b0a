// The applicant's phone page: order status; while a bank transfer is awaited, how to pay and "I have paid"; when
// approved for kiosk pickup, the pickup QR code; once collected, the invoice card (request form, then the issued
// invoice's PDF link as a QR code); in the demo, while the kiosk shows a WeChat Pay QR code, a pay button.
import { CERTIFICATE_TYPE_LABELS } from '@certkiosk/config';
import QRCode from 'qrcode';
import type { OrderStatus } from '../../contract/order-status.js';
import type { Order, PickupCodeResponse } from '../../contract/schemas.js';
import { maskIdNumber } from '../id-number.js';
import { type InvoiceCardInput, invoiceCardHasForm, renderInvoiceCard } from '../invoices/invoice-card.js';
import { type DemoPayCardInput, renderDemoPayCard } from './demo-pay-card.js';
import { esc, layout } from './html.js';
import { renderTransferCard, TRANSFER_DECLARED_LABEL, type TransferCardInput } from './transfer-card.js';

export const STATUS_LABELS: Record<OrderStatus, [zh: string, en: string]> = {
  submitted: ['已提交', 'Submitted'],
  'awaiting-payment': ['待支付', 'Awaiting payment'],
  paid: ['已支付', 'Paid'],
  'transfer-pending': ['待确认转账', 'Bank transfer pending'],
  'identity-pending': ['待身份核验', 'Identity verification pending'],
  'under-review': ['审核中', 'Under review'],
  rejected: ['已驳回', 'Rejected'],
  approved: ['审核通过，可到大厅自助领取', 'Approved — collect at the kiosk'],
  // Central signed the certificate; only the kiosk's activation report says it is on the key with its PIN set.
  issued: ['已签发，待写入', 'Issued, not yet written to the key'],
  shipped: ['已快递寄出', 'Shipped by courier'],
  activated: ['已激活', 'Activated'],
  invoiced: ['已开票', 'Invoiced'],
};

/**
 * What the applicant reads for the order: a kiosk order that reached `activated` was collected (written, PIN
 * set); a transfer the applicant reported paid awaits the bank statement match.
 */
export function statusLabel(
  order: Pick<Order, 'status' | 'delivery' | 'transferDeclaredAt'>,
): [zh: string, en: string] {
  if (order.status === 'activated' && order.delivery === 'kiosk') return ['已领取', 'Collected at the kiosk'];
  if (order.status === 'transfer-pending' && order.transferDeclaredAt) return TRANSFER_DECLARED_LABEL;
  return STATUS_LABELS[order.status];
}

const typeLabel = (t: Order['certificateType']) =>
  `${CERTIFICATE_TYPE_LABELS[t].zh} ${CERTIFICATE_TYPE_LABELS[t].en}`;

export async function renderPhonePage(
  order: Order,
  pickup: PickupCodeResponse | null,
  invoice?: Omit<InvoiceCardInput, 'status'>,
  transfer?: TransferCardInput,
  /** Demo only (the WeChat Pay simulator): the kiosk payment's pay button, `open` while it can be paid. */
  demoPay?: DemoPayCardInput & { open: boolean },
): Promise<string> {
  const [zh, en] = statusLabel(order);
  const who = order.holder ?? order.legalRepresentative;
  const parts = [
    `<div class="card"><h1>订单 ${esc(order.id)}</h1>
<div class="status" data-status="${esc(order.status)}">${esc(zh)}<br><span class="muted">${esc(en)}</span></div>
<p>${esc(typeLabel(order.certificateType))} · ${order.serviceYears} 年 · ¥${(order.priceFen / 100).toFixed(2)}</p>
${order.organisation ? `<p>${esc(order.organisation.name)}</p>` : ''}
${who ? `<p>${esc(who.name)} · ${esc(maskIdNumber(who.idNumber))}</p>` : ''}
<p class="muted">领取大厅 Hall: ${esc(order.hall)}</p></div>`,
  ];
  if (transfer) parts.push(renderTransferCard(order, transfer));
  if (demoPay) parts.push(renderDemoPayCard(demoPay, demoPay.open));
  if (order.status === 'rejected' && order.rejectReason) {
    parts.push(`<div class="card bad"><p>驳回原因 Reason: ${esc(order.rejectReason)}</p></div>`);
  }
  if (pickup) {
    const svg = await QRCode.toString(pickup.token, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    parts.push(`<div class="card qr"><p>请在自助终端扫描此二维码领取证书<br><span class="muted">Scan this code at the kiosk</span></p>
<div id="pickup-qr" data-pickup-code="${esc(pickup.token)}">${svg}</div>
<p class="muted">有效期至 Valid until ${esc(pickup.expiresAt)}</p></div>`);
  }
  if (invoice) parts.push(renderInvoiceCard({ ...invoice, status: order.status }));
  // A page that reloads itself would wipe a half-typed invoice request.
  const refreshS = invoice && invoiceCardHasForm(order.status) ? undefined : 30;
  return layout(`订单 ${order.id}`, parts.join('\n'), refreshS);
}
