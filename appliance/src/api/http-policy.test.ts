// Attacks on the appliance API from a browser on the same machine, against the real server on a listening
// socket (fake engine and devices): each test is named after the attack and fails if the attack works.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { simRoutes } from '../sim/routes.js';
import type { ErrorBody } from './contract.js';
import { checkRequest, loopbackHosts, originsOf } from './http-policy.js';
import { fakeSimulation, fakeUiDir, startTestApi, type TestApi } from './testing-fakes.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

/** A raw request to 127.0.0.1:port with exactly these headers (Host included: what a browser would send). */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** The first bytes of an event stream (its headers and the first events), then the connection is closed. */
function rawStreamHead(port: number, path: string): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream' } },
      (res) => {
        resolve(res.headers);
        req.destroy();
      },
    );
    req.on('error', (err) =>
      (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err),
    );
    req.end();
  });
}

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const errorOf = (a: Answer) => a.json() as ErrorBody;

describe('cross-site request forgery', () => {
  it('a cross-origin text/plain POST to start a journey is refused and starts nothing', async () => {
    api = await startTestApi();
    // What <form enctype="text/plain"> or fetch(…, {mode: 'no-cors'}) from another site sends.
    const fromEvil = await raw(
      api.port,
      'POST',
      '/api/journeys',
      { origin: 'http://evil.example', 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
      '{}',
    );
    expect(fromEvil.status).toBe(403);
    expect(errorOf(fromEvil).code).toBe('ORIGIN_NOT_ALLOWED');
    // The same body without an Origin (a client that hides it) is still refused: not JSON.
    const noOrigin = await raw(api.port, 'POST', '/api/journeys', { 'content-type': 'text/plain' }, '{}');
    expect(noOrigin.status).toBe(415);
    expect(errorOf(noOrigin)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', action: 'none' });
    const form = await raw(
      api.port,
      'POST',
      '/api/journeys',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'a=1',
    );
    expect(form.status).toBe(415);
    const bodiless = await raw(api.port, 'DELETE', '/api/journeys/current', {});
    expect(bodiless.status).toBe(415);
    expect(api.engine.calls).toEqual([]);
  });

  it('a foreign Origin with JSON is refused and changes nothing', async () => {
    api = await startTestApi();
    for (const origin of [
      'http://evil.example',
      'null',
      `http://127.0.0.1:${api.port + 1}`,
      'https://127.0.0.1',
    ]) {
      const r = await raw(
        api.port,
        'POST',
        '/api/journeys',
        { origin, 'content-type': 'application/json' },
        '{}',
      );
      expect(r.status, origin).toBe(403);
      expect(errorOf(r).code).toBe('ORIGIN_NOT_ALLOWED');
    }
    // Reading is refused too (a cross-site page must not see the journey or the devices).
    const read = await raw(api.port, 'GET', '/api/state', { origin: 'http://evil.example' });
    expect(read.status).toBe(403);
    const subresource = await raw(api.port, 'GET', '/api/state', {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'no-cors',
    });
    expect(subresource.status).toBe(403);
    expect(api.engine.calls).toEqual([]);
    // The kiosk's own page is served and may act (the control).
    const own = await raw(
      api.port,
      'POST',
      '/api/journeys',
      {
        origin: `http://127.0.0.1:${api.port}`,
        'content-type': 'application/json',
        'sec-fetch-site': 'same-origin',
      },
      '{}',
    );
    expect(own.status).toBe(200);
    expect(api.engine.calls).toEqual(['start']);
  });

  it('a cross-origin POST to a sim route is refused and drives no device', async () => {
    api = await startTestApi();
    const r = await raw(
      api.port,
      'POST',
      '/sim/token',
      { origin: 'http://evil.example', 'content-type': 'text/plain' },
      '{"action":"insert"}',
    );
    expect(r.status).toBe(403);
    const plain = await raw(
      api.port,
      'POST',
      '/sim/token',
      { 'content-type': 'text/plain' },
      '{"action":"insert"}',
    );
    expect(plain.status).toBe(415);
    expect(api.sim.calls).toEqual([]);
  });
});

describe('Host header (DNS rebinding)', () => {
  it('a foreign Host header is refused', async () => {
    api = await startTestApi();
    for (const host of ['192.168.1.20:' + api.port, '10.0.0.1', `127.0.0.1:${api.port + 1}`, 'kiosk.local']) {
      const r = await raw(api.port, 'GET', '/api/state', { host });
      expect(r.status, host).toBe(421);
      expect(errorOf(r).code).toBe('HOST_NOT_ALLOWED');
    }
    for (const host of [`127.0.0.1:${api.port}`, `localhost:${api.port}`, `[::1]:${api.port}`]) {
      expect((await raw(api.port, 'GET', '/api/state', { host })).status, host).toBe(200);
    }
  });

  it('a DNS-rebinding Host (evil.example:PORT pointing at 127.0.0.1) is refused and changes nothing', async () => {
    api = await startTestApi({ uiDir: fakeUiDir() });
    // The page was loaded from evil.example, whose name now resolves to 127.0.0.1: same origin for the browser,
    // so no Origin check and no CORS stop it; only the Host header tells.
    const host = `evil.example:${api.port}`;
    const state = await raw(api.port, 'GET', '/api/state', { host });
    expect(state.status).toBe(421);
    expect(state.text).not.toContain('journey');
    const start = await raw(
      api.port,
      'POST',
      '/api/journeys',
      { host, origin: `http://${host}`, 'content-type': 'application/json' },
      '{}',
    );
    expect(start.status).toBe(421);
    const sameOriginOnly = await raw(
      api.port,
      'POST',
      '/api/journeys',
      { host, 'content-type': 'application/json' },
      '{}',
    );
    expect(sameOriginOnly.status).toBe(421);
    expect((await raw(api.port, 'GET', '/', { host })).status).toBe(421);
    expect((await raw(api.port, 'GET', '/sim', { host })).status).toBe(421);
    expect(api.engine.calls).toEqual([]);
  });

  it('the allowed hosts are configurable', async () => {
    api = await startTestApi({ allowedHosts: ['kiosk.internal:8080'] });
    expect((await raw(api.port, 'GET', '/api/state', { host: 'kiosk.internal:8080' })).status).toBe(200);
    expect((await raw(api.port, 'GET', '/api/state', {})).status).toBe(421);
  });

  it('checkRequest: host, then origin, then content type', () => {
    const policy = { hosts: loopbackHosts(7420), origins: originsOf(loopbackHosts(7420)) };
    const ok = {
      method: 'POST',
      host: '127.0.0.1:7420',
      origin: undefined,
      contentType: 'application/json; charset=utf-8',
    };
    expect(checkRequest(ok, policy)).toBeNull();
    expect(checkRequest({ ...ok, host: undefined }, policy)).toBe('HOST_NOT_ALLOWED');
    expect(
      checkRequest({ ...ok, host: 'LOCALHOST:7420', origin: 'http://localhost:7420' }, policy),
    ).toBeNull();
    expect(checkRequest({ ...ok, origin: 'http://[::1]:7420' }, policy)).toBeNull();
    expect(checkRequest({ ...ok, contentType: 'application/jsonp' }, policy)).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(checkRequest({ ...ok, method: 'GET', contentType: undefined }, policy)).toBeNull();
    expect(checkRequest({ ...ok, fetchSite: 'same-site', fetchMode: 'cors' }, policy)).toBe(
      'ORIGIN_NOT_ALLOWED',
    );
    expect(
      checkRequest({ ...ok, method: 'GET', fetchSite: 'cross-site', fetchMode: 'navigate' }, policy),
    ).toBeNull();
    expect(loopbackHosts(80)).toContain('localhost');
  });
});

describe('bodies', () => {
  it('malformed JSON is a 400 BAD_REQUEST (not 500, not "call staff") and changes nothing', async () => {
    api = await startTestApi();
    const json = { 'content-type': 'application/json' };
    expect((await raw(api.port, 'POST', '/api/journeys', json, '{}')).status).toBe(200);
    const calls = [...api.engine.calls];
    for (const [path, body] of [
      ['/api/journeys/current/scan', '{"code": "CK1-'],
      ['/api/journeys/current/pin', '{"pin":"385172"'],
      ['/api/journeys', '{'],
      ['/api/journeys/current/confirm', ''],
      ['/sim/token', "{action:'insert'}"],
    ] as const) {
      const r = await raw(api.port, 'POST', path, json, body);
      expect(r.status, path).toBe(400);
      expect(errorOf(r), path).toMatchObject({ code: 'BAD_REQUEST', action: 'none', retryable: false });
      expect(r.text).not.toContain('385172');
    }
    // Well-formed JSON that breaks the schema: the same answer.
    const wrong = await raw(api.port, 'POST', '/api/journeys/current/scan', json, '{"code":""}');
    expect(wrong.status).toBe(400);
    expect(errorOf(wrong).code).toBe('BAD_REQUEST');
    expect(api.engine.calls).toEqual(calls);
    expect(api.sim.calls).toEqual([]);
  });

  it('an oversize body is a 413 BODY_TOO_LARGE and changes nothing', async () => {
    api = await startTestApi();
    const big = JSON.stringify({ code: 'x'.repeat(100 * 1024) });
    const r = await raw(
      api.port,
      'POST',
      '/api/journeys/current/scan',
      { 'content-type': 'application/json' },
      big,
    );
    expect(r.status).toBe(413);
    expect(errorOf(r)).toMatchObject({ code: 'BODY_TOO_LARGE', action: 'none' });
    const sim = await raw(api.port, 'POST', '/sim/scan', { 'content-type': 'application/json' }, big);
    expect(sim.status).toBe(413);
    expect(api.engine.calls).toEqual([]);
    expect(api.sim.calls).toEqual([]);
  });

  it('the body limit is configurable', async () => {
    api = await startTestApi({ bodyLimit: 100 });
    const r = await raw(
      api.port,
      'POST',
      '/api/journeys/current/scan',
      { 'content-type': 'application/json' },
      JSON.stringify({ code: 'x'.repeat(200) }),
    );
    expect(r.status).toBe(413);
  });
});

describe('security headers', () => {
  const expectHeaders = (headers: Answer['headers'], what: string) => {
    const csp = String(headers['content-security-policy'] ?? '');
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toContain("default-src 'self'");
    expect(csp, what).not.toContain('unsafe-inline');
    expect(headers['x-content-type-options'], what).toBe('nosniff');
    expect(headers['referrer-policy'], what).toBe('no-referrer');
  };

  it("CSP with frame-ancestors 'none' is on the UI index and on every API answer (a framing page gets nothing)", async () => {
    api = await startTestApi({ uiDir: fakeUiDir() });
    const index = await raw(api.port, 'GET', '/', {});
    expect(index.status).toBe(200);
    expect(index.text).toContain('<div id="app">');
    expectHeaders(index.headers, 'GET /');
    const spa = await raw(api.port, 'GET', '/some/screen', {});
    expect(spa.text).toContain('<div id="app">');
    expectHeaders(spa.headers, 'SPA fallback');
    expectHeaders((await raw(api.port, 'GET', '/assets/index.js', {})).headers, 'asset');
    expectHeaders((await raw(api.port, 'GET', '/api/state', {})).headers, 'GET /api/state');
    expectHeaders((await raw(api.port, 'GET', '/api/nothing', {})).headers, '404');
    expectHeaders(
      (await raw(api.port, 'POST', '/api/journeys', { 'content-type': 'application/json' }, '{}')).headers,
      'POST /api/journeys',
    );
    expectHeaders((await raw(api.port, 'GET', '/api/state', { host: 'evil.example' })).headers, '421');
    expectHeaders(await rawStreamHead(api.port, '/api/events'), 'GET /api/events');
    expectHeaders((await raw(api.port, 'GET', '/openapi.json', {})).headers, 'openapi');
  });

  it('the sim control page runs only its own inline script and style (by hash)', async () => {
    api = await startTestApi();
    const page = await raw(api.port, 'GET', '/sim', {});
    expect(page.status).toBe(200);
    expectHeaders(page.headers, '/sim');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    const { createHash } = await import('node:crypto');
    const inline = (tag: string) => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(page.text)?.[1] ?? '';
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    expect(csp).toContain(hash(inline('script')));
    expect(csp).toContain(hash(inline('style')));
  });

  const builtIndex = fileURLToPath(new URL('../../../kiosk-ui/dist/index.html', import.meta.url));
  it('the built kiosk-ui needs nothing the CSP forbids (no inline script or style)', () => {
    // `make test` builds the UI before the unit tests; run `make build` first when running this file alone.
    expect(existsSync(builtIndex), `${builtIndex} is missing: run make build`).toBe(true);
    const html = readFileSync(builtIndex, 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style[\s>]/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    for (const ref of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(ref[1]).toMatch(/^\.\/assets\//);
  });
});

describe('sim routes', () => {
  it('are refused when central is not on loopback', () => {
    const { sim } = fakeSimulation();
    expect(() => simRoutes({ sim, centralUrl: 'https://central.example.gov.cn' })).toThrow(/loopback/);
    expect(() => simRoutes({ sim, centralUrl: 'http://10.0.0.5:7410' })).toThrow(/loopback/);
    expect(() => simRoutes({ sim, centralUrl: 'http://127.0.0.1:7410' })).not.toThrow();
    expect(() =>
      simRoutes({ sim, centralUrl: 'http://127.0.0.1:7410', phonePageUrl: 'http://evil.example/p/abc' }),
    ).toThrow(/configured central/);
  });

  it('a phone page URL taken from the request never makes the appliance fetch elsewhere (SSRF)', async () => {
    api = await startTestApi({ centralUrl: 'http://127.0.0.1:1' });
    for (const phonePageUrl of [
      'http://169.254.169.254/latest/meta-data',
      'http://127.0.0.1:22/p/abc',
      'http://127.0.0.1:1/admin/v1/orders',
      'http://127.0.0.1:1/p/abc/../../admin',
      'file:///etc/passwd',
    ]) {
      const r = await raw(
        api.port,
        'POST',
        '/sim/scan',
        { 'content-type': 'application/json' },
        JSON.stringify({ phonePageUrl }),
      );
      expect(r.status, phonePageUrl).toBe(400);
      expect(errorOf(r).code).toBe('BAD_REQUEST');
    }
    expect(api.sim.calls).toEqual([]);
  });
  it("the phone page's QR code is read from the configured central only", async () => {
    const seen: string[] = [];
    const central = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: 'CK1-FROM-CENTRAL' }));
    });
    await new Promise<void>((r) => central.listen(0, '127.0.0.1', r));
    const centralUrl = `http://127.0.0.1:${(central.address() as AddressInfo).port}`;
    try {
      api = await startTestApi({ centralUrl });
      const r = await raw(
        api.port,
        'POST',
        '/sim/scan',
        { 'content-type': 'application/json' },
        JSON.stringify({ phonePageUrl: `${centralUrl}/p/Vw-Token_1` }),
      );
      expect(r.status).toBe(200);
      expect(api.sim.calls).toEqual(['scan:CK1-FROM-CENTRAL']);
      expect(seen).toEqual(['GET /p/Vw-Token_1/pickup-code']);
    } finally {
      central.close();
    }
  });
});
