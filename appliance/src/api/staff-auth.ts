// Who may use the staff routes. The API only knows this interface: POST /api/staff/login asks `login`, and
// every route with auth 'staff' (routes.ts) runs `verify` on its `authorization` header before the handler.
// pinStaffAuth is today's scheme (one staff PIN, bearer tokens kept in memory for 15 minutes); a staff-accounts
// module replaces it by handing buildApplianceApi its own StaffAuth.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type { StaffLoginBodySchema } from './schemas.js';

export type StaffLoginBody = Static<typeof StaffLoginBodySchema>;

/** The staff member behind a request; `actor` is what the audit log records ('staff', 'staff:<id>'). */
export interface StaffIdentity {
  actor: string;
}

export interface StaffSession extends StaffIdentity {
  token: string;
  /** ISO time. */
  expiresAt: string;
}

export interface StaffAuth {
  /** Checks a login's credentials: a new session, or null when they are wrong. */
  login(body: StaffLoginBody): Promise<StaffSession | null>;
  /** The staff member an `authorization` header value belongs to, or null (none, unknown, expired). */
  verify(authorization: string | undefined): Promise<StaffIdentity | null>;
}

export const STAFF_SESSION_MS = 15 * 60_000;

/** One staff PIN (compared in constant time); sessions are random bearer tokens held in memory. */
export function pinStaffAuth(pin: string, opts: { sessionMs?: number; now?: () => number } = {}): StaffAuth {
  const sessionMs = opts.sessionMs ?? STAFF_SESSION_MS;
  const now = opts.now ?? Date.now;
  const want = Buffer.from(pin);
  const tokens = new Map<string, number>();
  return {
    async login(body) {
      const given = Buffer.from(body.pin);
      if (given.length !== want.length || !timingSafeEqual(given, want)) return null;
      const token = randomBytes(24).toString('base64url');
      const expiresAt = now() + sessionMs;
      tokens.set(token, expiresAt);
      return { token, expiresAt: new Date(expiresAt).toISOString(), actor: 'staff' };
    },
    async verify(authorization) {
      const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      if (!token) return null;
      const until = tokens.get(token);
      if (until === undefined) return null;
      if (until < now()) {
        tokens.delete(token);
        return null;
      }
      return { actor: 'staff' };
    },
  };
}
