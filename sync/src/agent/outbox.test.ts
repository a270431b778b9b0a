import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKeySigner } from '../contract/request-signing.js';
import type { SyncEvent } from '../contract/schemas.js';
import { CentralClient } from './central-client.js';
import { type LoopbackCentral, startLoopbackCentral, testEvent } from './loopback-central.js';
import { Outbox } from './outbox.js';

let central: LoopbackCentral;
let dir: string;
beforeAll(async () => {
  central = await startLoopbackCentral();
});
afterAll(() => central.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-outbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Event ids central stored for an appliance, in the order it stored them. */
async function storedIds(applianceId: string): Promise<string[]> {
  return (
    await central.app.central.db.all<{ id: string }>(
      'SELECT id FROM events WHERE appliance_id = ? ORDER BY rowid',
      applianceId,
    )
  ).map((r) => r.id);
}

/** Records which ids a client posted, passing calls through to the real one. */
function recording(client: CentralClient) {
  const posted: string[] = [];
  return {
    posted,
    client: {
      postEvents: (events: SyncEvent[]) => {
        posted.push(...events.map((e) => e.id));
        return client.postEvents(events);
      },
    },
  };
}

const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);

describe('Outbox against the real central on loopback', () => {
  it('delivers every event once, in order, in batches of ≤ 500; a replay after losing the ack cursor stores nothing twice', async () => {
    const client = await central.newClient('KIOSK-OB-001');
    const rec = recording(client);
    const outbox = await Outbox.open({ dir, client: rec.client });
    const all = ids('evt-ob1', 1200);
    // three orders interleaved: order is what matters per order
    await Promise.all(all.map((id, i) => outbox.enqueue(testEvent(id, `CK-ORDER-${i % 3}`))));
    expect(outbox.pendingCount()).toBe(1200);
    outbox.start();
    await outbox.drain(20_000);
    await outbox.close();
    expect(await storedIds('KIOSK-OB-001')).toEqual(all);
    expect(rec.posted).toEqual(all); // three POSTs (500, 500, 200), nothing sent twice
    expect(JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8'))).toMatchObject({
      deliveredThrough: 1200,
    });

    // A crash after central stored the batch but before the ack was written: the cursor is gone.
    rmSync(join(dir, 'cursor.json'));
    const replay = recording(client);
    const again = await Outbox.open({ dir, client: replay.client });
    expect(again.pendingCount()).toBe(1200);
    again.start();
    await again.drain(20_000);
    await again.close();
    expect(replay.posted).toHaveLength(1200);
    expect(await storedIds('KIOSK-OB-001')).toEqual(all); // central deduplicated the replay
  });

  it('survives a restart: acked events are not sent again, un-acked ones are', async () => {
    const client = await central.newClient('KIOSK-OB-002');
    const first = recording(client);
    const outbox = await Outbox.open({ dir, client: first.client });
    for (const id of ids('evt-ob2-a', 10)) await outbox.enqueue(testEvent(id));
    outbox.start();
    await outbox.drain(5_000);
    await outbox.stop();
    // queued while not delivering, then the process "exits"
    for (const id of ids('evt-ob2-b', 5)) await outbox.enqueue(testEvent(id));
    await outbox.close();

    const second = recording(client);
    const reopened = await Outbox.open({ dir, client: second.client });
    expect(reopened.pendingCount()).toBe(5);
    reopened.start();
    await reopened.drain(5_000);
    await reopened.close();
    expect(second.posted).toEqual(ids('evt-ob2-b', 5));
    expect(await storedIds('KIOSK-OB-002')).toEqual([...ids('evt-ob2-a', 10), ...ids('evt-ob2-b', 5)]);
  });

  it('prunes delivered segments', async () => {
    const client = await central.newClient('KIOSK-OB-003');
    const outbox = await Outbox.open({ dir, client, segmentBytes: 2048 });
    await Promise.all(ids('evt-ob3', 300).map((id) => outbox.enqueue(testEvent(id))));
    expect(readdirSync(join(dir, 'log')).length).toBeGreaterThan(10);
    outbox.start();
    await outbox.drain(10_000);
    await outbox.close();
    expect(readdirSync(join(dir, 'log'))).toHaveLength(1);
  });

  it('central down: events queue, the backoff grows, and they drain when central is back on the same port', async () => {
    const client = await central.newClient('KIOSK-OB-004', { timeoutMs: 1_000 });
    await central.stop();
    try {
      const waits: number[] = [];
      const outbox = await Outbox.open({
        dir,
        client,
        backoff: { baseMs: 20, maxMs: 400, random: () => 1 },
        onError: () => waits.push(outbox.stats().lastBackoffMs),
      });
      await Promise.all(ids('evt-ob4', 50).map((id) => outbox.enqueue(testEvent(id))));
      outbox.start();
      while (waits.length < 6) await new Promise((r) => setTimeout(r, 20));
      expect(waits.slice(0, 6)).toEqual([20, 40, 80, 160, 320, 400]);
      expect(outbox.stats()).toMatchObject({ pending: 50, consecutiveFailures: waits.length });
      expect(outbox.stats().lastError).toContain('CENTRAL_UNAVAILABLE');

      await central.restart();
      outbox.retryNow();
      await outbox.drain(10_000);
      expect(outbox.stats()).toMatchObject({ pending: 0, consecutiveFailures: 0, lastBackoffMs: 0 });
      await outbox.close();
      expect(await storedIds('KIOSK-OB-004')).toEqual(ids('evt-ob4', 50));
    } finally {
      await central.restart();
    }
  });

  it('refuses an event that does not fit the contract, so it can never block the queue', async () => {
    const client = await central.newClient('KIOSK-OB-005');
    const outbox = await Outbox.open({ dir, client });
    await expect(outbox.enqueue({ ...testEvent('short'), occurredAt: 'now' })).rejects.toMatchObject({
      code: 'OUTBOX_EVENT_INVALID',
      details: { eventId: 'short' },
    });
    expect(outbox.pendingCount()).toBe(0);
    await outbox.close();
  });
});

describe('Outbox against a central answering nonsense', () => {
  let server: Server;
  let url: string;
  const received: string[][] = [];
  // Each request gets the next answer; after the list, a well-behaved central that acks what it got.
  const nonsense: Array<
    (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void
  > = [
    (_q, _b, r) => r.writeHead(200, { 'content-type': 'text/html' }).end('<html>wifi login</html>'),
    (_q, _b, r) => r.writeHead(200, { 'content-type': 'application/json' }).end('{"acknowledged": "all"}'),
    (_q, _b, r) => r.writeHead(500).end('oops'),
    (_q, _b, r) =>
      r
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"accepted":0,"duplicates":0,"acknowledged":[]}'),
    (_q, _b, r) =>
      r
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"accepted":1,"duplicates":0,"acknowledged":["someone-else"]}'),
    (_q, _b, r) => r.writeHead(404, { 'content-type': 'text/plain' }).end('not here'),
    (q) => q.socket.destroy(), // hang up mid-request
    (_q, _b, r) => r.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":1,'), // cut JSON
  ];

  beforeAll(async () => {
    let n = 0;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const answer = nonsense[n++];
        if (answer) return answer(req, body, res);
        const events = (JSON.parse(body) as { events: SyncEvent[] }).events.map((e) => e.id);
        received.push(events);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accepted: events.length, duplicates: 0, acknowledged: events }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );

  it('counts each as a failure, never crashes, never drops an event, and delivers once the answers make sense', async () => {
    const client = new CentralClient({
      baseUrl: url,
      applianceId: 'KIOSK-NONSENSE',
      sessions: false, // each nonsense answer is for POST /v1/events, not a session opening
      signer: createKeySigner(
        (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
      ),
      timeoutMs: 1_000,
    });
    const errors: string[] = [];
    const outbox = await Outbox.open({
      dir,
      client,
      batchSize: 7,
      backoff: { baseMs: 5, maxMs: 20 },
      onError: (e) => errors.push((e as { code?: string }).code ?? 'raw'),
    });
    const all = ids('evt-nonsense', 20);
    for (const id of all) await outbox.enqueue(testEvent(id));
    outbox.start();
    await outbox.drain(10_000);
    await outbox.close();
    expect(errors).toEqual([
      'CENTRAL_BAD_RESPONSE',
      'CENTRAL_BAD_RESPONSE',
      'CENTRAL_UNAVAILABLE',
      'CENTRAL_BAD_RESPONSE', // acknowledged nothing
      'CENTRAL_BAD_RESPONSE', // acknowledged only ids it was not sent
      'CENTRAL_REFUSED',
      'CENTRAL_UNAVAILABLE',
      'CENTRAL_BAD_RESPONSE',
    ]);
    expect(received.flat()).toEqual(all);
    expect(received.map((b) => b.length)).toEqual([7, 7, 6]);
    expect(existsSync(join(dir, 'cursor.json'))).toBe(true);
  });
});
