// /sim: the emulator control page and its API (sim profile only). A person playing the applicant uses it
// to scan the phone page's QR code, put an ID card on the reader, insert or pull a USB key, open the
// printer cover or run out of paper, and see the last receipt. The routes are the 'sim' entries of the route
// table (api/routes.ts) and pass the same request rules as every other route (api/http-policy.ts).
// They exist only while central is on loopback, and the one route that fetches (the phone page's pickup code)
// fetches from the configured central URL only, never from a URL taken from the request.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { contentSecurityPolicy } from '../api/http-policy.js';
import { routeAttacher } from '../api/register.js';
import { ApplianceError } from '../errors.js';
import type { Simulation } from './simulation.js';

export interface SimRoutesOptions {
  sim: Simulation;
  /** The configured central service (config.central.url): must be on loopback. */
  centralUrl: string;
  /** Phone page of the demo order (its `/pickup-code` JSON is what the QR shows); on `centralUrl`. */
  phonePageUrl?: string;
}

/** 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The pickup-code URL of a phone page, built from the configured central: the page must be central's
 * `/p/<viewToken>`; only the view token is taken from it.
 */
export function phonePagePickupCodeUrl(page: string, centralUrl: string): string {
  const base = centralUrl.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(page, `${base}/`);
  } catch {
    throw new ApplianceError('BAD_REQUEST', 'The phone page is not a URL.');
  }
  const central = new URL(`${base}/`);
  const prefix = central.pathname.replace(/\/$/, '');
  const token = new RegExp(
    `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/p/([A-Za-z0-9_-]{1,64})/?$`,
  ).exec(url.pathname)?.[1];
  if (url.origin !== central.origin || !token)
    throw new ApplianceError(
      'BAD_REQUEST',
      'The phone page must be a /p/<token> page of the configured central.',
    );
  return `${base}/p/${token}/pickup-code`;
}

export function simRoutes(opts: SimRoutesOptions) {
  const { sim, centralUrl } = opts;
  if (!isLoopbackUrl(centralUrl)) {
    throw new Error(
      `the /sim routes are registered only while central is on loopback; central.url is ${centralUrl}`,
    );
  }
  if (opts.phonePageUrl) phonePagePickupCodeUrl(opts.phonePageUrl, centralUrl); // refuses a page elsewhere now
  return async (app: FastifyInstance) => {
    const routes = routeAttacher(app);
    // For the soak benchmark: the process's memory, after a full collection when node runs with --expose-gc.
    routes.attach('simMemory', async () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc) gc();
      return { ...process.memoryUsage(), collected: !!gc };
    });
    routes.attach('simPage', async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', CONTROL_PAGE_CSP)
        .send(controlPage(sim, opts.phonePageUrl)),
    );

    routes.attach('simScan', async (req) => {
      let code = req.body.code;
      const page = req.body.phonePageUrl ?? opts.phonePageUrl;
      if (!code) {
        if (!page) throw new ApplianceError('BAD_REQUEST', 'Give a code or a phone page URL.');
        const res = await fetch(phonePagePickupCodeUrl(page, centralUrl), { redirect: 'error' }).catch(
          (err: unknown) => {
            throw new ApplianceError('CENTRAL_UNAVAILABLE', `the phone page: ${(err as Error).message}`);
          },
        );
        if (!res.ok) throw new ApplianceError('CENTRAL_UNAVAILABLE', `the phone page answered ${res.status}`);
        code = ((await res.json()) as { token: string }).token;
      }
      await sim.scan(code);
      return { scanned: `${code.slice(0, 24)}…` };
    });
    routes.attach('simIdCard', async (req) => {
      // null lifts the card (the schema's type coercion may hand it over as '').
      const card = await sim.placeCard(req.body.fixture || null);
      return { placed: card ? card.name : null };
    });
    routes.attach('simToken', async (req) => {
      if (req.body.action === 'lock-pin') {
        if (!req.body.key) throw new ApplianceError('BAD_REQUEST', 'Name the held key whose PIN to lock.');
        try {
          return { locked: sim.lockHeldKeyPin(req.body.key) };
        } catch (err) {
          throw new ApplianceError('BAD_REQUEST', (err as Error).message);
        }
      }
      if (req.body.action === 'insert' && req.body.key) {
        let folder: string;
        try {
          folder = sim.insertHeldKey(req.body.key);
        } catch (err) {
          throw new ApplianceError('BAD_REQUEST', (err as Error).message);
        }
        return { inserted: folder, blanksLeft: sim.tray.blanksLeft() };
      }
      if (req.body.action === 'insert')
        return { inserted: sim.insertBlankKey(), blanksLeft: sim.tray.blanksLeft() };
      return { pulled: sim.pullKeys() };
    });
    routes.attach('simPrinter', async (req) => {
      sim.setPrinter(req.body);
      return { ok: true as const };
    });
    routes.attach('simReceipts', async () => ({ count: sim.receipts().length }));
    routes.attach('simLatestReceipt', async (_req, reply) => {
      const png = await sim.latestReceiptPng();
      if (!png) return reply.code(404).send({ error: 'no receipt printed yet' });
      return reply.type('image/png').header('cache-control', 'no-store').send(png);
    });
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const CONTROL_STYLE = `body{font:16px system-ui,sans-serif;margin:2rem;max-width:60rem}section{border:1px solid #ccc;border-radius:8px;padding:1rem;margin:1rem 0}
button{font-size:1rem;padding:.5rem 1rem;margin:.2rem}#log{white-space:pre-wrap;background:#f4f4f4;padding:.5rem;min-height:3rem}img{max-width:100%;border:1px solid #ddd}`;

const CONTROL_SCRIPT = `
const log=(m)=>{document.getElementById('log').textContent=new Date().toLocaleTimeString()+' '+m+'\\n'+document.getElementById('log').textContent};
const post=async(p,b)=>{const r=await fetch(p,{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(b)});const t=await r.text();log(p+' → '+r.status+' '+t);};
document.getElementById('scan-phone').onclick=()=>post('/sim/scan',{phonePageUrl:document.getElementById('page').value});
document.getElementById('scan-code').onclick=()=>post('/sim/scan',{code:document.getElementById('code').value});
document.querySelectorAll('[data-card]').forEach(b=>b.onclick=()=>post('/sim/id-card',{fixture:b.dataset.card||null}));
document.getElementById('insert').onclick=()=>post('/sim/token',{action:'insert'});
document.getElementById('pull').onclick=()=>post('/sim/token',{action:'pull'});
document.querySelectorAll('[data-key]').forEach(b=>b.onclick=()=>post('/sim/token',{action:'insert',key:b.dataset.key}));
document.querySelectorAll('[data-lock]').forEach(b=>b.onclick=()=>post('/sim/token',{action:'lock-pin',key:b.dataset.lock}));
document.querySelectorAll('[data-paper]').forEach(b=>b.onclick=()=>post('/sim/printer',{paper:b.dataset.paper}));
document.querySelectorAll('[data-cover]').forEach(b=>b.onclick=()=>post('/sim/printer',{coverOpen:b.dataset.cover==='true'}));
document.getElementById('receipt').onclick=()=>{document.getElementById('png').src='/sim/receipts/latest.png?'+Date.now()};
`;

const sha256 = (s: string) => `sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}`;
/** The page's one inline script and one inline style, allowed by their hashes (nothing else inline runs). */
const CONTROL_PAGE_CSP = contentSecurityPolicy({
  scripts: [sha256(CONTROL_SCRIPT)],
  styles: [sha256(CONTROL_STYLE)],
});

function controlPage(sim: Simulation, phonePageUrl?: string): string {
  const cards = sim
    .cardFixtures()
    .map((f) => `<button data-card="${esc(f.name)}">${esc(f.name)}</button>`)
    .join(' ');
  const held = sim.tray
    .heldKeys()
    .map(
      (k) =>
        `<button data-key="${esc(k)}">Insert the ${esc(k)} key</button> <button data-lock="${esc(k)}">Lock its PIN</button>`,
    )
    .join(' ');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>certkiosk emulator control</title>
<style>${CONTROL_STYLE}</style></head>
<body><h1>Emulator control · 模拟设备控制台</h1>
<section><h2>QR scanner</h2><p>Phone page: <input id="page" size="60" value="${esc(phonePageUrl ?? '')}"></p>
<button id="scan-phone">Scan the phone page's QR code</button> <input id="code" size="40" placeholder="or paste a code"> <button id="scan-code">Scan</button></section>
<section><h2>ID-card reader</h2>${cards} <button data-card="">Lift the card</button></section>
<section><h2>USB key writer</h2><button id="insert">Insert a blank key</button> ${held} <button id="pull">Pull the key</button></section>
<section><h2>Receipt printer</h2><button data-paper="ok">Paper OK</button> <button data-paper="near-end">Paper near end</button> <button data-paper="out">Paper out</button>
<button data-cover="true">Open cover</button> <button data-cover="false">Close cover</button>
<p><button id="receipt">Show the last receipt</button></p><img id="png" alt="last receipt"></section>
<div id="log"></div>
<script>${CONTROL_SCRIPT}</script></body></html>`;
}
