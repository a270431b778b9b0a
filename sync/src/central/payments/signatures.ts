// WeChat Pay API v3 signatures, both directions: the merchant signs each request (Authorization header,
// SHA256withRSA over `METHOD\nURL\ntimestamp\nnonce\nbody\n`); the platform signs each response and notification
// (Wechatpay-Timestamp/-Nonce/-Serial/-Signature over `timestamp\nnonce\nbody\n`). Central plays the merchant,
// the simulator the platform, so the two can never drift apart.
import { type KeyObject, randomBytes, sign, verify } from 'node:crypto';

export const AUTHORIZATION_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';
/** A signed request, response or notification further than this from the receiver's clock is refused. */
export const WECHATPAY_MAX_SKEW_S = 300;

/** A key that signs, named by the serial the other side knows it by (certificate serial or public-key id). */
export interface SigningKey {
  serial: string;
  privateKey: KeyObject;
}
/** A key that verifies, with its serial. */
export interface VerifyingKey {
  serial: string;
  publicKey: KeyObject;
}

/** 32 random upper-case hex characters, as the provider's examples use for nonce_str and Wechatpay-Nonce. */
export function newNonce(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

const bytes = (body: Buffer | string) => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

/** What the merchant signs: method, path with query, timestamp (s), nonce, body ('' for GET), each ending "\n". */
export function requestMessage(
  method: string,
  url: string,
  timestamp: string,
  nonce: string,
  body: Buffer | string,
): Buffer {
  return Buffer.concat([
    Buffer.from(`${method}\n${url}\n${timestamp}\n${nonce}\n`, 'utf8'),
    bytes(body),
    Buffer.from('\n'),
  ]);
}

/** What the platform signs in a response or notification: timestamp, nonce, the exact body bytes. */
export function responseMessage(timestamp: string, nonce: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), bytes(body), Buffer.from('\n')]);
}

export function rsaSign(privateKey: KeyObject, message: Buffer): string {
  return sign('sha256', message, privateKey).toString('base64');
}

export function rsaVerify(publicKey: KeyObject, message: Buffer, signatureB64: string): boolean {
  try {
    return verify('sha256', message, publicKey, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

export interface AuthorizationFields {
  mchid: string;
  nonce_str: string;
  signature: string;
  timestamp: string;
  serial_no: string;
}

/** The Authorization header of a merchant request (`url` is the path with its query, no host). */
export function authorizationHeader(
  merchant: SigningKey & { mchid: string },
  req: { method: string; url: string; body: string },
  nowMs: number,
  nonce = newNonce(),
): string {
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = rsaSign(
    merchant.privateKey,
    requestMessage(req.method, req.url, timestamp, nonce, req.body),
  );
  return `${AUTHORIZATION_SCHEMA} mchid="${merchant.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${merchant.serial}"`;
}

/** The five fields of an Authorization header (any order), or null when it is not one. */
export function parseAuthorization(header: string | undefined): AuthorizationFields | null {
  if (!header?.startsWith(`${AUTHORIZATION_SCHEMA} `)) return null;
  const fields: Record<string, string> = {};
  for (const m of header.slice(AUTHORIZATION_SCHEMA.length + 1).matchAll(/([a-z_]+)="([^"]*)"/g))
    fields[m[1]!] = m[2]!;
  const { mchid, nonce_str, signature, timestamp, serial_no } = fields;
  if (!mchid || !nonce_str || !signature || !timestamp || !serial_no) return null;
  return { mchid, nonce_str, signature, timestamp, serial_no };
}

export type SignatureCheck =
  | { ok: true }
  | {
      ok: false;
      reason: 'missing-headers' | 'unknown-serial' | 'stale-timestamp' | 'bad-signature';
      message: string;
    };

const staleProblem = (timestamp: string, nowMs: number): string | null => {
  if (!/^\d{1,12}$/.test(timestamp)) return 'The timestamp is not a number of seconds.';
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  return skew > WECHATPAY_MAX_SKEW_S
    ? `The timestamp is ${Math.round(skew)} s from the clock (at most ${WECHATPAY_MAX_SKEW_S} s).`
    : null;
};

/** Headers by lower-case name (Node's IncomingHttpHeaders already are; fetch Headers are turned into this). */
export type HeaderBag = Record<string, string | string[] | undefined>;
const header = (h: HeaderBag, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Check a platform-signed message (a response or a notification) on its exact body bytes: the serial must name
 * the platform key we hold, the timestamp be within WECHATPAY_MAX_SKEW_S, the signature verify.
 */
export function checkPlatformSignature(
  headers: HeaderBag,
  body: Buffer | string,
  platform: VerifyingKey,
  nowMs: number,
): SignatureCheck {
  const timestamp = header(headers, 'wechatpay-timestamp');
  const nonce = header(headers, 'wechatpay-nonce');
  const serial = header(headers, 'wechatpay-serial');
  const signature = header(headers, 'wechatpay-signature');
  if (!timestamp || !nonce || !serial || !signature)
    return {
      ok: false,
      reason: 'missing-headers',
      message: 'Wechatpay-Timestamp, -Nonce, -Serial and -Signature are required.',
    };
  if (serial !== platform.serial)
    return {
      ok: false,
      reason: 'unknown-serial',
      message: `Wechatpay-Serial ${serial} is not the platform key configured here.`,
    };
  const stale = staleProblem(timestamp, nowMs);
  if (stale) return { ok: false, reason: 'stale-timestamp', message: stale };
  if (!rsaVerify(platform.publicKey, responseMessage(timestamp, nonce, body), signature))
    return { ok: false, reason: 'bad-signature', message: 'Wechatpay-Signature does not verify.' };
  return { ok: true };
}

/** The Wechatpay-* headers the platform puts on a response or notification with this body. */
export function platformSignatureHeaders(
  platform: SigningKey,
  body: Buffer | string,
  nowMs: number,
  nonce = newNonce(),
): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'wechatpay-timestamp': timestamp,
    'wechatpay-nonce': nonce,
    'wechatpay-serial': platform.serial,
    'wechatpay-signature': rsaSign(platform.privateKey, responseMessage(timestamp, nonce, body)),
  };
}

export type AuthorizationCheck = { ok: true; fields: AuthorizationFields } | { ok: false; message: string };

/** The provider's side of a merchant request: mchid and serial known, timestamp fresh, signature good. */
export function checkAuthorization(
  authorization: string | undefined,
  req: { method: string; url: string; body: Buffer | string },
  merchant: VerifyingKey & { mchid: string },
  nowMs: number,
): AuthorizationCheck {
  const f = parseAuthorization(authorization);
  if (!f)
    return {
      ok: false,
      message: `The Authorization header is not ${AUTHORIZATION_SCHEMA} with its five fields.`,
    };
  if (f.mchid !== merchant.mchid) return { ok: false, message: `Unknown merchant ${f.mchid}.` };
  if (f.serial_no !== merchant.serial)
    return { ok: false, message: `serial_no ${f.serial_no} is not the merchant's API certificate.` };
  const stale = staleProblem(f.timestamp, nowMs);
  if (stale) return { ok: false, message: stale };
  const message = requestMessage(req.method, req.url, f.timestamp, f.nonce_str, req.body);
  if (!rsaVerify(merchant.publicKey, message, f.signature))
    return { ok: false, message: 'The request signature does not verify against the merchant key.' };
  return { ok: true, fields: f };
}
