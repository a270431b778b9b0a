// Operator authentication: the admin token (from env or a file, never a URL), its strength rule for a central
// reachable beyond this machine, and the login sessions the fleet page uses. The token is accepted only as
// `Authorization: Bearer …`; a browser logs in once (POST /admin/login) and then carries an HttpOnly,
// SameSite=Strict cookie holding a random session id. A `?token=` query parameter is never looked at.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { CentralError } from './errors.js';
import type { Db } from './store.js';

/** Name of the login session cookie (value: a random session id, never the token). */
export const ADMIN_SESSION_COOKIE = 'certkiosk_admin_session';
/** A login session lasts this long (absolute, not sliding); logging out ends it earlier. */
export const ADMIN_SESSION_TTL_MS = 8 * 3600 * 1000;
/** The actor recorded for requests made with the admin token (break-glass) rather than an operator's login. */
export const ADMIN_TOKEN_ACTOR = 'admin-token';
/** Least admin-token strength when central listens on an address other than loopback. */
export const MIN_ADMIN_TOKEN_BITS = 128;

/**
 * Strength of an admin token in bits, from its length and alphabet only: length × log2(size of the smallest
 * of these alphabets that holds every character) — decimal digits (10, 3.32 bits), hexadecimal 0-9a-f in
 * either case (16, 4 bits), base64 / base64url A-Z a-z 0-9 + / - _ (64, 6 bits); trailing `=` padding counts
 * for nothing. A token with any other character (spaces, punctuation, non-ASCII) scores 0: it does not look
 * like the output of a random generator. 128 bits = 32 hex characters = 22 base64url characters = 39 digits.
 * This assumes the characters are random (`openssl rand -hex 16`, `openssl rand -base64 32`); it cannot tell.
 */
export function adminTokenBits(token: string): number {
  const t = token.replace(/=+$/, '');
  if (t.length === 0) return 0;
  if (/^[0-9]+$/.test(t)) return t.length * Math.log2(10);
  if (/^[0-9a-fA-F]+$/.test(t)) return t.length * 4;
  if (/^[A-Za-z0-9+/_-]+$/.test(t)) return t.length * 6;
  return 0;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for addresses only this machine reaches: 127.0.0.0/8, ::1 (also IPv4-mapped), and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  const family = isIP(h);
  if (family === 4) return LOOPBACK.check(h, 'ipv4');
  if (family === 6) return LOOPBACK.check(h, 'ipv6');
  return false;
}

/**
 * The one-line reason central must not listen on `host` with this token, or null when it may. Any address but
 * loopback (0.0.0.0, ::, a LAN or public address, a host name) needs a token of at least 128 bits.
 */
export function adminTokenProblem(host: string | undefined, token: string): string | null {
  if (token.length === 0) return 'the admin token is empty.';
  if (host === undefined || isLoopbackHost(host)) return null;
  const bits = adminTokenBits(token);
  if (bits >= MIN_ADMIN_TOKEN_BITS) return null;
  return `refusing to listen on ${host} (not loopback) with a ${Math.floor(bits)}-bit admin token; use at least ${MIN_ADMIN_TOKEN_BITS} bits, e.g. 32 hex or 22 base64url random characters (openssl rand -hex 32).`;
}

/**
 * The one-line reason central must not listen on `host` with auto-approved appliances, or null when it may.
 * Auto-approve (every enrolling key approved at once, no enrolment code) is for a demo or a test on this
 * machine: only a loopback address (127.0.0.0/8, ::1, localhost) — not 0.0.0.0, ::, a LAN address, a host
 * name or a socket path.
 */
export function autoApproveProblem(host: string | undefined): string | null {
  if (host !== undefined && isLoopbackHost(host)) return null;
  return `refusing to listen on ${host ?? 'a socket path'} (not loopback) with --auto-approve-appliances: auto-approve lets any key enrol without an enrolment code; it is for a demo on 127.0.0.1 only.`;
}

/** The admin token in a file: its content without surrounding whitespace (a trailing newline is usual). */
export function readAdminTokenFile(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (!token) throw new Error(`the admin token file ${path} is empty.`);
  return token;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of a presented token with the configured one (equal-length digests). */
export function tokenMatches(given: string, token: string): boolean {
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * Login sessions, kept in the store (every central process on it honours them; a restart keeps them). Keyed by
 * the SHA-256 of the session id; each names its actor: the operator who logged in, or ADMIN_TOKEN_ACTOR.
 */
export class AdminSessions {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** A new session id for the actor; the caller sets it as the cookie value. */
  async create(actor: string): Promise<{ id: string; expiresAt: number }> {
    await this.db.run('DELETE FROM admin_sessions WHERE expires_at <= ?', this.now());
    const id = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + ADMIN_SESSION_TTL_MS;
    await this.db.run(
      'INSERT INTO admin_sessions (id_hash, actor, expires_at) VALUES (?, ?, ?)',
      digest(id).toString('hex'),
      actor,
      expiresAt,
    );
    return { id, expiresAt };
  }

  /** The actor of a live session, or null. */
  async actor(id: string | undefined): Promise<string | null> {
    if (!id) return null;
    const row = (await this.db.get(
      'SELECT actor, expires_at FROM admin_sessions WHERE id_hash = ?',
      digest(id).toString('hex'),
    )) as { actor: string; expires_at: number } | undefined;
    if (!row || row.expires_at <= this.now()) return null;
    return row.actor;
  }

  async valid(id: string | undefined): Promise<boolean> {
    return (await this.actor(id)) !== null;
  }

  async end(id: string | undefined): Promise<void> {
    if (id) await this.db.run('DELETE FROM admin_sessions WHERE id_hash = ?', digest(id).toString('hex'));
  }
}

export async function isAdminRequest(
  req: FastifyRequest,
  auth: { adminToken: string; sessions: AdminSessions },
): Promise<boolean> {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ') && tokenMatches(header.slice(7), auth.adminToken)) return true;
  return auth.sessions.valid(req.cookies?.[ADMIN_SESSION_COOKIE]);
}

/** Who is asking: the logged-in operator, ADMIN_TOKEN_ACTOR for the token, or null (not an operator). */
export async function adminActor(
  req: FastifyRequest,
  auth: { adminToken: string; sessions: AdminSessions },
): Promise<string | null> {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ') && tokenMatches(header.slice(7), auth.adminToken))
    return ADMIN_TOKEN_ACTOR;
  return auth.sessions.actor(req.cookies?.[ADMIN_SESSION_COOKIE]);
}

/** True when the URL carries a `token` query parameter (refused: URLs end up in histories and logs). */
export function tokenInUrl(req: FastifyRequest): boolean {
  const q = req.query as Record<string, unknown> | undefined;
  return q !== undefined && q !== null && Object.hasOwn(q, 'token');
}

/**
 * The preValidation hook of every operator-only API scope (/admin/v1/*): the admin token as a Bearer header or
 * an operator's login session, else 401 ADMIN_UNAUTHORISED (saying why when the token came in the URL).
 */
export function operatorOnly(auth: { adminToken: string; sessions: AdminSessions }) {
  return async (req: FastifyRequest): Promise<void> => {
    if (await isAdminRequest(req, auth)) return;
    throw new CentralError(
      'ADMIN_UNAUTHORISED',
      tokenInUrl(req)
        ? 'The admin token is not accepted in the URL (?token=); send it as Authorization: Bearer.'
        : undefined,
    );
  };
}
