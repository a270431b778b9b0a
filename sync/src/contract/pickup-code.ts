// Pickup code: `base64url(JSON payload).base64url(Ed25519 signature of the payload bytes)`, signed by central
// and verified offline by the kiosk with the configured public key.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

export interface PickupCodePayload {
  orderId: string;
  hall: string;
  /** Expiry, seconds since the Unix epoch. */
  exp: number;
  nonce: string;
}

export type PickupCodeCheck =
  | { ok: true; payload: PickupCodePayload }
  | { ok: false; reason: 'malformed'; message: string }
  | { ok: false; reason: 'forged' | 'expired' | 'wrong-hall'; message: string; payload?: PickupCodePayload };

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Sign a payload into a compact token (central side). */
export function signPickupCode(payload: PickupCodePayload, privateKey: KeyObject | string): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const body = Buffer.from(
    JSON.stringify({ orderId: payload.orderId, hall: payload.hall, exp: payload.exp, nonce: payload.nonce }),
    'utf8',
  );
  return `${body.toString('base64url')}.${sign(null, body, key).toString('base64url')}`;
}

function parsePayload(bytes: Buffer): PickupCodePayload | null {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.orderId !== 'string' || typeof o.hall !== 'string' || typeof o.nonce !== 'string') return null;
  if (typeof o.exp !== 'number' || !Number.isInteger(o.exp)) return null;
  return { orderId: o.orderId, hall: o.hall, exp: o.exp, nonce: o.nonce };
}

/** Verify a scanned token offline: signature, then expiry, then hall. Never throws. */
export function verifyPickupCode(
  token: string,
  publicKey: KeyObject | string,
  opts: { hall: string; now?: number },
): PickupCodeCheck {
  const parts = token.trim().split('.');
  if (parts.length !== 2 || !B64URL.test(parts[0] ?? '') || !B64URL.test(parts[1] ?? '')) {
    return {
      ok: false,
      reason: 'malformed',
      message: 'This is not a pickup code (expected two base64url parts).',
    };
  }
  const body = Buffer.from(parts[0]!, 'base64url');
  const sig = Buffer.from(parts[1]!, 'base64url');
  const payload = parsePayload(body);
  if (!payload) return { ok: false, reason: 'malformed', message: 'The pickup code content cannot be read.' };
  let good = false;
  try {
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    good = sig.length === 64 && verify(null, body, key, sig);
  } catch {
    good = false;
  }
  if (!good) {
    return {
      ok: false,
      reason: 'forged',
      message: 'The pickup code was not issued by the certificate authority.',
    };
  }
  const nowS = Math.floor((opts.now ?? Date.now()) / 1000);
  if (payload.exp <= nowS) {
    return {
      ok: false,
      reason: 'expired',
      message: 'The pickup code has expired; refresh it on your phone.',
      payload,
    };
  }
  if (payload.hall !== opts.hall) {
    return {
      ok: false,
      reason: 'wrong-hall',
      message: `This order is to be collected at hall ${payload.hall}, not here.`,
      payload,
    };
  }
  return { ok: true, payload };
}

/** Read the payload without checking anything (display and logs only). */
export function decodePickupCodeUnverified(token: string): PickupCodePayload | null {
  const first = token.trim().split('.')[0] ?? '';
  return B64URL.test(first) ? parsePayload(Buffer.from(first, 'base64url')) : null;
}
