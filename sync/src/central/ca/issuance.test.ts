import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate } from '../../contract/schemas.js';
import { type Harness, opensslCsr, startHarness, TO_APPROVED, writeTemp } from '../testing.js';

const openssl = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: 'pipe' });

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function approvedOrder(patch = {}) {
  const r = await h.order(TO_APPROVED, patch);
  return { orderId: r.order.id, pickupCode: r.pickupCode! };
}

function issue(body: Record<string, unknown>) {
  return h.issue(body);
}

describe('certificate issuance', () => {
  it.each([
    ['RSA-2048', 'rsa:2048' as const],
    ['EC P-256', 'ec' as const],
  ])('issues for an openssl %s CSR; the chain verifies with openssl verify', async (_n, kind) => {
    const { orderId, pickupCode } = await approvedOrder();
    const csrPem = opensslCsr(h.dir, kind, `ok-${kind}`);
    const r = await issue({ orderId, idempotencyKey: `${orderId}:1`, pickupCode, csrPem });
    expect(r.statusCode, r.body).toBe(200);
    const cert = r.json() as IssuedCertificate;
    const chain = (await h.app.inject({ method: 'GET', url: '/v1/ca/chain' })).body;
    const [issuing, root] = chain.split(/(?<=-----END CERTIFICATE-----\n)/);
    const rootFile = writeTemp(h.dir, 'root.pem', root!);
    const issuingFile = writeTemp(h.dir, 'issuing.pem', issuing!);
    const leafFile = writeTemp(h.dir, `leaf-${kind}.pem`, cert.certificatePem);
    expect(openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, leafFile])).toContain(': OK');
    expect(cert.chainPem.join('')).toBe(chain);

    const text = openssl(['x509', '-in', leafFile, '-noout', '-text', '-nameopt', 'utf8']);
    expect(text).toContain('CN=张伟');
    expect(text).toContain('4403**********1233');
    expect(text).not.toContain('440304199001011233');
    expect(text).toMatch(/Digital Signature, Non Repudiation/);
    expect(text).toContain('TLS Web Client Authentication');
    // 128-bit random serial; validity = the order's 2 service years
    const serial = openssl(['x509', '-in', leafFile, '-noout', '-serial']).trim().replace('serial=', '');
    expect(serial.toLowerCase().replace(/^00/, '')).toBe(cert.serialNumber);
    expect(BigInt(`0x${serial}`) > 0n && BigInt(`0x${serial}`) < 2n ** 128n).toBe(true);
    const years = (Date.parse(cert.notAfter) - Date.parse(cert.notBefore)) / (365.25 * 864e5);
    expect(Math.round(years)).toBe(2);

    const order = (await h.admin('GET', `/admin/v1/orders/${orderId}`)).json();
    expect(order).toMatchObject({ status: 'issued', certificateSerial: cert.serialNumber });
  });

  it('organisation certificates carry the organisation name and credit code', async () => {
    const { orderId, pickupCode } = await approvedOrder({
      certificateType: 'organisation',
      holder: undefined,
      organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
      legalRepresentative: { name: '王芳', idNumber: '310101197805200023' },
    });
    const r = await issue({
      orderId,
      idempotencyKey: `${orderId}:1`,
      pickupCode,
      csrPem: opensslCsr(h.dir, 'ec', 'org'),
    });
    expect(r.statusCode, r.body).toBe(200);
    const f = writeTemp(h.dir, 'org.pem', (r.json() as IssuedCertificate).certificatePem);
    const subject = openssl(['x509', '-in', f, '-noout', '-subject', '-nameopt', 'utf8']);
    expect(subject).toContain('O=深圳市示例科技有限公司');
    expect(subject).toContain('organizationIdentifier=91440300MA5F2K8L3X');
  });

  it('is idempotent: the same key returns the same certificate, and recovery by key finds it', async () => {
    const { orderId, pickupCode } = await approvedOrder();
    const csrPem = opensslCsr(h.dir, 'ec', 'idem');
    const body = { orderId, idempotencyKey: `${orderId}:attempt-1`, pickupCode, csrPem };
    const first = (await issue(body)).json() as IssuedCertificate;
    const again = await issue(body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first);
    // a retry with a new idempotency key but the same key pair still gets the same certificate
    const sameKey = await issue({ ...body, idempotencyKey: `${orderId}:attempt-2` });
    expect((sameKey.json() as IssuedCertificate).serialNumber).toBe(first.serialNumber);
    const recovered = await h.signed(
      'GET',
      `/v1/certificates/by-idempotency-key/${encodeURIComponent(body.idempotencyKey)}`,
    );
    expect(recovered.json()).toEqual(first);
    expect((await h.signed('GET', '/v1/certificates/by-idempotency-key/never-used-key')).statusCode).toBe(
      404,
    );
    // a different key pair for an already issued order is refused: one certificate per order
    const other = await issue({
      ...body,
      idempotencyKey: `${orderId}:attempt-3`,
      csrPem: opensslCsr(h.dir, 'ec', 'x'),
    });
    expect(other.json()).toMatchObject({ statusCode: 409, code: 'ORDER_ALREADY_ISSUED' });
    // the same idempotency key with a different key pair is a conflict, not a second certificate
    const clash = await issue({ ...body, csrPem: opensslCsr(h.dir, 'ec', 'y') });
    expect(clash.json()).toMatchObject({ statusCode: 409, code: 'IDEMPOTENCY_CONFLICT' });
    const count = await h.app.central.db.get(
      'SELECT COUNT(*) AS n FROM certificates WHERE order_id = ?',
      orderId,
    );
    expect(count).toEqual({ n: 1 });
  });

  it('refuses a weak key, a bad CSR signature, garbage, and an order that is not approved', async () => {
    const { orderId, pickupCode } = await approvedOrder();
    const base = { orderId, idempotencyKey: `${orderId}:1`, pickupCode };
    const weak = await issue({ ...base, csrPem: opensslCsr(h.dir, 'rsa:1024', 'weak') });
    expect(weak.json()).toMatchObject({ statusCode: 400, code: 'CSR_WEAK_KEY' });

    const good = opensslCsr(h.dir, 'ec', 'tamper');
    const der = Buffer.from(good.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01; // flip a bit of the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect((await issue({ ...base, csrPem: tampered })).json()).toMatchObject({ code: 'CSR_BAD_SIGNATURE' });
    expect(
      (
        await issue({
          ...base,
          csrPem: `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(200)}\n-----END CERTIFICATE REQUEST-----`,
        })
      ).json(),
    ).toMatchObject({ code: 'CSR_MALFORMED' });

    const notApproved = await h.order(['request-payment', 'pay-wechat']);
    const r = await issue({ ...base, orderId: notApproved.order.id, csrPem: good });
    expect(r.json()).toMatchObject({ statusCode: 409, code: 'ORDER_NOT_APPROVED' });
    expect(
      await h.app.central.db.get('SELECT COUNT(*) AS n FROM certificates WHERE order_id = ?', orderId),
    ).toEqual({ n: 0 });
  });

  it('refuses a superseded, an expired or another order’s pickup code', async () => {
    const a = await approvedOrder();
    const b = await approvedOrder();
    const csrPem = opensslCsr(h.dir, 'ec', 'codes');
    const wrongOrder = await issue({
      orderId: a.orderId,
      idempotencyKey: 'k-wrong-order',
      pickupCode: b.pickupCode,
      csrPem,
    });
    expect(wrongOrder.json()).toMatchObject({ code: 'PICKUP_CODE_INVALID' });
    await h.admin('POST', `/admin/v1/orders/${a.orderId}/pickup-code`);
    const superseded = await issue({
      orderId: a.orderId,
      idempotencyKey: 'k-superseded',
      pickupCode: a.pickupCode,
      csrPem,
    });
    expect(superseded.json()).toMatchObject({ statusCode: 409, code: 'PICKUP_CODE_SUPERSEDED' });
    const saved = h.clock.ms;
    h.clock.ms += 8 * 24 * 3600 * 1000;
    const expired = await issue({
      orderId: b.orderId,
      idempotencyKey: 'k-expired',
      pickupCode: b.pickupCode,
      csrPem,
    });
    h.clock.ms = saved;
    expect(expired.json()).toMatchObject({ statusCode: 410, code: 'PICKUP_CODE_EXPIRED' });
  });

  it('a revoked serial appears in the CRL (openssl crl) with its reason, and in the change feed', async () => {
    const { orderId, pickupCode } = await approvedOrder();
    const cert = (
      await issue({
        orderId,
        idempotencyKey: `${orderId}:1`,
        pickupCode,
        csrPem: opensslCsr(h.dir, 'ec', 'rev'),
      })
    ).json() as IssuedCertificate;
    const before = await h.signed('GET', '/v1/changes?limit=1000');
    const rev = await h.admin('POST', `/admin/v1/certificates/${cert.serialNumber}/revoke`, {
      reason: 'keyCompromise',
    });
    expect(rev.statusCode, rev.body).toBe(200);
    const again = await h.admin('POST', `/admin/v1/certificates/${cert.serialNumber}/revoke`, {
      reason: 'keyCompromise',
    });
    expect(again.json()).toMatchObject({ code: 'CERTIFICATE_ALREADY_REVOKED' });

    const crl = await h.app.inject({ method: 'GET', url: '/v1/ca/crl' });
    expect(crl.headers['content-type']).toBe('application/pkix-crl');
    const crlFile = writeTemp(h.dir, 'crl.der', crl.rawPayload);
    const text = openssl(['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text']);
    expect(text.toLowerCase().replace(/:/g, '')).toContain(`serial number ${cert.serialNumber}`);
    expect(text).toContain('Key Compromise');
    const chainFile = writeTemp(
      h.dir,
      'chain-for-crl.pem',
      (await h.app.inject({ url: '/v1/ca/chain' })).body,
    );
    // openssl checks the CRL signature against the issuing CA (it throws if it does not verify)
    execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-CAfile', chainFile], {
      stdio: 'pipe',
    });
    const pem = await h.app.inject({ method: 'GET', url: '/v1/ca/crl?format=pem' });
    expect(pem.body).toMatch(/^-----BEGIN X509 CRL-----/);

    const cursor = (before.json() as { cursor: string }).cursor;
    const feed = (await h.signed('GET', `/v1/changes?cursor=${cursor}`)).json() as {
      changes: Array<{ type: string; payload: unknown }>;
    };
    expect(feed.changes).toContainEqual(
      expect.objectContaining({
        type: 'certificate.revoked',
        payload: { serialNumber: cert.serialNumber, reason: 'keyCompromise' },
      }),
    );
  });

  it('keeps CA private keys at mode 0600 and reuses the same CA after a restart', async () => {
    const { statSync } = await import('node:fs');
    for (const f of ['ca/root.key.pem', 'ca/issuing.key.pem', 'pickup-signing.key.pem']) {
      expect(statSync(`${h.dir}/${f}`).mode & 0o777).toBe(0o600);
    }
    const { buildCentral } = await import('../app.js');
    const chain1 = (await h.app.inject({ url: '/v1/ca/chain' })).body;
    const second = await buildCentral({ dataDir: h.dir, adminToken: 'x' });
    const chain2 = (await second.inject({ url: '/v1/ca/chain' })).body;
    await second.close();
    expect(chain2).toBe(chain1);
  });
});
