// Activation codes for couriered keys: 6 digits, valid 30 days, locked after 5 wrong tries; only a hash is stored.
// The facts (validity, tries) are the contract's (after-sales.ts), so the kiosk says the same.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { ACTIVATION_MAX_WRONG, ACTIVATION_VALIDITY_MS } from '../contract/after-sales.js';
import { CentralError } from './errors.js';
import type { Db } from './store.js';

export { ACTIVATION_MAX_WRONG, ACTIVATION_VALIDITY_MS };

interface Row {
  code_hash: string;
  expires_at: string;
  wrong_attempts: number;
  used_at: string | null;
  used_by_appliance: string | null;
}

/** What an order's activation code can still do. */
export interface ActivationState {
  expiresAt: string;
  attemptsLeft: number;
  usedAt: string | null;
  usedByAppliance: string | null;
}

const hash = (orderId: string, code: string) =>
  createHash('sha256').update(`${orderId}:${code}`).digest('hex');

export class ActivationCodes {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /**
   * Create (or replace) the order's code; returns the plain code, which is never stored. `code` fixes it (the
   * demo seed only, so the printed code survives a restart).
   */
  async create(orderId: string, code = String(randomInt(0, 1_000_000)).padStart(6, '0')): Promise<string> {
    if (!/^[0-9]{6}$/.test(code)) throw new Error('an activation code is 6 digits');
    await this.db.run(
      `INSERT INTO activation_codes (order_id, code_hash, expires_at, wrong_attempts, used_at, used_by_appliance)
         VALUES (?, ?, ?, 0, NULL, NULL)
         ON CONFLICT(order_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at,
         wrong_attempts = 0, used_at = NULL, used_by_appliance = NULL`,
      orderId,
      hash(orderId, code),
      new Date(this.now() + ACTIVATION_VALIDITY_MS).toISOString(),
    );
    return code;
  }

  private async row(orderId: string): Promise<Row | undefined> {
    return (await this.db.get(
      'SELECT code_hash, expires_at, wrong_attempts, used_at, used_by_appliance FROM activation_codes WHERE order_id = ?',
      orderId,
    )) as Row | undefined;
  }

  async state(orderId: string): Promise<ActivationState | null> {
    const r = await this.row(orderId);
    if (!r) return null;
    return {
      expiresAt: r.expires_at,
      attemptsLeft: Math.max(0, ACTIVATION_MAX_WRONG - r.wrong_attempts),
      usedAt: r.used_at,
      usedByAppliance: r.used_by_appliance,
    };
  }

  /** Throws the CentralError a code would meet before it is even compared: none, used, locked, expired. */
  async assertUsable(orderId: string): Promise<void> {
    const row = await this.row(orderId);
    if (!row) throw new CentralError('ACTIVATION_NOT_AVAILABLE');
    if (row.used_at) throw new CentralError('ACTIVATION_ALREADY_DONE');
    if (row.wrong_attempts >= ACTIVATION_MAX_WRONG) throw new CentralError('ACTIVATION_LOCKED');
    if (Date.parse(row.expires_at) <= this.now()) throw new CentralError('ACTIVATION_CODE_EXPIRED');
  }

  /** Whether `code` is the order's code (constant time; counts nothing). */
  async matches(orderId: string, code: string): Promise<boolean> {
    const row = await this.row(orderId);
    if (!row) return false;
    return timingSafeEqual(Buffer.from(row.code_hash, 'hex'), Buffer.from(hash(orderId, code), 'hex'));
  }

  /**
   * Check a code: a wrong one is counted at once (committed, whatever the caller does next) and refused with
   * the tries left, the last one locking it. A right one changes nothing yet: the caller marks it used in the
   * same transaction as the order's activation (markUsed), so a crash in between loses no activation.
   */
  async check(orderId: string, code: string): Promise<void> {
    await this.assertUsable(orderId);
    if (await this.matches(orderId, code)) return;
    // One statement, so two kiosks (or central processes) trying at once each count.
    const { wrong_attempts: attempts } = (await this.db.get<{ wrong_attempts: number }>(
      'UPDATE activation_codes SET wrong_attempts = wrong_attempts + 1 WHERE order_id = ? RETURNING wrong_attempts',
      orderId,
    ))!;
    const left = ACTIVATION_MAX_WRONG - attempts;
    if (left <= 0) throw new CentralError('ACTIVATION_LOCKED');
    throw new CentralError('ACTIVATION_CODE_WRONG', `The activation code is wrong; ${left} tries left.`, {
      attemptsLeft: left,
    });
  }

  /** Record the code as used by an appliance (inside the activation's transaction). */
  async markUsed(orderId: string, applianceId: string): Promise<string> {
    const at = new Date(this.now()).toISOString();
    await this.db.run(
      'UPDATE activation_codes SET used_at = ?, used_by_appliance = ? WHERE order_id = ?',
      at,
      applianceId,
      orderId,
    );
    return at;
  }
}
