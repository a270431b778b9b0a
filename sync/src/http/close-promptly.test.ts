import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { closePromptly } from './close-promptly.js';

/** A server, a keep-alive request to its one route, and close() while the request is being answered. */
async function closeDuringAnswer(prompt: boolean) {
  const app = Fastify({ keepAliveTimeout: 60_000 });
  if (prompt) closePromptly(app);
  let answer!: () => void;
  const asked = new Promise<void>((r) => {
    app.get('/slow', async () => {
      r();
      await new Promise<void>((go) => {
        answer = go;
      });
      return { ok: true };
    });
  });
  // The answer goes out once the server has begun to close (after the preClose hooks).
  app.addHook('preClose', async () => {
    setTimeout(() => answer(), 100);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const agent = new Agent({ keepAlive: true });
  const response = new Promise<{ connection: string | undefined; body: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: (app.server.address() as AddressInfo).port, path: '/slow', agent },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ connection: res.headers.connection, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
  await asked;
  const closed = app.close().then(() => 'closed' as const);
  const got = await response;
  const outcome = await Promise.race([
    closed,
    new Promise<'still open'>((r) => setTimeout(() => r('still open'), 3000)),
  ]);
  agent.destroy(); // lets the server go when it still waits
  await closed;
  return { got, outcome };
}

describe('closePromptly', () => {
  it('a request answered while the server closes gets its answer, and the server closes without waiting on it', async () => {
    const { got, outcome } = await closeDuringAnswer(true);
    expect(got.body).toBe('{"ok":true}');
    expect(got.connection).toBe('close');
    expect(outcome).toBe('closed');
  });

  it('without it, that kept-alive connection holds the close (the hang it mends)', async () => {
    const { got, outcome } = await closeDuringAnswer(false);
    expect(got.body).toBe('{"ok":true}');
    expect(got.connection).toBe('keep-alive');
    expect(outcome).toBe('still open');
  });
});
