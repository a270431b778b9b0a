// The store's relaxed writes (SQLite here, PostgreSQL in the PostgreSQL pass): seen at once by everyone, inside a
// transaction part of it (rolled back with it), and on PostgreSQL committed without waiting for the disk while
// every other statement still waits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCentralStore } from './open-store.js';
import type { Db } from './store.js';

let db: Db;

beforeAll(async () => {
  db = await openCentralStore({ dataDir: ':memory:' });
});
afterAll(async () => {
  await db?.close();
});

const holderOf = async (name: string) =>
  (await db.get<{ holder: string }>('SELECT holder FROM leases WHERE name = ?', name))?.holder;

describe('relaxed writes', () => {
  it('are seen at once by the store, and the store’s by them', async () => {
    await db.relaxed.run("INSERT INTO leases (name, holder, expires_at) VALUES ('r1', 'relaxed', 1)");
    expect(await holderOf('r1')).toBe('relaxed');
    await db.run("UPDATE leases SET holder = 'durable' WHERE name = 'r1'");
    expect(await db.relaxed.get("SELECT holder FROM leases WHERE name = 'r1'")).toEqual({
      holder: 'durable',
    });
  });

  it('inside a transaction join it: rolled back with it, committed with it', async () => {
    await expect(
      db.transaction(async () => {
        await db.relaxed.run("INSERT INTO leases (name, holder, expires_at) VALUES ('r2', 'in-tx', 1)");
        expect(await holderOf('r2')).toBe('in-tx');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await holderOf('r2')).toBeUndefined();
    await db.transaction(async () => {
      await db.relaxed.run("INSERT INTO leases (name, holder, expires_at) VALUES ('r2', 'kept', 1)");
    });
    expect(await holderOf('r2')).toBe('kept');
  });

  it('commit without waiting for the disk on PostgreSQL only; every other statement waits', async () => {
    if (db.dialect === 'postgres') {
      const setting = async (sql: Pick<Db, 'get'>) =>
        (await sql.get<{ s: string }>("SELECT current_setting('synchronous_commit') AS s"))?.s;
      expect(await setting(db.relaxed)).toBe('off');
      expect(await setting(db)).toBe('on');
      // Its sessions probe keys' indexes instead of hash-joining or scanning whole tables (request-batches.ts).
      const planner = async (sql: Pick<Db, 'get'>) =>
        sql.get<{ seq: string; hash: string; merge: string }>(
          "SELECT current_setting('enable_seqscan') AS seq, current_setting('enable_hashjoin') AS hash, current_setting('enable_mergejoin') AS merge",
        );
      expect(await planner(db.relaxed)).toEqual({ seq: 'off', hash: 'off', merge: 'off' });
      expect(await planner(db)).toEqual({ seq: 'on', hash: 'on', merge: 'on' });
      // In a transaction, a relaxed statement is the transaction's (its setting is the store's).
      await db.transaction(async () => {
        expect(await setting(db.relaxed)).toBe('on');
      });
    } else {
      // SQLite has one connection and its own settings: relaxed is the store itself.
      expect(db.relaxed).toBe(db);
    }
  });
});
