import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKeySigner } from '../contract/request-signing.js';
import type { EventBatch } from '../contract/schemas.js';
import { CentralClient } from './central-client.js';
import { type LoopbackCentral, startLoopbackCentral, testEvent } from './loopback-central.js';
import { Outbox, type OutboxOptions } from './outbox.js';
import type { ParkedEvent } from './parked-events.js';

/** A central that stores what it is sent, refuses any batch holding a poisoned id, and can be scripted. */
interface FakeCentral {
  url: string;
  /** Ids stored, in the order they were stored. */
  stored: string[];
  /** Ids of every POST, in order. */
  posts: string[][];
  poisoned: Set<string>;
  /** Answers for the next requests (null: the normal behaviour). */
  script: Array<((res: ServerResponse) => void) | null>;
  close(): Promise<void>;
}

const JSON_TYPE = { 'content-type': 'application/json' };

async function startFakeCentral(): Promise<FakeCentral> {
  const fake = {
    stored: [] as string[],
    posts: [] as string[][],
    poisoned: new Set<string>(),
    script: [] as Array<((res: ServerResponse) => void) | null>,
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const ids = (JSON.parse(body) as EventBatch).events.map((e) => e.id);
      fake.posts.push(ids);
      const scripted = fake.script.shift();
      if (scripted) return scripted(res);
      const bad = ids.find((id) => fake.poisoned.has(id));
      if (bad) {
        res.writeHead(400, JSON_TYPE).end(
          JSON.stringify({
            statusCode: 400,
            code: 'EVENT_REFUSED',
            error: 'Bad Request',
            message: `Event ${bad} cannot be accepted.`,
          }),
        );
        return;
      }
      const fresh = ids.filter((id) => !fake.stored.includes(id));
      fake.stored.push(...fresh);
      res.writeHead(200, JSON_TYPE).end(
        JSON.stringify({
          accepted: fresh.length,
          duplicates: ids.length - fresh.length,
          acknowledged: ids,
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    ...fake,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let fake: FakeCentral;
let client: CentralClient;
let dir: string;
beforeAll(async () => {
  fake = await startFakeCentral();
  client = new CentralClient({
    baseUrl: fake.url,
    applianceId: 'KIOSK-PARK',
    signer: createKeySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey),
    timeoutMs: 2_000,
    sessions: false, // the fake central answers POST /v1/events only
  });
});
afterAll(() => fake.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-parking-'));
  fake.stored.length = 0;
  fake.posts.length = 0;
  fake.poisoned.clear();
  fake.script.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ids = (prefix: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(from + i).padStart(5, '0')}`);

const open = (extra: Partial<OutboxOptions> = {}) =>
  Outbox.open({ dir, client, backoff: { baseMs: 5, maxMs: 20 }, ...extra });

/** How many POSTs carried this id. */
const postsWith = (id: string) => fake.posts.filter((p) => p.includes(id)).length;

describe('Outbox when central refuses events', () => {
  it('a batch of 10 with one poisoned event in the middle: 9 delivered in order, 1 parked, later events flow', async () => {
    const first = ids('evt-p1', 10);
    const poison = first[4]!;
    fake.poisoned.add(poison);
    const parkedSeen: ParkedEvent[] = [];
    const outbox = await open({ onParked: (p) => parkedSeen.push(p) });
    for (const id of first) await outbox.enqueue(testEvent(id, 'CK-ORDER-1'));
    outbox.start();
    await outbox.drain(5_000);
    expect(fake.stored).toEqual(first.filter((id) => id !== poison));
    expect(fake.posts[0]).toEqual(first); // one batch, refused as a whole…
    expect(fake.posts).toContainEqual([poison]); // …halved until the poisoned event stood alone
    expect(fake.posts.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(10)));
    expect(outbox.parked()).toEqual([
      {
        id: poison,
        type: 'receipt.printed',
        orderId: 'CK-ORDER-1',
        occurredAt: expect.any(String),
        refusal: { status: 400, code: 'EVENT_REFUSED', message: `Event ${poison} cannot be accepted.` },
        parkedAt: expect.any(String),
      },
    ]);
    expect(parkedSeen).toEqual(outbox.parked());
    expect(outbox.stats()).toMatchObject({ pending: 0, parked: 1, delivered: 9, failures: 0 });

    // later events are not held up, and the parked one is not sent again
    const poisonPosts = postsWith(poison);
    const later = ids('evt-p1', 5, 10);
    for (const id of later) await outbox.enqueue(testEvent(id, 'CK-ORDER-1'));
    await outbox.drain(5_000);
    await outbox.close();
    expect(fake.stored).toEqual([...first.filter((id) => id !== poison), ...later]);
    expect(postsWith(poison)).toBe(poisonPosts);
    expect(outbox.parkedCount).toBe(1);
  });

  it('parks several refused events of one batch and keeps the rest in order', async () => {
    const all = ids('evt-p2', 23);
    for (const i of [0, 11, 12, 22]) fake.poisoned.add(all[i]!);
    const outbox = await open({ batchSize: 23 });
    for (const id of all) await outbox.enqueue(testEvent(id));
    outbox.start();
    await outbox.drain(5_000);
    await outbox.close();
    expect(fake.stored).toEqual(all.filter((id) => !fake.poisoned.has(id)));
    expect(outbox.parked().map((p) => p.id)).toEqual([all[0], all[11], all[12], all[22]]);
  });

  it('keeps order when central acknowledges only part of a half: the rest waits for the next attempt', async () => {
    const [a, b, c, d] = ids('evt-p7', 4);
    fake.poisoned.add(d!);
    // 1st POST [a b c d]: refused; 2nd POST [a b]: central stores and acknowledges only a
    fake.script.push(null, (res) => {
      fake.stored.push(a!);
      res.writeHead(200, JSON_TYPE).end(JSON.stringify({ accepted: 1, duplicates: 0, acknowledged: [a] }));
    });
    const outbox = await open();
    for (const id of [a!, b!, c!, d!]) await outbox.enqueue(testEvent(id));
    expect(await outbox.deliverOnce()).toBe('delivered');
    expect(fake.posts).toEqual([
      [a, b, c, d],
      [a, b],
    ]); // c and d were not sent ahead of b
    outbox.start();
    await outbox.drain(5_000);
    await outbox.close();
    expect(fake.stored).toEqual([a, b, c]);
    expect(outbox.parked().map((p) => p.id)).toEqual([d]);
  });

  it.each([
    [
      '401 (not approved yet)',
      401,
      JSON.stringify({ statusCode: 401, code: 'AUTH_APPLIANCE_NOT_APPROVED', error: 'x', message: 'x' }),
    ],
    [
      '408 (timeout)',
      408,
      JSON.stringify({ statusCode: 408, code: 'REQUEST_TIMEOUT', error: 'x', message: 'x' }),
    ],
    [
      '429 (rate limited)',
      429,
      JSON.stringify({ statusCode: 429, code: 'RATE_LIMITED', error: 'x', message: 'x' }),
    ],
    ['a 404 without central’s error code (a proxy, a wrong URL)', 404, 'not here'],
  ])('retries a %s with backoff and never parks', async (_name, status, body) => {
    fake.script.push((res) => res.writeHead(status, JSON_TYPE).end(body));
    const errors: unknown[] = [];
    const outbox = await open({ onError: (e) => errors.push(e) });
    const all = ids('evt-p3', 4);
    for (const id of all) await outbox.enqueue(testEvent(id));
    outbox.start();
    await outbox.drain(5_000);
    await outbox.close();
    expect(errors).toMatchObject([{ code: 'CENTRAL_REFUSED', status }]);
    expect(fake.stored).toEqual(all);
    expect(fake.posts).toEqual([all, all]);
    expect(outbox.parkedCount).toBe(0);
  });

  it('parked events survive a restart, are never re-sent on their own, and staff can retry or discard them', async () => {
    const [a, b, c, d] = ids('evt-p4', 4);
    fake.poisoned.add(b!);
    const outbox = await open();
    for (const id of [a!, b!, c!]) await outbox.enqueue(testEvent(id, 'CK-ORDER-4', { step: id }));
    outbox.start();
    await outbox.drain(5_000);
    const parkedBefore = outbox.parked();
    await outbox.close();

    const reopened = await open();
    expect(reopened.parkedCount).toBe(1);
    expect(reopened.parked()).toEqual(parkedBefore);
    expect(reopened.pendingCount()).toBe(0);
    const postsBefore = fake.posts.length;
    expect(await reopened.deliverOnce()).toBe('idle');
    expect(fake.posts.length).toBe(postsBefore);

    await expect(reopened.retryParked('evt-unknown-1')).rejects.toMatchObject({
      code: 'OUTBOX_PARKED_NOT_FOUND',
      eventId: 'evt-unknown-1',
    });
    await expect(reopened.discardParked(a!)).rejects.toMatchObject({ code: 'OUTBOX_PARKED_NOT_FOUND' });

    // central was fixed: staff retry, and it goes to the end of the queue with its payload intact
    fake.poisoned.delete(b!);
    fake.poisoned.add(d!);
    await reopened.enqueue(testEvent(d!));
    await reopened.retryParked(b!);
    expect(reopened.parked().map((p) => p.id)).toEqual([]);
    reopened.start();
    await reopened.drain(5_000);
    expect(fake.stored).toEqual([a, c, b]);
    expect(reopened.parked().map((p) => p.id)).toEqual([d]);

    // staff give up on d: it is gone, after a restart too, and never sent again
    expect(await reopened.discardParked(d!)).toMatchObject({ id: d, refusal: { code: 'EVENT_REFUSED' } });
    await reopened.close();
    const third = await open();
    expect(third.parkedCount).toBe(0);
    expect(await third.deliverOnce()).toBe('idle');
    await third.close();
    expect(postsWith(d!)).toBe(2); // the batch [d], then nothing more (it was alone in its batch)
  });

  it('a crash after parking but before the ack was recorded re-sends the event once: parked again, not twice', async () => {
    const [a, x] = ids('evt-p5', 2);
    fake.poisoned.add(x!);
    const outbox = await open();
    await outbox.enqueue(testEvent(a!));
    await outbox.enqueue(testEvent(x!));
    outbox.start();
    await outbox.drain(5_000);
    await outbox.close();
    // the cursor as it was before x left the queue
    writeFileSync(
      join(dir, 'cursor.json'),
      JSON.stringify({ version: 1, deliveredThrough: 1, ackedAbove: [] }),
    );

    const again = await open();
    expect(again.pendingCount()).toBe(1);
    again.start();
    await again.drain(5_000);
    expect(again.parked().map((p) => p.id)).toEqual([x]);
    await again.close();

    // and if central takes it this time, it is no longer parked
    writeFileSync(
      join(dir, 'cursor.json'),
      JSON.stringify({ version: 1, deliveredThrough: 1, ackedAbove: [] }),
    );
    fake.poisoned.delete(x!);
    const third = await open();
    third.start();
    await third.drain(5_000);
    expect(third.parkedCount).toBe(0);
    await third.close();
    expect(fake.stored).toEqual([a, x]);
  });

  it('refuses to open a parked-events file that is not one (never starts empty over it)', async () => {
    const outbox = await open();
    await outbox.close();
    writeFileSync(join(dir, 'parked.json'), JSON.stringify({ version: 1, parked: [{ event: { id: 'x' } }] }));
    await expect(open()).rejects.toMatchObject({ code: 'STORE_FILE_CORRUPT' });
    expect(readFileSync(join(dir, 'parked.json'), 'utf8')).toContain('"x"');
  });
});

describe('Outbox against the real central refusing an event', () => {
  let central: LoopbackCentral;
  beforeAll(async () => {
    central = await startLoopbackCentral();
  });
  afterAll(() => central.close());

  it('an event too large for central (413) in the middle of a batch is parked; the others are stored in order', async () => {
    const real = await central.newClient('KIOSK-PARK-REAL');
    const all = ids('evt-p6', 10);
    const outbox = await Outbox.open({ dir, client: real });
    for (const [i, id] of all.entries()) {
      await outbox.enqueue(testEvent(id, 'CK-ORDER-6', i === 6 ? { scan: 'x'.repeat(1_100_000) } : { i }));
    }
    outbox.start();
    await outbox.drain(10_000);
    await outbox.close();
    const stored = (
      await central.app.central.db.all<{ id: string }>(
        'SELECT id FROM events WHERE appliance_id = ? ORDER BY rowid',
        'KIOSK-PARK-REAL',
      )
    ).map((r) => r.id);
    expect(stored).toEqual(all.filter((_, i) => i !== 6));
    expect(outbox.parked()).toMatchObject([
      { id: all[6], refusal: { status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' } },
    ]);
  });
});
