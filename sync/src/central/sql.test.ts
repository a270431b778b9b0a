// The store interface on whichever database this run uses (SQLite, or PostgreSQL with CENTRAL_TEST_DATABASE):
// placeholders, transactions that other requests' statements cannot land in, savepoints, rollback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCentralStore } from './open-store.js';
import { type CentralStore, lockSubject, numberedPlaceholders } from './sql.js';

describe('numberedPlaceholders', () => {
  it('numbers ? outside quotes only', () => {
    expect(numberedPlaceholders('SELECT \'?\', "a?" FROM t WHERE a = ? AND b IN (?, ?)')).toBe(
      'SELECT \'?\', "a?" FROM t WHERE a = $1 AND b IN ($2, $3)',
    );
  });
});

describe('the store', () => {
  let db: CentralStore;
  beforeAll(async () => {
    db = await openCentralStore({ dataDir: ':memory:' });
    await db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  });
  afterAll(async () => db.close());

  it('a statement from outside does not land in an open transaction (it waits or sees the committed state)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const tx = db.transaction(async (t) => {
      await t.run('INSERT INTO kv (k, v) VALUES (?, ?)', 'a', 1);
      await gate;
      throw new Error('rolled back');
    });
    // Another request meanwhile: it must not write into (and be rolled back with) the transaction.
    const outside = db.run('INSERT INTO kv (k, v) VALUES (?, ?)', 'b', 2);
    setTimeout(release, 20);
    await expect(tx).rejects.toThrow('rolled back');
    await outside;
    expect(await db.all('SELECT k, v FROM kv ORDER BY k')).toEqual([{ k: 'b', v: 2 }]);
  });

  it('statements on the store inside a transaction join it; an inner transaction is a savepoint', async () => {
    await db.transaction(async () => {
      await db.run('INSERT INTO kv (k, v) VALUES (?, ?)', 'c', 3);
      await expect(
        db.transaction(async () => {
          await db.run('INSERT INTO kv (k, v) VALUES (?, ?)', 'd', 4);
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      await lockSubject(db, 'kv:c');
      expect(await db.get('SELECT v FROM kv WHERE k = ?', 'c')).toEqual({ v: 3 });
    });
    expect((await db.all<{ k: string }>('SELECT k FROM kv ORDER BY k')).map((r) => r.k)).toEqual(['b', 'c']);
  });

  it('RETURNING and ON CONFLICT work the same on both dialects', async () => {
    const first = await db.run('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING', 'e', 5);
    const again = await db.run('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING', 'e', 6);
    expect([first.changes, again.changes]).toEqual([1, 0]);
    expect(await db.get('UPDATE kv SET v = v + 1 WHERE k = ? RETURNING v', 'e')).toEqual({ v: 6 });
    expect(await db.get('SELECT COUNT(*) AS n, SUM(v) AS s FROM kv')).toEqual({ n: 3, s: 11 });
  });
});
