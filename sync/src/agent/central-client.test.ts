import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOD_KEY_EVIDENCE, NATURAL_PERSON, opensslCsr } from '../central/testing.js';
import { idNumberMatchHmac, personNameMatchHmac } from '../contract/identity.js';
import { createKeySigner, verifyRequestSignature } from '../contract/request-signing.js';
import { IDENTITY_MATCH_RULE, type IssueCertificateRequest, type Order } from '../contract/schemas.js';
import { CentralClient } from './central-client.js';
import { type LoopbackCentral, refusalOf, startLoopbackCentral, testEvent } from './loopback-central.js';

let central: LoopbackCentral;
let client: CentralClient;
let tmp: string;
beforeAll(async () => {
  central = await startLoopbackCentral();
  client = await central.newClient('KIOSK-CC-001');
  tmp = mkdtempSync(join(tmpdir(), 'ck-client-'));
});
afterAll(async () => {
  await central.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function approvedOrder(): Promise<{ order: Order; pickupCode: string }> {
  const order = (await central.admin('POST', '/orders', NATURAL_PERSON)) as Order;
  let pickupCode = '';
  for (const action of ['request-payment', 'pay-wechat', 'request-identity', 'verify-identity', 'approve']) {
    const r = (await central.admin('POST', `/orders/${order.id}/actions`, { action })) as {
      pickupCode?: string;
    };
    pickupCode = r.pickupCode ?? pickupCode;
  }
  return { order, pickupCode };
}

/**
 * What the kiosk sends to issue: it scans the pickup code (→ ApplianceOrder with the identity salt), matches
 * the ID card (the holder's, here) by HMAC, and signs the statement with its own key through the client.
 */
async function kioskIssueRequest(
  c: CentralClient,
  pickupCode: string,
  idempotencyKey: string,
  csrPem: string,
): Promise<IssueCertificateRequest> {
  const order = await c.checkPickupCode(pickupCode);
  const card = NATURAL_PERSON.holder!;
  const identityStatement = await c.signIdentityStatement({
    orderId: order.id,
    applianceId: c.applianceId,
    role: 'holder',
    cardIdHmac: idNumberMatchHmac(order.identitySalt, card.idNumber),
    cardNameHmac: personNameMatchHmac(order.identitySalt, card.name),
    matchRule: IDENTITY_MATCH_RULE,
    checkedAt: new Date().toISOString(),
  });
  return {
    orderId: order.id,
    idempotencyKey,
    pickupCode,
    csrPem,
    keyEvidence: GOOD_KEY_EVIDENCE,
    identityStatement,
  };
}

/** A one-route HTTP server answering whatever the test says. */
async function fakeServer(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const stopServer = (s: Server) =>
  new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

describe('CentralClient against the real central on loopback', () => {
  it('gets an order, issues a certificate idempotently and recovers it by idempotency key', async () => {
    const { order, pickupCode } = await approvedOrder();
    expect(await client.getOrder(order.id)).toMatchObject({ id: order.id, status: 'approved' });
    const csrPem = opensslCsr(tmp, 'ec', 'holder');
    const req = await kioskIssueRequest(client, pickupCode, `${order.id}:attempt-1`, csrPem);
    const cert = await client.issueCertificate(req);
    expect(cert.certificatePem).toContain('BEGIN CERTIFICATE');
    expect((await client.issueCertificate(req)).serialNumber).toBe(cert.serialNumber);
    expect((await client.getCertificateByIdempotencyKey(req.idempotencyKey))?.serialNumber).toBe(
      cert.serialNumber,
    );
    expect(await client.getCertificateByIdempotencyKey('never-used-key')).toBeNull();
  });

  it('checks a pickup code at scan time: the order when central would accept it, CENTRAL_REFUSED with central’s code when not', async () => {
    const { order, pickupCode } = await approvedOrder();
    expect(await client.checkPickupCode(pickupCode)).toMatchObject({ id: order.id, status: 'approved' });
    await central.admin('POST', `/orders/${order.id}/pickup-code`); // the phone shows a new code now
    const e = await refusalOf(client.checkPickupCode(pickupCode));
    expect(e).toMatchObject({ code: 'CENTRAL_REFUSED', status: 409, centralCode: 'PICKUP_CODE_SUPERSEDED' });
    expect(e.details.centralMessage).toBe('This pickup code was replaced by a newer one.');
  });

  it('voids its own issuance: the order is approved again, and the old idempotency key yields nothing to write', async () => {
    const { order, pickupCode } = await approvedOrder();
    const req = await kioskIssueRequest(
      client,
      pickupCode,
      `${order.id}:attempt-1`,
      opensslCsr(tmp, 'ec', 'void-holder'),
    );
    const cert = await client.issueCertificate(req);
    const voided = await client.voidCertificate(cert.serialNumber, {
      journeyId: 'journey-0001',
      reason: 'USB key pulled before the certificate was written',
    });
    expect(voided).toMatchObject({
      serialNumber: cert.serialNumber,
      order: { id: order.id, status: 'approved' },
    });
    expect(Date.parse(voided.revokedAt)).not.toBeNaN();
    expect(await client.getCertificateByIdempotencyKey(req.idempotencyKey)).toBeNull();
    expect(
      await client.voidCertificate(cert.serialNumber, { journeyId: 'journey-0001', reason: 'again' }),
    ).toEqual(voided);
    const other = await central.newClient('KIOSK-CC-002');
    expect(
      await refusalOf(
        other.voidCertificate(cert.serialNumber, { journeyId: 'journey-0002', reason: 'not mine' }),
      ),
    ).toMatchObject({ code: 'CENTRAL_REFUSED', status: 403, centralCode: 'CERTIFICATE_WRONG_APPLIANCE' });
  });

  it('posts events, reads the change feed and sends a heartbeat', async () => {
    const r = await client.postEvents([testEvent('evt-cc-0001')]);
    expect(r).toEqual({ accepted: 1, duplicates: 0, acknowledged: ['evt-cc-0001'] });
    const feed = await client.getChanges('0', 5);
    expect(feed.changes.length).toBeGreaterThan(0);
    const hb = await client.heartbeat({
      softwareVersion: '0.1.0',
      devices: [],
      consumables: { paper: 'ok' },
      queueDepth: 0,
      parkedEvents: 0,
    });
    expect(Number(hb.latestCursor)).toBeGreaterThan(0);
  });

  it('sessions: false signs every request with the appliance key (central would refuse anything else)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    let seen: {
      method: string;
      path: string;
      headers: Record<string, string | string[] | undefined>;
    } | null = null;
    let body = '';
    const fake = await fakeServer((req, res) => {
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        seen = { method: req.method!, path: req.url!, headers: req.headers };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ changes: [], cursor: '7', hasMore: false }));
      });
    });
    const c = new CentralClient({
      baseUrl: `${fake.url}/`,
      applianceId: 'K1',
      signer: createKeySigner(privateKey),
      sessions: false, // the signature itself is under test (sessions: central-client.sessions.test.ts)
    });
    await c.getChanges('7', 10);
    await stopServer(fake.server);
    expect(seen).not.toBeNull();
    const s = seen!;
    expect(s.path).toBe('/v1/changes?cursor=7&limit=10');
    const check = await verifyRequestSignature({
      method: s.method,
      path: s.path,
      headers: s.headers,
      body,
      publicKeyPem: publicKey,
    });
    expect(check).toMatchObject({ ok: true, applianceId: 'K1' });
  });

  it('CENTRAL_REFUSED keeps central’s error code (unknown order, unknown appliance)', async () => {
    const notFound = await refusalOf(client.getOrder('CK-NOPE'));
    expect(notFound).toMatchObject({ code: 'CENTRAL_REFUSED', status: 404, centralCode: 'ORDER_NOT_FOUND' });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const stranger = new CentralClient({
      baseUrl: central.url,
      applianceId: 'KIOSK-NOBODY',
      signer: createKeySigner(privateKey),
    });
    expect(await refusalOf(stranger.postEvents([testEvent('evt-cc-0002')]))).toMatchObject({
      code: 'CENTRAL_REFUSED',
      status: 401,
      centralCode: 'AUTH_UNKNOWN_APPLIANCE',
    });
  });
});

describe('CentralClient failures are typed', () => {
  const signer = createKeySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);

  it('connection refused → CENTRAL_UNAVAILABLE', async () => {
    const fake = await fakeServer((_q, r) => r.end());
    const url = fake.url;
    await stopServer(fake.server);
    const c = new CentralClient({ baseUrl: url, applianceId: 'K1', signer });
    expect(
      await refusalOf(
        c.heartbeat({
          softwareVersion: '1',
          devices: [],
          consumables: { paper: 'ok' },
          queueDepth: 0,
          parkedEvents: 0,
        }),
      ),
    ).toMatchObject({
      code: 'CENTRAL_UNAVAILABLE',
    });
  });

  it('no answer within the timeout → CENTRAL_UNAVAILABLE, quickly', async () => {
    const fake = await fakeServer(() => undefined); // never answers
    const c = new CentralClient({ baseUrl: fake.url, applianceId: 'K1', signer, timeoutMs: 200 });
    const t0 = Date.now();
    const e = await refusalOf(c.getChanges('0'));
    expect(e.code).toBe('CENTRAL_UNAVAILABLE');
    expect(e.message).toContain('200 ms');
    expect(Date.now() - t0).toBeLessThan(2_000);
    await stopServer(fake.server);
  });

  it.each([
    [200, 'text/html', '<html>captive portal</html>', 'CENTRAL_BAD_RESPONSE'],
    [200, 'application/json', '{"changes": "nope"}', 'CENTRAL_BAD_RESPONSE'],
    [
      200,
      'application/json',
      '{"changes":[{"cursor":"1","type":"order.updated","at":"yesterday","payload":{}}],"cursor":"1","hasMore":false}',
      'CENTRAL_BAD_RESPONSE',
    ],
    [302, 'text/plain', 'elsewhere', 'CENTRAL_BAD_RESPONSE'],
    [503, 'text/html', 'maintenance', 'CENTRAL_UNAVAILABLE'],
    [418, 'text/plain', 'teapot', 'CENTRAL_REFUSED'],
  ])('status %i %s %j → %s', async (status, type, text, code) => {
    const fake = await fakeServer((_q, r) => {
      r.writeHead(status, { 'content-type': type, ...(status === 302 ? { location: '/x' } : {}) });
      r.end(text);
    });
    // Signed, so the answer judged is getChanges' (in a session it would be the session opening's).
    const c = new CentralClient({ baseUrl: fake.url, applianceId: 'K1', signer, sessions: false });
    expect(await refusalOf(c.getChanges('0'))).toMatchObject({ code, status });
    await stopServer(fake.server);
  });
});
