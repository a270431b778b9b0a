// Per-person staff accounts for the maintenance screen: sign-in with a staff id and PIN (scrypt hashes only),
// lockout with a growing delay that survives a restart, bearer-token sessions with idle and absolute expiry,
// roles (operator, administrator) and account management by administrators. Every sign-in, sign-out and
// change is handed to the `audit` callback with the acting staff id; no PIN is ever stored, returned or audited.
//
// The accounts and the failure counters live in one JSON file written atomically (DurableJsonFile: temp file
// → fsync → rename → fsync(dir)). Sessions live in memory only: a restart signs everyone out.
import { createHash, randomBytes } from 'node:crypto';
import { DurableJsonFile } from '@certkiosk/sync';
import { ApplianceError } from '../errors.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashStaffPin,
  isStaffPinHash,
  type ScryptParams,
  verifyStaffPin,
} from './pin-hash.js';
import { checkStaffPin, STAFF_PIN_POLICY } from './pin-rules.js';

// ---------- public types ----------

export const STAFF_ROLES = ['operator', 'administrator'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** 1–3 capital letters then 3–8 digits ("S001"); the same as `STAFF_ID_PATTERN` in config/src/schema.ts. */
export const STAFF_ID_PATTERN = /^[A-Z]{1,3}[0-9]{3,8}$/;

/** The failure counter of every sign-in, whatever id was claimed (its alarms carry this as `staffId`). */
export const ALL_STAFF = '*';

export type StaffAuditActor = 'system' | `staff:${string}`;
/** Records one staff event; the module awaits it (an audit that fails fails the operation). */
export type StaffAudit = (
  actor: StaffAuditActor,
  action: string,
  details: Record<string, unknown>,
) => Promise<void> | void;

/** An account as the seed (config `staff.accounts`) gives it. */
export interface StaffSeedAccount {
  id: string;
  name: string;
  role: StaffRole;
  /** `hashStaffPin(pin)`: never the PIN. */
  pinHash: string;
}

export interface StaffLockoutOptions {
  /** Wrong PINs in a row for one staff id before it is locked (default 5). */
  maxFailures?: number;
  /** First lock; doubles with every further wrong PIN (default 30 s). */
  baseDelayMs?: number;
  /** Longest lock of one staff id (default 30 min). */
  maxDelayMs?: number;
  /** Wrong PINs in a row over all ids before every sign-in is locked (default 20). */
  globalMaxFailures?: number;
  /** Longest lock of every sign-in (default 5 min: shorter, so an attacker cannot shut staff out for long). */
  globalMaxDelayMs?: number;
  /** A counter with no wrong PIN for this long (and no lock running) is forgotten (default 24 h). */
  forgetAfterMs?: number;
  /** Claimed ids without an account whose counters are kept (oldest dropped first; default 200). */
  maxTrackedUnknownIds?: number;
}

export interface StaffStoreOptions {
  /** The JSON file, e.g. `join(config.store.dir, 'staff.json')`. */
  file: string;
  /** Accounts to start with when the store has none (first start); ignored afterwards. */
  seed?: readonly StaffSeedAccount[];
  audit: StaffAudit;
  /** A session ends after this long without an authenticated request (default 5 min). */
  idleLogoutMs?: number;
  /** A session ends this long after sign-in however active (default 8 h). */
  maxSessionMs?: number;
  lockout?: StaffLockoutOptions;
  /** scrypt cost of PINs set from now on (default `DEFAULT_SCRYPT_PARAMS`; tests use a smaller N). */
  hashParams?: ScryptParams;
  /** Told when a lockout starts (push it to the heartbeat or the UI at once). */
  onAlarm?: (alarm: StaffLockoutAlarm) => void;
  /** Interval of `sweep()` (idle and expired sessions signed out and audited); 0 = never (default 30 s). */
  sweepIntervalMs?: number;
  now?: () => Date;
}

export interface StaffPrincipal {
  staffId: string;
  name: string;
  role: StaffRole;
  /** When the session ends unless another request comes first. */
  idleExpiresAt: string;
  /** When the session ends however active. */
  expiresAt: string;
}

export interface StaffLoginResult extends StaffPrincipal {
  /** `authorization: Bearer <token>`. */
  token: string;
}

export interface StaffAccountView {
  id: string;
  name: string;
  role: StaffRole;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  /** When its PIN was last set. */
  credentialChangedAt: string;
  /** Present while the id is in lockout (locked now, or relocked by the next wrong PIN). */
  lockout?: { since: string; until: string; locked: boolean; failures: number };
}

export interface StaffLockoutAlarm {
  kind: 'staff-lockout';
  /** The staff id claimed (it may have no account), or `ALL_STAFF` ('*') for the counter over all ids. */
  staffId: string;
  since: string;
  until: string;
  /** Whether sign-in is refused right now (else the next wrong PIN locks again, for longer). */
  locked: boolean;
  failures: number;
}
export interface StaffNoAdministratorAlarm {
  kind: 'staff-no-administrator';
}
export type StaffAlarm = StaffLockoutAlarm | StaffNoAdministratorAlarm;

/** What a management call changed (already audited by the module with the same actor and action). */
export interface StaffChange {
  actor: `staff:${string}`;
  action: string;
  staffId: string;
  details: Record<string, unknown>;
  at: string;
}

// ---------- the file ----------

interface StoredAccount {
  id: string;
  name: string;
  role: StaffRole;
  pinHash: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  credentialChangedAt: string;
  /** `system` (seed) or `staff:<id>`. */
  createdBy: string;
}

interface FailureCounter {
  failures: number;
  lastFailureAt: string;
  /** Set once `failures` reached the threshold: when this lockout began. */
  lockedSince?: string;
  lockedUntil?: string;
}

interface StaffFile {
  version: 1;
  seededAt?: string;
  accounts: StoredAccount[];
  /** Per claimed staff id, and `ALL_STAFF` for every sign-in. */
  counters: Record<string, FailureCounter>;
}

function validateFile(value: unknown): StaffFile {
  const v = value as StaffFile;
  if (!v || typeof v !== 'object' || v.version !== 1) throw new Error('expected version 1');
  if (!Array.isArray(v.accounts)) throw new Error('expected accounts[]');
  for (const a of v.accounts) {
    if (
      !a ||
      typeof a.id !== 'string' ||
      typeof a.name !== 'string' ||
      !(STAFF_ROLES as readonly string[]).includes(a.role) ||
      !isStaffPinHash(a.pinHash) ||
      typeof a.active !== 'boolean'
    ) {
      throw new Error(`account ${typeof a?.id === 'string' ? a.id : '?'} is malformed`);
    }
  }
  if (!v.counters || typeof v.counters !== 'object') throw new Error('expected counters{}');
  for (const [id, c] of Object.entries(v.counters)) {
    if (!c || typeof c.failures !== 'number' || typeof c.lastFailureAt !== 'string') {
      throw new Error(`counter ${id} is malformed`);
    }
  }
  return v;
}

// ---------- helpers ----------

interface Session {
  staffId: string;
  createdAt: number;
  lastSeenAt: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (s: string | undefined) => (s ? Date.parse(s) : Number.NaN);
const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');
const actorOf = (staffId: string): `staff:${string}` => `staff:${staffId}`;

export function normaliseStaffId(id: unknown): string | null {
  if (typeof id !== 'string') return null;
  const s = id.trim().toUpperCase();
  return STAFF_ID_PATTERN.test(s) ? s : null;
}

function validName(name: unknown): string | null {
  if (typeof name !== 'string') return null;
  const s = name.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  return s.length >= 1 && s.length <= 64 && !/[\u0000-\u001f\u007f]/.test(s) ? s : null;
}

function assertStrongPin(pin: unknown): asserts pin is string {
  const problems = checkStaffPin(pin);
  if (problems.length) {
    throw new ApplianceError('STAFF_PIN_TOO_WEAK', undefined, {
      problems: problems.join(','),
      minLength: STAFF_PIN_POLICY.minLength,
      maxLength: STAFF_PIN_POLICY.maxLength,
    });
  }
}

function storeUnavailable(err: unknown): ApplianceError {
  return new ApplianceError(
    'STORE_UNAVAILABLE',
    `The staff accounts could not be saved: ${(err as Error).message}`,
    undefined,
    { cause: err },
  );
}

// ---------- the store ----------

export class StaffStore {
  private readonly sessions = new Map<string, Session>();
  private chain: Promise<unknown> = Promise.resolve();
  private dummyHash: Promise<string> | null = null;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly clock: () => number;
  private readonly idleMs: number;
  private readonly maxSessionMs: number;
  private readonly hashParams: ScryptParams;
  private readonly lock: Required<StaffLockoutOptions>;

  private constructor(
    private readonly adapter: DurableJsonFile<StaffFile>,
    private data: StaffFile,
    private readonly opts: StaffStoreOptions,
  ) {
    const now = opts.now ?? (() => new Date());
    this.clock = () => now().getTime();
    this.idleMs = opts.idleLogoutMs ?? 5 * 60_000;
    this.maxSessionMs = opts.maxSessionMs ?? 8 * 3_600_000;
    this.hashParams = opts.hashParams ?? DEFAULT_SCRYPT_PARAMS;
    this.lock = {
      maxFailures: 5,
      baseDelayMs: 30_000,
      maxDelayMs: 30 * 60_000,
      globalMaxFailures: 20,
      globalMaxDelayMs: 5 * 60_000,
      forgetAfterMs: 24 * 3_600_000,
      maxTrackedUnknownIds: 200,
      ...opts.lockout,
    };
    const sweepMs = opts.sweepIntervalMs ?? 30_000;
    if (sweepMs > 0) {
      this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), sweepMs);
      this.sweeper.unref();
    }
  }

  /** Open (or create) the store; seeds the accounts from `opts.seed` when the store has none. */
  static async open(opts: StaffStoreOptions): Promise<StaffStore> {
    const adapter = new DurableJsonFile<StaffFile>(opts.file, { validate: validateFile });
    const data = (await adapter.read()) ?? { version: 1, accounts: [], counters: {} };
    const store = new StaffStore(adapter, data, opts);
    if (data.accounts.length === 0 && opts.seed?.length) await store.seed(opts.seed);
    return store;
  }

  private async seed(seed: readonly StaffSeedAccount[]): Promise<void> {
    const at = iso(this.clock());
    const accounts: StoredAccount[] = [];
    for (const s of seed) {
      const id = normaliseStaffId(s.id);
      const name = validName(s.name);
      if (!id || !name || !STAFF_ROLES.includes(s.role) || !isStaffPinHash(s.pinHash)) {
        throw new ApplianceError('STAFF_ACCOUNT_INVALID', `staff seed account ${String(s.id)} is not valid`);
      }
      if (accounts.some((a) => a.id === id)) {
        throw new ApplianceError('STAFF_ACCOUNT_INVALID', `staff seed account ${id} is listed twice`);
      }
      accounts.push({
        id,
        name,
        role: s.role,
        pinHash: s.pinHash,
        active: true,
        createdAt: at,
        updatedAt: at,
        credentialChangedAt: at,
        createdBy: 'system',
      });
    }
    this.data.accounts = accounts;
    this.data.seededAt = at;
    try {
      await this.adapter.write(this.data);
    } catch (err) {
      this.data.accounts = [];
      delete this.data.seededAt;
      throw storeUnavailable(err);
    }
    await this.opts.audit('system', 'staff.accounts.seeded', {
      staffIds: accounts.map((a) => a.id),
      source: 'config',
    });
  }

  /** Stop the sweeper. Sessions are dropped (not audited: the daemon is stopping). */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.sessions.clear();
    await this.chain.catch(() => undefined);
  }

  // ---------- sign-in ----------

  /**
   * Sign in. Wrong PIN → STAFF_PIN_WRONG (params.attemptsLeft), also for an id without account; the
   * `maxFailures`-th wrong PIN in a row and every one after it → STAFF_LOCKED (params.retryAfter, seconds),
   * and while locked even the right PIN is refused with STAFF_LOCKED. A disabled account → STAFF_ACCOUNT_DISABLED
   * (only once its PIN was right).
   */
  login(staffId: string, pin: string): Promise<StaffLoginResult> {
    return this.serial(() => this.doLogin(staffId, pin));
  }

  private async doLogin(claimed: string, pin: string): Promise<StaffLoginResult> {
    const now = this.clock();
    this.forgetStale(now);
    const id = normaliseStaffId(claimed);
    const actor: StaffAuditActor = id ? actorOf(id) : 'staff:unknown';
    const keys = id ? [ALL_STAFF, id] : [ALL_STAFF];

    const retryAfter = Math.max(0, ...keys.map((k) => this.lockedForMs(k, now)));
    if (retryAfter > 0) {
      const seconds = Math.ceil(retryAfter / 1000);
      await this.opts.audit(actor, 'staff.login.locked', {
        staffId: id ?? null,
        scope: this.lockedForMs(ALL_STAFF, now) > 0 ? 'all' : 'account',
        retryAfter: seconds,
      });
      throw new ApplianceError('STAFF_LOCKED', undefined, { retryAfter: seconds });
    }

    const account = id ? this.find(id) : undefined;
    // The same scrypt work whether or not the id has an account, so timing does not tell ids apart.
    const hash = account?.pinHash ?? (await this.dummy());
    const right = (await verifyStaffPin(typeof pin === 'string' ? pin : '', hash)) && !!account;

    if (!right) return this.failed(id, actor, account !== undefined, now);

    if (!account.active) {
      await this.opts.audit(actor, 'staff.login.disabled', { staffId: account.id });
      throw new ApplianceError('STAFF_ACCOUNT_DISABLED');
    }

    // Right PIN: this id's counter is cleared, and the counter over all ids unless it is in lockout.
    const all = this.data.counters[ALL_STAFF];
    const clearAll = all && all.failures < this.lock.globalMaxFailures;
    if (this.data.counters[account.id] || clearAll) {
      delete this.data.counters[account.id];
      if (clearAll) delete this.data.counters[ALL_STAFF];
      // Best effort: a disk that cannot take this write only keeps an old counter, never unlocks anything.
      await this.adapter.write(this.data).catch(() => undefined);
    }

    const token = randomBytes(32).toString('base64url');
    const session: Session = { staffId: account.id, createdAt: now, lastSeenAt: now };
    const key = hashToken(token);
    this.sessions.set(key, session);
    try {
      await this.opts.audit(actor, 'staff.login', { staffId: account.id, role: account.role });
    } catch (err) {
      this.sessions.delete(key);
      throw err;
    }
    return { token, ...this.principal(account, session) };
  }

  private async failed(
    id: string | null,
    actor: StaffAuditActor,
    known: boolean,
    now: number,
  ): Promise<never> {
    const started: StaffLockoutAlarm[] = [];
    const bump = (key: string, threshold: number, maxDelay: number) => {
      const c: FailureCounter = this.data.counters[key] ?? { failures: 0, lastFailureAt: iso(now) };
      c.failures += 1;
      c.lastFailureAt = iso(now);
      if (c.failures >= threshold) {
        const delay = Math.min(this.lock.baseDelayMs * 2 ** (c.failures - threshold), maxDelay);
        c.lockedUntil = iso(now + delay);
        c.lockedSince ??= iso(now);
        started.push(this.alarmOf(key, c, now));
      }
      this.data.counters[key] = c;
      return c;
    };
    const all = bump(ALL_STAFF, this.lock.globalMaxFailures, this.lock.globalMaxDelayMs);
    const own = id ? bump(id, this.lock.maxFailures, this.lock.maxDelayMs) : undefined;
    if (id && !known) this.dropExcessUnknown(id);

    let writeError: unknown;
    try {
      await this.adapter.write(this.data);
    } catch (err) {
      // The counters stay raised in memory: a failing disk must not make guessing cheaper.
      writeError = err;
    }

    const retryAfterMs = Math.max(
      0,
      ...[ALL_STAFF, ...(id ? [id] : [])].map((k) => this.lockedForMs(k, now)),
    );
    const retryAfter = Math.ceil(retryAfterMs / 1000);
    await this.opts.audit(actor, 'staff.login.failed', {
      staffId: id,
      known,
      failures: own?.failures ?? null,
      failuresAll: all.failures,
      ...(retryAfter > 0 ? { retryAfter } : {}),
    });
    for (const alarm of started) {
      await this.opts.audit(actor, 'staff.lockout', {
        staffId: alarm.staffId,
        failures: alarm.failures,
        since: alarm.since,
        until: alarm.until,
      });
      this.opts.onAlarm?.(alarm);
    }
    if (writeError) throw storeUnavailable(writeError);
    if (retryAfter > 0) throw new ApplianceError('STAFF_LOCKED', undefined, { retryAfter });
    const attemptsLeft = Math.max(
      1,
      Math.min(this.lock.maxFailures - (own?.failures ?? 0), this.lock.globalMaxFailures - all.failures),
    );
    throw new ApplianceError('STAFF_PIN_WRONG', undefined, { attemptsLeft });
  }

  // ---------- sessions ----------

  /**
   * The staff member behind a bearer token, or STAFF_AUTH_REQUIRED (unknown, signed out, idle too long,
   * past its lifetime, account disabled since). Refreshes the idle timer unless `refresh: false`.
   */
  async authenticate(token: string | undefined, opts: { refresh?: boolean } = {}): Promise<StaffPrincipal> {
    const key = typeof token === 'string' && token.length > 0 && token.length <= 128 ? hashToken(token) : '';
    const session = key ? this.sessions.get(key) : undefined;
    if (!session) throw new ApplianceError('STAFF_AUTH_REQUIRED');
    const now = this.clock();
    const ended = this.endReason(session, now);
    if (ended) {
      await this.end(key, session, ended, now);
      throw new ApplianceError('STAFF_AUTH_REQUIRED');
    }
    if (opts.refresh !== false) session.lastSeenAt = now;
    return this.principal(this.find(session.staffId)!, session);
  }

  /** `authenticate`, then STAFF_FORBIDDEN unless the role is enough (an administrator may do all an operator may). */
  async require(token: string | undefined, role: StaffRole): Promise<StaffPrincipal> {
    const who = await this.authenticate(token);
    if (role === 'administrator' && who.role !== 'administrator') {
      throw new ApplianceError('STAFF_FORBIDDEN', undefined, { need: role });
    }
    return who;
  }

  /** Sign out (audited); an unknown or already ended token is ignored. */
  async logout(token: string | undefined): Promise<void> {
    if (typeof token !== 'string' || !token) return;
    const key = hashToken(token);
    const session = this.sessions.get(key);
    if (!session) return;
    this.sessions.delete(key);
    await this.opts.audit(actorOf(session.staffId), 'staff.logout', { staffId: session.staffId });
  }

  /** Sign out and audit every session that is idle too long or past its lifetime (runs on a timer too). */
  async sweep(): Promise<number> {
    const now = this.clock();
    let n = 0;
    for (const [key, session] of [...this.sessions]) {
      const reason = this.endReason(session, now);
      if (reason) {
        await this.end(key, session, reason, now);
        n++;
      }
    }
    return n;
  }

  /** Signed-in sessions now (without ending any). */
  activeSessions(): Array<{ staffId: string; since: string; lastSeenAt: string }> {
    return [...this.sessions.values()].map((s) => ({
      staffId: s.staffId,
      since: iso(s.createdAt),
      lastSeenAt: iso(s.lastSeenAt),
    }));
  }

  private endReason(s: Session, now: number): 'idle' | 'expired' | 'disabled' | null {
    const account = this.find(s.staffId);
    if (!account?.active) return 'disabled';
    if (now - s.createdAt >= this.maxSessionMs) return 'expired';
    if (now - s.lastSeenAt >= this.idleMs) return 'idle';
    return null;
  }

  private async end(key: string, s: Session, reason: 'idle' | 'expired' | 'disabled', now: number) {
    if (!this.sessions.delete(key)) return;
    await this.opts.audit(actorOf(s.staffId), `staff.logout.${reason}`, {
      staffId: s.staffId,
      ...(reason === 'idle' ? { idleMs: now - s.lastSeenAt } : {}),
      ...(reason === 'expired' ? { sessionMs: now - s.createdAt } : {}),
    });
  }

  private async endSessionsOf(staffId: string, reason: string, exceptKey?: string): Promise<void> {
    for (const [key, s] of [...this.sessions]) {
      if (s.staffId !== staffId || key === exceptKey) continue;
      this.sessions.delete(key);
      await this.opts.audit(actorOf(staffId), 'staff.logout.revoked', { staffId, reason });
    }
  }

  private principal(a: StoredAccount, s: Session): StaffPrincipal {
    return {
      staffId: a.id,
      name: a.name,
      role: a.role,
      idleExpiresAt: iso(Math.min(s.lastSeenAt + this.idleMs, s.createdAt + this.maxSessionMs)),
      expiresAt: iso(s.createdAt + this.maxSessionMs),
    };
  }

  // ---------- alarms ----------

  /** What the heartbeat carries: lockouts in force (or in their relock phase) and a store with no administrator. */
  alarms(): StaffAlarm[] {
    const now = this.clock();
    this.forgetStale(now);
    const out: StaffAlarm[] = [];
    for (const [key, c] of Object.entries(this.data.counters)) {
      if (c.lockedSince) out.push(this.alarmOf(key, c, now));
    }
    if (!this.data.accounts.some((a) => a.active && a.role === 'administrator')) {
      out.push({ kind: 'staff-no-administrator' });
    }
    return out;
  }

  private alarmOf(key: string, c: FailureCounter, now: number): StaffLockoutAlarm {
    return {
      kind: 'staff-lockout',
      staffId: key,
      since: c.lockedSince ?? c.lastFailureAt,
      until: c.lockedUntil ?? c.lastFailureAt,
      locked: ms(c.lockedUntil) > now,
      failures: c.failures,
    };
  }

  private lockedForMs(key: string, now: number): number {
    const until = ms(this.data.counters[key]?.lockedUntil);
    return until > now ? until - now : 0;
  }

  /** Forget counters quiet for `forgetAfterMs` (in memory; the next write makes it durable). */
  private forgetStale(now: number): void {
    for (const [key, c] of Object.entries(this.data.counters)) {
      if (now - ms(c.lastFailureAt) >= this.lock.forgetAfterMs && this.lockedForMs(key, now) === 0) {
        delete this.data.counters[key];
      }
    }
  }

  private dropExcessUnknown(keep: string): void {
    const unknown = Object.entries(this.data.counters)
      .filter(([key]) => key !== ALL_STAFF && key !== keep && !this.find(key))
      .sort(([, a], [, b]) => ms(a.lastFailureAt) - ms(b.lastFailureAt));
    const excess = unknown.length + 1 - this.lock.maxTrackedUnknownIds;
    for (const [key] of unknown.slice(0, Math.max(0, excess))) delete this.data.counters[key];
  }

  // ---------- administration ----------

  /** Every account, without PIN hashes (administrators only). */
  async listAccounts(token: string | undefined): Promise<StaffAccountView[]> {
    await this.require(token, 'administrator');
    const now = this.clock();
    this.forgetStale(now);
    return this.data.accounts.map((a) => this.view(a, now));
  }

  /** Add an account (administrators only). */
  addAccount(
    token: string | undefined,
    input: { id: string; name: string; role: StaffRole; pin: string },
  ): Promise<StaffChange> {
    return this.serial(async () => {
      const who = await this.require(token, 'administrator');
      const id = normaliseStaffId(input.id);
      if (!id) throw new ApplianceError('STAFF_ACCOUNT_INVALID', undefined, { field: 'id' });
      const name = validName(input.name);
      if (!name) throw new ApplianceError('STAFF_ACCOUNT_INVALID', undefined, { field: 'name' });
      if (!STAFF_ROLES.includes(input.role)) {
        throw new ApplianceError('STAFF_ACCOUNT_INVALID', undefined, { field: 'role' });
      }
      assertStrongPin(input.pin);
      if (this.find(id)) throw new ApplianceError('STAFF_ACCOUNT_EXISTS', undefined, { staffId: id });
      const pinHash = await hashStaffPin(input.pin, this.hashParams);
      const at = iso(this.clock());
      return this.change(who, 'staff.account.add', id, { name, role: input.role }, () => {
        this.data.accounts.push({
          id,
          name,
          role: input.role,
          pinHash,
          active: true,
          createdAt: at,
          updatedAt: at,
          credentialChangedAt: at,
          createdBy: actorOf(who.staffId),
        });
        // Wrong PINs claimed for this id before it existed are not this person's.
        delete this.data.counters[id];
      });
    });
  }

  /** Set a new PIN for any account (administrators only); ends that account's sessions and clears its lockout. */
  resetPin(token: string | undefined, staffId: string, newPin: string): Promise<StaffChange> {
    return this.serial(async () => {
      const who = await this.require(token, 'administrator');
      const account = this.mustFind(staffId);
      assertStrongPin(newPin);
      const pinHash = await hashStaffPin(newPin, this.hashParams);
      const at = iso(this.clock());
      const change = await this.change(who, 'staff.account.credential-reset', account.id, {}, () => {
        account.pinHash = pinHash;
        account.credentialChangedAt = at;
        account.updatedAt = at;
        delete this.data.counters[account.id];
      });
      await this.endSessionsOf(account.id, 'credential-reset', this.keyOf(token));
      return change;
    });
  }

  /** Change one's own PIN (any role): the current PIN is checked (a wrong one counts as a failed sign-in). */
  changeOwnPin(token: string | undefined, currentPin: string, newPin: string): Promise<StaffChange> {
    return this.serial(async () => {
      const who = await this.authenticate(token);
      const account = this.mustFind(who.staffId);
      const now = this.clock();
      const lockedMs = Math.max(this.lockedForMs(ALL_STAFF, now), this.lockedForMs(account.id, now));
      if (lockedMs > 0) {
        throw new ApplianceError('STAFF_LOCKED', undefined, { retryAfter: Math.ceil(lockedMs / 1000) });
      }
      if (!(await verifyStaffPin(currentPin, account.pinHash))) {
        return this.failed(account.id, actorOf(account.id), true, this.clock());
      }
      assertStrongPin(newPin);
      if (await verifyStaffPin(newPin, account.pinHash)) {
        throw new ApplianceError('STAFF_PIN_TOO_WEAK', undefined, { problems: 'unchanged' });
      }
      const pinHash = await hashStaffPin(newPin, this.hashParams);
      const at = iso(this.clock());
      const change = await this.change(who, 'staff.account.credential-change', account.id, {}, () => {
        account.pinHash = pinHash;
        account.credentialChangedAt = at;
        account.updatedAt = at;
      });
      await this.endSessionsOf(account.id, 'credential-change', this.keyOf(token));
      return change;
    });
  }

  /** Change an account's role (administrators only); the last active administrator cannot be demoted. */
  setRole(token: string | undefined, staffId: string, role: StaffRole): Promise<StaffChange> {
    return this.serial(async () => {
      const who = await this.require(token, 'administrator');
      if (!STAFF_ROLES.includes(role)) {
        throw new ApplianceError('STAFF_ACCOUNT_INVALID', undefined, { field: 'role' });
      }
      const account = this.mustFind(staffId);
      const from = account.role;
      if (from === role) return this.unchanged(who, 'staff.account.role', account.id, { from, to: role });
      if (from === 'administrator' && account.active) this.assertNotLastAdministrator(account.id);
      return this.change(who, 'staff.account.role', account.id, { from, to: role }, () => {
        account.role = role;
        account.updatedAt = iso(this.clock());
      });
    });
  }

  /** Disable or enable an account (administrators only); the last active administrator cannot be disabled. */
  setActive(token: string | undefined, staffId: string, active: boolean): Promise<StaffChange> {
    return this.serial(async () => {
      const who = await this.require(token, 'administrator');
      const account = this.mustFind(staffId);
      const action = active ? 'staff.account.enable' : 'staff.account.disable';
      if (account.active === active) return this.unchanged(who, action, account.id, {});
      if (!active && account.role === 'administrator') this.assertNotLastAdministrator(account.id);
      const change = await this.change(who, action, account.id, {}, () => {
        account.active = active;
        account.updatedAt = iso(this.clock());
      });
      if (!active) await this.endSessionsOf(account.id, 'disabled');
      return change;
    });
  }

  /** End a lockout now (administrators only): a staff id, or `ALL_STAFF` for the counter over all ids. */
  unlock(token: string | undefined, staffId: string): Promise<StaffChange> {
    return this.serial(async () => {
      const who = await this.require(token, 'administrator');
      const key = staffId === ALL_STAFF ? ALL_STAFF : normaliseStaffId(staffId);
      if (!key) throw new ApplianceError('STAFF_ACCOUNT_INVALID', undefined, { field: 'id' });
      const c = this.data.counters[key];
      if (!c) return this.unchanged(who, 'staff.lockout.cleared', key, {});
      return this.change(who, 'staff.lockout.cleared', key, { failures: c.failures }, () => {
        delete this.data.counters[key];
      });
    });
  }

  // ---------- internals ----------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashStaffPin(randomBytes(16).toString('hex'), this.hashParams);
    return this.dummyHash;
  }

  private find(id: string): StoredAccount | undefined {
    return this.data.accounts.find((a) => a.id === id);
  }

  private mustFind(staffId: string): StoredAccount {
    const id = normaliseStaffId(staffId);
    const account = id ? this.find(id) : undefined;
    if (!account) throw new ApplianceError('STAFF_ACCOUNT_UNKNOWN', undefined, { staffId: id ?? '' });
    return account;
  }

  private keyOf(token: string | undefined): string | undefined {
    return typeof token === 'string' && token ? hashToken(token) : undefined;
  }

  private assertNotLastAdministrator(id: string): void {
    const others = this.data.accounts.filter((a) => a.id !== id && a.active && a.role === 'administrator');
    if (others.length === 0) throw new ApplianceError('STAFF_LAST_ADMINISTRATOR', undefined, { staffId: id });
  }

  private view(a: StoredAccount, now: number): StaffAccountView {
    const c = this.data.counters[a.id];
    return {
      id: a.id,
      name: a.name,
      role: a.role,
      active: a.active,
      createdAt: a.createdAt,
      updatedAt: a.updatedAt,
      credentialChangedAt: a.credentialChangedAt,
      ...(c?.lockedSince
        ? {
            lockout: {
              since: c.lockedSince,
              until: c.lockedUntil ?? c.lastFailureAt,
              locked: this.lockedForMs(a.id, now) > 0,
              failures: c.failures,
            },
          }
        : {}),
    };
  }

  /** Apply `mutate`, write the file (memory is put back when the write fails), then audit. */
  private async change(
    who: StaffPrincipal,
    action: string,
    staffId: string,
    details: Record<string, unknown>,
    mutate: () => void,
  ): Promise<StaffChange> {
    const before = structuredClone(this.data);
    mutate();
    try {
      await this.adapter.write(this.data);
    } catch (err) {
      this.data = before; // memory as on disk (changes and sign-ins are serialised: nothing else moved)
      throw storeUnavailable(err);
    }
    const change: StaffChange = {
      actor: actorOf(who.staffId),
      action,
      staffId,
      details: { staffId, ...details },
      at: iso(this.clock()),
    };
    await this.opts.audit(change.actor, action, change.details);
    return change;
  }

  private unchanged(
    who: StaffPrincipal,
    action: string,
    staffId: string,
    details: Record<string, unknown>,
  ): StaffChange {
    return {
      actor: actorOf(who.staffId),
      action,
      staffId,
      details: { staffId, ...details, unchanged: true },
      at: iso(this.clock()),
    };
  }
}

/** Open the staff store (see `StaffStore.open`). */
export function openStaffStore(opts: StaffStoreOptions): Promise<StaffStore> {
  return StaffStore.open(opts);
}
