// Wrong ID cards tried for an order, counted per order at central (not per scan, not per kiosk): scanning the
// code again, or at another kiosk, gives no fresh tries. Once the order's tries are used up, central refuses the
// code at scan time until hall staff reset the count.
import { CentralError } from './errors.js';
import type { Db } from './store.js';

export const DEFAULT_MAX_ID_ATTEMPTS = 3;

export class IdentityAttempts {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    readonly max: number = DEFAULT_MAX_ID_ATTEMPTS,
  ) {}

  async failures(orderId: string): Promise<number> {
    const r = (await this.db.get('SELECT failures FROM identity_attempts WHERE order_id = ?', orderId)) as
      | { failures: number }
      | undefined;
    return r?.failures ?? 0;
  }

  async left(orderId: string): Promise<number> {
    return Math.max(0, this.max - (await this.failures(orderId)));
  }

  /** Throws ID_ATTEMPTS_EXHAUSTED when the order has no tries left. */
  async assertLeft(orderId: string): Promise<void> {
    if ((await this.left(orderId)) === 0) throw new CentralError('ID_ATTEMPTS_EXHAUSTED');
  }

  /** One more wrong card for the order (reported by `applianceId`); the tries left after it. */
  async recordFailure(orderId: string, applianceId: string, reason: string): Promise<number> {
    await this.db.run(
      `INSERT INTO identity_attempts (order_id, failures, last_appliance, last_reason, last_at) VALUES (?, 1, ?, ?, ?)
         ON CONFLICT(order_id) DO UPDATE SET failures = identity_attempts.failures + 1, last_appliance = excluded.last_appliance,
           last_reason = excluded.last_reason, last_at = excluded.last_at`,
      orderId,
      applianceId,
      reason,
      new Date(this.now()).toISOString(),
    );
    return this.left(orderId);
  }

  /** Staff checked the applicant in person: the order gets its tries back. */
  async reset(orderId: string): Promise<void> {
    await this.db.run('DELETE FROM identity_attempts WHERE order_id = ?', orderId);
  }
}
