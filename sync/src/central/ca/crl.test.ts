// The CRL is cached (re-signed only after a revocation or near nextUpdate) and numbered; issued certificates
// point relying parties at it (CRL distribution point) and at the issuing CA certificate (AIA caIssuers).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate } from '../../contract/schemas.js';
import { buildCentral } from '../app.js';
import { type Harness, opensslCsr, startHarness, TO_APPROVED, writeTemp } from '../testing.js';
import { CRL_RENEW_BEFORE_MS, CRL_VALIDITY_MS, crlNumberOf } from './issuer.js';
import { x509 } from './x509.js';

const PUBLIC_URL = 'https://central.example.test/ck';
const HOUR = 3600 * 1000;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ central: { publicBaseUrl: `${PUBLIC_URL}/` } });
});
afterAll(() => h.close());

async function issued(name: string): Promise<IssuedCertificate> {
  const r = await h.order(TO_APPROVED);
  const res = await h.issue({
    orderId: r.order.id,
    idempotencyKey: `${r.order.id}:1`,
    pickupCode: r.pickupCode!,
    csrPem: opensslCsr(h.dir, 'ec', name),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as IssuedCertificate;
}

async function fetchCrl(harness = h): Promise<{ der: Buffer; crl: x509.X509Crl; number: bigint }> {
  const r = await harness.app.inject({ url: '/v1/ca/crl' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toBe('application/pkix-crl');
  const crl = new x509.X509Crl(new Uint8Array(r.rawPayload));
  const number = crlNumberOf(crl);
  if (number === null) throw new Error('the CRL has no cRLNumber');
  return { der: r.rawPayload, crl, number };
}

async function issuingCa(): Promise<x509.X509Certificate> {
  const r = await h.app.inject({ url: '/v1/ca/issuing-ca.cer' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toBe('application/pkix-cert');
  return new x509.X509Certificate(new Uint8Array(r.rawPayload));
}

describe('CRL cache and cRLNumber', () => {
  it('the CRL is byte-identical across two requests with no revocation in between (not re-signed per request)', async () => {
    const first = await fetchCrl();
    h.clock.ms += HOUR; // a re-signing CRL would carry a new thisUpdate (and a new ECDSA signature)
    const second = await fetchCrl();
    expect(second.der.equals(first.der)).toBe(true);
    expect(second.number).toBe(first.number);
    expect(await second.crl.verify({ publicKey: await issuingCa() })).toBe(true);
  });

  it('after a revocation the CRL changes, includes the serial, and its cRLNumber is larger', async () => {
    const cert = await issued('crl-revoke');
    const before = await fetchCrl();
    expect(before.crl.findRevoked(cert.serialNumber)).toBeNull();
    const r = await h.admin('POST', `/admin/v1/certificates/${cert.serialNumber}/revoke`, {
      reason: 'keyCompromise',
    });
    expect(r.statusCode, r.body).toBe(200);
    const after = await fetchCrl();
    expect(after.der.equals(before.der)).toBe(false);
    expect(after.crl.findRevoked(cert.serialNumber)).not.toBeNull();
    expect(after.crl.findRevoked(cert.serialNumber)?.reason).toBe(x509.X509CrlReason.keyCompromise);
    expect(after.number).toBeGreaterThan(before.number);
    expect(await after.crl.verify({ publicKey: await issuingCa() })).toBe(true);
    // and it is cached again until the next change
    expect((await fetchCrl()).der.equals(after.der)).toBe(true);
    // openssl reads the same number
    const file = writeTemp(h.dir, 'numbered.crl', after.der);
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', file, '-noout', '-text'], {
      encoding: 'utf8',
    });
    expect(text).toMatch(new RegExp(`X509v3 CRL Number:\\s*\\n\\s*${after.number}\\b`));
  });

  it('a void (kiosk staff) invalidates the cached CRL as well', async () => {
    const cert = await issued('crl-void');
    const before = await fetchCrl();
    const v = await h.signed('POST', `/v1/certificates/${cert.serialNumber}/void`, {
      journeyId: 'J-crl-1',
      reason: 'printer jammed, key not written',
    });
    expect(v.statusCode, v.body).toBe(200);
    const after = await fetchCrl();
    expect(after.crl.findRevoked(cert.serialNumber)).not.toBeNull();
    expect(after.number).toBeGreaterThan(before.number);
  });

  it('near nextUpdate the CRL is re-signed with a larger cRLNumber and a fresh validity', async () => {
    const first = await fetchCrl();
    expect(first.crl.nextUpdate!.getTime() - first.crl.thisUpdate.getTime()).toBe(CRL_VALIDITY_MS);
    const renewAt = first.crl.nextUpdate!.getTime() - CRL_RENEW_BEFORE_MS;
    h.clock.ms = renewAt - 1000;
    expect((await fetchCrl()).der.equals(first.der)).toBe(true);
    h.clock.ms = renewAt;
    const renewed = await fetchCrl();
    expect(renewed.der.equals(first.der)).toBe(false);
    expect(renewed.number).toBe(first.number + 1n);
    expect(renewed.crl.thisUpdate.getTime()).toBe(Math.floor(renewAt / 1000) * 1000);
    expect(renewed.crl.nextUpdate!.getTime()).toBeGreaterThan(first.crl.nextUpdate!.getTime());
  });

  it('the cached CRL and its number survive a restart; the next revocation still counts up', async () => {
    const cert = await issued('crl-restart');
    const before = await fetchCrl();
    const again = await buildCentral({
      dataDir: h.dir,
      adminToken: 'restart-token',
      now: () => h.clock.ms,
      publicBaseUrl: PUBLIC_URL,
    });
    try {
      const r = await again.inject({ url: '/v1/ca/crl' });
      expect(r.rawPayload.equals(before.der)).toBe(true);
      await again.inject({
        method: 'POST',
        url: `/admin/v1/certificates/${cert.serialNumber}/revoke`,
        headers: { authorization: 'Bearer restart-token' },
        payload: { reason: 'cessationOfOperation' },
      });
      const after = crlNumberOf(
        new x509.X509Crl(new Uint8Array((await again.inject({ url: '/v1/ca/crl' })).rawPayload)),
      );
      expect(after).toBeGreaterThan(before.number);
    } finally {
      await again.close();
    }
  });
});

describe('CRL distribution point and authority information access', () => {
  it('an issued certificate has CDP and AIA extensions with central’s public CRL and CA-certificate URLs', async () => {
    const cert = new x509.X509Certificate((await issued('cdp-aia')).certificatePem);
    const cdp = cert.getExtension(x509.CRLDistributionPointsExtension);
    expect(cdp).not.toBeNull();
    expect(cdp!.distributionPoints).toHaveLength(1);
    expect(cdp!.distributionPoints[0]!.distributionPoint?.fullName?.[0]?.uniformResourceIdentifier).toBe(
      `${PUBLIC_URL}/v1/ca/crl`,
    );
    const aia = cert.getExtension(x509.AuthorityInfoAccessExtension);
    expect(aia).not.toBeNull();
    expect(aia!.caIssuers.map((g) => [g.type, g.value])).toEqual([
      ['url', `${PUBLIC_URL}/v1/ca/issuing-ca.cer`],
    ]);
    expect(aia!.ocsp).toEqual([]);

    // What those URLs serve: the CRL (DER), and the CA certificate that signed this one (DER).
    const ca = await issuingCa();
    expect(await cert.verify({ publicKey: ca, signatureOnly: true })).toBe(true);
    expect(ca.subject).toBe(cert.issuer);

    // openssl sees them too
    const file = writeTemp(h.dir, 'cdp-aia.pem', cert.toString('pem'));
    const text = execFileSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain(`URI:${PUBLIC_URL}/v1/ca/crl`);
    expect(text).toContain(`CA Issuers - URI:${PUBLIC_URL}/v1/ca/issuing-ca.cer`);
  });

  it('without a configured public URL the links use the address central listens on', async () => {
    const local = await startHarness();
    try {
      const url = await local.app.listen({ host: '127.0.0.1', port: 0 });
      const r = await local.order(TO_APPROVED);
      const res = await local.issue({
        orderId: r.order.id,
        idempotencyKey: `${r.order.id}:1`,
        pickupCode: r.pickupCode!,
        csrPem: opensslCsr(local.dir, 'ec', 'listen-url'),
      });
      expect(res.statusCode, res.body).toBe(200);
      const cert = new x509.X509Certificate((res.json() as IssuedCertificate).certificatePem);
      const cdp = cert.getExtension(x509.CRLDistributionPointsExtension)!;
      const crlUrl = cdp.distributionPoints[0]!.distributionPoint!.fullName![0]!.uniformResourceIdentifier!;
      expect(crlUrl).toBe(`${url}/v1/ca/crl`);
      const caUrl = cert.getExtension(x509.AuthorityInfoAccessExtension)!.caIssuers[0]!.value;
      expect(caUrl).toBe(`${url}/v1/ca/issuing-ca.cer`);
      // Both answer over HTTP at exactly those URLs.
      const crl = await fetch(crlUrl, { headers: { connection: 'close' } });
      expect(crl.status).toBe(200);
      expect(crl.headers.get('content-type')).toBe('application/pkix-crl');
      await crl.arrayBuffer();
      const ca = await fetch(caUrl, { headers: { connection: 'close' } });
      const caCert = new x509.X509Certificate(new Uint8Array(await ca.arrayBuffer()));
      expect(await cert.verify({ publicKey: caCert, signatureOnly: true })).toBe(true);
    } finally {
      await local.close();
    }
  });
});
