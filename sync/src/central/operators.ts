// Central operations' own accounts, separate from kiosk staff (who sign in at a kiosk with a staff id and PIN kept
// on that kiosk): an operator name and a password of at least OPERATOR_PASSWORD_MIN_LENGTH characters, kept as a
// scrypt hash with its own salt. Wrong passwords lock the name for a while; an unknown name is answered exactly as
// a wrong password (and costs the same hashing), so names cannot be probed. What operators do that matters is
// kept in the operator audit (who, what, on which subject), e.g. every alarm acknowledged.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { type AdminSessions, adminActor } from './admin-auth.js';
import { CentralError } from './errors.js';
import type { Db } from './store.js';

export const OPERATOR_PASSWORD_MIN_LENGTH = 12;
export const OPERATOR_NAME_PATTERN = /^[a-z][a-z0-9._-]{1,31}$/;
/** Wrong passwords in a row that lock an operator name, and for how long. */
export const OPERATOR_MAX_FAILURES = 5;
export const OPERATOR_LOCK_MS = 15 * 60 * 1000;

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

function hashPassword(password: string, salt = randomBytes(16)): string {
  const hash = scryptSync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

function passwordMatches(password: string, stored: string): boolean {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64');
  const got = scryptSync(password, Buffer.from(salt, 'base64'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(got, want);
}

/** A hash of nothing anyone knows: an unknown name is checked against it, so it costs what a real check costs. */
const DECOY = hashPassword(randomBytes(18).toString('base64'));

interface OperatorRow {
  name: string;
  password_hash: string;
  created_at: string;
  disabled_at: string | null;
  failures: number;
  locked_until: string | null;
}

export interface OperatorAuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

export class Operators {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  private iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  private async row(name: string): Promise<OperatorRow | undefined> {
    return (await this.db.get('SELECT * FROM operators WHERE name = ?', name)) as OperatorRow | undefined;
  }

  /** Add an operator, or set a new password for one (which also lifts a lock and re-enables the name). */
  async setPassword(name: string, password: string): Promise<void> {
    if (!OPERATOR_NAME_PATTERN.test(name))
      throw new CentralError(
        'OPERATOR_INVALID',
        'An operator name is 2–32 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter.',
      );
    if (password.length < OPERATOR_PASSWORD_MIN_LENGTH)
      throw new CentralError(
        'OPERATOR_INVALID',
        `An operator password has at least ${OPERATOR_PASSWORD_MIN_LENGTH} characters.`,
      );
    await this.db.run(
      `INSERT INTO operators (name, password_hash, created_at, failures) VALUES (?, ?, ?, 0)
         ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, failures = 0,
           locked_until = NULL, disabled_at = NULL`,
      name,
      hashPassword(password),
      this.iso(),
    );
  }

  /** Disable an operator: no more logins, and their sessions end (admin_sessions rows removed). */
  async disable(name: string): Promise<void> {
    const r = await this.db.run('UPDATE operators SET disabled_at = ? WHERE name = ?', this.iso(), name);
    if (r.changes === 0) throw new CentralError('OPERATOR_NOT_FOUND');
    await this.db.run('DELETE FROM admin_sessions WHERE actor = ?', name);
  }

  async names(): Promise<string[]> {
    return (
      (await this.db.all('SELECT name FROM operators WHERE disabled_at IS NULL ORDER BY name')) as {
        name: string;
      }[]
    ).map((r) => r.name);
  }

  /**
   * Check a login. Wrong password, unknown or disabled name: OPERATOR_LOGIN_FAILED, all alike. The
   * OPERATOR_MAX_FAILURES-th wrong password in a row locks the name for OPERATOR_LOCK_MS (OPERATOR_LOCKED, even
   * with the right password, until then). Every attempt is in the operator audit.
   */
  async login(name: string, password: string): Promise<void> {
    const row = await this.row(name);
    const ok = passwordMatches(password, row?.password_hash ?? DECOY);
    const now = this.now();
    if (row?.locked_until && Date.parse(row.locked_until) > now) {
      await this.audit(name, 'login.locked', name, {});
      throw new CentralError(
        'OPERATOR_LOCKED',
        `Too many wrong passwords: this operator is locked until ${row.locked_until}.`,
      );
    }
    if (!row || row.disabled_at || !ok) {
      if (row && !row.disabled_at) {
        const failures = row.failures + 1;
        const lock = failures >= OPERATOR_MAX_FAILURES ? this.iso(now + OPERATOR_LOCK_MS) : null;
        await this.db.run(
          'UPDATE operators SET failures = ?, locked_until = ? WHERE name = ?',
          lock ? 0 : failures,
          lock,
          name,
        );
      }
      await this.audit(name, 'login.failed', name, {});
      throw new CentralError('OPERATOR_LOGIN_FAILED');
    }
    await this.db.run('UPDATE operators SET failures = 0, locked_until = NULL WHERE name = ?', name);
    await this.audit(name, 'login', name, {});
  }

  /** Keep what an operator (or the admin token) did. */
  async audit(
    actor: string,
    action: string,
    subject: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.db.run(
      'INSERT INTO operator_audit (at, actor, action, subject, details_json) VALUES (?, ?, ?, ?, ?)',
      this.iso(),
      actor,
      action,
      subject,
      JSON.stringify(details),
    );
  }

  /** Newest first; optionally one actor's or one action's. */
  async auditLog(
    opts: { actor?: string; action?: string; limit?: number } = {},
  ): Promise<OperatorAuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.actor) {
      where.push('actor = ?');
      args.push(opts.actor);
    }
    if (opts.action) {
      where.push('action = ?');
      args.push(opts.action);
    }
    const rows = (await this.db.all(
      `SELECT * FROM operator_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      ...args,
      opts.limit ?? 200,
    )) as {
      id: number;
      at: string;
      actor: string;
      action: string;
      subject: string;
      details_json: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      details: JSON.parse(r.details_json) as Record<string, unknown>,
    }));
  }
}

/** Operator requests that change something (not the login itself, which is audited as it happens). */
const AUDITED_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const AUDITED_PREFIXES = ['/admin/v1/', '/fleet'];

/**
 * Audit every operator request that changed something and succeeded, by its route pattern, with the route's
 * parameters as the subject: who acknowledged which alarm, approved which appliance, acted on which order.
 */
export function registerOperatorAudit(
  app: FastifyInstance,
  ctx: { operators: Operators; adminToken: string; sessions: AdminSessions },
): void {
  // Before the response leaves (onSend): whoever sees the response finds it in the audit, on any central process.
  app.addHook('onSend', async (req, reply, payload) => {
    if (!AUDITED_METHODS.has(req.method) || reply.statusCode >= 400) return payload;
    const route = req.routeOptions.url;
    if (!route || !AUDITED_PREFIXES.some((p) => route.startsWith(p))) return payload;
    const actor = await adminActor(req, ctx);
    if (!actor) return payload;
    const params = (req.params ?? {}) as Record<string, unknown>;
    await ctx.operators.audit(
      actor,
      `${req.method} ${route}`,
      Object.entries(params)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' '),
      { status: reply.statusCode },
    );
    return payload;
  });
}
