// Leases for timed jobs that must run in one central process at a time when several share a database (the
// daily reconciliation, the payment-expiry sweep). A holder takes a named lease for a while; another holder
// gets it only once it is released or has run out (a process killed while holding it blocks the job for at
// most the lease's time). One atomic upsert, the same on SQLite and PostgreSQL.
import { randomUUID } from 'node:crypto';
import type { Db } from './store.js';

export class Leases {
  /** This process's name as a holder. */
  readonly holder = randomUUID();

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** Take `name` for `ttlMs` unless another holder has it; true when this process holds it now. */
  async take(name: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const row = await this.db.get(
      `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE leases.expires_at <= ? OR leases.holder = excluded.holder
         RETURNING holder`,
      name,
      this.holder,
      now + ttlMs,
      now,
    );
    return row !== undefined;
  }

  /** Give `name` back (only if this process holds it). */
  async release(name: string): Promise<void> {
    await this.db.run('DELETE FROM leases WHERE name = ? AND holder = ?', name, this.holder);
  }

  /** fn run under the lease `name` when it can be taken; null (fn not run) when another holder has it. */
  async runHeld<T>(name: string, ttlMs: number, fn: () => Promise<T>): Promise<T | null> {
    if (!(await this.take(name, ttlMs))) return null;
    try {
      return await fn();
    } finally {
      await this.release(name);
    }
  }
}
