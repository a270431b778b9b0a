// The load's sending side, kept lean so the generator is not the bottleneck: signs with the contract's
// signRequest (the sync agent's own signing code) and POSTs JSON over keep-alive node:http(s) agents, timing
// each request from its start (after signing) to the answer's last byte. The CentralClient's fetch and answer
// schema check cost several times this per request; the kiosks still enrol through the CentralClient.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type EcdsaSigner, signRequest } from '../../contract/request-signing.js';

export interface PostResult {
  status: number;
  /** Request start (signed) to the answer's last byte. */
  ms: number;
  body: string;
}

export class SignedPoster {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.url = new URL(baseUrl);
    const https = this.url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.send = https ? httpsRequest : httpRequest;
  }

  /** Sign and POST `body` as `applianceId`; rejects only when no answer came (refused, reset, timeout). */
  async post(applianceId: string, signer: EcdsaSigner, path: string, body: unknown): Promise<PostResult> {
    const payload = JSON.stringify(body);
    const headers = await signRequest({ applianceId, method: 'POST', path, body: payload }, signer);
    const t0 = performance.now();
    return new Promise<PostResult>((resolve, reject) => {
      const req = this.send(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: {
            ...headers,
            accept: 'application/json',
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              ms: performance.now() - t0,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
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
