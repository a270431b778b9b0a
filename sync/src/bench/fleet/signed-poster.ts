// The load's sending side, kept lean so the generator is not the bottleneck: signs with the contract's
// signRequest (the sync agent's own signing code) and POSTs JSON over an undici Pool (keep-alive connections,
// one request at a time on each), timing each request from its start (after signing) to the answer's last byte.
// The CentralClient's fetch and answer schema check cost several times this per request; the kiosks still enrol
// through the CentralClient. undici's request() rather than node:http's: measured in a profile of the generator at
// 1,000 heartbeats/s, node:http's client (agent, ClientRequest, header checks, socket listeners) was about half of
// the generator's CPU — CPU that the load then took from central and PostgreSQL on the same two cores.
import { Pool } from 'undici';
import { type EcdsaSigner, signRequest } from '../../contract/request-signing.js';

export interface PostResult {
  status: number;
  /** Request start (signed) to the answer's last byte. */
  ms: number;
  body: string;
}

export class SignedPoster {
  private readonly pool: Pool;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.pool = new Pool(new URL(baseUrl).origin, { pipelining: 1 });
  }

  /** Sign and POST `body` as `applianceId`; rejects only when no answer came (refused, reset, timeout). */
  async post(applianceId: string, signer: EcdsaSigner, path: string, body: unknown): Promise<PostResult> {
    const payload = JSON.stringify(body);
    const headers = await signRequest({ applianceId, method: 'POST', path, body: payload }, signer);
    const t0 = performance.now();
    const res = await this.pool.request({
      path,
      method: 'POST',
      headers: { ...headers, accept: 'application/json', 'content-type': 'application/json' },
      body: payload,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const answer = await res.body.text();
    return { status: res.statusCode, ms: performance.now() - t0, body: answer };
  }

  close(): void {
    void this.pool.destroy();
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
