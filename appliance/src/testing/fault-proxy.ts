// Test support: an HTTP proxy on loopback between the appliance and central that can be down, hang, answer
// 5xx after central has committed, or reset the connection after central has committed — per route.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode =
  /** Forward as is. */
  | 'pass'
  /** Refuse: the connection is dropped before anything reaches central. */
  | 'down'
  /** Accept and never answer (central hangs). */
  | 'hang'
  /** Forward, let central commit, then answer 503 instead of central's answer. */
  | '5xx-after-commit'
  /** Forward, let central commit, then reset the connection. */
  | 'reset-after-commit';

export interface FaultRule {
  method?: string;
  /** Matched against the start of the path. */
  path: string;
  mode: FaultMode;
  /** Apply to this many matching requests, then pass (default: until changed). */
  times?: number;
}

export interface FaultProxy {
  url: string;
  /** Replace the rules; the first matching rule applies. */
  set(rules: FaultRule[]): void;
  /** Requests seen, as "METHOD path → outcome". */
  log: string[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let rules: Array<FaultRule & { left: number }> = [];
  const log: string[] = [];
  const hung = new Set<ServerResponse>();

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const r = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      r.end(body);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const rule = rules.find(
        (r) => r.left > 0 && (!r.method || r.method === req.method) && (req.url ?? '').startsWith(r.path),
      );
      const mode: FaultMode = rule?.mode ?? 'pass';
      if (rule) rule.left--;
      log.push(`${req.method} ${req.url} → ${mode}`);
      if (mode === 'down') {
        req.socket.destroy();
        return;
      }
      if (mode === 'hang') {
        hung.add(res);
        return;
      }
      try {
        const answer = await forward(req, body);
        if (mode === 'reset-after-commit') {
          req.socket.destroy();
          return;
        }
        if (mode === '5xx-after-commit') {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 'UNAVAILABLE', message: 'injected 503 after commit' }));
          return;
        }
        // Hop-by-hop headers are the proxy's own: forwarding central's `Keep-Alive: timeout=72` would have the
        // kiosk reuse a socket this proxy closes after 1 ms idle, and a request sent at that moment fails.
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        delete headers['connection'];
        delete headers['keep-alive'];
        res.writeHead(answer.status, headers);
        res.end(answer.body);
      } catch {
        req.socket.destroy();
      }
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set(next) {
      rules = next.map((r) => ({ ...r, left: r.times ?? Number.POSITIVE_INFINITY }));
      if (!next.some((r) => r.mode === 'hang')) {
        for (const res of hung) res.socket?.destroy();
        hung.clear();
      }
    },
    log,
    async close() {
      for (const res of hung) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
