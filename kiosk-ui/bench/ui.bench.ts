// make bench — the kiosk UI's budget: what the browser downloads (gzip of the built JS + CSS in
// kiosk-ui/dist) and how long the attract screen takes to appear in Debian's Chromium, launched as the
// Playwright suites launch it. kiosk-ui/dist is served on loopback with the few API answers the attract screen
// asks for (settings, state, an event stream with no journey); each load is a fresh browser context (empty
// cache), timed from navigation start to the first paint that shows the attract screen: the first contentful
// paint, checked to come no earlier than the attract screen being laid out and visible in <main> (the app
// mounts header and screen at once, so that paint is the screen's), else the first frame after that.
// Build and run: npx tsc -p kiosk-ui/bench/tsconfig.json && node kiosk-ui/bench/dist/kiosk-ui/bench/ui.bench.js
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { median, recordBenchFigures } from '@certkiosk/config';
import { chromium } from '@playwright/test';
import type { DeviceStatusView, KioskSettings } from '../../appliance/src/api/contract.ts';
import { DEBIAN_CHROMIUM } from '../e2e/chromium.ts';

/** kiosk-ui/, from this file in kiosk-ui/bench or from its build in kiosk-ui/bench/dist/. */
const HERE = fileURLToPath(import.meta.url);
const UI_ROOT = HERE.includes('/bench/dist/')
  ? HERE.slice(0, HERE.indexOf('/bench/dist/'))
  : join(dirname(HERE), '..');
const DIST = join(UI_ROOT, 'dist');
const LOADS = Number(process.env['BENCH_UI_LOADS'] ?? 10);
const ATTRACT = 'main.stage section.screen.attract';

// ---------- bundle ----------

if (!existsSync(join(DIST, 'index.html'))) {
  console.error(`ui bench: ${DIST} is not built: run \`make build\``);
  process.exit(1);
}
const assets = readdirSync(join(DIST, 'assets'))
  .filter((f) => f.endsWith('.js') || f.endsWith('.css'))
  .sort()
  .map((f) => {
    const bytes = readFileSync(join(DIST, 'assets', f));
    return { file: f, raw: bytes.length, gzip: gzipSync(bytes).length };
  });
const gzipKb = assets.reduce((s, a) => s + a.gzip, 0) / 1000;

// ---------- a tiny appliance: dist/ plus what the attract screen asks for ----------

const settings: KioskSettings = {
  applianceId: 'KIOSK-BENCH-001',
  hall: 'SZ-FUTIAN',
  languages: ['zh-CN', 'en'],
  idleWarningMs: 60_000,
  idleWipeMs: 30_000,
  elderlyTimeoutFactor: 1.5,
  pinPolicy: { minLength: 6, maxLength: 8, digitsOnly: true, forbidSequences: true, forbidRepeated: true },
  serviceHotline: '0755-8888 6666（9:00–17:00）',
};
const since = new Date().toISOString();
const devices: DeviceStatusView[] = (['token', 'idReader', 'printer', 'scanner'] as const).map((kind) => ({
  kind,
  state: 'online',
  detail: null,
  since,
}));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
const streams = new Set<ServerResponse>();

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://bench').pathname;
  if (path === '/api/kiosk') return json(res, 200, settings);
  if (path === '/api/state') return json(res, 200, { journey: null, devices });
  if (path === '/api/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write('retry: 1000\n\nevent: journey\ndata: null\n\n');
    for (const d of devices) res.write(`event: device\ndata: ${JSON.stringify(d)}\n\n`);
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  if (path.startsWith('/api/')) {
    return json(res, 404, { code: 'BAD_REQUEST', message: 'ui bench', action: 'none', retryable: false });
  }
  const rel = normalize(decodeURIComponent(path)).replace(/^\/+/, '') || 'index.html';
  const file = join(DIST, rel);
  if (!file.startsWith(DIST) || !existsSync(file)) return json(res, 404, {});
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

// ---------- first render in Debian's Chromium ----------

const browser = await chromium.launch(DEBIAN_CHROMIUM);
const chromiumVersion = browser.version();

interface Load {
  /** The attract screen in the DOM, laid out and visible. */
  dom: number;
  /** The first paint that shows it. */
  painted: number;
  fcp: number;
}

async function load(): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1080, height: 1920 }, locale: 'zh-CN' });
  const page = await context.newPage();
  // Runs before the app's script: notes when the attract screen is first in the DOM, laid out and visible,
  // and the frame after. performance.now() counts from the navigation's start.
  await page.addInitScript((selector: string) => {
    const w = window as unknown as { __attractAt?: number; __frameAt?: number };
    const visible = (): boolean => {
      const el = document.querySelector(selector);
      return !!el && el.checkVisibility({ opacityProperty: true }) && el.getBoundingClientRect().height > 0;
    };
    const observer = new MutationObserver(() => {
      if (w.__attractAt === undefined && visible()) {
        w.__attractAt = performance.now();
        observer.disconnect();
        requestAnimationFrame(() => setTimeout(() => (w.__frameAt = performance.now())));
      }
    });
    observer.observe(document, { childList: true, subtree: true, attributes: true });
  }, ATTRACT);
  await page.goto(url);
  await page.waitForFunction(
    () => (window as unknown as { __frameAt?: number }).__frameAt !== undefined,
    null,
    {
      timeout: 20_000,
    },
  );
  await page.locator('.kiosk[data-screen="attract"]').waitFor({ timeout: 5_000 });
  const t = await page.evaluate(() => ({
    dom: (window as unknown as { __attractAt: number }).__attractAt,
    frame: (window as unknown as { __frameAt: number }).__frameAt,
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
  }));
  await context.close();
  return { dom: t.dom, painted: t.fcp >= t.dom ? t.fcp : t.frame, fcp: t.fcp };
}

await load(); // warm-up: the browser's own first start of a renderer is not the UI's
const loads: Load[] = [];
for (let i = 0; i < LOADS; i++) loads.push(await load());
await browser.close();
for (const res of streams) res.end();
server.close();

// ---------- report ----------

const painted = loads.map((l) => l.painted);
const firstRender = median(painted);
const fcpUsed = loads.filter((l) => l.painted === l.fcp).length;
const f1 = (x: number) => x.toFixed(1);

console.log(`\nkiosk UI — Chromium ${chromiumVersion}, ${LOADS} loads on loopback, fresh context each`);
console.log(`${'figure'.padEnd(40)}${'value'.padStart(12)}  note`);
const row = (name: string, value: string, note = '') =>
  console.log(`${name.padEnd(40)}${value.padStart(12)}  ${note}`);
for (const a of assets) {
  row(`  ${a.file}`, `${(a.gzip / 1000).toFixed(2)} kB`, `gzip (raw ${(a.raw / 1000).toFixed(2)} kB)`);
}
row('ui.bundle.gzip_kb', `${gzipKb.toFixed(2)} kB`, 'JS + CSS in kiosk-ui/dist, gzip');
row(
  'ui.first_render.ms',
  `${f1(firstRender)} ms`,
  `median to the attract screen painted; min ${f1(Math.min(...painted))}, max ${f1(Math.max(...painted))}`,
);
row('  attract screen in the DOM', `${f1(median(loads.map((l) => l.dom)))} ms`, 'median: laid out, visible');
row('  painted = first contentful paint', `${fcpUsed}/${LOADS}`, 'loads (else the frame after the DOM)');

recordBenchFigures({
  'ui.bundle.gzip_kb': { value: +gzipKb.toFixed(2), unit: 'kB' },
  'ui.first_render.ms': { value: +firstRender.toFixed(1), unit: 'ms' },
});
