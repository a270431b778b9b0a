// The operators' reconciliation page (/fleet/reconciliation): a day's newest report over the fleet, a button to run a
// day, the CSV link, and the recent days. Plain HTML like the fleet page (no scripts; the form posts and comes back).
import { hallTime } from '../invoices/hall-time.js';
import { esc, layout } from '../pages/html.js';
import {
  LINE_KIND_LABELS,
  type ReconciliationReport,
  type ReconciliationRun,
  SIDE_LABELS,
} from './schemas.js';

export const RECONCILIATION_PAGE = '/fleet/reconciliation';

export interface ReconciliationPageInput {
  day: string;
  report?: ReconciliationReport;
  recent: ReconciliationRun[];
  /** Why the day asked for was refused. */
  error?: string;
}

function linesTable(r: ReconciliationReport): string {
  if (r.lines.length === 0) return '<p class="ok" data-no-differences>No differences: every side agrees.</p>';
  const rows = r.lines.map((l) => {
    const keys = [
      l.orderId ? `order ${esc(l.orderId)}` : '',
      l.outTradeNo ? `out_trade_no ${esc(l.outTradeNo)}` : '',
      l.certificateSerial ? `certificate <code>${esc(l.certificateSerial)}</code>` : '',
      l.invoiceNumber ? `invoice ${esc(l.invoiceNumber)}` : '',
    ]
      .filter(Boolean)
      .join('<br>');
    const side = l.kind === 'missing-on-a-side' ? `${SIDE_LABELS[l.side].zh} ${l.side}` : '';
    return `<tr data-kind="${esc(l.kind)}" data-appliance="${esc(l.applianceId ?? '')}">
<td class="bad">${esc(LINE_KIND_LABELS[l.kind].zh)}<br><span class="muted">${esc(l.kind)}</span></td><td>${esc(side)}</td>
<td>${esc(l.subject)}<br>${keys}</td><td>${esc(l.applianceId ?? '—')}</td>
<td>${esc(l.kiosk ?? '')}</td><td>${esc(l.central ?? '')}</td><td>${esc(l.provider ?? '')}</td><td>${esc(l.message)}</td></tr>`;
  });
  return `<table><thead><tr><th>Kind</th><th>Missing at</th><th>Subject</th><th>Kiosk</th><th>Kiosk’s records</th>
<th>Central</th><th>WeChat Pay bill</th><th>Difference</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function runSummary(r: ReconciliationReport): string {
  const bill = r.run.providerBill === 'complete' ? 'ok' : 'warn';
  return `<p data-run="${r.run.id}">Run ${r.run.id} (${esc(r.run.trigger)}) finished ${esc(hallTime(r.run.finishedAt))} Beijing time ·
<b>${r.run.lineCount}</b> difference${r.run.lineCount === 1 ? '' : 's'} ·
WeChat Pay bill: <span class="${bill}" data-provider-bill="${esc(r.run.providerBill)}">${esc(r.run.providerBill)}</span>
${r.run.providerNote ? `<span class="muted">(${esc(r.run.providerNote)})</span>` : ''} ·
<a href="/admin/v1/reconciliations/${encodeURIComponent(r.run.day)}.csv" data-csv>CSV for Excel</a></p>`;
}

export function renderReconciliationPage(p: ReconciliationPageInput): string {
  const recent = p.recent
    .map(
      (r) =>
        `<a href="${RECONCILIATION_PAGE}?day=${encodeURIComponent(r.day)}">${esc(r.day)}</a> (${r.lineCount})`,
    )
    .join(' · ');
  return layout(
    `certkiosk reconciliation ${p.day}`,
    `<p><a href="/fleet">← Fleet</a></p>
<h1>Reconciliation · ${esc(p.day)}</h1>
<p class="muted">Each Beijing day compares the kiosks’ records (events central received, and records a kiosk sent),
central’s orders, payments, certificates and invoices, and the WeChat Pay trade bill. A line states what each side
recorded; it proposes no fix. The previous day runs by itself every night and again each hour until the bill is in.</p>
<form method="post" action="${RECONCILIATION_PAGE}" data-run-form class="card">
<label for="day">Day (Beijing)</label>
<input id="day" name="day" type="date" value="${esc(p.day)}" required>
<button type="submit">Run reconciliation</button>
</form>
${p.error ? `<p class="bad" data-error>${esc(p.error)}</p>` : ''}
${p.report ? `${runSummary(p.report)}\n${linesTable(p.report)}` : '<p class="muted" data-not-run>Not reconciled yet.</p>'}
${recent ? `<p class="muted">Recent days: ${recent}</p>` : ''}`,
  );
}
