// The PKCS#11 module: loading, slot/token enumeration, lookup by label or serial, sessions.
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

/** A loaded PKCS#11 module. One per process per module path. */
export class Pkcs11Module {
  private initialised = false;
  private openSessions = 0;

  private constructor(
    readonly path: string,
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
      this.api.C_Initialize();
    } catch (err) {
      if ((err as Error).message !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED')
        throw toTokenError(err, 'C_Initialize');
    }
    this.initialised = true;
  }

  /**
   * Some modules (SoftHSM) only see tokens created or restored by another process after re-initialising.
   * Only done when no session is open, so it never cuts an operation short.
   */
  rescan(): boolean {
    if (this.openSessions > 0) return false;
    try {
      this.api.C_Finalize();
    } catch {
      // already finalised
    }
    this.initialize();
    return true;
  }

  /** Non-blocking slot-event check; null when the module has none to report or does not support it. */
  pollSlotEvent(): string | null {
    try {
      const h = this.api.C_WaitForSlotEvent(pkcs11js.CKF_DONT_BLOCK);
      return h ? slotIdString(h) : null;
    } catch {
      return null;
    }
  }

  listSlots(tokenPresent = false): SlotSummary[] {
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
        const token = this.tokenInfo(h);
        if (token) slot.token = token;
        else slot.tokenPresent = false; // the module lists it but cannot talk to it: gone
      }
      if (!tokenPresent || slot.tokenPresent) out.push(slot);
    }
    return out;
  }

  tokenInfo(slot: Handle): TokenSummary | undefined {
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

  /** True while a token with this serial is still in view of the module. */
  isPresent(serial: string): boolean {
    try {
      return this.listSlots(true).some((s) => s.token?.serial === serial);
    } catch {
      return false;
    }
  }

  openSession(slot: Handle, readWrite = true): Handle {
    let flags = pkcs11js.CKF_SERIAL_SESSION;
    if (readWrite) flags |= pkcs11js.CKF_RW_SESSION;
    const h = this.api.C_OpenSession(slot, flags);
    this.openSessions++;
    return h;
  }

  closeSession(session: Handle): void {
    this.openSessions = Math.max(0, this.openSessions - 1);
    try {
      this.api.C_CloseSession(session);
    } catch {
      // the token may be gone; the session is dead either way
    }
  }

  close(): void {
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
