// The operations console's client side: two small scripts served by central (the fleet page's live stream, the
// per-appliance chart) and uPlot (npm `uplot`, MIT: a small, dependency-free, canvas time-series chart) served
// from node_modules — all under a CSP that allows scripts from central only (no inline script, no eval).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The console pages' Content-Security-Policy: scripts and the stream from central itself only. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export const ASSET_PREFIX = '/fleet/assets/';
export const CONSOLE_SCRIPT = {
  fleet: `${ASSET_PREFIX}fleet-live.js`,
  chart: `${ASSET_PREFIX}appliance-chart.js`,
  uplot: `${ASSET_PREFIX}uPlot.iife.min.js`,
  uplotCss: `${ASSET_PREFIX}uPlot.min.css`,
} as const;

/** The script (and style) tags of a console page. */
export function consoleHead(scripts: string[], styles: string[] = []): string {
  return [
    ...styles.map((s) => `<link rel="stylesheet" href="${s}">`),
    ...scripts.map((s) => `<script src="${s}" defer></script>`),
  ].join('\n');
}

/**
 * The fleet page's live stream: the snapshot on connect, then a row or the alarm list whenever it changes
 * (fleet-feed.ts); heartbeat ages tick in the browser. Rows and alarms arrive as HTML central rendered and
 * escaped (pages/fleet-page.ts), so there is one renderer.
 */
const FLEET_LIVE_JS = `'use strict';
(function () {
  var rows = document.getElementById('fleet-rows');
  var alarms = document.getElementById('alarm-list');
  var section = document.getElementById('alarms');
  var live = document.getElementById('live');
  function state(s, text) { live.setAttribute('data-live', s); live.textContent = text; }
  function setAlarms(a) {
    alarms.innerHTML = a.html;
    section.setAttribute('data-open-alarms', String(a.count));
    section.querySelector('[data-alarm-count]').textContent = String(a.count);
  }
  function setRow(r) {
    var tpl = document.createElement('tbody');
    tpl.innerHTML = r.html;
    var fresh = tpl.firstElementChild;
    var old = rows.querySelector('tr[data-appliance="' + CSS.escape(r.id) + '"]');
    if (old) old.replaceWith(fresh);
    else {
      var empty = rows.querySelector('tr:not([data-appliance])');
      if (empty) empty.remove();
      rows.appendChild(fresh);
    }
    ages();
  }
  function ages() {
    var now = Date.now();
    rows.querySelectorAll('[data-heartbeat-at]').forEach(function (td) {
      var at = td.getAttribute('data-heartbeat-at');
      if (!at) return;
      var s = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
      td.textContent = s + ' s ago';
    });
  }
  var es = new EventSource('/fleet/events');
  es.addEventListener('open', function () { state('connected', 'connected'); });
  es.addEventListener('error', function () {
    state(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting', es.readyState === EventSource.CLOSED ? 'closed — reload to log in again' : 'reconnecting…');
  });
  es.addEventListener('snapshot', function (e) {
    var s = JSON.parse(e.data);
    rows.innerHTML = '';
    if (s.rows.length === 0) rows.innerHTML = s.empty;
    s.rows.forEach(setRow);
    setAlarms(s.alarms);
    state('connected', 'connected');
  });
  es.addEventListener('row', function (e) { setRow(JSON.parse(e.data)); });
  es.addEventListener('alarms', function (e) { setAlarms(JSON.parse(e.data)); });
  es.addEventListener('end', function () { es.close(); state('closed', 'session ended — log in again'); });
  ages();
  setInterval(ages, 1000);
})();
`;

/** The per-appliance page's chart: heartbeat history (JSON in a data block of the page) drawn with uPlot. */
const APPLIANCE_CHART_JS = `'use strict';
(function () {
  var data = JSON.parse(document.getElementById('heartbeat-history').textContent);
  var box = document.getElementById('chart');
  if (!data.length) { box.textContent = 'No heartbeat kept yet.'; return; }
  var t = data.map(function (p) { return Date.parse(p.at) / 1000; });
  var hour = {};
  data.forEach(function (p) { hour[p.hour] = p.issuedInHour; });
  var opts = {
    title: 'Heartbeats',
    width: Math.min(960, box.clientWidth || 960),
    height: 320,
    series: [
      {},
      { label: 'Uptime (h)', stroke: '#2563eb', scale: 'h' },
      { label: 'Queue depth', stroke: '#d97706', scale: 'n' },
      { label: 'Issuances in the hour', stroke: '#16a34a', scale: 'n' },
    ],
    axes: [{}, { scale: 'h', label: 'hours' }, { scale: 'n', side: 1, label: 'count', grid: { show: false } }],
  };
  var series = [
    t,
    data.map(function (p) { return p.uptimeS === null ? null : Math.round(p.uptimeS / 36) / 100; }),
    data.map(function (p) { return p.queueDepth; }),
    data.map(function (p) { return p.issuedInHour; }),
  ];
  box.setAttribute('data-points', String(data.length));
  new uPlot(opts, series, box);
})();
`;

const require = createRequire(import.meta.url);
const uplotFile = (name: string) => () => readFileSync(require.resolve(`uplot/dist/${name}`), 'utf8');

/** Every asset, by path: its content type and a reader (uPlot's files are read on first request). */
export const CONSOLE_ASSETS: Record<string, { type: string; body: () => string }> = {
  [CONSOLE_SCRIPT.fleet]: { type: 'text/javascript; charset=utf-8', body: () => FLEET_LIVE_JS },
  [CONSOLE_SCRIPT.chart]: { type: 'text/javascript; charset=utf-8', body: () => APPLIANCE_CHART_JS },
  [CONSOLE_SCRIPT.uplot]: { type: 'text/javascript; charset=utf-8', body: uplotFile('uPlot.iife.min.js') },
  [CONSOLE_SCRIPT.uplotCss]: { type: 'text/css; charset=utf-8', body: uplotFile('uPlot.min.css') },
};
