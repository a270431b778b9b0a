// Request sessions: a kiosk's steady requests (heartbeats, events, change feed …) authenticated by a MAC under a
// session key instead of an ECDSA signature each. At fleet scale the signature check is central's largest single
// cost (about 120 µs of CPU a request, against a few µs for an HMAC).
//
// A session is opened by one request signed with the appliance key on its token (POST /v1/session), carrying an
// ephemeral P-256 ECDH public key; central answers with its own ephemeral public key and an opaque ticket. Both
// sides derive the session key (HKDF-SHA256 over the ECDH secret, bound to both public keys). The kiosk holds it
// in memory only, as it holds the keys it derives from its token's HMAC secret (appliance-key.ts): never on disk,
// gone at restart, and it expires with the ticket. Central keeps no session state: the ticket (session-tickets.ts)
// carries the key, sealed under a key the central processes share. Each later request carries the ticket and
// HMAC-SHA256(session key, canonical request); timestamp and nonce are checked as for a signed request, and
// central checks on every request that the appliance is still approved with the key that opened the session.
// A session cannot open another session: that takes the token's signature again.
import {
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import {
  canonicalRequest,
  canonicalRequestOf,
  checkRequestHeaders,
  type HeaderBag,
  SIGNATURE_HEADERS,
  type SignatureCheck,
} from './request-signing.js';

export const SESSION_HEADERS = {
  /** The ticket central answered the session's opening with (opaque to the kiosk). */
  ticket: 'x-certkiosk-session',
  /** base64 HMAC-SHA256 of the canonical request under the session key. */
  mac: 'x-certkiosk-mac',
} as const;

/** Opening a session: an ECDSA-signed POST (never a session's MAC). */
export const SESSION_OPEN_PATH = '/v1/session';
/** How long a session lasts; the kiosk then opens another with its token. */
export const SESSION_LIFETIME_MS = 60 * 60_000;
/** A kiosk opens its next session this long before the current one expires (clock skew, requests in flight). */
export const SESSION_RENEW_BEFORE_MS = 5 * 60_000;

const HKDF_INFO = 'certkiosk request session v1';

export const SessionOpenRequestSchema = Type.Object(
  {
    /** The kiosk's ephemeral ECDH public key: base64 SPKI DER, EC P-256. */
    ephemeralPublicKey: Type.String({ minLength: 40, maxLength: 400, pattern: '^[A-Za-z0-9+/]+=*$' }),
  },
  { additionalProperties: false },
);
export const SessionOpenResponseSchema = Type.Object(
  {
    ticket: Type.String({ minLength: 1, maxLength: 1024 }),
    /** Central's ephemeral ECDH public key: base64 SPKI DER, EC P-256. */
    centralPublicKey: Type.String({ minLength: 40, maxLength: 400 }),
    expiresAt: Type.String(),
  },
  { additionalProperties: false },
);

export type SessionOpenRequest = Static<typeof SessionOpenRequestSchema>;
export type SessionOpenResponse = Static<typeof SessionOpenResponseSchema>;

/** A kiosk's open session: what it MACs its requests with. */
export interface RequestSession {
  applianceId: string;
  ticket: string;
  key: Buffer;
  expiresAtMs: number;
}

/** An EC P-256 public key from base64 SPKI DER; throws for anything else. */
function p256PublicKey(spkiBase64: string): KeyObject {
  const key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new Error('The session key must be an EC P-256 public key.');
  return key;
}

function spkiBase64(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** The session key: HKDF-SHA256 of the ECDH secret, bound to both ephemeral public keys (kiosk's first). */
function sessionKeyOf(secret: Buffer, kioskPublic: string, centralPublic: string): Buffer {
  const info = Buffer.concat([
    Buffer.from(HKDF_INFO),
    Buffer.from(kioskPublic, 'base64'),
    Buffer.from(centralPublic, 'base64'),
  ]);
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
}

/**
 * Kiosk: a fresh ephemeral key pair to open a session with. `body` is the signed POST's body; `finish` turns
 * central's answer into the session (the private key is dropped with the offer).
 */
export function newSessionOffer(applianceId: string): {
  body: { ephemeralPublicKey: string };
  finish(answer: { ticket: string; centralPublicKey: string; expiresAt: string }): RequestSession;
} {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kioskPublic = spkiBase64(publicKey);
  return {
    body: { ephemeralPublicKey: kioskPublic },
    finish(answer) {
      const secret = diffieHellman({ privateKey, publicKey: p256PublicKey(answer.centralPublicKey) });
      const expiresAtMs = Date.parse(answer.expiresAt);
      if (!Number.isFinite(expiresAtMs)) throw new Error('The session answer has no valid expiresAt.');
      return {
        applianceId,
        ticket: answer.ticket,
        key: sessionKeyOf(secret, kioskPublic, answer.centralPublicKey),
        expiresAtMs,
      };
    },
  };
}

/**
 * Central: the session key and central's ephemeral public key for a kiosk's offer; null when the offer is not an
 * EC P-256 public key.
 */
export function acceptSessionOffer(kioskPublic: string): { key: Buffer; centralPublicKey: string } | null {
  let kioskKey: KeyObject;
  try {
    kioskKey = p256PublicKey(kioskPublic);
  } catch {
    return null;
  }
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const centralPublicKey = spkiBase64(publicKey);
  const secret = diffieHellman({ privateKey, publicKey: kioskKey });
  return { key: sessionKeyOf(secret, kioskPublic, centralPublicKey), centralPublicKey };
}

/** HMAC-SHA256 of a canonical request text under a session key. */
export function requestMac(key: Buffer, canonical: string): Buffer {
  return createHmac('sha256', key).update(canonical, 'utf8').digest();
}

/** The headers of a request in a session: appliance, timestamp, nonce, ticket and MAC (no ECDSA signature). */
export function macRequestHeaders(
  req: { method: string; path: string; body?: Buffer | string | undefined },
  session: RequestSession,
  opts: { now?: number; nonce?: string } = {},
): Record<string, string> {
  const timestamp = String(opts.now ?? Date.now());
  const nonce = opts.nonce ?? randomBytes(16).toString('base64url');
  const mac = requestMac(session.key, canonicalRequest({ ...req, timestamp, nonce }));
  return {
    [SIGNATURE_HEADERS.appliance]: session.applianceId,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SESSION_HEADERS.ticket]: session.ticket,
    [SESSION_HEADERS.mac]: mac.toString('base64'),
  };
}

/** The session ticket a request carries, or undefined (a signed request, or none). */
export function sessionTicketOf(headers: HeaderBag): string | undefined {
  const v = headers[SESSION_HEADERS.ticket];
  return Array.isArray(v) ? v[0] : v;
}

/** Central: a session request's headers, timestamp and MAC checked with the session key (the nonce is central's). */
export function verifyRequestMac(input: {
  method: string;
  path: string;
  headers: HeaderBag;
  body?: Buffer | string | undefined;
  key: Buffer;
  now?: number;
  maxSkewMs?: number;
}): SignatureCheck {
  const fresh = checkRequestHeaders(input, SESSION_HEADERS.mac);
  if (!fresh.ok) return fresh;
  const given = Buffer.from(fresh.headers.signature, 'base64');
  const expected = requestMac(input.key, canonicalRequestOf(input, fresh.headers));
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return {
      ok: false,
      reason: 'bad-signature',
      message: "The request MAC does not verify with its session's key.",
    };
  return {
    ok: true,
    applianceId: fresh.headers.applianceId,
    nonce: fresh.headers.nonce,
    timestamp: fresh.timestamp,
  };
}
