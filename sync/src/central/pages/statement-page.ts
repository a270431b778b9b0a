// The operations console's bank statement page: upload a statement CSV, what the import did, the queue of lines
// left to an operator (assign to an order, or dismiss with a reason), the orders awaiting a transfer, and the
// lines decided lately (who, when, why). No refresh: it holds forms being typed into.
import type {
  Order,
  QueuedStatementLine,
  StatementImportResponse,
  StatementLineResult,
} from '../../contract/schemas.js';
import { yuan } from '../invoices/amount-in-words.js';
import { hallTime } from '../invoices/hall-time.js';
import { esc, layout } from './html.js';

/** Where the page lives; its forms post below it. */
export const STATEMENTS_PAGE = '/fleet/statements';

export interface StatementPageInput {
  open: QueuedStatementLine[];
  resolved: QueuedStatementLine[];
  /** Orders awaiting a bank transfer (what a line can be assigned to). */
  transfers: Order[];
  /** The import just done. */
  imported?: { fileName: string; result: StatementImportResponse };
  /** A refused upload or decision. */
  error?: { code: string; message: string };
}

const KIND_LABELS: Record<QueuedStatementLine['kind'], string> = {
  ambiguous: 'Ambiguous',
  unmatched: 'No match',
};

const linesOf = (rows: StatementLineResult[], what: (r: StatementLineResult) => string) =>
  rows.map((r) => `<li>Line ${r.line}: ${esc(what(r))}</li>`).join('');

function importCard({ fileName, result: r }: NonNullable<StatementPageInput['imported']>): string {
  const queued = [...r.ambiguous, ...r.unmatched].sort((a, b) => a.line - b.line);
  return `<div class="card" data-import-result data-matched="${r.matched.length}" data-queued="${queued.length}" data-already="${r.alreadyImported.length}" data-ignored="${r.ignored.length}">
<h2>Imported ${esc(fileName)}</h2>
<p><b>${r.matched.length}</b> paid an order · <b>${queued.length}</b> queued for an operator · <b>${r.alreadyImported.length}</b> imported before (nothing done again) · <b>${r.ignored.length}</b> not credits (skipped)</p>
${r.matched.length ? `<p>Paid:</p><ul class="ok">${linesOf(r.matched, (m) => `¥${yuan(m.amountFen ?? 0)} → order ${m.orderId}`)}</ul>` : ''}
${queued.length ? `<p>Queued:</p><ul>${linesOf(queued, (q) => `¥${yuan(q.amountFen ?? 0)} — ${q.reason}`)}</ul>` : ''}
</div>`;
}

function uploadCard(): string {
  return `<div class="card"><h2>Import a bank statement</h2>
<form method="post" action="${STATEMENTS_PAGE}" enctype="multipart/form-data" data-upload-form>
<input type="file" name="statement" accept=".csv,text/csv" required> <button type="submit">Import</button>
</form>
<p class="muted">CSV with the header <code>date,amount,payer,remark,reference</code> (any order; payer and reference optional), amounts in yuan, UTF-8 or GBK.
A line whose remark quotes the 6-digit remittance code of exactly one order awaiting a transfer, for its price, pays that order.
Other credits wait below for an operator; money paid out is skipped; a file uploaded again imports nothing twice.
A line that cannot be read refuses the whole file, and nothing is stored.</p></div>`;
}

function queueRow(q: QueuedStatementLine): string {
  const action = `${STATEMENTS_PAGE}/queue/${q.id}`;
  const sole = q.candidates.length === 1 ? q.candidates[0] : '';
  return `<tr data-queue-line="${q.id}" data-kind="${q.kind}">
<td>#${q.id}</td><td class="warn">${KIND_LABELS[q.kind]}</td><td>${esc(q.reason)}</td>
<td>${esc(q.date)}</td><td>¥${yuan(q.amountFen)}</td><td>${esc(q.payer)}</td><td>${esc(q.remark)}</td><td>${esc(q.reference)}</td>
<td>${q.candidates.map((c) => `<code>${esc(c)}</code>`).join('<br>') || '—'}</td>
<td><form method="post" action="${action}/assign" data-assign-form>
<input name="orderId" list="transfer-orders" required maxlength="64" size="20" placeholder="Order id" value="${esc(sole)}">
<input name="operator" required maxlength="64" size="10" placeholder="Your name">
<input name="note" maxlength="300" size="14" placeholder="Note (optional)">
<button type="submit">Assign: paid</button></form>
<form method="post" action="${action}/dismiss" data-dismiss-form>
<input name="operator" required maxlength="64" size="10" placeholder="Your name">
<input name="reason" required maxlength="300" size="24" placeholder="Reason (refund, not ours…)">
<button type="submit">Dismiss</button></form></td></tr>`;
}

function queueCard(open: QueuedStatementLine[]): string {
  return `<div class="card" data-queue="${open.length}"><h2>Waiting for an operator · ${open.length}</h2>
<p class="muted">Assign a line to the order it pays (the order must await a transfer of the line's amount; it becomes paid, its history naming you), or dismiss it with the reason (a refund, a wrong amount, not ours). Both are final.</p>
<table><thead><tr><th>#</th><th>Why</th><th>Reason</th><th>Date</th><th>Amount</th><th>Payer</th><th>Remark</th><th>Reference</th><th>Candidates</th><th>Decide</th></tr></thead>
<tbody>${open.map(queueRow).join('\n') || '<tr><td colspan="10">No line is waiting.</td></tr>'}</tbody></table></div>`;
}

function transfersCard(transfers: Order[]): string {
  const rows = transfers.map(
    (
      o,
    ) => `<tr data-transfer-order="${esc(o.id)}"><td><code>${esc(o.id)}</code></td><td>${esc(o.remittanceCode)}</td>
<td>¥${yuan(o.priceFen)}</td><td>${esc(o.organisation?.name ?? o.applicant.name)}</td>
<td>${o.transferDeclaredAt ? esc(hallTime(o.transferDeclaredAt)) : '—'}</td></tr>`,
  );
  const options = transfers
    .map((o) => `<option value="${esc(o.id)}">${esc(o.remittanceCode)} · ¥${yuan(o.priceFen)}</option>`)
    .join('');
  return `<div class="card"><h2>Orders awaiting a transfer · ${transfers.length}</h2>
<datalist id="transfer-orders">${options}</datalist>
<table><thead><tr><th>Order</th><th>Remittance code</th><th>Price</th><th>Organisation / applicant</th><th>Applicant reported paid (Beijing time)</th></tr></thead>
<tbody>${rows.join('\n') || '<tr><td colspan="5">None.</td></tr>'}</tbody></table></div>`;
}

function resolvedCard(resolved: QueuedStatementLine[]): string {
  if (resolved.length === 0) return '';
  const rows = resolved.map(
    (q) => `<tr data-resolved-line="${q.id}" data-state="${q.state}"><td>#${q.id}</td><td>${q.state}</td>
<td>${q.orderId ? `<code>${esc(q.orderId)}</code>` : '—'}</td><td>${esc(q.resolvedBy)}</td><td>${esc(q.resolutionNote ?? '')}</td>
<td>${q.resolvedAt ? esc(hallTime(q.resolvedAt)) : ''}</td><td>${esc(q.date)} · ¥${yuan(q.amountFen)} · ${esc(q.payer)} · ${esc(q.remark)}</td></tr>`,
  );
  return `<div class="card"><h2>Decided lately</h2>
<table><thead><tr><th>#</th><th>Decision</th><th>Order</th><th>Operator</th><th>Note / reason</th><th>When (Beijing time)</th><th>Line</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

export function renderStatementPage(input: StatementPageInput): string {
  const error = input.error
    ? `<div class="card bad" data-error data-error-code="${esc(input.error.code)}">${esc(input.error.message)}</div>`
    : '';
  return layout(
    'certkiosk bank statements',
    `<form method="post" action="/admin/logout" data-logout-form style="float:right"><button type="submit">Log out</button></form>
<p><a href="/fleet">← Fleet</a></p>
<h1>Bank statements · ${input.open.length} line${input.open.length === 1 ? '' : 's'} waiting</h1>
${error}${input.imported ? importCard(input.imported) : ''}${uploadCard()}
${queueCard(input.open)}
${transfersCard(input.transfers)}
${resolvedCard(input.resolved)}`,
  );
}
