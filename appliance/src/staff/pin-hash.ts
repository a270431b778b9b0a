// Staff PIN hashing: scrypt with a random 16-byte salt, stored as a self-describing string
// `$scrypt$N=32768,r=8,p=1$<salt base64url>$<key base64url>`, verified in constant time.
// A PIN is only ever handed to scrypt; neither this file nor its callers keep or log it.
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** ~100 ms and 32 MiB per hash on the kiosk's class of CPU: a wrong PIN costs time, a right one is still fast. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 32768, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Bounds on what a stored string may ask for (a hand-edited config must not make a login take minutes).
const MIN_LOG2_N = 10;
const MAX_LOG2_N = 20;
const HASH_FORMAT =
  /^\$scrypt\$N=(\d{1,8}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/;

export interface ParsedStaffPinHash extends ScryptParams {
  salt: Buffer;
  key: Buffer;
}

export class StaffPinHashError extends Error {
  override readonly name = 'StaffPinHashError';
}

function checkParams({ N, r, p }: ScryptParams): void {
  const log2 = Math.log2(N);
  if (!Number.isInteger(log2) || log2 < MIN_LOG2_N || log2 > MAX_LOG2_N) {
    throw new StaffPinHashError(`scrypt N must be a power of two from 2^${MIN_LOG2_N} to 2^${MAX_LOG2_N}`);
  }
  if (!Number.isInteger(r) || r < 1 || r > 32) throw new StaffPinHashError('scrypt r must be 1–32');
  if (!Number.isInteger(p) || p < 1 || p > 16) throw new StaffPinHashError('scrypt p must be 1–16');
}

/** Parse a stored hash string; throws StaffPinHashError (never echoing the string) when it is not one. */
export function parseStaffPinHash(text: string): ParsedStaffPinHash {
  const m = HASH_FORMAT.exec(text);
  if (!m) {
    throw new StaffPinHashError(
      'expected a staff PIN hash "$scrypt$N=<n>,r=<r>,p=<p>$<salt>$<key>" (base64url, 16-byte salt, 32-byte key)',
    );
  }
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  checkParams(params);
  const salt = Buffer.from(m[4]!, 'base64url');
  const key = Buffer.from(m[5]!, 'base64url');
  if (salt.length !== SALT_BYTES || key.length !== KEY_BYTES) {
    throw new StaffPinHashError('a staff PIN hash has a 16-byte salt and a 32-byte key');
  }
  return { ...params, salt, key };
}

export function isStaffPinHash(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  try {
    parseStaffPinHash(text);
    return true;
  } catch {
    return false;
  }
}

function derive(pin: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(pin.normalize('NFKC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Hash a staff PIN for the staff store or for `staff.accounts[].pinHash` in the config. This does not judge
 * the PIN's strength (see `checkStaffPin`).
 */
export async function hashStaffPin(
  pin: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  if (typeof pin !== 'string' || pin.length === 0 || pin.length > 64) {
    throw new StaffPinHashError('a staff PIN is 1–64 characters');
  }
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(pin, salt, params);
  return `$scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `pin` matches `hash`, compared in constant time. A malformed hash is false, never an exception. */
export async function verifyStaffPin(pin: string, hash: string): Promise<boolean> {
  let parsed: ParsedStaffPinHash;
  try {
    parsed = parseStaffPinHash(hash);
  } catch {
    return false;
  }
  if (typeof pin !== 'string' || pin.length === 0 || pin.length > 64) return false;
  const key = await derive(pin, parsed.salt, parsed);
  return timingSafeEqual(key, parsed.key);
}
