// The simulated kiosks' request sessions, as the agent keeps them: a kiosk opens one with a POST /v1/session
// signed by its appliance key (the one ECDSA request it sends), then MACs every request in it; it opens the next
// before sending once its session is within SESSION_RENEW_BEFORE_MS of expiry. A session central refuses
// (AUTH_SESSION_INVALID / _EXPIRED) is an error of the request that carried it, not retried.
import { Value } from '@sinclair/typebox/value';
import {
  newSessionOffer,
  type RequestSession,
  SESSION_OPEN_PATH,
  SESSION_RENEW_BEFORE_MS,
  SessionOpenResponseSchema,
} from '../../contract/request-sessions.js';
import { eachLimited, type SimKiosk } from './kiosks.js';
import { failureKind, type SignedPoster } from './signed-poster.js';

/** True when a kiosk must open a session before sending at `now`: it has none, or it is near its expiry. */
export function sessionDue(session: RequestSession | undefined, now: number): boolean {
  return session === undefined || now >= session.expiresAtMs - SESSION_RENEW_BEFORE_MS;
}

/** Open a session for `k` (a signed POST /v1/session); throws, named by central's code, when it is refused. */
export async function openSession(k: SimKiosk, poster: SignedPoster): Promise<RequestSession> {
  const offer = newSessionOffer(k.id);
  const r = await poster.postSigned(k.id, k.signer, SESSION_OPEN_PATH, offer.body);
  if (r.status < 200 || r.status >= 300) throw new Error(`session opening: ${failureKind(r)}`);
  const answer: unknown = JSON.parse(r.body);
  if (!Value.Check(SessionOpenResponseSchema, answer))
    throw new Error(`session opening: an answer not of the contract: ${r.body.slice(0, 200)}`);
  k.session = offer.finish(answer);
  k.sessionsOpened++;
  return k.session;
}

/** The session `k` sends in at `now`, opening one first when it has none or it is near expiry (one at a time). */
export function sessionFor(k: SimKiosk, poster: SignedPoster, now = Date.now()): Promise<RequestSession> {
  if (!sessionDue(k.session, now)) return Promise.resolve(k.session!);
  k.opening ??= openSession(k, poster).finally(() => {
    k.opening = undefined;
  });
  return k.opening;
}

/** Each kiosk opens its session, `concurrency` at a time (setup after enrolment); the first failure rejects. */
export async function openSessions(
  kiosks: SimKiosk[],
  posters: readonly SignedPoster[],
  concurrency = 32,
): Promise<void> {
  await eachLimited(kiosks, concurrency, async (k) => {
    await openSession(k, posters[k.central]!);
  });
}
