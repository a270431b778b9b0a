// The staff store as the API's staff check and account service (the `StaffAuth` shape of api/staff-auth.ts,
// matched structurally so this folder does not depend on the API's files): `login` takes { staffId, pin },
// every other call an `authorization: Bearer <token>` header. A refused call throws the store's ApplianceError
// (STAFF_PIN_WRONG, STAFF_LOCKED, STAFF_FORBIDDEN, …), and everything the store does is already audited.
import { ApplianceError } from '../errors.js';
import type {
  StaffAccountView,
  StaffAlarm,
  StaffChange,
  StaffPrincipal,
  StaffRole,
  StaffStore,
} from './staff-store.js';

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
  changeOwnPin(authorization: string | undefined, currentPin: string, newPin: string): Promise<StaffChange>;
  listAccounts(authorization: string | undefined): Promise<StaffAccountView[]>;
  addAccount(
    authorization: string | undefined,
    input: { id: string; name: string; role: StaffRole; pin: string },
  ): Promise<StaffChange>;
  resetPin(authorization: string | undefined, staffId: string, newPin: string): Promise<StaffChange>;
  setRole(authorization: string | undefined, staffId: string, role: StaffRole): Promise<StaffChange>;
  setActive(authorization: string | undefined, staffId: string, active: boolean): Promise<StaffChange>;
  unlock(authorization: string | undefined, staffId: string): Promise<StaffChange>;
  alarms(): StaffAlarm[];
  activeSessions(): Array<{ staffId: string; since: string; lastSeenAt: string }>;
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
    changeOwnPin: (authorization, currentPin, newPin) =>
      store.changeOwnPin(bearerToken(authorization), currentPin, newPin),
    listAccounts: (authorization) => store.listAccounts(bearerToken(authorization)),
    addAccount: (authorization, input) => store.addAccount(bearerToken(authorization), input),
    resetPin: (authorization, staffId, newPin) => store.resetPin(bearerToken(authorization), staffId, newPin),
    setRole: (authorization, staffId, role) => store.setRole(bearerToken(authorization), staffId, role),
    setActive: (authorization, staffId, active) =>
      store.setActive(bearerToken(authorization), staffId, active),
    unlock: (authorization, staffId) => store.unlock(bearerToken(authorization), staffId),
    alarms: () => store.alarms(),
    activeSessions: () => store.activeSessions(),
  };
}
