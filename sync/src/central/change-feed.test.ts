// The newest change a hall's heartbeats are answered with (SQLite here, PostgreSQL in the PostgreSQL pass): one
// read shared by the heartbeats arriving together, and a change this process records is seen by the next caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeFeed } from './change-feed.js';
import { openCentralStore } from './open-store.js';
import type { Db } from './store.js';

let db: Db;
const now = () => Date.parse('2026-03-01T08:00:00Z');

/** The store with its `get` passed through `around` (which calls `read` to read). */
function aroundGet(store: Db, around: (sql: string, read: () => Promise<unknown>) => Promise<unknown>): Db {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'get' || typeof value !== 'function') return value;
      return (sql: string, ...params: unknown[]) => around(sql, () => value.call(target, sql, ...params));
    },
  });
}

/** The store, counting the newest-change reads made through it. */
function countingReads(store: Db): { db: Db; reads: () => number } {
  let reads = 0;
  const db = aroundGet(store, (sql, read) => {
    if (sql.includes('MAX(seq)')) reads++;
    return read();
  });
  return { db, reads: () => reads };
}

beforeAll(async () => {
  db = await openCentralStore({ dataDir: ':memory:' });
});
afterAll(async () => {
  await db?.close();
});

describe('ChangeFeed.latest', () => {
  it('heartbeats asking together while nothing is remembered share one read', async () => {
    const { db: counted, reads } = countingReads(db);
    const writer = new ChangeFeed(db, now);
    await writer.record('order.updated', 'HALL-SHARED', 'o-1', { status: 'paid' });
    const feed = new ChangeFeed(counted, now);
    const answers = await Promise.all(Array.from({ length: 50 }, () => feed.latest('HALL-SHARED')));
    expect(reads()).toBe(1);
    expect(new Set(answers).size).toBe(1);
    expect(Number(answers[0])).toBeGreaterThan(0);
    // Remembered now: no further read.
    expect(await feed.latest('HALL-SHARED')).toBe(answers[0]);
    expect(reads()).toBe(1);
    // Another hall is another read.
    await Promise.all([feed.latest('HALL-OTHER'), feed.latest('HALL-OTHER')]);
    expect(reads()).toBe(2);
  });

  it('a caller after a change this process recorded does not share the read that began before it', async () => {
    const { db: counted, reads } = countingReads(db);
    const feed = new ChangeFeed(counted, now);
    const before = feed.latest('HALL-RECORD');
    await feed.record('order.updated', 'HALL-RECORD', 'o-2', { status: 'paid' });
    const after = await feed.latest('HALL-RECORD');
    expect(reads()).toBe(2);
    const newest = (await db.get('SELECT MAX(seq) AS seq FROM changes WHERE hall = ?', 'HALL-RECORD')) as {
      seq: number;
    };
    expect(after).toBe(String(newest.seq));
    expect(Number(await before)).toBeLessThanOrEqual(newest.seq);
    // The read that began before the change is not remembered; the one after it is.
    expect(await feed.latest('HALL-RECORD')).toBe(after);
    expect(reads()).toBe(2);
  });

  it('a failed read fails its callers and is not remembered: the next caller reads again', async () => {
    let fail = true;
    let reads = 0;
    const flaky = aroundGet(db, async (_sql, read) => {
      reads++;
      if (fail) throw new Error('connection lost');
      return read();
    });
    const feed = new ChangeFeed(flaky, now);
    const both = await Promise.allSettled([feed.latest('HALL-FAIL'), feed.latest('HALL-FAIL')]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(reads).toBe(1);
    fail = false;
    expect(await feed.latest('HALL-FAIL')).toBe('0');
    expect(reads).toBe(2);
  });
});
