// The staff store as the API's pluggable staff check (the `StaffAuth` shape of api/staff-auth.ts, matched
// structurally so this folder does not depend on the API's files): `login` takes { staffId, pin }, `verify` an
// `authorization: Bearer <token>` header. Unlike the shared-PIN check, a refused login throws the store's
// ApplianceError (STAFF_PIN_WRONG, STAFF_LOCKED, …) instead of returning null, and is already audited.
import { ApplianceError } from '../errors.js';
import type { StaffPrincipal, StaffStore } from './staff-store.js';

export interface StaffStoreIdentity extends StaffPrincipal {
  /** The audit actor, `staff:<id>`. */
  actor: `staff:${string}`;
}

export interface StaffStoreSession extends StaffStoreIdentity {
  token: string;
}

export interface StaffStoreAuth {
  login(body: { staffId?: string; pin: string }): Promise<StaffStoreSession>;
  /** null when there is no valid session (none, unknown, signed out, idle, expired); refreshes the idle timer. */
  verify(authorization: string | undefined): Promise<StaffStoreIdentity | null>;
  logout(authorization: string | undefined): Promise<void>;
}

/** The token of an `authorization: Bearer <token>` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
}

export function staffStoreAuth(store: StaffStore): StaffStoreAuth {
  return {
    async login(body) {
      if (typeof body.staffId !== 'string') {
        throw new ApplianceError('STAFF_ACCOUNT_INVALID', 'A staff id is required to sign in.', {
          field: 'id',
        });
      }
      const s = await store.login(body.staffId, body.pin);
      return { ...s, actor: `staff:${s.staffId}` };
    },
    async verify(authorization) {
      try {
        const who = await store.authenticate(bearerToken(authorization));
        return { ...who, actor: `staff:${who.staffId}` };
      } catch (err) {
        if (err instanceof ApplianceError && err.code === 'STAFF_AUTH_REQUIRED') return null;
        throw err;
      }
    },
    logout: (authorization) => store.logout(bearerToken(authorization)),
  };
}
