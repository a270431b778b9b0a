// The operations fleet view: every appliance, heartbeat age, devices, consumables, queue, parked events,
// version, issuances.
import type { HeartbeatRequest } from '../../contract/schemas.js';
import type { ApplianceRow } from '../appliances.js';
import { esc, layout } from './html.js';

/** A heartbeat older than this is shown as stale. */
export const HEARTBEAT_STALE_S = 90;

export interface FleetRow {
  appliance: ApplianceRow;
  issuedToday: number;
}

export function renderFleetPage(rows: FleetRow[], nowMs: number): string {
  const body = rows.map(({ appliance: a, issuedToday }) => {
    const hb = a.heartbeat_json ? (JSON.parse(a.heartbeat_json) as HeartbeatRequest) : null;
    const age = a.last_heartbeat_at ? Math.round((nowMs - Date.parse(a.last_heartbeat_at)) / 1000) : null;
    const stale = age === null || age > HEARTBEAT_STALE_S;
    const devices = (hb?.devices ?? [])
      .map((d) => {
        const cls = d.status === 'online' || d.status === 'busy' ? 'ok' : 'bad';
        return `<span class="${cls}">${esc(d.device)}: ${esc(d.status)}${d.detail ? ` (${esc(d.detail)})` : ''}</span>`;
      })
      .join('<br>');
    const paper = hb?.consumables.paper ?? 'unknown';
    return `<tr data-appliance="${esc(a.id)}">
<td>${esc(a.id)}</td><td>${esc(a.hall)}</td>
<td class="${a.status === 'approved' ? '' : 'warn'}">${esc(a.status)}</td>
<td class="${stale ? 'bad' : ''}" data-stale="${stale}">${age === null ? 'never' : `${age} s`}</td>
<td>${devices || '—'}</td>
<td class="${paper === 'out' ? 'bad' : paper === 'low' ? 'warn' : ''}">${esc(paper)}</td>
<td>${hb?.consumables.blankKeys ?? '—'}</td>
<td>${hb?.queueDepth ?? '—'}</td>
<td class="${(hb?.parkedEvents ?? 0) > 0 ? 'bad' : ''}" data-parked="${hb?.parkedEvents ?? ''}">${hb?.parkedEvents ?? '—'}</td>
<td class="${(hb?.inDoubt ?? 0) > 0 ? 'bad' : ''}">${hb?.inDoubt ?? '—'}</td>
<td>${esc(a.software_version ?? '—')}</td><td>${issuedToday}</td></tr>`;
  });
  const total = rows.reduce((n, r) => n + r.issuedToday, 0);
  return layout(
    'certkiosk fleet',
    `<h1>Fleet · ${rows.length} appliances · ${total} issued today</h1>
<p class="muted">Refreshes every 5 s. Heartbeats older than ${HEARTBEAT_STALE_S} s, device errors and events central refused (parked: staff must retry or discard them at the kiosk) are highlighted.</p>
<table><thead><tr><th>Appliance</th><th>Hall</th><th>Status</th><th>Heartbeat</th><th>Devices</th><th>Paper</th>
<th>Blank keys</th><th>Queue</th><th>Parked</th><th>In doubt</th><th>Version</th><th>Issued today</th></tr></thead>
<tbody>${body.join('\n') || '<tr><td colspan="12">No appliance enrolled yet.</td></tr>'}</tbody></table>`,
    5,
  );
}
