// Staff accounts for the maintenance screen: per-person sign-in, lockout, sessions, roles, administration.
export {
  bearerToken,
  type StaffStoreAuth,
  type StaffStoreIdentity,
  type StaffStoreSession,
  staffStoreAuth,
} from './auth-adapter.js';
export {
  type StaffCallContext,
  StaffCalls,
  type StaffCallsOptions,
  type StaffCallView,
  staffCallAlarms,
} from './calls.js';
export { DEMO_STAFF, type DemoStaffAccount, demoStaffLogin } from './demo-accounts.js';
export {
  centralLink,
  paperLevel,
  reprintQueued,
  reprintViews,
  type StaffOverviewFacts,
  type StaffOverviewSources,
  staffOverviewFacts,
} from './overview.js';
export {
  DEFAULT_SCRYPT_PARAMS,
  hashStaffPin,
  isStaffPinHash,
  type ParsedStaffPinHash,
  parseStaffPinHash,
  type ScryptParams,
  StaffPinHashError,
  verifyStaffPin,
} from './pin-hash.js';
export { checkStaffPin, STAFF_PIN_POLICY, type StaffPinProblem } from './pin-rules.js';
export {
  ALL_STAFF,
  normaliseStaffId,
  openStaffStore,
  STAFF_ID_PATTERN,
  STAFF_ROLES,
  type StaffAccountView,
  type StaffAlarm,
  type StaffAudit,
  type StaffAuditActor,
  type StaffChange,
  type StaffLockoutAlarm,
  type StaffLockoutOptions,
  type StaffLoginResult,
  type StaffNoAdministratorAlarm,
  type StaffPrincipal,
  type StaffRole,
  type StaffSeedAccount,
  StaffStore,
  type StaffStoreOptions,
} from './staff-store.js';
