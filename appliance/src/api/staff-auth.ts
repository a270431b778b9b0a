// Who may use the staff routes, and the staff accounts behind them. The API only knows this interface:
// POST /api/staff/login asks `login`, every route with auth 'staff' or 'administrator' (routes.ts) runs `verify`
// on its `authorization` header before the handler (and checks the role for 'administrator'), and the account
// routes hand the same header to the account calls. The staff store (../staff, `staffStoreAuth`) implements
// it: per-person accounts with scrypt PINs, lockout, sessions with idle and absolute expiry, roles.
//
// Every refusal is an ApplianceError (STAFF_PIN_WRONG, STAFF_LOCKED, STAFF_FORBIDDEN, …). The implementation
// audits each sign-in, sign-out and account change itself, with the acting staff id and never a PIN: the API
// does not audit those a second time.
import type { Static } from '@sinclair/typebox';
import type { StaffAccountView, StaffAlarm, StaffChange, StaffRole } from '../staff/index.js';
import type {
  StaffAccountViewSchema,
  StaffAlarmSchema,
  StaffChangeSchema,
  StaffLoginBodySchema,
  StaffRoleSchema,
} from './schemas.js';

export type StaffLoginBody = Static<typeof StaffLoginBodySchema>;
export type StaffRoleName = Static<typeof StaffRoleSchema>;
export type StaffAccountViewBody = Static<typeof StaffAccountViewSchema>;
export type StaffChangeBody = Static<typeof StaffChangeSchema>;
export type StaffAlarmBody = Static<typeof StaffAlarmSchema>;

/** The staff member behind a request; `actor` is what the audit log records (`staff:<id>`). */
export interface StaffIdentity {
  actor: `staff:${string}`;
  staffId: string;
  name: string;
  role: StaffRoleName;
  /** ISO time: the session ends then unless another request comes first. */
  idleExpiresAt: string;
  /** ISO time: the session ends then however active. */
  expiresAt: string;
}

export interface StaffSession extends StaffIdentity {
  token: string;
}

export interface StaffAuth {
  /** Checks a sign-in: a new session, or throws (STAFF_PIN_WRONG, STAFF_LOCKED, STAFF_ACCOUNT_DISABLED…). */
  login(body: StaffLoginBody): Promise<StaffSession>;
  /** The staff member an `authorization` header value belongs to, or null (none, unknown, signed out, idle,
   *  expired); refreshes the session's idle timer. */
  verify(authorization: string | undefined): Promise<StaffIdentity | null>;
  /** Ends the session of that header (an unknown one is ignored). */
  logout(authorization: string | undefined): Promise<void>;
  /** Any role: change one's own PIN (the current one is checked like a sign-in). */
  changeOwnPin(
    authorization: string | undefined,
    currentPin: string,
    newPin: string,
  ): Promise<StaffChangeBody>;
  // Administrators only (STAFF_FORBIDDEN otherwise; the API has checked the role before, this checks again).
  listAccounts(authorization: string | undefined): Promise<StaffAccountViewBody[]>;
  addAccount(
    authorization: string | undefined,
    input: { id: string; name: string; role: StaffRoleName; pin: string },
  ): Promise<StaffChangeBody>;
  resetPin(authorization: string | undefined, staffId: string, newPin: string): Promise<StaffChangeBody>;
  setRole(authorization: string | undefined, staffId: string, role: StaffRoleName): Promise<StaffChangeBody>;
  setActive(authorization: string | undefined, staffId: string, active: boolean): Promise<StaffChangeBody>;
  unlock(authorization: string | undefined, staffId: string): Promise<StaffChangeBody>;
  /** Lockouts in force and a store without an administrator (the overview, diagnostics and heartbeat). */
  alarms(): StaffAlarmBody[];
  /** Signed-in sessions now (diagnostics). */
  activeSessions(): Array<{ staffId: string; since: string; lastSeenAt: string }>;
}

// The route table's staff schemas say what the staff store gives (compile time only; kept here, on the server
// side, so the UI's client never reaches the staff module through schemas.ts).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type StaffSchemasMatchStore = [
  Assert<Same<StaffAlarmBody, StaffAlarm>>,
  Assert<Same<StaffAccountViewBody, StaffAccountView>>,
  Assert<Same<StaffRoleName, StaffRole>>,
  Assert<StaffChange extends StaffChangeBody ? true : false>,
];
