// Leases on central's store (SQLite here, PostgreSQL in the PostgreSQL pass): one holder at a time, taken again
// by its holder, free once released or run out; and runHeld runs a job only under the lease.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leases } from './leases.js';
import { openCentralStore } from './open-store.js';
import type { Db } from './store.js';

let db: Db;
const clock = { ms: Date.parse('2026-03-01T08:00:00Z') };
const now = () => clock.ms;

beforeAll(async () => {
  db = await openCentralStore({ dataDir: ':memory:' });
});
afterAll(async () => {
  await db?.close();
});

describe('leases', () => {
  it('one holder at a time; free again when released or run out', async () => {
    const a = new Leases(db, now);
    const b = new Leases(db, now);
    expect(await a.take('job', 1000)).toBe(true);
    expect(await b.take('job', 1000)).toBe(false);
    expect(await a.take('job', 1000)).toBe(true);
    // Releasing a lease someone else holds does nothing.
    await b.release('job');
    expect(await b.take('job', 1000)).toBe(false);
    await a.release('job');
    expect(await b.take('job', 1000)).toBe(true);
    clock.ms += 999;
    expect(await a.take('job', 1000)).toBe(false);
    clock.ms += 1;
    expect(await a.take('job', 1000)).toBe(true);
    // Other names are other leases.
    expect(await b.take('other-job', 1000)).toBe(true);
  });

  it('runHeld: the job runs under the lease, not while another holds it, and the lease ends with it', async () => {
    const a = new Leases(db, now);
    const b = new Leases(db, now);
    let seen: boolean | null | undefined;
    const ran = await a.runHeld('sweep', 60_000, async () => {
      seen = await b.runHeld('sweep', 60_000, async () => true);
      return 'done';
    });
    expect(ran).toBe('done');
    expect(seen).toBeNull();
    expect(await b.runHeld('sweep', 60_000, async () => 'b ran')).toBe('b ran');
    // A job that throws gives the lease back too.
    await expect(
      a.runHeld('sweep', 60_000, async () => {
        throw new Error('provider down');
      }),
    ).rejects.toThrow('provider down');
    expect(await b.take('sweep', 60_000)).toBe(true);
  });
});
