// The load's sending side, kept lean so the generator is not the bottleneck: authenticates requests with the
// contract's own code (the sync agent's) and POSTs JSON over keep-alive sockets (`HttpConnections`), timing each
// request from its write to the answer's last byte. Two kinds of request, as a kiosk sends them: one signed with
// the appliance key (`signRequest`, ECDSA: the session's opening) and the rest MACed in the kiosk's request
// session (`macRequestHeaders`: heartbeats, events). A request can be built ahead (`prepare…`) and sent later
// (`send`): a step MACs its heartbeats before its measured window, dated when they will be sent, so the two cores
// measure central and PostgreSQL rather than the simulated kiosks (each real kiosk works on its own machine).
// The CentralClient's fetch and answer schema check cost several times this per request; the kiosks still enrol
// through the CentralClient.
import { macRequestHeaders, type RequestSession } from '../../contract/request-sessions.js';
import { type EcdsaSigner, signRequest } from '../../contract/request-signing.js';
import { encodeRequest, type HttpAnswer, HttpConnections } from './http-connections.js';

export type PostResult = HttpAnswer;

/** A request's bytes, authenticated, ready to send. */
export interface PreparedPost {
  bytes: Buffer;
}

export class SignedPoster {
  private readonly connections: HttpConnections;

  constructor(baseUrl: string, timeoutMs = 10_000) {
    this.connections = new HttpConnections(new URL(baseUrl).origin, timeoutMs);
  }

  /** Sign `body` with the appliance key as `applianceId`, dated `now` (default: this moment), without sending it. */
  async prepareSigned(
    applianceId: string,
    signer: EcdsaSigner,
    path: string,
    body: unknown,
    now?: number,
  ): Promise<PreparedPost> {
    const payload = JSON.stringify(body);
    const headers = await signRequest(
      { applianceId, method: 'POST', path, body: payload },
      signer,
      now === undefined ? {} : { now },
    );
    return { bytes: encodeRequest(this.connections.authority, path, headers, payload) };
  }

  /** MAC `body` in `session`, dated `now` (default: this moment), without sending it. */
  prepareInSession(session: RequestSession, path: string, body: unknown, now?: number): PreparedPost {
    const payload = JSON.stringify(body);
    const headers = macRequestHeaders(
      { method: 'POST', path, body: payload },
      session,
      now === undefined ? {} : { now },
    );
    return { bytes: encodeRequest(this.connections.authority, path, headers, payload) };
  }

  /** Send a prepared request; rejects only when no answer came (refused, reset, timeout). */
  send(prepared: PreparedPost): Promise<PostResult> {
    return this.connections.request(prepared.bytes);
  }

  /** Sign and POST `body` as `applianceId` now (a session's opening). */
  async postSigned(
    applianceId: string,
    signer: EcdsaSigner,
    path: string,
    body: unknown,
  ): Promise<PostResult> {
    return this.send(await this.prepareSigned(applianceId, signer, path, body));
  }

  /** MAC and POST `body` in `session` now. */
  postInSession(session: RequestSession, path: string, body: unknown): Promise<PostResult> {
    return this.send(this.prepareInSession(session, path, body));
  }

  close(): void {
    this.connections.close();
  }
}

/** A failed request's kind for the error tally: HTTP status and central's code, or the transport error. */
export function failureKind(r: PostResult | Error): string {
  if (r instanceof Error) return (r as NodeJS.ErrnoException).code ?? r.message;
  let code = '';
  try {
    code = (JSON.parse(r.body) as { code?: string }).code ?? '';
  } catch {}
  return `HTTP ${r.status}${code ? ` ${code}` : ''}`;
}
