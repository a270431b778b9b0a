// Activation codes for couriered keys: 6 digits, valid 30 days, locked after a few wrong tries; only a hash is stored.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { CentralError } from './errors.js';
import type { Db } from './store.js';

export const ACTIVATION_VALIDITY_MS = 30 * 24 * 3600 * 1000;
export const ACTIVATION_MAX_WRONG = 5;

interface Row {
  code_hash: string;
  expires_at: string;
  wrong_attempts: number;
  used_at: string | null;
}

const hash = (orderId: string, code: string) =>
  createHash('sha256').update(`${orderId}:${code}`).digest('hex');

export class ActivationCodes {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** Create (or replace) the order's code; returns the plain code, which is never stored. */
  create(orderId: string): string {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    this.db
      .prepare(
        `INSERT INTO activation_codes (order_id, code_hash, expires_at, wrong_attempts, used_at) VALUES (?, ?, ?, 0, NULL)
         ON CONFLICT(order_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at,
         wrong_attempts = 0, used_at = NULL`,
      )
      .run(orderId, hash(orderId, code), new Date(this.now() + ACTIVATION_VALIDITY_MS).toISOString());
    return code;
  }

  /** Check a code; counts wrong attempts; throws a CentralError when it cannot be used. */
  consume(orderId: string, code: string): void {
    const row = this.db
      .prepare(
        'SELECT code_hash, expires_at, wrong_attempts, used_at FROM activation_codes WHERE order_id = ?',
      )
      .get(orderId) as Row | undefined;
    if (!row || row.used_at) throw new CentralError('ACTIVATION_NOT_AVAILABLE');
    if (row.wrong_attempts >= ACTIVATION_MAX_WRONG) throw new CentralError('ACTIVATION_LOCKED');
    if (Date.parse(row.expires_at) <= this.now()) throw new CentralError('ACTIVATION_CODE_EXPIRED');
    const good = timingSafeEqual(Buffer.from(row.code_hash, 'hex'), Buffer.from(hash(orderId, code), 'hex'));
    if (!good) {
      const attempts = row.wrong_attempts + 1;
      this.db
        .prepare('UPDATE activation_codes SET wrong_attempts = ? WHERE order_id = ?')
        .run(attempts, orderId);
      const left = ACTIVATION_MAX_WRONG - attempts;
      if (left <= 0) throw new CentralError('ACTIVATION_LOCKED');
      throw new CentralError('ACTIVATION_CODE_WRONG', `The activation code is wrong; ${left} tries left.`, {
        attemptsLeft: left,
      });
    }
    this.db
      .prepare('UPDATE activation_codes SET used_at = ? WHERE order_id = ?')
      .run(new Date(this.now()).toISOString(), orderId);
  }
}
