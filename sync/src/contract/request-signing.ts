// How an appliance signs each request to central: ECDSA P-256 over a canonical string, so the key can stay
// on a PKCS#11 token (the signer is an async callback; nothing here needs the private key itself).
import { createHash, createPrivateKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { publicKeyObject } from './public-keys.js';

export const SIGNATURE_HEADERS = {
  appliance: 'x-certkiosk-appliance',
  timestamp: 'x-certkiosk-timestamp',
  nonce: 'x-certkiosk-nonce',
  signature: 'x-certkiosk-signature',
} as const;

/** Requests whose timestamp is further than this from the server clock are refused (and nonces are kept this long). */
export const SIGNATURE_MAX_SKEW_MS = 5 * 60_000;

/** Signs bytes with ECDSA P-256 / SHA-256 and returns the DER signature (a token, or a software key). */
export type EcdsaSigner = (data: Buffer) => Promise<Buffer>;

export interface CanonicalRequestParts {
  method: string;
  /** Path with query string, exactly as sent (e.g. `/v1/changes?cursor=4`). */
  path: string;
  /** Milliseconds since the Unix epoch, as a decimal string. */
  timestamp: string;
  nonce: string;
  body?: Buffer | string | undefined;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The exact bytes that are signed: version tag, method, path, timestamp, nonce, body SHA-256, one per line. */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  return [
    'CERTKIOSK-REQUEST-V1',
    parts.method.toUpperCase(),
    parts.path,
    parts.timestamp,
    parts.nonce,
    sha256Hex(parts.body ?? ''),
  ].join('\n');
}

export interface RequestToSign {
  applianceId: string;
  method: string;
  path: string;
  body?: Buffer | string | undefined;
}

/** Produce the four signature headers for a request. */
export async function signRequest(
  req: RequestToSign,
  signer: EcdsaSigner,
  opts: { now?: number; nonce?: string } = {},
): Promise<Record<string, string>> {
  const timestamp = String(opts.now ?? Date.now());
  const nonce = opts.nonce ?? randomBytes(16).toString('base64url');
  const data = Buffer.from(canonicalRequest({ ...req, timestamp, nonce }), 'utf8');
  const signature = await signer(data);
  return {
    [SIGNATURE_HEADERS.appliance]: req.applianceId,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: signature.toString('base64'),
  };
}

/** A signer over a software key (tests, tools); the appliance passes a PKCS#11-backed signer instead. */
export function createKeySigner(privateKey: KeyObject | string): EcdsaSigner {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return async (data) => sign('sha256', data, { key, dsaEncoding: 'der' });
}

/** PKCS#11 CKM_ECDSA returns r‖s; the contract wants DER. Converts a raw P-256 signature (64 bytes). */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  if (raw.length % 2 !== 0) throw new Error('A raw ECDSA signature must have an even length (r‖s).');
  const half = raw.length / 2;
  const integer = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([integer(raw.subarray(0, half)), integer(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

export interface SignatureHeaders {
  applianceId: string;
  timestamp: string;
  nonce: string;
  /** The request's proof: its ECDSA signature, or in a session its MAC (request-sessions.ts). */
  signature: string;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The signature headers (the proof from `proofHeader`: the signature, or a session's MAC), or null when any is missing. */
export function readSignatureHeaders(
  headers: HeaderBag,
  proofHeader: string = SIGNATURE_HEADERS.signature,
): SignatureHeaders | null {
  const applianceId = header(headers, SIGNATURE_HEADERS.appliance);
  const timestamp = header(headers, SIGNATURE_HEADERS.timestamp);
  const nonce = header(headers, SIGNATURE_HEADERS.nonce);
  const signature = header(headers, proofHeader);
  if (!applianceId || !timestamp || !nonce || !signature) return null;
  return { applianceId, timestamp, nonce, signature };
}

export type SignatureCheck =
  | { ok: true; applianceId: string; nonce: string; timestamp: number }
  | {
      ok: false;
      reason: 'missing-headers' | 'bad-timestamp' | 'stale-timestamp' | 'bad-nonce' | 'bad-signature';
      message: string;
    };

export interface VerifyRequestInput {
  method: string;
  path: string;
  headers: HeaderBag;
  body?: Buffer | string | undefined;
  /** The appliance's enrolled public key (SPKI PEM, EC P-256). */
  publicKeyPem: string | KeyObject;
  now?: number;
  maxSkewMs?: number;
}

/**
 * Checks headers, timestamp freshness and the signature. Nonce replay needs state, so the server checks it.
 * The ECDSA check itself runs in libuv's thread pool (`crypto.verify` with a callback): it is the largest single
 * cost of a signed request (about 120 µs), and off the event loop a central keeps reading, routing and answering
 * other requests while it runs, on the machine's other core.
 */
export async function verifyRequestSignature(input: VerifyRequestInput): Promise<SignatureCheck> {
  const fresh = checkRequestHeaders(input);
  if (!fresh.ok) return fresh;
  const good = await verifiesOffLoop(
    Buffer.from(canonicalRequestOf(input, fresh.headers), 'utf8'),
    input.publicKeyPem,
    Buffer.from(fresh.headers.signature, 'base64'),
  );
  if (!good) return { ok: false, reason: 'bad-signature', message: 'The request signature does not verify.' };
  return {
    ok: true,
    applianceId: fresh.headers.applianceId,
    nonce: fresh.headers.nonce,
    timestamp: fresh.timestamp,
  };
}

/** What every authenticated request is checked for before its signature or MAC: headers, timestamp, nonce. */
export function checkRequestHeaders(
  input: { headers: HeaderBag; now?: number | undefined; maxSkewMs?: number | undefined },
  proofHeader: string = SIGNATURE_HEADERS.signature,
): { ok: true; headers: SignatureHeaders; timestamp: number } | Extract<SignatureCheck, { ok: false }> {
  const h = readSignatureHeaders(input.headers, proofHeader);
  if (!h) {
    return {
      ok: false,
      reason: 'missing-headers',
      message: 'The request is not signed (signature headers missing).',
    };
  }
  if (!/^\d{1,16}$/.test(h.timestamp)) {
    return {
      ok: false,
      reason: 'bad-timestamp',
      message: 'The timestamp header must be milliseconds since 1970.',
    };
  }
  const ts = Number(h.timestamp);
  const now = input.now ?? Date.now();
  if (Math.abs(now - ts) > (input.maxSkewMs ?? SIGNATURE_MAX_SKEW_MS)) {
    return {
      ok: false,
      reason: 'stale-timestamp',
      message: 'The request timestamp is too far from the server clock; check the kiosk clock.',
    };
  }
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(h.nonce)) {
    return { ok: false, reason: 'bad-nonce', message: 'The nonce must be 16–64 base64url characters.' };
  }
  return { ok: true, headers: h, timestamp: ts };
}

/** The canonical request text of a received request, from its checked headers. */
export function canonicalRequestOf(
  req: { method: string; path: string; body?: Buffer | string | undefined },
  h: Pick<SignatureHeaders, 'timestamp' | 'nonce'>,
): string {
  return canonicalRequest({
    method: req.method,
    path: req.path,
    timestamp: h.timestamp,
    nonce: h.nonce,
    body: req.body,
  });
}

/** ECDSA P-256 / SHA-256 check of a DER signature in the thread pool; false for a key or signature that is no such thing. */
function verifiesOffLoop(data: Buffer, publicKey: string | KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const key = publicKeyObject(publicKey);
      verify('sha256', data, { key, dsaEncoding: 'der' }, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}
