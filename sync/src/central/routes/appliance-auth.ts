// Signed-request authentication for appliance endpoints: 401 for unsigned, badly signed, stale, replayed,
// unknown or unapproved. Runs before body validation so an unsigned request never learns about the schema.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { spkiSha256 } from '../../contract/public-keys.js';
import { SESSION_OPEN_PATH, sessionTicketOf, verifyRequestMac } from '../../contract/request-sessions.js';
import {
  readSignatureHeaders,
  SIGNATURE_MAX_SKEW_MS,
  type SignatureCheck,
  verifyRequestSignature,
} from '../../contract/request-signing.js';
import type { KnownKey, RequestAppliance } from '../appliances.js';
import type { CentralContext } from '../context.js';
import { CentralError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    appliance?: RequestAppliance;
  }
}

/** A nonce is kept until its request could no longer pass the timestamp check. */
const nonceKeptUntil = (now: number) => now + 2 * SIGNATURE_MAX_SKEW_MS;

/** The request's signature headers, timestamp and signature checked with `publicKeyPem` at `now`. */
function signatureOf(req: FastifyRequest, publicKeyPem: string, now: number): Promise<SignatureCheck> {
  return verifyRequestSignature({
    method: req.method,
    path: req.url,
    headers: req.headers,
    body: req.rawBody,
    publicKeyPem,
    now,
  });
}

/** The 401 of a failed signature or MAC check. */
function throwFor(check: Extract<SignatureCheck, { ok: false }>): never {
  if (check.reason === 'missing-headers') throw new CentralError('AUTH_UNSIGNED');
  if (check.reason === 'stale-timestamp') throw new CentralError('AUTH_STALE_TIMESTAMP');
  throw new CentralError('AUTH_BAD_SIGNATURE', check.message);
}

/** Check a request signed with `publicKeyPem` and claim its nonce; throws a 401 CentralError. */
export async function checkSignedRequest(
  ctx: CentralContext,
  req: FastifyRequest,
  publicKeyPem: string,
): Promise<string> {
  const check = await signatureOf(req, publicKeyPem, ctx.now());
  if (!check.ok) throwFor(check);
  if (!(await ctx.appliances.claimNonce(check.applianceId, check.nonce, nonceKeptUntil(ctx.now())))) {
    throw new CentralError('AUTH_REPLAYED');
  }
  return check.applianceId;
}

/**
 * A request of an appliance whose key this process remembers (PostgreSQL): its signature checked with that key,
 * then its nonce claimed in the same statement that checks the key is still the approved appliance's and reads
 * its row. Null when that does not settle it (the signature does not verify with the remembered key, or the
 * appliance was revoked, re-keyed or suspended since, maybe by another central process): the key is forgotten
 * and the request authenticated from a fresh read, with nothing claimed yet.
 */
async function authenticateByKnownKey(
  ctx: CentralContext,
  req: FastifyRequest,
  applianceId: string,
  known: KnownKey,
): Promise<RequestAppliance | null> {
  const now = ctx.now();
  const check = await signatureOf(req, known.publicKeyPem, now);
  if (check.ok && check.applianceId === applianceId) {
    const claim = await known.claim(check.nonce, nonceKeptUntil(now));
    if (claim === 'replayed') throw new CentralError('AUTH_REPLAYED');
    if (claim !== 'changed') return claim.row;
  }
  ctx.appliances.forgetKey(applianceId);
  return null;
}

/**
 * A request in a session (contract/request-sessions.ts): its ticket opened, its MAC checked with the ticket's key,
 * then, as for a signed request, the appliance still approved with the key that opened the session (a revoked,
 * suspended or re-keyed appliance's sessions end with it) and the nonce claimed.
 */
async function authenticateBySession(
  ctx: CentralContext,
  req: FastifyRequest,
  ticket: string,
): Promise<RequestAppliance> {
  if (req.routeOptions.url === SESSION_OPEN_PATH) throw new CentralError('AUTH_SESSION_NEEDS_SIGNATURE');
  const now = ctx.now();
  const session = ctx.sessionTickets.open(ticket);
  const check = session
    ? verifyRequestMac({
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: req.rawBody,
        key: session.key,
        now,
      })
    : undefined;
  if (check && !check.ok) throwFor(check);
  if (!session || !check?.ok || check.applianceId !== session.applianceId)
    throw new CentralError('AUTH_SESSION_INVALID');
  if (session.expiresAtMs <= now) throw new CentralError('AUTH_SESSION_EXPIRED');
  const id = session.applianceId;
  const opener = (pem: string) => spkiSha256(pem) === session.applianceKeySha256;
  const known = ctx.appliances.knownKey(id);
  if (known && opener(known.publicKeyPem)) {
    const claim = await known.claim(check.nonce, nonceKeptUntil(now));
    if (claim === 'replayed') throw new CentralError('AUTH_REPLAYED');
    if (claim !== 'changed') return claim.row;
    ctx.appliances.forgetKey(id);
  }
  const row = await ctx.appliances.rowOfRequest(id);
  if (!row || row.status === 'revoked') throw new CentralError('AUTH_UNKNOWN_APPLIANCE');
  if (!opener(row.public_key_pem)) throw new CentralError('AUTH_SESSION_INVALID');
  if (row.status !== 'approved') throw new CentralError('AUTH_APPLIANCE_NOT_APPROVED');
  if (!(await ctx.appliances.claimNonce(id, check.nonce, nonceKeptUntil(now))))
    throw new CentralError('AUTH_REPLAYED');
  ctx.appliances.rememberKey(row);
  return row;
}

export function applianceAuth(ctx: CentralContext) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const ticket = sessionTicketOf(req.headers);
    if (ticket !== undefined) {
      req.appliance = await authenticateBySession(ctx, req, ticket);
      return;
    }
    const h = readSignatureHeaders(req.headers);
    if (!h) throw new CentralError('AUTH_UNSIGNED');
    const known = ctx.appliances.knownKey(h.applianceId);
    const byKnownKey =
      known === undefined ? null : await authenticateByKnownKey(ctx, req, h.applianceId, known);
    if (byKnownKey) {
      req.appliance = byKnownKey;
      return;
    }
    const row = await ctx.appliances.rowOfRequest(h.applianceId);
    if (!row || row.status === 'revoked') throw new CentralError('AUTH_UNKNOWN_APPLIANCE');
    await checkSignedRequest(ctx, req, row.public_key_pem);
    if (row.status !== 'approved') throw new CentralError('AUTH_APPLIANCE_NOT_APPROVED');
    ctx.appliances.rememberKey(row);
    req.appliance = row;
  };
}
