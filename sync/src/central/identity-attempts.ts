// Wrong ID cards tried for an order, counted per order at central (not per scan, not per kiosk): scanning the
// code again, or at another kiosk, gives no fresh tries. Once the order's tries are used up, central refuses the
// code at scan time until hall staff reset the count.
import type Database from 'better-sqlite3';
import { CentralError } from './errors.js';

export const DEFAULT_MAX_ID_ATTEMPTS = 3;

export class IdentityAttempts {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
    readonly max: number = DEFAULT_MAX_ID_ATTEMPTS,
  ) {}

  failures(orderId: string): number {
    const r = this.db.prepare('SELECT failures FROM identity_attempts WHERE order_id = ?').get(orderId) as
      | { failures: number }
      | undefined;
    return r?.failures ?? 0;
  }

  left(orderId: string): number {
    return Math.max(0, this.max - this.failures(orderId));
  }

  /** Throws ID_ATTEMPTS_EXHAUSTED when the order has no tries left. */
  assertLeft(orderId: string): void {
    if (this.left(orderId) === 0) throw new CentralError('ID_ATTEMPTS_EXHAUSTED');
  }

  /** One more wrong card for the order (reported by `applianceId`); the tries left after it. */
  recordFailure(orderId: string, applianceId: string, reason: string): number {
    this.db
      .prepare(
        `INSERT INTO identity_attempts (order_id, failures, last_appliance, last_reason, last_at) VALUES (?, 1, ?, ?, ?)
         ON CONFLICT(order_id) DO UPDATE SET failures = failures + 1, last_appliance = excluded.last_appliance,
           last_reason = excluded.last_reason, last_at = excluded.last_at`,
      )
      .run(orderId, applianceId, reason, new Date(this.now()).toISOString());
    return this.left(orderId);
  }

  /** Staff checked the applicant in person: the order gets its tries back. */
  reset(orderId: string): void {
    this.db.prepare('DELETE FROM identity_attempts WHERE order_id = ?').run(orderId);
  }
}
