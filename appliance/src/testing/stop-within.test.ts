import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { startTestCentral } from './kiosk-harness.js';

it('a test central that cannot stop names the request it still waits for; once answered it stops', async () => {
  const central = await startTestCentral(undefined, 0, { stopWithinMs: 500 });
  const { port } = new URL(central.url);
  // A request whose body never finishes arriving: central cannot close while it is open.
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(
    'POST /v1/heartbeat HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 99\r\n\r\n{',
  );
  await new Promise((r) => setTimeout(r, 200));
  await expect(central.stop()).rejects.toThrow(
    /^central did not stop within 500 ms; still in flight: POST \/v1\/heartbeat \(\d+ ms\)$/,
  );
  socket.destroy();
  await expect(central.stop()).resolves.toBeUndefined();
});
