// The operations console's fleet page: the open alarms at the top (newest first, each with an acknowledge
// button), then one row per appliance — key fingerprint, heartbeat age, devices, consumables, queue, parked
// events, in doubt, version, issuances today, audit-head state and open alarms. The rows and the alarm list are
// rendered here only: the page, and the live stream (fleet-feed.ts) that replaces them as they change.
import type { ConsoleAlarm, ConsoleRow } from '../fleet-console.js';
import { RECONCILIATION_PAGE } from '../reconciliation/ops-page.js';
import { CONSOLE_SCRIPT, consoleHead } from './console-assets.js';
import { esc, layout } from './html.js';
import { STATEMENTS_PAGE } from './statement-page.js';

/** Where an alarm is acknowledged from the console (a form post; same origin only). */
export const acknowledgePath = (alarmId: number) => `/fleet/alarms/${alarmId}/acknowledge`;
/** The per-appliance page. */
export const appliancePath = (id: string) => `/fleet/${encodeURIComponent(id)}`;

export function renderFleetRow(r: ConsoleRow): string {
  const { appliance: a, heartbeat: hb, alarms } = r;
  const devices = (hb?.devices ?? [])
    .map((d) => {
      const cls = d.status === 'online' || d.status === 'busy' ? 'ok' : 'bad';
      return `<span class="${cls}">${esc(d.device)}: ${esc(d.status)}${d.detail ? ` (${esc(d.detail)})` : ''}</span>`;
    })
    .join('<br>');
  const paper = hb?.consumables.paper ?? 'unknown';
  const alarmText = alarms
    .map(
      (al) =>
        `<span title="${esc(al.message)}">${esc(al.kind)}${al.occurrences > 1 ? ` ×${al.occurrences}` : ''}</span>`,
    )
    .join('<br>');
  const head = hb?.auditHead ? ` <span class="muted">${hb.auditHead.seq}</span>` : '';
  return `<tr data-appliance="${esc(a.id)}">
<td><a href="${esc(appliancePath(a.id))}">${esc(a.id)}</a></td><td data-hall>${esc(a.hall)}</td>
<td class="${a.status === 'approved' ? '' : 'warn'}">${esc(a.status)}</td>
<td class="fp" data-fingerprint="${esc(r.fingerprint)}"><code>${esc(r.fingerprint)}</code></td>
<td class="${alarms.length > 0 ? 'bad' : ''}" data-alarms="${alarms.length}">${alarmText || '—'}</td>
<td class="${r.stale ? 'bad' : ''}" data-stale="${r.stale}" data-heartbeat-at="${esc(a.last_heartbeat_at ?? '')}">${a.last_heartbeat_at ? esc(a.last_heartbeat_at) : 'never'}</td>
<td>${devices || '—'}</td>
<td class="${paper === 'out' ? 'bad' : paper === 'low' ? 'warn' : ''}">${esc(paper)}</td>
<td>${hb?.consumables.blankKeys ?? '—'}</td>
<td>${hb?.queueDepth ?? '—'}</td>
<td class="${(hb?.parkedEvents ?? 0) > 0 ? 'bad' : ''}" data-parked="${hb?.parkedEvents ?? ''}">${hb?.parkedEvents ?? '—'}</td>
<td class="${(hb?.inDoubt ?? 0) > 0 ? 'bad' : ''}">${hb?.inDoubt ?? '—'}</td>
<td>${esc(a.software_version ?? '—')}</td><td data-issued-today>${r.issuedToday}</td>
<td class="${r.auditHead === 'forked' || r.auditHead === 'truncated' ? 'bad' : ''}" data-audit-head="${r.auditHead}">${r.auditHead}${head}</td></tr>`;
}

/** The open alarms, newest first, each with its acknowledge button. */
export function renderAlarmList(alarms: ConsoleAlarm[]): string {
  if (alarms.length === 0) return '<p class="muted" data-no-alarms>No open alarm.</p>';
  const items = alarms.map(
    ({ alarm: al, hall, subject, since }) => `<tr data-alarm-id="${al.id}" data-kind="${esc(al.kind)}">
<td><b>${esc(al.kind)}</b>${al.occurrences > 1 ? ` ×${al.occurrences}` : ''}</td><td>${esc(al.applianceId)}</td><td>${esc(hall)}</td>
<td>${esc(since)}</td><td title="${esc(al.message)}">${esc(subject)}</td>
<td><form method="post" action="${acknowledgePath(al.id)}"><button type="submit" data-acknowledge="${al.id}">Acknowledge</button></form></td></tr>`,
  );
  return `<table><thead><tr><th>Alarm</th><th>Appliance</th><th>Hall</th><th>Since</th><th>Subject</th><th></th></tr></thead>
<tbody>${items.join('\n')}</tbody></table>`;
}

export const NO_APPLIANCE_ROW = '<tr><td colspan="15">No appliance enrolled yet.</td></tr>';

export function renderFleetPage(rows: ConsoleRow[], alarms: ConsoleAlarm[], staleS: number): string {
  const total = rows.reduce((n, r) => n + r.issuedToday, 0);
  return layout(
    'certkiosk fleet',
    `<form method="post" action="/admin/logout" data-logout-form style="float:right"><button type="submit">Log out</button></form>
<p><a href="${STATEMENTS_PAGE}" data-statements-link>Bank statements and the transfer queue →</a></p>
<h1>Fleet · ${rows.length} appliances · ${total} issued today</h1>
<p><a href="${RECONCILIATION_PAGE}" data-reconciliation-link>Daily reconciliation (对账)</a></p>
<section class="card" data-open-alarms="${alarms.length}" id="alarms"><h2>Open alarms · <span data-alarm-count>${alarms.length}</span></h2>
<div id="alarm-list">${renderAlarmList(alarms)}</div></section>
<p class="muted">Live: rows and alarms update as heartbeats, events and alarms arrive (<span id="live" data-live="connecting">connecting…</span>). Heartbeats older than ${staleS} s, device errors, events central refused (parked: staff must retry or discard them at the kiosk) and alarms (audit log cut short, forked or badly signed) are highlighted. Approve a pending appliance only when the key fingerprint shown on its maintenance screen is the one here.</p>
<table><thead><tr><th>Appliance</th><th>Hall</th><th>Status</th><th>Key fingerprint (SHA-256)</th><th>Alarms</th><th>Last heartbeat</th><th>Devices</th><th>Paper</th>
<th>Blank keys</th><th>Queue</th><th>Parked</th><th>In doubt</th><th>Version</th><th>Issued today</th><th>Audit head</th></tr></thead>
<tbody id="fleet-rows">${rows.map(renderFleetRow).join('\n') || NO_APPLIANCE_ROW}</tbody></table>`,
    undefined,
    consoleHead([CONSOLE_SCRIPT.fleet]),
  );
}
