// After-sales at the kiosk, central's side: certificate status, activation of couriered keys, renewal, reissue,
// revocation by order, PIN unlock and the order look-up. Scoping tests are named after the attack they stop.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { normaliseCertificateSerial, UNLOCKS_PER_KEY_PER_DAY } from '../contract/after-sales.js';
import type {
  ActivationPreview,
  ActivationResponse,
  AdminCertificate,
  CertificateStatus,
  ChangeFeedResponse,
  IssuedCertificate,
  Order,
  OrderLookupResponse,
  RenewalOrderResponse,
  Revocation,
  UnlockResponse,
} from '../contract/schemas.js';
import { x509 } from './ca/x509.js';
import { PERSON_INDEX_KEY_FILE } from './person-index.js';
import {
  GOOD_KEY_EVIDENCE,
  type Harness,
  NATURAL_PERSON,
  newApplianceKey,
  opensslCsr,
  startHarness,
  type TestAppliance,
  TO_APPROVED,
} from './testing.js';

let h: Harness;
/** Another approved kiosk of the same hall, one of another hall, and one enrolled but not approved. */
let sameHall: TestAppliance;
let otherHall: TestAppliance;
let pending: TestAppliance;
beforeAll(async () => {
  h = await startHarness();
  sameHall = newApplianceKey('KIOSK-T-002');
  otherHall = newApplianceKey('KIOSK-GZ-001', 'GZ-TIANHE');
  pending = newApplianceKey('KIOSK-T-009');
  for (const a of [sameHall, otherHall, pending]) await h.enrol(a);
  for (const a of [sameHall, otherHall]) await h.admin('POST', `/admin/v1/appliances/${a.id}/approve`);
});
afterAll(() => h.close());

const DAY_MS = 24 * 3600 * 1000;
const PAID = ['request-payment', 'pay-wechat'] as const;
const OTHER_PERSON = { name: '李娜', idNumber: '110105198503150027' };
let n = 0;
const csr = () => opensslCsr(h.dir, 'ec', `as-${++n}`);
const evidence = (tokenSerial: string) => ({ ...GOOD_KEY_EVIDENCE, tokenSerial });
const token = () => `TOKEN-${++n}`;

/** A certificate issued at the harness kiosk onto a key (token serial) for a new order. */
async function onKey(patch: Parameters<Harness['order']>[1] = {}) {
  const tokenSerial = token();
  const { order, pickupCode } = await h.order(TO_APPROVED, patch);
  const csrPem = csr();
  const r = await h.issue(
    { orderId: order.id, idempotencyKey: `${order.id}:1`, pickupCode: pickupCode!, csrPem },
    { keyEvidence: evidence(tokenSerial) },
  );
  expect(r.statusCode, r.body).toBe(200);
  return { order, cert: r.json() as IssuedCertificate, csrPem, tokenSerial };
}

const status = (serial: string, tokenSerial: string, as?: TestAppliance) =>
  h.signed('GET', `/v1/certificates/${serial}?tokenSerial=${encodeURIComponent(tokenSerial)}`, undefined, as);

async function crlEntries(serial: string): Promise<x509.X509CrlEntry[]> {
  const crl = new x509.X509Crl(new Uint8Array((await h.app.inject({ url: '/v1/ca/crl' })).rawPayload));
  return crl.entries.filter(
    (e) => normaliseCertificateSerial(e.serialNumber) === normaliseCertificateSerial(serial),
  );
}

async function revocationChanges(serial: string): Promise<number> {
  const feed = (await h.signed('GET', '/v1/changes?limit=1000')).json() as ChangeFeedResponse;
  return feed.changes.filter((c) => c.type === 'certificate.revoked' && c.payload.serialNumber === serial)
    .length;
}

describe('GET /v1/certificates/:serialNumber (my certificates)', () => {
  it('answers a certificate on the key in the writer: good, masked owner and order, the renewal rule; then revoked', async () => {
    const { order, cert, tokenSerial } = await onKey();
    const r = await status(cert.serialNumber, tokenSerial);
    expect(r.statusCode, r.body).toBe(200);
    const s = r.json() as CertificateStatus;
    expect(s).toMatchObject({
      serialNumber: cert.serialNumber,
      status: 'good',
      certificateType: 'natural-person',
      notAfter: cert.notAfter,
      holderNameMasked: '张*',
      renewal: { rule: 'revoke-previous', windowDays: 90, offered: false },
    });
    expect(s.orderIdMasked).not.toBe(order.id);
    expect(s.orderIdMasked.slice(-4)).toBe(order.id.slice(-4));
    expect(s.issuer).toContain('CertKiosk Reference Issuing CA');
    expect(r.body).not.toContain(NATURAL_PERSON.holder!.idNumber);
    // A leading 00 and upper case name the same certificate.
    expect((await status(`00${cert.serialNumber.toUpperCase()}`, tokenSerial)).statusCode).toBe(200);

    // Within 90 days of expiry renewal is offered; once revoked it is not.
    const start = h.clock.ms;
    h.clock.ms = Date.parse(cert.notAfter) - 30 * DAY_MS;
    try {
      const due = (await status(cert.serialNumber, tokenSerial)).json() as CertificateStatus;
      expect(due.renewal.offered).toBe(true);
      await h.admin('POST', `/admin/v1/certificates/${cert.serialNumber}/revoke`, {
        reason: 'keyCompromise',
      });
      const revoked = (await status(cert.serialNumber, tokenSerial)).json() as CertificateStatus;
      expect(revoked).toMatchObject({
        status: 'revoked',
        revocationReason: 'keyCompromise',
        renewal: { offered: false },
      });
      expect(revoked.revokedAt).toBeDefined();
    } finally {
      h.clock.ms = start;
    }
  });

  it('a serial alone (from a CRL or a signed document) opens nothing: another key, an unknown serial, no token serial', async () => {
    const { cert, tokenSerial } = await onKey();
    const wrongKey = await status(cert.serialNumber, 'SOMEONE-ELSES-KEY', sameHall);
    const unknown = await status('0abcdef0123456789abcdef012345678', tokenSerial, sameHall);
    expect(wrongKey.statusCode).toBe(404);
    expect(wrongKey.json()).toMatchObject({ code: 'CERTIFICATE_NOT_OURS' });
    // Another key and an unknown certificate look the same.
    expect(wrongKey.body).toBe(unknown.body);
    expect(
      (await h.signed('GET', `/v1/certificates/${cert.serialNumber}`, undefined, sameHall)).statusCode,
    ).toBe(400);
  });

  it('an unauthenticated caller or an unapproved appliance reads nothing', async () => {
    const { cert, tokenSerial } = await onKey();
    const url = `/v1/certificates/${cert.serialNumber}?tokenSerial=${tokenSerial}`;
    const anon = await h.app.inject({ url });
    expect(anon.statusCode).toBe(401);
    expect(anon.json()).toMatchObject({ code: 'AUTH_UNSIGNED' });
    expect(anon.body).not.toContain('张');
    const unapproved = await h.signed('GET', url, undefined, pending);
    expect(unapproved.json()).toMatchObject({ statusCode: 401, code: 'AUTH_APPLIANCE_NOT_APPROVED' });
  });
});

describe('activation of a couriered key', () => {
  it('previews the shipped order (masked) and activates it with its code; the same kiosk retrying gets the same answer', async () => {
    const key = await h.courierKey(token());
    const preview = await h.signed(
      'GET',
      `/v1/activations/${key.serialNumber}?tokenSerial=${key.tokenSerial}`,
    );
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json() as ActivationPreview).toMatchObject({
      certificateSerial: key.serialNumber,
      certificateType: 'natural-person',
      holderNameMasked: '张*',
      attemptsLeft: 5,
      codeExpiresAt: new Date(h.clock.ms + 30 * DAY_MS).toISOString(),
    });
    const body = { certificateSerial: key.serialNumber, tokenSerial: key.tokenSerial, code: key.code };
    const ok = await h.signed('POST', '/v1/activations', body);
    expect(ok.statusCode, ok.body).toBe(200);
    const done = ok.json() as ActivationResponse;
    expect(done).toMatchObject({ certificateSerial: key.serialNumber, status: 'activated' });
    expect((await h.app.central.orders.get(key.orderId)).status).toBe('activated');
    // A retry (the answer was lost) by the same kiosk: the same answer, nothing changes.
    const again = await h.signed('POST', '/v1/activations', body);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(done);
    // Another kiosk, or the preview: already done.
    expect((await h.signed('POST', '/v1/activations', body, sameHall)).json()).toMatchObject({
      statusCode: 409,
      code: 'ACTIVATION_ALREADY_DONE',
    });
    expect(
      (await h.signed('GET', `/v1/activations/${key.serialNumber}?tokenSerial=${key.tokenSerial}`)).json(),
    ).toMatchObject({ code: 'ACTIVATION_ALREADY_DONE' });
    const history = (await h.app.central.orders.history(key.orderId)).filter((e) => e.action === 'activate');
    expect(history).toHaveLength(1);
  });

  it('a wrong code answers the tries left; the fifth locks it, and then even the right code is refused', async () => {
    const key = await h.courierKey(token());
    const wrong = key.code === '000000' ? '000001' : '000000';
    const send = (code: string) =>
      h.signed('POST', '/v1/activations', {
        certificateSerial: key.serialNumber,
        tokenSerial: key.tokenSerial,
        code,
      });
    for (let left = 4; left >= 1; left--) {
      expect((await send(wrong)).json()).toEqual({
        statusCode: 403,
        code: 'ACTIVATION_CODE_WRONG',
        error: 'CentralError',
        message: `The activation code is wrong; ${left} tries left.`,
        attemptsLeft: left,
      });
    }
    const preview = (
      await h.signed('GET', `/v1/activations/${key.serialNumber}?tokenSerial=${key.tokenSerial}`)
    ).json() as ActivationPreview;
    expect(preview.attemptsLeft).toBe(1);
    expect((await send(wrong)).json()).toMatchObject({ statusCode: 423, code: 'ACTIVATION_LOCKED' });
    expect((await send(key.code)).json()).toMatchObject({ statusCode: 423, code: 'ACTIVATION_LOCKED' });
    expect(
      (await h.signed('GET', `/v1/activations/${key.serialNumber}?tokenSerial=${key.tokenSerial}`)).json(),
    ).toMatchObject({ code: 'ACTIVATION_LOCKED' });
    expect((await h.app.central.orders.get(key.orderId)).status).toBe('shipped');
    expect((await send('12ab56')).statusCode).toBe(400);
  });

  it('a code is refused once 30 days have passed (fake clock), at the preview and at activation', async () => {
    const key = await h.courierKey(token());
    const start = h.clock.ms;
    h.clock.ms = start + 30 * DAY_MS + 1;
    try {
      const preview = await h.signed(
        'GET',
        `/v1/activations/${key.serialNumber}?tokenSerial=${key.tokenSerial}`,
      );
      expect(preview.json()).toMatchObject({ statusCode: 410, code: 'ACTIVATION_CODE_EXPIRED' });
      const act = await h.signed('POST', '/v1/activations', {
        certificateSerial: key.serialNumber,
        tokenSerial: key.tokenSerial,
        code: key.code,
      });
      expect(act.json()).toMatchObject({ statusCode: 410, code: 'ACTIVATION_CODE_EXPIRED' });
    } finally {
      h.clock.ms = start;
    }
  });

  it('activating with another order’s code fails (and counts as a wrong code)', async () => {
    const a = await h.courierKey(token());
    const b = await h.courierKey(token());
    const r = await h.signed('POST', '/v1/activations', {
      certificateSerial: a.serialNumber,
      tokenSerial: a.tokenSerial,
      code: b.code === a.code ? String((Number(b.code) + 1) % 1_000_000).padStart(6, '0') : b.code,
    });
    expect(r.json()).toMatchObject({ code: 'ACTIVATION_CODE_WRONG', attemptsLeft: 4 });
    expect((await h.app.central.orders.get(a.orderId)).status).toBe('shipped');
    expect((await h.app.central.orders.get(b.orderId)).status).toBe('shipped');
  });

  it('a key collected at a kiosk, a key that is not ours and another key are refused', async () => {
    const { cert, tokenSerial } = await onKey();
    expect(
      (await h.signed('GET', `/v1/activations/${cert.serialNumber}?tokenSerial=${tokenSerial}`)).json(),
    ).toMatchObject({ statusCode: 409, code: 'ACTIVATION_NOT_AVAILABLE' });
    const key = await h.courierKey(token());
    const other = await h.signed('POST', '/v1/activations', {
      certificateSerial: key.serialNumber,
      tokenSerial: 'NOT-THIS-KEY',
      code: key.code,
    });
    expect(other.json()).toMatchObject({ statusCode: 404, code: 'CERTIFICATE_NOT_OURS' });
    expect((await h.app.central.orders.get(key.orderId)).status).toBe('shipped');
  });

  it('the workshop certifies only approved courier orders, and binds only CA-issued certificates to a key', async () => {
    const { order } = await h.order(TO_APPROVED);
    const kioskOrder = await h.admin('POST', `/admin/v1/orders/${order.id}/certificates`, {
      csrPem: csr(),
      tokenSerial: token(),
    });
    expect(kioskOrder.json()).toMatchObject({ code: 'ORDER_ILLEGAL_TRANSITION' });
    const key = await h.courierKey(token());
    const bound = await h.admin('POST', `/admin/v1/certificates/${key.serialNumber}/token`, {
      tokenSerial: 'REAL-TOKEN-42',
    });
    expect(bound.json() as AdminCertificate).toMatchObject({ tokenSerial: 'REAL-TOKEN-42' });
    expect((await status(key.serialNumber, 'REAL-TOKEN-42')).statusCode).toBe(200);
    expect((await status(key.serialNumber, key.tokenSerial)).statusCode).toBe(404);
    const { cert } = await onKey();
    const refused = await h.admin('POST', `/admin/v1/certificates/${cert.serialNumber}/token`, {
      tokenSerial: 'REAL-TOKEN-43',
    });
    expect(refused.json()).toMatchObject({ statusCode: 403, code: 'CERTIFICATE_WRONG_APPLIANCE' });
  });
});

describe('renewal (续期)', () => {
  /** A certificate on a key and a renewal order for it walked through `actions`. */
  async function renewable(actions: readonly string[] = PAID, patch: Parameters<Harness['order']>[1] = {}) {
    const prev = await onKey(patch);
    const { order } = await h.order([...actions] as never, {
      ...patch,
      businessType: 'renewal',
      previousCertificateSerial: prev.cert.serialNumber,
    });
    return { prev, renewal: order };
  }

  const renew = (
    orderId: string,
    prevSerial: string,
    opts: {
      tokenSerial: string;
      csrPem?: string;
      as?: TestAppliance;
      card?: { idNumber: string; name: string };
    },
  ) =>
    h.issue(
      {
        orderId,
        idempotencyKey: `${orderId}:renew-1`,
        previousCertificateSerial: prevSerial,
        csrPem: opts.csrPem ?? csr(),
      },
      {
        keyEvidence: evidence(opts.tokenSerial),
        ...(opts.as ? { as: opts.as } : {}),
        ...(opts.card ? { card: opts.card } : {}),
      },
    );

  it('pulls the paid renewal by the certificate on the key, issues onto the same key, then revokes the old one', async () => {
    const { prev, renewal } = await renewable();
    expect(renewal).toMatchObject({ status: 'paid', businessType: 'renewal', holder: NATURAL_PERSON.holder });
    const s = (await status(prev.cert.serialNumber, prev.tokenSerial)).json() as CertificateStatus;
    expect(s.renewal.order).toMatchObject({ status: 'paid', ready: true, hall: 'SZ-FUTIAN' });

    const pulled = await h.signed(
      'GET',
      `/v1/renewals?certificateSerial=${prev.cert.serialNumber}&tokenSerial=${prev.tokenSerial}`,
    );
    expect(pulled.statusCode, pulled.body).toBe(200);
    const { order, previousCertificate } = pulled.json() as RenewalOrderResponse;
    expect(order).toMatchObject({
      id: renewal.id,
      businessType: 'renewal',
      previousCertificateSerial: prev.cert.serialNumber,
      holder: { nameMasked: '张*' },
    });
    expect(previousCertificate).toMatchObject({
      serialNumber: prev.cert.serialNumber,
      renewalRule: 'revoke-previous',
    });
    expect(pulled.body).not.toContain(NATURAL_PERSON.holder!.idNumber);

    // Too early to revoke: the new certificate is not issued yet.
    const early = await h.signed('POST', `/v1/certificates/${prev.cert.serialNumber}/revoke`, {
      reason: 'superseded',
      orderId: renewal.id,
    });
    expect(early.json()).toMatchObject({ statusCode: 409, code: 'REVOCATION_TOO_EARLY' });

    const newCsr = csr();
    const r = await renew(renewal.id, prev.cert.serialNumber, {
      tokenSerial: prev.tokenSerial,
      csrPem: newCsr,
    });
    expect(r.statusCode, r.body).toBe(200);
    const issued = r.json() as IssuedCertificate;
    expect(issued.serialNumber).not.toBe(prev.cert.serialNumber);
    expect(await h.app.central.orders.get(renewal.id)).toMatchObject({
      status: 'issued',
      certificateSerial: issued.serialNumber,
    });
    expect((await h.app.central.orders.history(renewal.id)).at(-1)).toMatchObject({
      action: 'issue-renewal',
    });
    // The new certificate is on the same key.
    expect((await status(issued.serialNumber, prev.tokenSerial)).statusCode).toBe(200);
    // A retry of the same request answers the same certificate; another key pair under its key is refused.
    const retry = await renew(renewal.id, prev.cert.serialNumber, {
      tokenSerial: prev.tokenSerial,
      csrPem: newCsr,
    });
    expect((retry.json() as IssuedCertificate).serialNumber).toBe(issued.serialNumber);
    const otherPair = await renew(renewal.id, prev.cert.serialNumber, { tokenSerial: prev.tokenSerial });
    expect(otherPair.json()).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });

    // After the kiosk verified the new certificate: the old one is revoked (superseded), once, into the CRL.
    const revoke = () =>
      h.signed('POST', `/v1/certificates/${prev.cert.serialNumber}/revoke`, {
        reason: 'superseded',
        orderId: renewal.id,
      });
    const first = await revoke();
    expect(first.statusCode, first.body).toBe(200);
    const second = await revoke();
    expect(second.json()).toEqual(first.json() as Revocation);
    expect(await crlEntries(prev.cert.serialNumber)).toHaveLength(1);
    expect(await revocationChanges(prev.cert.serialNumber)).toBe(1);
    expect(
      ((await status(prev.cert.serialNumber, prev.tokenSerial)).json() as CertificateStatus).status,
    ).toBe('revoked');
  });

  it('a kiosk renewal awaiting payment is pulled with the amount due, and issuing before it is paid is refused', async () => {
    const unpaid = await renewable(['request-payment']);
    const q = `/v1/renewals?certificateSerial=${unpaid.prev.cert.serialNumber}&tokenSerial=${unpaid.prev.tokenSerial}`;
    const pulled = await h.signed('GET', q);
    expect(pulled.statusCode, pulled.body).toBe(200);
    const body = pulled.json() as RenewalOrderResponse;
    expect(body.order).toMatchObject({ id: unpaid.renewal.id, businessType: 'renewal' });
    expect(body.payment).toEqual({ due: true, amountFen: unpaid.renewal.priceFen });
    // Attack: the kiosk asks to issue before paying → refused, nothing issued, the order still waits.
    const early = await renew(unpaid.renewal.id, unpaid.prev.cert.serialNumber, {
      tokenSerial: unpaid.prev.tokenSerial,
    });
    expect(early.json()).toMatchObject({ statusCode: 409, code: 'RENEWAL_NOT_PAID' });
    expect(await h.app.central.orders.get(unpaid.renewal.id)).toMatchObject({ status: 'awaiting-payment' });
    expect((await h.app.central.orders.get(unpaid.renewal.id)).certificateSerial).toBeUndefined();
    // Paid: pulled as before, nothing due.
    await h.app.central.orders.act(unpaid.renewal.id, { action: 'pay-wechat' });
    expect(((await h.signed('GET', q)).json() as RenewalOrderResponse).payment).toBeUndefined();
  });

  it('renewal refusals: unpaid, another hall, another key, the old key pair, another person, no admission', async () => {
    // Not yet asked to pay (submitted): refused, and not paid at the kiosk either.
    const unpaid = await renewable([]);
    const q = `/v1/renewals?certificateSerial=${unpaid.prev.cert.serialNumber}&tokenSerial=${unpaid.prev.tokenSerial}`;
    expect((await h.signed('GET', q)).json()).toMatchObject({ code: 'RENEWAL_NOT_PAID' });
    expect(
      (
        await renew(unpaid.renewal.id, unpaid.prev.cert.serialNumber, {
          tokenSerial: unpaid.prev.tokenSerial,
        })
      ).json(),
    ).toMatchObject({ code: 'RENEWAL_NOT_PAID' });

    const { prev, renewal } = await renewable();
    const none = await onKey();
    expect(
      (
        await h.signed(
          'GET',
          `/v1/renewals?certificateSerial=${none.cert.serialNumber}&tokenSerial=${none.tokenSerial}`,
        )
      ).json(),
    ).toMatchObject({ statusCode: 404, code: 'RENEWAL_ORDER_NOT_FOUND' });
    const far = `/v1/renewals?certificateSerial=${prev.cert.serialNumber}&tokenSerial=${prev.tokenSerial}`;
    expect((await h.signed('GET', far, undefined, otherHall)).json()).toMatchObject({
      code: 'ORDER_WRONG_HALL',
    });
    expect(
      (
        await h.signed(
          'GET',
          `/v1/renewals?certificateSerial=${prev.cert.serialNumber}&tokenSerial=OTHER`,
          undefined,
        )
      ).json(),
    ).toMatchObject({ code: 'CERTIFICATE_NOT_OURS' });

    const refusals: Array<[string, () => Promise<{ json(): unknown }>]> = [
      [
        'RENEWAL_WRONG_KEY',
        () => renew(renewal.id, prev.cert.serialNumber, { tokenSerial: 'A-NEW-BLANK-KEY' }),
      ],
      [
        'CSR_KEY_REUSED',
        () =>
          renew(renewal.id, prev.cert.serialNumber, { tokenSerial: prev.tokenSerial, csrPem: prev.csrPem }),
      ],
      [
        'IDENTITY_MISMATCH',
        () =>
          renew(renewal.id, prev.cert.serialNumber, { tokenSerial: prev.tokenSerial, card: OTHER_PERSON }),
      ],
      [
        'RENEWAL_WRONG_KEY',
        () => renew(renewal.id, none.cert.serialNumber, { tokenSerial: none.tokenSerial }),
      ],
      [
        'ORDER_WRONG_HALL',
        () => renew(renewal.id, prev.cert.serialNumber, { tokenSerial: prev.tokenSerial, as: otherHall }),
      ],
    ];
    for (const [code, send] of refusals) expect((await send()).json()).toMatchObject({ code });
    const neither = await h.issue(
      { orderId: renewal.id, idempotencyKey: `${renewal.id}:x`, csrPem: csr() },
      { keyEvidence: evidence(prev.tokenSerial) },
    );
    expect(neither.json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_VALIDATION' });
    // A new order cannot be collected by naming a certificate instead of its pickup code.
    const { order: fresh } = await h.order(TO_APPROVED);
    const sneaky = await h.issue(
      {
        orderId: fresh.id,
        idempotencyKey: `${fresh.id}:x`,
        previousCertificateSerial: prev.cert.serialNumber,
        csrPem: csr(),
      },
      { keyEvidence: evidence(prev.tokenSerial) },
    );
    expect(sneaky.json()).toMatchObject({ code: 'ISSUANCE_ADMISSION_MISSING' });
    expect((await h.app.central.orders.get(renewal.id)).status).toBe('paid');
    expect((await h.app.central.orders.get(fresh.id)).status).toBe('approved');
  });

  it('revoking is scoped: a certificate the order does not name, a reason its kind does not allow, another kiosk, a profile that lets it expire', async () => {
    const { prev, renewal } = await renewable();
    const bystander = await onKey();
    const r = await renew(renewal.id, prev.cert.serialNumber, { tokenSerial: prev.tokenSerial });
    expect(r.statusCode, r.body).toBe(200);
    const revoke = (serial: string, body: object, as?: TestAppliance) =>
      h.signed('POST', `/v1/certificates/${serial}/revoke`, body, as);
    expect(
      (await revoke(bystander.cert.serialNumber, { reason: 'superseded', orderId: renewal.id })).json(),
    ).toMatchObject({
      statusCode: 403,
      code: 'REVOCATION_NOT_ALLOWED',
    });
    expect(
      (await revoke(prev.cert.serialNumber, { reason: 'keyCompromise', orderId: renewal.id })).json(),
    ).toMatchObject({
      statusCode: 400,
      code: 'REVOCATION_REASON_NOT_ALLOWED',
    });
    expect(
      (await revoke(prev.cert.serialNumber, { reason: 'superseded', orderId: renewal.id }, sameHall)).json(),
    ).toMatchObject({ statusCode: 403, code: 'CERTIFICATE_WRONG_APPLIANCE' });
    expect(
      (await revoke(prev.cert.serialNumber, { reason: 'superseded', orderId: renewal.id }, otherHall)).json(),
    ).toMatchObject({ code: 'ORDER_WRONG_HALL' });
    const anon = await h.app.inject({
      method: 'POST',
      url: `/v1/certificates/${prev.cert.serialNumber}/revoke`,
      payload: { reason: 'superseded', orderId: renewal.id },
    });
    expect(anon.statusCode).toBe(401);
    expect(await crlEntries(bystander.cert.serialNumber)).toHaveLength(0);
    expect(await crlEntries(prev.cert.serialNumber)).toHaveLength(0);

    // organisation-individual lets a renewed certificate run out.
    const org = await renewable(PAID, {
      certificateType: 'organisation-individual',
      organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
    });
    const s = (await status(org.prev.cert.serialNumber, org.prev.tokenSerial)).json() as CertificateStatus;
    expect(s).toMatchObject({ renewal: { rule: 'let-expire' }, organisationNameMasked: '深*********司' });
    expect(
      (await renew(org.renewal.id, org.prev.cert.serialNumber, { tokenSerial: org.prev.tokenSerial }))
        .statusCode,
    ).toBe(200);
    expect(
      (await revoke(org.prev.cert.serialNumber, { reason: 'superseded', orderId: org.renewal.id })).json(),
    ).toMatchObject({ code: 'REVOCATION_NOT_ALLOWED' });
  });

  it('a renewal order names a good certificate of ours, keeps its people, and is the only one for it', async () => {
    const prev = await onKey();
    const create = (patch: object) =>
      h.admin('POST', '/admin/v1/orders', { ...NATURAL_PERSON, businessType: 'renewal', ...patch });
    const bad = async (patch: object, words: RegExp) => {
      const r = await create(patch);
      expect(r.json()).toMatchObject({
        statusCode: 400,
        code: 'ORDER_INVALID',
        message: expect.stringMatching(words),
      });
    };
    await bad({}, /names the certificate/);
    await bad({ previousCertificateSerial: 'abcdef0123' }, /No certificate of ours/);
    await bad({ previousCertificateSerial: prev.cert.serialNumber, holder: OTHER_PERSON }, /holder must be/);
    await bad(
      { previousCertificateSerial: prev.cert.serialNumber, delivery: 'courier' },
      /delivered by kiosk/,
    );
    await bad(
      { businessType: 'new', previousCertificateSerial: prev.cert.serialNumber },
      /Only renewal and reissue/,
    );
    // Without people: the certificate's are taken.
    const { holder: _h, ...withoutHolder } = NATURAL_PERSON;
    const ok = await h.admin('POST', '/admin/v1/orders', {
      ...withoutHolder,
      businessType: 'renewal',
      previousCertificateSerial: prev.cert.serialNumber,
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json() as Order).toMatchObject({ holder: NATURAL_PERSON.holder });
    await bad({ previousCertificateSerial: prev.cert.serialNumber }, /already has a renewal order/);
    // The life cycle: a renewal is not reviewed or shipped.
    const id = (ok.json() as Order).id;
    for (const action of PAID) await h.admin('POST', `/admin/v1/orders/${id}/actions`, { action });
    expect(
      (await h.admin('POST', `/admin/v1/orders/${id}/actions`, { action: 'request-identity' })).json(),
    ).toMatchObject({
      code: 'ORDER_ILLEGAL_TRANSITION',
    });
    expect(
      (await h.admin('POST', `/admin/v1/orders/${id}/actions`, { action: 'issue-renewal' })).json(),
    ).toMatchObject({
      code: 'ORDER_ILLEGAL_TRANSITION',
      message: expect.stringContaining('POST /v1/certificates'),
    });
    // A revoked certificate is not renewed.
    const gone = await onKey();
    await h.admin('POST', `/admin/v1/certificates/${gone.cert.serialNumber}/revoke`, {
      reason: 'superseded',
    });
    await bad({ previousCertificateSerial: gone.cert.serialNumber }, /revoked certificate cannot be renewed/);
  });
});

describe('reissue of a lost key (补办)', () => {
  async function lostKey() {
    const lost = await onKey();
    const { order, pickupCode } = await h.order(TO_APPROVED, {
      businessType: 'reissue',
      previousCertificateSerial: lost.cert.serialNumber,
    });
    return { lost, order, pickupCode: pickupCode! };
  }

  it('central revokes the lost certificate before it issues the new one onto a new blank key', async () => {
    const { lost, order, pickupCode } = await lostKey();
    const check = await h.signed('POST', '/v1/pickup-codes/check', { pickupCode });
    expect(check.json()).toMatchObject({
      businessType: 'reissue',
      previousCertificateSerial: lost.cert.serialNumber,
    });
    const r = await h.issue(
      { orderId: order.id, idempotencyKey: `${order.id}:1`, pickupCode, csrPem: csr() },
      { keyEvidence: evidence(token()) },
    );
    expect(r.statusCode, r.body).toBe(200);
    const entries = await crlEntries(lost.cert.serialNumber);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.reason).toBe(x509.X509CrlReason.keyCompromise);
    expect((await h.app.central.orders.get(order.id)).status).toBe('issued');
    // The kiosk's own revoke afterwards answers the same revocation (idempotent).
    const again = await h.signed('POST', `/v1/certificates/${lost.cert.serialNumber}/revoke`, {
      reason: 'keyCompromise',
      orderId: order.id,
    });
    expect(again.json()).toMatchObject({ serialNumber: lost.cert.serialNumber, reason: 'keyCompromise' });
    expect(await revocationChanges(lost.cert.serialNumber)).toBe(1);
  });

  it('revoke, crash, retry: revoked once, the order not lost, the CRL lists it', async () => {
    const { lost, order, pickupCode } = await lostKey();
    // The kiosk's journey revokes first (reason superseded: a damaged key), then central stops dead.
    const revoked = await h.signed('POST', `/v1/certificates/${lost.cert.serialNumber}/revoke`, {
      reason: 'superseded',
      orderId: order.id,
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const revokedAt = (revoked.json() as Revocation).revokedAt;
    await h.restart();
    h.clock.ms += 60_000;
    expect((await h.app.central.orders.get(order.id)).status).toBe('approved');
    // The journey resumes with the same pickup code onto a new blank key.
    const r = await h.issue(
      { orderId: order.id, idempotencyKey: `${order.id}:1`, pickupCode, csrPem: csr() },
      { keyEvidence: evidence(token()) },
    );
    expect(r.statusCode, r.body).toBe(200);
    const cert = await h.app.central.issuer.adminCertificate(lost.cert.serialNumber);
    expect(cert).toMatchObject({ revokedAt, revocationReason: 'superseded' });
    expect(await crlEntries(lost.cert.serialNumber)).toHaveLength(1);
    expect(await revocationChanges(lost.cert.serialNumber)).toBe(1);
    expect(await h.app.central.orders.get(order.id)).toMatchObject({
      status: 'issued',
      certificateSerial: (r.json() as IssuedCertificate).serialNumber,
    });
  });

  it('central crashes between its revocation and the new certificate: the retry issues one certificate, revoking nothing twice', async () => {
    const { lost, order, pickupCode } = await lostKey();
    const body = { orderId: order.id, idempotencyKey: `${order.id}:1`, pickupCode, csrPem: csr() };
    const opts = { keyEvidence: evidence(token()) };
    const spy = vi
      .spyOn(x509.X509CertificateGenerator, 'create')
      .mockRejectedValueOnce(new Error('power cut while signing'));
    try {
      const crashed = await h.issue(body, opts);
      expect(crashed.statusCode).toBe(500);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    // What the crash leaves, read by a central started again on the same store: the revocation only.
    await h.restart();
    const revokedAt = (await h.app.central.issuer.adminCertificate(lost.cert.serialNumber)).revokedAt;
    expect(revokedAt).toBeDefined();
    expect((await h.app.central.orders.get(order.id)).status).toBe('approved');
    expect(await h.app.central.issuer.certificatesOfOrder(order.id)).toHaveLength(0);
    h.clock.ms += 60_000;
    const retry = await h.issue(body, opts);
    expect(retry.statusCode, retry.body).toBe(200);
    const issued = retry.json() as IssuedCertificate;
    expect(await h.app.central.issuer.adminCertificate(lost.cert.serialNumber)).toMatchObject({
      revokedAt,
      revocationReason: 'keyCompromise',
    });
    expect(await crlEntries(lost.cert.serialNumber)).toHaveLength(1);
    expect(await revocationChanges(lost.cert.serialNumber)).toBe(1);
    expect(await h.app.central.orders.get(order.id)).toMatchObject({
      status: 'issued',
      certificateSerial: issued.serialNumber,
    });
    // The same request once more (its answer lost too): the same certificate, still the only one.
    const again = await h.issue(body, opts);
    expect((again.json() as IssuedCertificate).serialNumber).toBe(issued.serialNumber);
    expect(
      (await h.app.central.issuer.certificatesOfOrder(order.id)).map((c) => [c.serialNumber, c.revokedAt]),
    ).toEqual([[issued.serialNumber, undefined]]);
    expect(await revocationChanges(lost.cert.serialNumber)).toBe(1);
  });

  it('a reissue is revoked only for its order once approved, with keyCompromise or superseded', async () => {
    const lost = await onKey();
    const { order } = await h.order([...PAID], {
      businessType: 'reissue',
      previousCertificateSerial: lost.cert.serialNumber,
    });
    const revoke = (reason: string) =>
      h.signed('POST', `/v1/certificates/${lost.cert.serialNumber}/revoke`, { reason, orderId: order.id });
    expect((await revoke('keyCompromise')).json()).toMatchObject({ code: 'ORDER_NOT_APPROVED' });
    expect((await revoke('unspecified')).json()).toMatchObject({ code: 'REVOCATION_REASON_NOT_ALLOWED' });
    expect(await crlEntries(lost.cert.serialNumber)).toHaveLength(0);
  });
});

describe('POST /v1/unlocks (解锁)', () => {
  it('grants UNLOCKS_PER_KEY_PER_DAY a day per key, audited; a retried unlockId counts once; the next day starts again', async () => {
    const { cert, tokenSerial } = await onKey();
    const unlock = (id: string, card = NATURAL_PERSON.holder!, as?: TestAppliance) =>
      h.signed(
        'POST',
        '/v1/unlocks',
        {
          unlockId: id,
          certificateSerial: cert.serialNumber,
          tokenSerial,
          card: { idNumber: card.idNumber, name: card.name },
        },
        as,
      );
    const first = await unlock(`${tokenSerial}-u1`);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json() as UnlockResponse).toMatchObject({ unlocksLeftToday: UNLOCKS_PER_KEY_PER_DAY - 1 });
    expect((await unlock(`${tokenSerial}-u1`)).json()).toEqual(first.json());
    for (let i = 2; i <= UNLOCKS_PER_KEY_PER_DAY; i++) {
      expect(((await unlock(`${tokenSerial}-u${i}`)).json() as UnlockResponse).unlocksLeftToday).toBe(
        UNLOCKS_PER_KEY_PER_DAY - i,
      );
    }
    const over = await unlock(`${tokenSerial}-over`);
    expect(over.json()).toMatchObject({ statusCode: 429, code: 'UNLOCK_LIMIT_REACHED' });
    // From another kiosk too: the count is per key.
    expect((await unlock(`${tokenSerial}-elsewhere`, undefined, sameHall)).json()).toMatchObject({
      code: 'UNLOCK_LIMIT_REACHED',
    });
    const start = h.clock.ms;
    h.clock.ms = start + DAY_MS;
    try {
      expect((await unlock(`${tokenSerial}-tomorrow`)).statusCode).toBe(200);
    } finally {
      h.clock.ms = start;
    }
    const audit = (await h.admin('GET', '/admin/v1/unlocks')).json() as {
      unlocks: Array<{ outcome: string; tokenSerial: string }>;
    };
    const mine = audit.unlocks.filter((u) => u.tokenSerial === tokenSerial).map((u) => u.outcome);
    expect(mine.sort()).toEqual(
      [...Array(UNLOCKS_PER_KEY_PER_DAY + 1).fill('granted'), 'limit-reached', 'limit-reached'].sort(),
    );
  });

  it('another person’s card is refused and spends a try (no ID oracle); a key that is not ours is refused', async () => {
    const { cert, tokenSerial } = await onKey();
    const send = (id: string, card: { idNumber: string; name: string }, tokenSerialSent = tokenSerial) =>
      h.signed('POST', '/v1/unlocks', {
        unlockId: id,
        certificateSerial: cert.serialNumber,
        tokenSerial: tokenSerialSent,
        card,
      });
    const wrong = await send(`${tokenSerial}-w1`, OTHER_PERSON);
    expect(wrong.json()).toMatchObject({ statusCode: 403, code: 'IDENTITY_MISMATCH' });
    const rightIdWrongName = await send(`${tokenSerial}-w2`, {
      idNumber: NATURAL_PERSON.holder!.idNumber,
      name: '王五',
    });
    expect(rightIdWrongName.json()).toMatchObject({ code: 'IDENTITY_MISMATCH' });
    const ok = await send(`${tokenSerial}-ok`, NATURAL_PERSON.holder!);
    expect((ok.json() as UnlockResponse).unlocksLeftToday).toBe(UNLOCKS_PER_KEY_PER_DAY - 3);
    const notOurs = await send(`${tokenSerial}-x`, NATURAL_PERSON.holder!, 'A-FOREIGN-KEY');
    expect(notOurs.json()).toMatchObject({ statusCode: 404, code: 'CERTIFICATE_NOT_OURS' });
    // An unlockId is not a way to another key's answer.
    const { cert: c2, tokenSerial: t2 } = await onKey();
    const reuse = await h.signed('POST', '/v1/unlocks', {
      unlockId: `${tokenSerial}-ok`,
      certificateSerial: c2.serialNumber,
      tokenSerial: t2,
      card: NATURAL_PERSON.holder,
    });
    expect(reuse.json()).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });
});

describe('order look-up', () => {
  it('by ID card: the card holder’s orders with status history, reject reason and remittance code — nothing of anyone else', async () => {
    const person = { name: '周杰', idNumber: '440305198808080012' };
    const someoneElse = OTHER_PERSON;
    const mine = { applicant: { name: person.name, phone: '13811112222' }, holder: person };
    const rejected = await h.order([...PAID, 'request-identity', 'verify-identity', 'reject'], mine);
    const transfer = await h.order(['request-payment', 'choose-transfer'], mine);
    const approved = await h.order(TO_APPROVED, mine);
    const theirs = await h.order(['request-payment', 'choose-transfer'], {
      applicant: { name: someoneElse.name, phone: '13933334444' },
      holder: someoneElse,
    });
    // An organisation order where the person is the handler: found by the handler, not by the representative's card.
    const org = await h.order(['request-payment'], {
      certificateType: 'organisation',
      holder: undefined,
      applicant: { name: person.name, phone: '13811112222' },
      organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
      legalRepresentative: { name: '王芳', idNumber: '310101197805200023' },
      handler: person,
    });

    const look = (card: { idNumber: string; name: string }, as?: TestAppliance) =>
      h.signed('POST', '/v1/lookups/by-id-card', { card }, as);
    const r = await look({ idNumber: person.idNumber.toLowerCase(), name: ` ${person.name} ` });
    expect(r.statusCode, r.body).toBe(200);
    const { orders } = r.json() as OrderLookupResponse;
    const byId = new Map(orders.map((o) => [o.id, o]));
    for (const o of [rejected, transfer, approved, org]) expect(byId.has(o.order.id)).toBe(true);
    expect(byId.has(theirs.order.id)).toBe(false);
    expect(byId.get(rejected.order.id)).toMatchObject({
      status: 'rejected',
      rejectReason: 'Please upload a clearer scan.',
      roles: ['holder'],
      holderNameMasked: '周*',
    });
    expect(byId.get(rejected.order.id)!.history.map((e) => e.status)).toEqual([
      'awaiting-payment',
      'paid',
      'identity-pending',
      'under-review',
      'rejected',
    ]);
    const t = await h.app.central.orders.get(transfer.order.id);
    expect(byId.get(transfer.order.id)).toMatchObject({
      status: 'transfer-pending',
      remittanceCode: t.remittanceCode,
    });
    expect(byId.get(approved.order.id)).not.toHaveProperty('remittanceCode');
    expect(byId.get(org.order.id)).toMatchObject({
      roles: ['handler'],
      organisationName: '深圳市示例科技有限公司',
    });
    // Nothing of any other person: not the other applicant, not the organisation's representative, no ID number.
    for (const s of [
      someoneElse.name,
      someoneElse.idNumber,
      '王芳',
      '310101197805200023',
      person.idNumber,
      '13811112222',
    ])
      expect(r.body).not.toContain(s);
    expect(r.body).not.toContain((await h.app.central.orders.get(theirs.order.id)).remittanceCode!);

    // Another person's card: nothing of this person. The same ID number with another name: nothing at all.
    const other = await look(someoneElse);
    expect((other.json() as OrderLookupResponse).orders.map((o) => o.id)).toEqual([theirs.order.id]);
    expect(other.body).not.toContain(person.name);
    const wrongName = await look({ idNumber: person.idNumber, name: '周伦' });
    expect(wrongName.json()).toEqual({ orders: [] });
    // The organisation's representative was never on any order here as herself.
    expect((await look({ idNumber: '310101197805200023', name: '王芳' })).json()).toMatchObject({
      orders: expect.arrayContaining([
        expect.objectContaining({ id: org.order.id, roles: ['legal-representative'] }),
      ]),
    });

    // Unauthenticated or unapproved: nothing.
    const anon = await h.app.inject({
      method: 'POST',
      url: '/v1/lookups/by-id-card',
      payload: { card: person },
    });
    expect(anon.statusCode).toBe(401);
    expect(anon.body).not.toContain(rejected.order.id);
    expect((await look(person, pending)).statusCode).toBe(401);

    // The index key is central's own: a new key rebuilds the index at start, and the look-up still works.
    writeFileSync(join(h.dir, PERSON_INDEX_KEY_FILE), Buffer.alloc(32, 7).toString('base64'));
    await h.restart();
    const after = (await look(person)).json() as OrderLookupResponse;
    expect(after.orders.map((o) => o.id).sort()).toEqual(orders.map((o) => o.id).sort());
    expect(readFileSync(join(h.dir, PERSON_INDEX_KEY_FILE), 'utf8')).toBe(
      Buffer.alloc(32, 7).toString('base64'),
    );
    // Audited: who asked and how many orders were found, never who was looked up.
    const audit = await h.app.central.db.all("SELECT * FROM lookup_audit WHERE kind = 'id-card'");
    expect(audit.length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(audit)).not.toContain(person.idNumber);
  });

  it('by code: the pickup code or the receipt link shows that one order; forged, superseded and other-hall codes do not', async () => {
    const { order, pickupCode } = await h.order(TO_APPROVED);
    const look = (code: string, as?: TestAppliance) => h.signed('POST', '/v1/lookups/by-code', { code }, as);
    const r = await look(pickupCode!);
    expect(r.statusCode, r.body).toBe(200);
    expect((r.json() as OrderLookupResponse).orders).toEqual([
      expect.objectContaining({ id: order.id, status: 'approved', businessType: 'new' }),
    ]);
    expect(r.body).not.toContain(NATURAL_PERSON.holder!.idNumber);
    expect((await look(pickupCode!, otherHall)).json()).toMatchObject({ code: 'ORDER_WRONG_HALL' });
    const [body, sig] = pickupCode!.split('.');
    // One character of the signature changed (not its tail: an Ed25519 S often ends in zero bits already).
    const forged = `${sig!.slice(0, 10)}${sig![10] === 'A' ? 'B' : 'A'}${sig!.slice(11)}`;
    expect((await look(`${body}.${forged}`)).json()).toMatchObject({
      code: 'PICKUP_CODE_INVALID',
    });
    // An expired code still shows its order's status (it cannot collect).
    const start = h.clock.ms;
    h.clock.ms = start + 8 * DAY_MS;
    try {
      expect((await look(pickupCode!)).statusCode).toBe(200);
    } finally {
      h.clock.ms = start;
    }
    await h.admin('POST', `/admin/v1/orders/${order.id}/pickup-code`);
    expect((await look(pickupCode!)).json()).toMatchObject({ code: 'PICKUP_CODE_SUPERSEDED' });

    // The receipt link (the receipt's QR code) of a collected order.
    const collected = await onKey();
    const receiptUrl = h.app.central.orders.receiptUrl(await h.app.central.orders.row(collected.order.id))!;
    const byReceipt = await look(receiptUrl);
    expect((byReceipt.json() as OrderLookupResponse).orders[0]).toMatchObject({
      id: collected.order.id,
      status: 'issued',
    });
    expect((await look(`${receiptUrl.slice(0, -3)}xyz`)).json()).toMatchObject({ statusCode: 404 });
  });
});

describe('OpenAPI', () => {
  it('publishes every after-sales route', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    for (const p of [
      '/v1/certificates/{serialNumber}',
      '/v1/certificates/{serialNumber}/revoke',
      '/v1/activations/{serialNumber}',
      '/v1/activations',
      '/v1/renewals',
      '/v1/unlocks',
      '/v1/lookups/by-id-card',
      '/v1/lookups/by-code',
      '/admin/v1/orders/{orderId}/certificates',
      '/admin/v1/certificates/{serial}/token',
      '/admin/v1/unlocks',
    ])
      expect(Object.keys(doc.paths)).toContain(p);
  });
});
