// The load generator's HTTP client against a real node:http server on loopback: answers matched to their
// requests, keep-alive sockets reused, and every way of getting no answer rejected (timeout, reset, an answer
// it cannot frame).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest, HttpConnections } from './http-connections.js';

let server: Server | undefined;
let client: HttpConnections | undefined;
afterEach(async () => {
  client?.close();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = client = undefined;
});

/** A server on a free loopback port; returns its origin and a count of the sockets it accepted. */
async function serve(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const sockets = { count: 0 };
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  server.on('connection', () => sockets.count++);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets };
}

const post = (c: HttpConnections, body: string, headers: Record<string, string> = {}) =>
  c.request(encodeRequest(c.authority, '/v1/echo', headers, body));

describe('HttpConnections', () => {
  it('sends the headers and body it was given and answers with the status and body, reusing one socket', async () => {
    const { origin, sockets } = await serve((req, body, res) => {
      const answer = Buffer.from(
        JSON.stringify({ path: req.url, method: req.method, sig: req.headers['x-sig'], body }),
      );
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': answer.length });
      res.end(answer);
    });
    client = new HttpConnections(origin);
    for (const n of [1, 2, 3]) {
      const a = await post(client, `{"n":${n},"name":"张三"}`, { 'x-sig': `s${n}` });
      expect(a.status).toBe(201);
      expect(JSON.parse(a.body)).toEqual({
        path: '/v1/echo',
        method: 'POST',
        sig: `s${n}`,
        body: `{"n":${n},"name":"张三"}`,
      });
      expect(a.ms).toBeGreaterThan(0);
    }
    expect(sockets.count).toBe(1);
  });

  it('opens a socket per request in flight and gives each answer to its own request', async () => {
    const { origin, sockets } = await serve((_req, body, res) => {
      // The first request is answered last.
      const n = Number(JSON.parse(body).n);
      setTimeout(() => res.end(JSON.stringify({ n })), n === 0 ? 60 : 5);
    });
    client = new HttpConnections(origin);
    const answers = await Promise.all([0, 1, 2, 3].map((n) => post(client!, JSON.stringify({ n }))));
    expect(answers.map((a) => JSON.parse(a.body).n)).toEqual([0, 1, 2, 3]);
    expect(sockets.count).toBe(4);
  });

  it('rejects a request with no answer within the timeout as ETIMEDOUT, and the next one still works', async () => {
    const { origin } = await serve((_req, body, res) => {
      if (body !== 'hang') res.end('{}');
    });
    client = new HttpConnections(origin, 200);
    await expect(post(client, 'hang')).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect((await post(client, 'ok')).status).toBe(200);
  });

  it('rejects when the server drops the connection, and when the answer has no Content-Length', async () => {
    const { origin } = await serve((req, body, res) => {
      if (body === 'drop') req.socket.destroy();
      else {
        res.write('{"chunked":');
        res.end('true}');
      }
    });
    client = new HttpConnections(origin);
    await expect(post(client, 'drop')).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(post(client, 'chunk')).rejects.toThrow(/without content-length/);
  });

  it('refuses anything but plain HTTP', () => {
    expect(() => new HttpConnections('https://127.0.0.1:1')).toThrow(/plain HTTP only/);
  });
});
