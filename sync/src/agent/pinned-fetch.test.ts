// Attack: a man in the middle with a certificate from another CA (one the operating system might trust) is not
// central. The client pinned to central's CA talks only to a server whose certificate chains to that CA.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeySigner } from '../contract/request-signing.js';
import { CentralClient } from './central-client.js';

let dir: string;
let server: Server;
let url: string;
let centralCa: string;
let otherCa: string;

/** A CA, and a server certificate for 127.0.0.1 signed by it (openssl). */
function makeCa(name: string): { caPem: string; keyPath: string; certPath: string } {
  const ca = join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${ca}.key`,
    '-subj',
    `/CN=${name}`,
    '-days',
    '2',
    '-out',
    `${ca}.pem`,
  ]);
  run([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${ca}-srv.key`,
    '-subj',
    '/CN=127.0.0.1',
    '-out',
    `${ca}-srv.csr`,
  ]);
  const ext = join(dir, `${name}.ext`);
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1\\n' > ${ext}`]);
  run([
    'x509',
    '-req',
    '-in',
    `${ca}-srv.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    `${ca}-srv.pem`,
  ]);
  return { caPem: readFileSync(`${ca}.pem`, 'utf8'), keyPath: `${ca}-srv.key`, certPath: `${ca}-srv.pem` };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ck-pin-'));
  const central = makeCa('central-tls-ca');
  centralCa = central.caPem;
  otherCa = makeCa('some-other-ca').caPem;
  server = createServer(
    { key: readFileSync(central.keyPath), cert: readFileSync(central.certPath) },
    (_req, res) => {
      // An order's state, as central answers GET /v1/orders/:id.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'ORD-1',
          status: 'approved',
          delivery: 'kiosk',
          certificateType: 'natural-person',
          hall: 'SZ-FUTIAN',
          updatedAt: new Date().toISOString(),
        }),
      );
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const signer = createKeySigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
const clientPinnedTo = (caPem: string) =>
  // Signed requests: the server answers every request with an order (it opens no request session).
  new CentralClient({
    baseUrl: url,
    applianceId: 'KIOSK-PIN-01',
    signer,
    caPem,
    timeoutMs: 5000,
    sessions: false,
  });

describe("central's CA pinned", () => {
  it('the client pinned to central’s CA reaches central over TLS', async () => {
    expect(await clientPinnedTo(centralCa).getOrder('ORD-1')).toMatchObject({
      id: 'ORD-1',
      status: 'approved',
    });
  });

  it('a server whose certificate chains to another CA is refused (CENTRAL_UNAVAILABLE), nothing is sent on', async () => {
    await expect(clientPinnedTo(otherCa).getOrder('ORD-1')).rejects.toMatchObject({
      code: 'CENTRAL_UNAVAILABLE',
    });
  });
});
