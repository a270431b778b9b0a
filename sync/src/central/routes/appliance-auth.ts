// Signed-request authentication for appliance endpoints: 401 for unsigned, badly signed, stale, replayed,
// unknown or unapproved. Runs before body validation so an unsigned request never learns about the schema.
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  readSignatureHeaders,
  SIGNATURE_MAX_SKEW_MS,
  verifyRequestSignature,
} from '../../contract/request-signing.js';
import type { ApplianceRow } from '../appliances.js';
import type { CentralContext } from '../context.js';
import { CentralError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    appliance?: ApplianceRow;
  }
}

/** Check a request signed with `publicKeyPem` and claim its nonce; throws a 401 CentralError. */
export async function checkSignedRequest(
  ctx: CentralContext,
  req: FastifyRequest,
  publicKeyPem: string,
): Promise<string> {
  const check = verifyRequestSignature({
    method: req.method,
    path: req.url,
    headers: req.headers,
    body: req.rawBody,
    publicKeyPem,
    now: ctx.now(),
  });
  if (!check.ok) {
    if (check.reason === 'missing-headers') throw new CentralError('AUTH_UNSIGNED');
    if (check.reason === 'stale-timestamp') throw new CentralError('AUTH_STALE_TIMESTAMP');
    throw new CentralError('AUTH_BAD_SIGNATURE', check.message);
  }
  if (
    !(await ctx.appliances.claimNonce(check.applianceId, check.nonce, ctx.now() + 2 * SIGNATURE_MAX_SKEW_MS))
  ) {
    throw new CentralError('AUTH_REPLAYED');
  }
  return check.applianceId;
}

export function applianceAuth(ctx: CentralContext) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const h = readSignatureHeaders(req.headers);
    if (!h) throw new CentralError('AUTH_UNSIGNED');
    const row = await ctx.appliances.rowOfRequest(h.applianceId);
    if (!row || row.status === 'revoked') throw new CentralError('AUTH_UNKNOWN_APPLIANCE');
    await checkSignedRequest(ctx, req, row.public_key_pem);
    if (row.status !== 'approved') throw new CentralError('AUTH_APPLIANCE_NOT_APPROVED');
    req.appliance = row;
  };
}
