// The operations fleet view: every appliance, its key fingerprint, heartbeat age, devices, consumables, queue,
// parked events, version, issuances, audit head and open alarms.
import { groupFingerprint, publicKeySha256 } from '../../contract/identity.js';
import type { Alarm, HeartbeatRequest } from '../../contract/schemas.js';
import type { ApplianceRow } from '../appliances.js';
import { esc, layout } from './html.js';
import { STATEMENTS_PAGE } from './statement-page.js';

/** A heartbeat older than this is shown as stale. */
export const HEARTBEAT_STALE_S = 90;

export interface FleetRow {
  appliance: ApplianceRow;
  issuedToday: number;
  /** Open alarms of this appliance. */
  alarms: Alarm[];
}

export function renderFleetPage(rows: FleetRow[], nowMs: number): string {
  const body = rows.map(({ appliance: a, issuedToday, alarms }) => {
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
    const fingerprint = groupFingerprint(publicKeySha256(a.public_key_pem));
    const head = hb?.auditHead ? `${hb.auditHead.seq} · ${hb.auditHead.hash.slice(0, 12)}…` : '—';
    const alarmText = alarms
      .map(
        (al) =>
          `<span title="${esc(al.message)}">${esc(al.kind)}${al.occurrences > 1 ? ` ×${al.occurrences}` : ''}</span>`,
      )
      .join('<br>');
    return `<tr data-appliance="${esc(a.id)}">
<td>${esc(a.id)}</td><td>${esc(a.hall)}</td>
<td class="${a.status === 'approved' ? '' : 'warn'}">${esc(a.status)}</td>
<td class="fp" data-fingerprint="${esc(fingerprint)}"><code>${esc(fingerprint)}</code></td>
<td class="${alarms.length > 0 ? 'bad' : ''}" data-alarms="${alarms.length}">${alarmText || '—'}</td>
<td class="${stale ? 'bad' : ''}" data-stale="${stale}">${age === null ? 'never' : `${age} s`}</td>
<td>${devices || '—'}</td>
<td class="${paper === 'out' ? 'bad' : paper === 'low' ? 'warn' : ''}">${esc(paper)}</td>
<td>${hb?.consumables.blankKeys ?? '—'}</td>
<td>${hb?.queueDepth ?? '—'}</td>
<td class="${(hb?.parkedEvents ?? 0) > 0 ? 'bad' : ''}" data-parked="${hb?.parkedEvents ?? ''}">${hb?.parkedEvents ?? '—'}</td>
<td class="${(hb?.inDoubt ?? 0) > 0 ? 'bad' : ''}">${hb?.inDoubt ?? '—'}</td>
<td>${esc(a.software_version ?? '—')}</td><td>${issuedToday}</td><td>${esc(head)}</td></tr>`;
  });
  const total = rows.reduce((n, r) => n + r.issuedToday, 0);
  const openAlarms = rows.flatMap((r) => r.alarms);
  const alarmBanner = openAlarms.length
    ? `<div class="card bad" data-open-alarms="${openAlarms.length}"><b>${openAlarms.length} open alarm${openAlarms.length > 1 ? 's' : ''}:</b><br>${openAlarms
        .map((al) => `${esc(al.applianceId)} · ${esc(al.kind)} · ${esc(al.message)}`)
        .join(
          '<br>',
        )}<br><span class="muted">Acknowledge with POST /admin/v1/alarms/:id/acknowledge after looking into it.</span></div>`
    : '';
  return layout(
    'certkiosk fleet',
    `<form method="post" action="/admin/logout" data-logout-form style="float:right"><button type="submit">Log out</button></form>
<p><a href="${STATEMENTS_PAGE}" data-statements-link>Bank statements and the transfer queue →</a></p>
<h1>Fleet · ${rows.length} appliances · ${total} issued today</h1>
<p><a href="/fleet/reconciliation" data-reconciliation-link>Daily reconciliation (对账)</a></p>
<p class="muted">Refreshes every 5 s. Heartbeats older than ${HEARTBEAT_STALE_S} s, device errors, events central refused (parked: staff must retry or discard them at the kiosk) and alarms (audit log cut short, forked or badly signed) are highlighted. Approve a pending appliance only when the key fingerprint shown on its maintenance screen is the one here.</p>
${alarmBanner}
<table><thead><tr><th>Appliance</th><th>Hall</th><th>Status</th><th>Key fingerprint (SHA-256)</th><th>Alarms</th><th>Heartbeat</th><th>Devices</th><th>Paper</th>
<th>Blank keys</th><th>Queue</th><th>Parked</th><th>In doubt</th><th>Version</th><th>Issued today</th><th>Audit head</th></tr></thead>
<tbody>${body.join('\n') || '<tr><td colspan="15">No appliance enrolled yet.</td></tr>'}</tbody></table>`,
    5,
  );
}
