// The route table is the API: every registered route under /api and /sim is an entry of it, and /openapi.json
// documents each one with its request schemas, a response schema and its tag.
import { afterEach, describe, expect, it } from 'vitest';
import { ROUTE_LIST } from './client.js';
import { ROUTES, type RouteName } from './routes.js';
import { fakeUiDir, startTestApi, type TestApi } from './testing-fakes.js';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Every (method, path) Fastify serves, read from app.printRoutes()'s tree (HEAD twins left out). */
function registeredRoutes(tree: string): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const at = line.indexOf('── ');
    if (at < 0) continue;
    const depth = Math.round(at / 4);
    const m = /^(.*?)(?: \(([^)]*)\))?$/.exec(line.slice(at + 3))!;
    stack.length = depth;
    stack[depth] = m[1]!;
    const path = stack.join('');
    for (const method of (m[2] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (method !== 'HEAD') out.push({ method, path });
    }
  }
  return out;
}

interface OpenApi {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        tags?: string[];
        responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
        requestBody?: unknown;
        security?: unknown;
      }
    >
  >;
}

const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

describe('OpenAPI', () => {
  it('lists every registered route with a response schema and its tag', async () => {
    api = await startTestApi({ uiDir: fakeUiDir() });
    const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as OpenApi;
    expect(doc.openapi).toMatch(/^3\./);
    const registered = registeredRoutes(api.app.printRoutes({ commonPrefix: false })).filter(
      (r) => r.path === '/sim' || r.path.startsWith('/api/') || r.path.startsWith('/sim/'),
    );
    // The parser found the routes (guards against a silently empty comparison).
    expect(registered.length).toBeGreaterThanOrEqual(Object.keys(ROUTES).length);
    for (const { method, path } of registered) {
      const op = doc.paths[openApiPath(path)]?.[method.toLowerCase()];
      expect(op, `${method} ${path} is in /openapi.json`).toBeDefined();
      const ok = Object.entries(op!.responses ?? {}).find(([status]) => /^2/.test(status));
      expect(ok, `${method} ${path} has a 2xx response`).toBeDefined();
      const [status, answer] = ok!;
      if (status !== '204') {
        const schemas = Object.values(answer.content ?? {}).map((c) => c.schema);
        expect(schemas.length, `${method} ${path} has a response schema`).toBeGreaterThan(0);
        expect(
          schemas.every((s) => s && typeof s === 'object'),
          `${method} ${path}`,
        ).toBe(true);
      }
      expect(
        op!.responses?.['4XX'] ?? op!.responses?.['4xx'],
        `${method} ${path} documents its errors`,
      ).toBeDefined();
      expect(['applicant', 'staff', 'sim']).toContain(op!.tags?.[0]);
      if (method !== 'GET')
        expect(op!.requestBody, `${method} ${path} has a request body schema`).toBeDefined();
    }
    // Each table entry is registered and documented under its tag, staff routes with the bearer scheme.
    for (const name of Object.keys(ROUTES) as RouteName[]) {
      const def = ROUTES[name];
      expect(registered, name).toContainEqual({ method: def.method, path: def.url });
      const op = doc.paths[openApiPath(def.url)]![def.method.toLowerCase()]!;
      expect(op.tags, name).toEqual([def.tag]);
      if (def.auth === 'staff') expect(op.security, name).toEqual([{ staffToken: [] }]);
    }
    // Nothing documented that is not served.
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(documented.sort()).toEqual(registered.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
  });

  it('a route outside the table cannot be registered under /api or /sim', async () => {
    await expect(
      startTestApi({ plugins: [(app) => void app.get('/api/backdoor', async () => ({ ok: true }))] }),
    ).rejects.toThrow(/not in the route table/);
    await expect(
      startTestApi({ plugins: [(app) => void app.post('/sim/anything', async () => ({ ok: true }))] }),
    ).rejects.toThrow(/not in the route table/);
  });

  it("the client's route list is the table's", () => {
    expect(Object.keys(ROUTE_LIST).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const name of Object.keys(ROUTES) as RouteName[]) {
      const def = ROUTES[name];
      expect(ROUTE_LIST[name], name).toEqual([def.method, def.url, def.kind, def.auth]);
    }
  });
});
