// Test support: the real central service on 127.0.0.1 (temp data dir, auto-approved appliances — allowed on
// loopback only, and then no enrolment code is needed), restartable on the same port with the same data, plus
// an enrolled CentralClient with a software key. Not exported.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildCentral } from '../central/app.js';
import { createKeySigner } from '../contract/request-signing.js';
import { CentralClient, type CentralClientOptions } from './central-client.js';
import { CentralClientError } from './errors.js';

export const LOOPBACK_ADMIN_TOKEN = 'loopback-admin';
export const LOOPBACK_HALL = 'SZ-FUTIAN';

export interface LoopbackCentral {
  url: string;
  port: number;
  dataDir: string;
  app: FastifyInstance;
  /** Stop answering (connections refused) without losing data. */
  stop(): Promise<void>;
  /** Start again on the same port with the same data directory. */
  restart(): Promise<void>;
  admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown>;
  /** An enrolled appliance's client: auto-approve on loopback, so it enrols without an enrolment code. */
  newClient(applianceId: string, opts?: Partial<CentralClientOptions>): Promise<CentralClient>;
  close(): Promise<void>;
}

export async function startLoopbackCentral(): Promise<LoopbackCentral> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ck-loopback-central-'));
  const build = () =>
    buildCentral({ dataDir, adminToken: LOOPBACK_ADMIN_TOKEN, autoApproveAppliances: true });
  let app = await build();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  let running = true;
  const url = `http://127.0.0.1:${port}`;
  const lc: LoopbackCentral = {
    url,
    port,
    dataDir,
    get app() {
      return app;
    },
    async stop() {
      if (!running) return;
      running = false;
      await app.close();
    },
    async restart() {
      if (running) return;
      app = await build();
      await app.listen({ port, host: '127.0.0.1' });
      running = true;
    },
    async admin(method, path, body) {
      const res = await fetch(`${url}/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${LOOPBACK_ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (res.status >= 300) throw new Error(`admin ${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    async newClient(applianceId, opts = {}) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const client = new CentralClient({
        baseUrl: url,
        applianceId,
        signer: createKeySigner(privateKey),
        timeoutMs: 5_000,
        ...opts,
      });
      await client.enrol({
        applianceId,
        hall: LOOPBACK_HALL,
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      return client;
    },
    async close() {
      await lc.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return lc;
}

/** A valid contract event. */
export function testEvent(id: string, orderId?: string, payload: Record<string, unknown> = {}) {
  return {
    id,
    type: 'receipt.printed',
    occurredAt: new Date().toISOString(),
    ...(orderId ? { orderId } : {}),
    payload,
  };
}

/** The CentralClientError a call is refused with; throws when the call succeeds or fails with anything else. */
export async function refusalOf(call: Promise<unknown>): Promise<CentralClientError> {
  const outcome = await call.then(
    (value: unknown) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if ('error' in outcome && outcome.error instanceof CentralClientError) return outcome.error;
  throw new Error(
    `expected a CentralClientError, got ${'error' in outcome ? String(outcome.error) : 'success'}`,
  );
}
