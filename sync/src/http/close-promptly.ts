// A Fastify server's close() waits for every connection to end. A connection whose request was still being
// answered when close() began is not idle then, so Node does not close it, and once answered it stays open as
// keep-alive until its client lets go or keepAliveTimeout runs out (72 s by Fastify's default): a restart, or a
// test's teardown, hung that long. Once closing, every answer says `Connection: close`, so Node ends the
// connection as soon as the answer is sent.
import type { FastifyInstance } from 'fastify';

export function closePromptly(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
}
