// The bank-transfer card of the applicant's phone page: how to pay (amount, remittance code), the "I have paid"
// (我已打款) button, and once pressed, that the transfer awaits the bank statement match. Pressing it records a
// time only: the applicant's word is no payment, the order is paid when the statement shows the money.
import type { Order } from '../../contract/schemas.js';
import { yuan } from '../invoices/amount-in-words.js';
import { hallTime } from '../invoices/hall-time.js';
import { esc } from './html.js';

export interface TransferCardInput {
  /** Where the "I have paid" form posts. */
  action: string;
  /** A refused press (the order awaits no transfer): the message shown. */
  refused?: string;
}

/** The order's state as the applicant reads it once they said they paid (the status stays transfer-pending). */
export const TRANSFER_DECLARED_LABEL: [zh: string, en: string] = [
  '已提交打款，等待银行流水核对',
  'Transfer reported, awaiting the bank statement match',
];

/** Why "I have paid" is refused, with the order's status as the applicant reads it. */
export function transferNotPendingMessage([zh, en]: [zh: string, en: string]): string {
  return `此订单不在等待对公转账（当前状态：${zh}），无需提交打款。This order is not awaiting a bank transfer (it is: ${en}), so there is no transfer to report.`;
}

export function renderTransferCard(
  order: Pick<Order, 'status' | 'priceFen' | 'remittanceCode' | 'transferDeclaredAt'>,
  input: TransferCardInput,
): string {
  const refused = input.refused
    ? `<div class="card bad" data-transfer-refused data-error-code="TRANSFER_NOT_PENDING"><p>${esc(input.refused)}</p></div>`
    : '';
  if (order.status !== 'transfer-pending' || !order.remittanceCode) return refused;
  const how = `<p>请对公转账 ¥${yuan(order.priceFen)}，附言填写汇款识别码：</p>
<p class="status" data-remittance-code>${esc(order.remittanceCode)}</p><p class="muted">Quote this remittance code on the bank transfer.</p>`;
  const at = order.transferDeclaredAt;
  const state = at
    ? `<p data-transfer-declared="${esc(at)}">已于 ${esc(hallTime(at))}（北京时间）提交打款，等待银行流水核对。<br>
<span class="muted">Reported at ${esc(hallTime(at))} (Beijing time); the order is paid once the bank statement shows the transfer.</span></p>`
    : `<form method="post" action="${esc(input.action)}" data-transfer-form>
<p><button type="submit">我已打款 I have paid</button></p>
<p class="muted">转账后请点此告知；订单在银行流水核对后变为已支付。Press this after the transfer; the order is paid once the bank statement shows it.</p></form>`;
  return `${refused}<div class="card" data-transfer-state="${order.transferDeclaredAt ? 'declared' : 'awaiting'}">${how}
${state}</div>`;
}
