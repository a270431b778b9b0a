// /sim: the emulator control page and its API (sim profile only). A person playing the applicant uses it
// to scan the phone page's QR code, put an ID card on the reader, insert or pull a USB key, open the
// printer cover or run out of paper, and see the last receipt.
import type { FastifyInstance } from 'fastify';
import type { Simulation } from './simulation.js';

export interface SimRoutesOptions {
  sim: Simulation;
  /** Phone page of the demo order (its `/pickup-code` JSON is what the QR shows). */
  phonePageUrl?: string;
}

export function simRoutes(opts: SimRoutesOptions) {
  const { sim } = opts;
  return async (app: FastifyInstance) => {
    // For the soak benchmark: the process's memory, after a full collection when node runs with --expose-gc.
    app.get('/sim/memory', async () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc) gc();
      return { ...process.memoryUsage(), collected: !!gc };
    });
    app.get('/sim', async (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(controlPage(sim, opts.phonePageUrl)),
    );

    app.post<{ Body: { code?: string; phonePageUrl?: string } }>('/sim/scan', async (req) => {
      let code = req.body?.code;
      const page = req.body?.phonePageUrl ?? opts.phonePageUrl;
      if (!code) {
        if (!page) throw Object.assign(new Error('give a code or a phone page URL'), { statusCode: 400 });
        const res = await fetch(`${page.replace(/\/$/, '')}/pickup-code`);
        if (!res.ok)
          throw Object.assign(new Error(`the phone page answered ${res.status}`), { statusCode: 502 });
        code = ((await res.json()) as { token: string }).token;
      }
      await sim.scan(code);
      return { scanned: code.slice(0, 24) + '…' };
    });
    app.post<{ Body: { fixture: string | null } }>('/sim/id-card', async (req) => {
      const card = await sim.placeCard(req.body?.fixture ?? null);
      return { placed: card ? card.name : null };
    });
    app.post<{ Body: { action: 'insert' | 'pull' } }>('/sim/token', async (req) => {
      if (req.body?.action === 'insert')
        return { inserted: sim.insertBlankKey(), blanksLeft: sim.tray.blanksLeft() };
      return { pulled: sim.pullKeys() };
    });
    app.post<{ Body: { paper?: 'ok' | 'near-end' | 'out'; coverOpen?: boolean } }>(
      '/sim/printer',
      async (req) => {
        sim.setPrinter(req.body ?? {});
        return { ok: true };
      },
    );
    app.get('/sim/receipts', async () => ({ count: sim.receipts().length }));
    app.get('/sim/receipts/latest.png', async (_req, reply) => {
      const png = await sim.latestReceiptPng();
      if (!png) return reply.code(404).send({ error: 'no receipt printed yet' });
      return reply.type('image/png').header('cache-control', 'no-store').send(png);
    });
  };
}

function controlPage(sim: Simulation, phonePageUrl?: string): string {
  const cards = sim
    .cardFixtures()
    .map((f) => `<button data-card="${f.name}">${f.name}</button>`)
    .join(' ');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>certkiosk emulator control</title>
<style>body{font:16px system-ui,sans-serif;margin:2rem;max-width:60rem}section{border:1px solid #ccc;border-radius:8px;padding:1rem;margin:1rem 0}
button{font-size:1rem;padding:.5rem 1rem;margin:.2rem}#log{white-space:pre-wrap;background:#f4f4f4;padding:.5rem;min-height:3rem}img{max-width:100%;border:1px solid #ddd}</style></head>
<body><h1>Emulator control · 模拟设备控制台</h1>
<section><h2>QR scanner</h2><p>Phone page: <input id="page" size="60" value="${phonePageUrl ?? ''}"></p>
<button id="scan-phone">Scan the phone page's QR code</button> <input id="code" size="40" placeholder="or paste a code"> <button id="scan-code">Scan</button></section>
<section><h2>ID-card reader</h2>${cards} <button data-card="">Lift the card</button></section>
<section><h2>USB key writer</h2><button id="insert">Insert a blank key</button> <button id="pull">Pull the key</button></section>
<section><h2>Receipt printer</h2><button data-paper="ok">Paper OK</button> <button data-paper="near-end">Paper near end</button> <button data-paper="out">Paper out</button>
<button data-cover="true">Open cover</button> <button data-cover="false">Close cover</button>
<p><button id="receipt">Show the last receipt</button></p><img id="png" alt="last receipt"></section>
<div id="log"></div>
<script>
const log=(m)=>{document.getElementById('log').textContent=new Date().toLocaleTimeString()+' '+m+'\\n'+document.getElementById('log').textContent};
const post=async(p,b)=>{const r=await fetch(p,{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(b)});const t=await r.text();log(p+' → '+r.status+' '+t);};
document.getElementById('scan-phone').onclick=()=>post('/sim/scan',{phonePageUrl:document.getElementById('page').value});
document.getElementById('scan-code').onclick=()=>post('/sim/scan',{code:document.getElementById('code').value});
document.querySelectorAll('[data-card]').forEach(b=>b.onclick=()=>post('/sim/id-card',{fixture:b.dataset.card||null}));
document.getElementById('insert').onclick=()=>post('/sim/token',{action:'insert'});
document.getElementById('pull').onclick=()=>post('/sim/token',{action:'pull'});
document.querySelectorAll('[data-paper]').forEach(b=>b.onclick=()=>post('/sim/printer',{paper:b.dataset.paper}));
document.querySelectorAll('[data-cover]').forEach(b=>b.onclick=()=>post('/sim/printer',{coverOpen:b.dataset.cover==='true'}));
document.getElementById('receipt').onclick=()=>{document.getElementById('png').src='/sim/receipts/latest.png?'+Date.now()};
</script></body></html>`;
}
