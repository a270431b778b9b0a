// The PKCS#11 module: loading, slot/token enumeration, lookup by label or serial, sessions.
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { TokenError, toTokenError } from './errors.js';

export type Handle = Buffer;

export interface TokenFlags {
  initialized: boolean;
  userPinInitialized: boolean;
  loginRequired: boolean;
  userPinLocked: boolean;
  userPinCountLow: boolean;
  userPinFinalTry: boolean;
  soPinLocked: boolean;
  soPinCountLow: boolean;
  soPinFinalTry: boolean;
  writeProtected: boolean;
}

export interface SlotSummary {
  /** Slot id as a decimal string (ids are 64-bit; they change when SoftHSM initialises a token). */
  slotId: string;
  description: string;
  removable: boolean;
  tokenPresent: boolean;
  token?: TokenSummary;
}

export interface TokenSummary {
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
  flags: TokenFlags;
  /** Free memory in bytes where the token reports it, else null. */
  freePublicMemory: number | null;
  freePrivateMemory: number | null;
  minPinLength: number;
  maxPinLength: number;
}

const UNAVAILABLE = 0xffffffffffffffffn;
// Slot flags missing from pkcs11js's typings (PKCS#11 v2.40 §3.2).
const CKF_TOKEN_PRESENT = 0x1;
const CKF_REMOVABLE_DEVICE = 0x2;

function memory(v: number | bigint): number | null {
  if (typeof v === 'bigint')
    return v === UNAVAILABLE || v > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(v);
  return v === 0xffffffff || v < 0 ? null : v;
}

/** PKCS#11 strings are blank-padded; some writers pad with NULs instead. */
function blankTrim(s: string): string {
  return s.replace(/[\s\0]+$/, '');
}

export function slotIdString(handle: Handle): string {
  return handle.readBigUInt64LE(0).toString();
}

export function slotHandle(id: string): Handle {
  if (!/^\d+$/.test(id))
    throw new TokenError('TOKEN_BAD_ARGUMENT', `Slot id must be a decimal number, got "${id}".`);
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(id));
  return b;
}

function decodeFlags(f: number): TokenFlags {
  const has = (bit: number) => (f & bit) !== 0;
  return {
    initialized: has(pkcs11js.CKF_TOKEN_INITIALIZED),
    userPinInitialized: has(pkcs11js.CKF_USER_PIN_INITIALIZED),
    loginRequired: has(pkcs11js.CKF_LOGIN_REQUIRED),
    userPinLocked: has(pkcs11js.CKF_USER_PIN_LOCKED),
    userPinCountLow: has(pkcs11js.CKF_USER_PIN_COUNT_LOW),
    userPinFinalTry: has(pkcs11js.CKF_USER_PIN_FINAL_TRY),
    soPinLocked: has(pkcs11js.CKF_SO_PIN_LOCKED),
    soPinCountLow: has(pkcs11js.CKF_SO_PIN_COUNT_LOW),
    soPinFinalTry: has(pkcs11js.CKF_SO_PIN_FINAL_TRY),
    writeProtected: has(pkcs11js.CKF_WRITE_PROTECTED),
  };
}

/** One turn at the module: a queued job, or a synchronous call made while the module was idle. */
interface Turn {
  readonly n: number;
}

/**
 * A loaded PKCS#11 module. One per process per module path.
 *
 * Every call into the module takes a turn: no two calls are ever in it at once, whatever thread they run
 * on. `exclusive(fn)` queues `fn` (FIFO) and gives it the module until it settles, across its awaits;
 * calls made inside it (nested `exclusive`, sessions, `*Async` calls on libuv worker threads) run in its
 * turn. A synchronous call made from outside while the module is busy never enters it: slot listings,
 * `tokenInfo`, `findToken` and `isPresent` answer from the last listing, `rescan` and `pollSlotEvent` skip,
 * anything else throws TOKEN_BUSY; the `*Async` forms wait for their turn instead.
 * The module is also initialised with CKF_OS_LOCKING_OK, so it guards itself where it can.
 */
export class Pkcs11Module {
  private initialised = false;
  private closing = false;
  private openSessions = 0;
  private readonly turnOf = new AsyncLocalStorage<Turn>();
  private turns = 0;
  private current: Turn | null = null;
  private readonly waiting: Array<{ turn: Turn; go: () => void }> = [];
  /** *Async calls running on a worker thread, and the chain that keeps them one at a time. */
  private native = 0;
  private nativeTail: Promise<unknown> = Promise.resolve();
  /** The last listings of all slots and of the slots with a token, answered while the module is busy. */
  private lastAll: SlotSummary[] = [];
  private lastPresent: SlotSummary[] = [];
  /** Where each token serial was last listed. */
  private readonly slotOfSerial = new Map<string, string>();

  private constructor(
    readonly path: string,
    /** The raw pkcs11js binding. Whoever calls it directly must do so inside `exclusive`. */
    readonly api: pkcs11js.PKCS11,
  ) {}

  static load(path: string): Pkcs11Module {
    if (!existsSync(path)) {
      throw new TokenError('TOKEN_MODULE_NOT_FOUND', `No PKCS#11 module at ${path}; check the module path.`, {
        path,
      });
    }
    const api = new pkcs11js.PKCS11();
    try {
      api.load(path);
    } catch (err) {
      throw new TokenError(
        'TOKEN_MODULE_NOT_FOUND',
        `${path} is not a loadable PKCS#11 module (${(err as Error).message}).`,
        { path },
        err,
      );
    }
    const mod = new Pkcs11Module(path, api);
    mod.initialize();
    return mod;
  }

  private initialize(): void {
    try {
      // Worker-thread (*Async) calls: the module must lock with the OS's own primitives.
      this.api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (err) {
      if ((err as Error).message !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED')
        throw toTokenError(err, 'C_Initialize');
    }
    this.initialised = true;
  }

  // ---------- turns ----------

  /** True while a call is in the module or waiting for its turn. */
  get busy(): boolean {
    return this.current !== null || this.waiting.length > 0 || this.native > 0;
  }

  /** True when the caller runs inside the turn that holds the module now. */
  private inTurn(): boolean {
    return this.current !== null && this.turnOf.getStore() === this.current;
  }

  /**
   * Run `fn` with the module to itself: after every call queued before it, and with no other call until it
   * settles. Inside a turn (nested), `fn` runs at once in that turn.
   */
  async exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.inTurn()) return fn();
    if (this.closing) throw closedError();
    const turn: Turn = { n: ++this.turns };
    if (this.current === null && this.native === 0) this.current = turn;
    else await new Promise<void>((go) => this.waiting.push({ turn, go }));
    try {
      return await this.turnOf.run(turn, fn);
    } finally {
      // An *Async call the job did not wait for still owns the module until it returns.
      await this.nativeTail;
      this.handOver();
    }
  }

  private handOver(): void {
    const next = this.waiting.shift();
    this.current = next?.turn ?? null;
    if (next) next.go();
    else if (this.closing) this.finalize();
  }

  /** A synchronous call: in the current turn, or in a turn of its own when the module is idle. */
  private sync<T>(fn: () => T, whenBusy: () => T): T {
    if (this.native > 0) return whenBusy();
    if (this.inTurn()) return fn();
    if (this.current !== null) return whenBusy();
    if (!this.initialised) throw closedError();
    const turn: Turn = { n: ++this.turns };
    this.current = turn;
    try {
      return this.turnOf.run(turn, fn);
    } finally {
      // An *Async call started in here keeps the turn until it returns.
      if (this.native > 0) void this.nativeTail.then(() => this.handOver());
      else this.handOver();
    }
  }

  /** Run synchronous PKCS#11 calls now; TOKEN_BUSY if another call has the module. */
  callSync<T>(fn: () => T): T {
    return this.sync(fn, () => {
      throw new TokenError('TOKEN_BUSY', undefined, { module: this.path });
    });
  }

  /**
   * Run an *Async PKCS#11 call (and the synchronous set-up calls right before it): in the current turn,
   * after any earlier *Async call of that turn has returned, or else in a turn of its own.
   */
  callAsync<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.inTurn()) return this.exclusive(() => this.callAsync(fn));
    const run = this.nativeTail.then(async () => {
      this.native++;
      try {
        return await fn();
      } finally {
        this.native--;
      }
    });
    this.nativeTail = run.catch(() => {});
    return run;
  }

  /** Run `fn` outside any turn (timers created in it must not inherit the caller's). */
  detached<T>(fn: () => T): T {
    return this.turnOf.exit(fn);
  }

  // ---------- module-wide calls ----------

  /**
   * Some modules (SoftHSM) only see tokens created or restored by another process after re-initialising.
   * Only done when no session is open, so it never cuts an operation short; skipped (false) while the
   * module is busy. `rescanAsync` waits for its turn.
   */
  rescan(): boolean {
    return this.sync(
      () => {
        if (this.openSessions > 0) return false;
        try {
          this.api.C_Finalize();
        } catch {
          // already finalised
        }
        this.initialize();
        return true;
      },
      () => false,
    );
  }

  rescanAsync(): Promise<boolean> {
    return this.exclusive(() => this.rescan());
  }

  /** Non-blocking slot-event check; null when the module has none to report, does not support it, or is busy. */
  pollSlotEvent(): string | null {
    return this.sync(
      () => {
        try {
          const h = this.api.C_WaitForSlotEvent(pkcs11js.CKF_DONT_BLOCK);
          return h ? slotIdString(h) : null;
        } catch {
          return null;
        }
      },
      () => null,
    );
  }

  /** The slots (with a token only, when `tokenPresent`); while the module is busy, the last listing. */
  listSlots(tokenPresent = false): SlotSummary[] {
    return this.sync(
      () => this.freshListing(tokenPresent),
      () => structuredClone(tokenPresent ? this.lastPresent : this.lastAll),
    );
  }

  listSlotsAsync(tokenPresent = false): Promise<SlotSummary[]> {
    return this.exclusive(() => this.freshListing(tokenPresent));
  }

  private freshListing(tokenPresent: boolean): SlotSummary[] {
    let handles: Handle[];
    try {
      handles = this.api.C_GetSlotList(tokenPresent);
    } catch (err) {
      throw toTokenError(err, 'C_GetSlotList');
    }
    const out: SlotSummary[] = [];
    for (const h of handles) {
      let info: pkcs11js.SlotInfo;
      try {
        info = this.api.C_GetSlotInfo(h);
      } catch {
        continue;
      }
      const present = (info.flags & CKF_TOKEN_PRESENT) !== 0;
      const slot: SlotSummary = {
        slotId: slotIdString(h),
        description: info.slotDescription.trim(),
        removable: (info.flags & CKF_REMOVABLE_DEVICE) !== 0,
        tokenPresent: present,
      };
      if (present) {
        const token = this.freshTokenInfo(h);
        if (token) slot.token = token;
        else slot.tokenPresent = false; // the module lists it but cannot talk to it: gone
      }
      if (!tokenPresent || slot.tokenPresent) out.push(slot);
    }
    // Keep both listings current: tokens seen now replace the older listing's; empty slots stay as listed.
    const present = out.filter((s) => s.tokenPresent);
    this.slotOfSerial.clear();
    for (const s of present) if (s.token?.serial) this.slotOfSerial.set(s.token.serial, s.slotId);
    const empty = tokenPresent ? this.lastAll.filter((s) => !s.tokenPresent) : [];
    const all = tokenPresent
      ? [...present, ...empty.filter((e) => !present.some((p) => p.slotId === e.slotId))]
      : out;
    this.lastAll = all;
    this.lastPresent = present;
    return structuredClone(out);
  }

  /** The token in this slot, undefined when there is none; while the module is busy, from the last listing. */
  tokenInfo(slot: Handle): TokenSummary | undefined {
    return this.sync(
      () => this.freshTokenInfo(slot),
      () => {
        const id = slotIdString(slot);
        const known = this.lastAll.find((s) => s.slotId === id)?.token;
        return known && structuredClone(known);
      },
    );
  }

  private freshTokenInfo(slot: Handle): TokenSummary | undefined {
    let t: pkcs11js.TokenInfo;
    try {
      t = this.api.C_GetTokenInfo(slot);
    } catch {
      return undefined;
    }
    return {
      label: blankTrim(t.label),
      serial: blankTrim(t.serialNumber),
      manufacturer: blankTrim(t.manufacturerID),
      model: blankTrim(t.model),
      flags: decodeFlags(t.flags),
      freePublicMemory: memory(t.freePublicMemory as number | bigint),
      freePrivateMemory: memory(t.freePrivateMemory as number | bigint),
      minPinLength: t.minPinLen,
      maxPinLength: t.maxPinLen,
    };
  }

  /** Find the slot holding the token with this label (or serial). */
  findToken(by: { label?: string; serial?: string }): { slot: Handle; token: TokenSummary } {
    // By serial, the slot it was last seen in first: one C_GetTokenInfo instead of a whole listing.
    const hint = by.label === undefined && by.serial ? this.slotOfSerial.get(by.serial) : undefined;
    if (hint) {
      const token = this.tokenInfo(slotHandle(hint));
      if (token && token.serial === by.serial) return { slot: slotHandle(hint), token };
    }
    for (const s of this.listSlots(true)) {
      if (!s.token) continue;
      if (
        (by.label !== undefined && s.token.label === by.label) ||
        (by.serial !== undefined && s.token.serial === by.serial)
      ) {
        return { slot: slotHandle(s.slotId), token: s.token };
      }
    }
    const what = by.label !== undefined ? `label "${by.label}"` : `serial "${by.serial}"`;
    throw new TokenError('TOKEN_NOT_FOUND', `No USB key with ${what} is in the writer.`, { ...by });
  }

  /** True while a token with this serial is still in view of the module (the last listing while busy). */
  isPresent(serial: string): boolean {
    try {
      return this.listSlots(true).some((s) => s.token?.serial === serial);
    } catch {
      return false;
    }
  }

  isPresentAsync(serial: string): Promise<boolean> {
    return this.exclusive(() => this.isPresent(serial));
  }

  openSession(slot: Handle, readWrite = true): Handle {
    let flags = pkcs11js.CKF_SERIAL_SESSION;
    if (readWrite) flags |= pkcs11js.CKF_RW_SESSION;
    const h = this.callSync(() => this.api.C_OpenSession(slot, flags));
    this.openSessions++;
    return h;
  }

  /** Log out and close a session; from outside while the module is busy, in the next turn. */
  closeSession(session: Handle, logout = false): void {
    const close = () => {
      if (logout) {
        try {
          this.api.C_Logout(session);
        } catch {
          // not logged in, or gone
        }
      }
      try {
        this.api.C_CloseSession(session);
      } catch {
        // the token may be gone; the session is dead either way
      }
      this.openSessions = Math.max(0, this.openSessions - 1);
    };
    if (!this.initialised) return;
    this.sync(close, () => {
      void this.exclusive(close).catch(() => {});
    });
  }

  /** Finalise the module: at once when idle, else when the calls already queued are done. */
  close(): void {
    if (!this.initialised || this.closing) return;
    this.closing = true;
    if (!this.busy) this.finalize();
  }

  private finalize(): void {
    if (!this.initialised) return;
    this.initialised = false;
    try {
      this.api.C_Finalize();
    } catch {
      // ignore
    }
    try {
      this.api.close();
    } catch {
      // ignore
    }
  }
}

function closedError(): TokenError {
  return new TokenError('TOKEN_MODULE_CLOSED');
}
