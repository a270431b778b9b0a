// The console's per-appliance page: enrolment and key fingerprint, the current row, the heartbeat history as a
// chart (uptime, queue depth, issuances per hour; uPlot, see console-assets.ts), open in-doubt transactions and
// recent events (type and times; order ids masked, no payload: no personal data).
import { maskOrderId } from '../../contract/after-sales.js';
import type { ConsoleRow } from '../fleet-console.js';
import type { HeartbeatPoint } from '../heartbeat-history.js';
import { CONSOLE_SCRIPT, consoleHead } from './console-assets.js';
import { renderFleetRow } from './fleet-page.js';
import { esc, layout } from './html.js';

export interface ApplianceEvent {
  type: string;
  orderId: string | null;
  occurredAt: string;
  receivedAt: string;
}

export interface AppliancePageData {
  row: ConsoleRow;
  /** Kept heartbeats, oldest first, each with the certificate.issued events received in its hour. */
  history: Array<HeartbeatPoint & { hour: string; issuedInHour: number }>;
  recentEvents: ApplianceEvent[];
  /** journey.in-doubt events received while the last heartbeat still reports transactions in doubt. */
  inDoubt: ApplianceEvent[];
}

/** JSON for a data block inside the page: nothing in it can end the block or open markup. */
const jsonBlock = (v: unknown) =>
  JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

const eventRows = (events: ApplianceEvent[]) =>
  events
    .map(
      (e) =>
        `<tr data-event-type="${esc(e.type)}"><td>${esc(e.type)}</td><td>${e.orderId ? `<code>${esc(maskOrderId(e.orderId))}</code>` : '—'}</td><td>${esc(e.occurredAt)}</td><td>${esc(e.receivedAt)}</td></tr>`,
    )
    .join('\n');

export function renderAppliancePage(d: AppliancePageData, staleS: number): string {
  const a = d.row.appliance;
  const hb = d.row.heartbeat;
  const table = (rows: string, empty: string) =>
    rows
      ? `<table><thead><tr><th>Event</th><th>Order</th><th>Occurred</th><th>Received</th></tr></thead><tbody>${rows}</tbody></table>`
      : `<p class="muted">${empty}</p>`;
  return layout(
    `certkiosk ${a.id}`,
    `<p><a href="/fleet">← Fleet</a></p>
<h1 data-appliance-page="${esc(a.id)}">${esc(a.id)} · ${esc(a.hall)}</h1>
<section class="card"><h2>Enrolment</h2><table>
<tr><th>Status</th><td data-status>${esc(a.status)}</td></tr>
<tr><th>Hall</th><td>${esc(a.hall)}</td></tr>
<tr><th>Enrolled</th><td>${esc(a.enrolled_at)}</td></tr>
<tr><th>Approved</th><td>${esc(a.approved_at ?? '—')}</td></tr>
<tr><th>Key fingerprint (SHA-256)</th><td class="fp" data-fingerprint="${esc(d.row.fingerprint)}"><code>${esc(d.row.fingerprint)}</code></td></tr>
<tr><th>Software version</th><td>${esc(a.software_version ?? '—')}</td></tr>
<tr><th>Uptime</th><td>${hb?.uptimeS === undefined ? '—' : `${Math.round(hb.uptimeS / 60)} min`}</td></tr>
</table></section>
<section class="card"><h2>Now</h2><p class="muted">Stale after ${staleS} s without a heartbeat.</p>
<table><thead><tr><th>Appliance</th><th>Hall</th><th>Status</th><th>Key fingerprint</th><th>Alarms</th><th>Last heartbeat</th><th>Devices</th><th>Paper</th>
<th>Blank keys</th><th>Queue</th><th>Parked</th><th>In doubt</th><th>Version</th><th>Issued today</th><th>Audit head</th></tr></thead>
<tbody>${renderFleetRow(d.row)}</tbody></table></section>
<section class="card"><h2>Heartbeat history</h2><div id="chart" data-history-points="${d.history.length}"></div>
<script type="application/json" id="heartbeat-history">${jsonBlock(d.history)}</script></section>
<section class="card" data-in-doubt="${hb?.inDoubt ?? 0}"><h2>In doubt · ${hb?.inDoubt ?? 0}</h2>
${table((hb?.inDoubt ?? 0) > 0 ? eventRows(d.inDoubt) : '', (hb?.inDoubt ?? 0) > 0 ? 'The kiosk reports transactions in doubt; no event about them arrived yet.' : 'No transaction in doubt.')}</section>
<section class="card"><h2>Recent events</h2>${table(eventRows(d.recentEvents), 'No event received yet.')}</section>`,
    undefined,
    consoleHead([CONSOLE_SCRIPT.uplot, CONSOLE_SCRIPT.chart], [CONSOLE_SCRIPT.uplotCss]),
  );
}

/** The page for an id no appliance has (404). */
export function renderApplianceNotFound(id: string): string {
  return layout(
    'certkiosk: no such appliance',
    `<p><a href="/fleet">← Fleet</a></p><h1>No appliance ${esc(id)}</h1><p class="muted" data-not-found>No appliance is enrolled with this id.</p>`,
  );
}
