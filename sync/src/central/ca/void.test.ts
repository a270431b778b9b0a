import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ChangeFeedResponse,
  IssuedCertificate,
  Order,
  OrderHistoryResponse,
  VoidCertificateResponse,
} from '../../contract/schemas.js';
import {
  type Harness,
  newApplianceKey,
  opensslCsr,
  startHarness,
  type TestAppliance,
  TO_APPROVED,
  writeTemp,
} from '../testing.js';

let h: Harness;
let sameHall: TestAppliance;
let otherHall: TestAppliance;
beforeAll(async () => {
  h = await startHarness();
  sameHall = newApplianceKey('KIOSK-T-002');
  otherHall = newApplianceKey('KIOSK-GZ-001', 'GZ-TIANHE');
  for (const a of [sameHall, otherHall]) {
    await h.enrol(a);
    await h.admin('POST', `/admin/v1/appliances/${a.id}/approve`);
  }
});
afterAll(() => h.close());

const JOURNEY = '6f1c2a9b-e03d-4c11-a2b3-c4d5e6f70812';
const REASON = 'Key pulled before the certificate was written';
let csrs = 0;

/** An approved order with a certificate issued at the test kiosk. */
async function issued() {
  const { order, pickupCode } = await h.order(TO_APPROVED);
  const csrPem = opensslCsr(h.dir, 'ec', `void-${++csrs}`);
  const idempotencyKey = `${order.id}:attempt-1`;
  const r = await h.issue({
    orderId: order.id,
    idempotencyKey,
    pickupCode: pickupCode!,
    csrPem,
  });
  expect(r.statusCode, r.body).toBe(200);
  return {
    orderId: order.id,
    pickupCode: pickupCode!,
    csrPem,
    idempotencyKey,
    cert: r.json() as IssuedCertificate,
  };
}

const voidIt = (serial: string, as?: TestAppliance, body: unknown = { journeyId: JOURNEY, reason: REASON }) =>
  h.signed('POST', `/v1/certificates/${serial}/void`, body, as);

/** The CRL central serves, as openssl reads it. */
async function crlText(): Promise<string> {
  const crl = await h.app.inject({ url: '/v1/ca/crl' });
  const file = writeTemp(h.dir, 'void-crl.der', crl.rawPayload);
  return execFileSync('openssl', ['crl', '-inform', 'DER', '-in', file, '-noout', '-text'], {
    encoding: 'utf8',
  })
    .toLowerCase()
    .replace(/:/g, '');
}

const order = async (id: string) => (await h.admin('GET', `/admin/v1/orders/${id}`)).json() as Order;

describe('POST /v1/certificates/:serialNumber/void', () => {
  it('revokes the certificate (in the CRL), returns the order to approved, and the holder collects again with the same pickup code and a new key pair', async () => {
    const a = await issued();
    const before = (await h.signed('GET', '/v1/changes?limit=1000')).json() as ChangeFeedResponse;
    const r = await voidIt(a.cert.serialNumber);
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json() as VoidCertificateResponse;
    expect(body).toMatchObject({
      serialNumber: a.cert.serialNumber,
      order: { id: a.orderId, status: 'approved' },
      revokedAt: new Date(h.clock.ms).toISOString(),
      voidedAt: new Date(h.clock.ms).toISOString(),
    });
    // the voided certificate is not the order's any more
    expect((await order(a.orderId)).certificateSerial).toBeUndefined();
    // and the kiosk gets the order as an appliance sees it: no ID number, no full name
    expect(JSON.stringify(body.order)).not.toContain('440304199001011233');
    expect(JSON.stringify(body.order)).not.toContain('张伟');

    const crl = await crlText();
    expect(crl).toContain(`serial number ${a.cert.serialNumber}`);
    expect(crl).toContain('superseded');

    // operations see who voided what and why
    const history = (
      await h.admin('GET', `/admin/v1/orders/${a.orderId}/history`)
    ).json() as OrderHistoryResponse;
    expect(history.history.at(-1)).toMatchObject({ action: 'void-issuance', from: 'issued', to: 'approved' });
    for (const part of [a.cert.serialNumber, h.appliance.id, JOURNEY, REASON]) {
      expect(history.history.at(-1)?.note).toContain(part);
    }
    const feed = (await h.signed('GET', `/v1/changes?cursor=${before.cursor}`)).json() as ChangeFeedResponse;
    expect(feed.changes.map((c) => [c.type, c.orderId, c.payload])).toEqual([
      ['certificate.revoked', a.orderId, { serialNumber: a.cert.serialNumber, reason: 'superseded' }],
      ['order.updated', a.orderId, { status: 'approved', action: 'void-issuance' }],
    ]);

    // the old idempotency key never hands the voided certificate out again
    const byKey = await h.signed('GET', `/v1/certificates/by-idempotency-key/${a.idempotencyKey}`);
    expect(byKey.json()).toMatchObject({ statusCode: 410, code: 'CERTIFICATE_VOIDED' });
    const sameRequest = {
      orderId: a.orderId,
      idempotencyKey: a.idempotencyKey,
      pickupCode: a.pickupCode,
      csrPem: a.csrPem,
    };
    expect((await h.issue(sameRequest)).json()).toMatchObject({
      statusCode: 410,
      code: 'CERTIFICATE_VOIDED',
    });
    // nor certifies the voided key pair again under a new key
    const sameKeyPair = await h.issue({
      ...sameRequest,
      idempotencyKey: `${a.orderId}:attempt-2`,
    });
    expect(sameKeyPair.json()).toMatchObject({ statusCode: 409, code: 'CSR_KEY_REVOKED' });
    expect((await order(a.orderId)).status).toBe('approved');

    // a new key pair with the same pickup code: a new certificate
    const again = await h.issue({
      ...sameRequest,
      idempotencyKey: `${a.orderId}:attempt-3`,
      csrPem: opensslCsr(h.dir, 'ec', 'void-new-key'),
    });
    expect(again.statusCode, again.body).toBe(200);
    const fresh = again.json() as IssuedCertificate;
    expect(fresh.serialNumber).not.toBe(a.cert.serialNumber);
    expect(await order(a.orderId)).toMatchObject({ status: 'issued', certificateSerial: fresh.serialNumber });
    expect(await crlText()).not.toContain(`serial number ${fresh.serialNumber}`);
  });

  it('is idempotent: voiding again (even with another reason) answers the same and changes nothing', async () => {
    const a = await issued();
    const first = await voidIt(a.cert.serialNumber);
    const historyLength = async () =>
      ((await h.admin('GET', `/admin/v1/orders/${a.orderId}/history`)).json() as OrderHistoryResponse).history
        .length;
    const n = await historyLength();
    h.clock.ms += 60_000;
    const second = await voidIt(a.cert.serialNumber, undefined, { journeyId: 'J-2', reason: 'again' });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(await historyLength()).toBe(n);
    expect((await crlText()).split(`serial number ${a.cert.serialNumber}`)).toHaveLength(2); // listed once
    // an upper-case serial with the DER sign byte names the same certificate
    expect((await voidIt(`00${a.cert.serialNumber.toUpperCase()}`)).json()).toEqual(first.json());
  });

  it('only the appliance that issued it may void it: another kiosk, in the same hall or not, gets 403 and changes nothing', async () => {
    const a = await issued();
    for (const intruder of [sameHall, otherHall]) {
      const r = await voidIt(a.cert.serialNumber, intruder);
      expect(r.json()).toMatchObject({ statusCode: 403, code: 'CERTIFICATE_WRONG_APPLIANCE' });
    }
    expect(await order(a.orderId)).toMatchObject({
      status: 'issued',
      certificateSerial: a.cert.serialNumber,
    });
    expect(await crlText()).not.toContain(`serial number ${a.cert.serialNumber}`);
    const byKey = await h.signed('GET', `/v1/certificates/by-idempotency-key/${a.idempotencyKey}`);
    expect((byKey.json() as IssuedCertificate).serialNumber).toBe(a.cert.serialNumber);
    // and the operator's action endpoint cannot reverse an issuance without the revocation either
    const sneak = await h.admin('POST', `/admin/v1/orders/${a.orderId}/actions`, { action: 'void-issuance' });
    expect(sneak.json()).toMatchObject({ statusCode: 409, code: 'ORDER_ILLEGAL_TRANSITION' });
    expect((await order(a.orderId)).status).toBe('issued');
  });

  it('answers 404 CERTIFICATE_NOT_FOUND for an unknown serial and 400 for a bad serial or body, changing nothing', async () => {
    const a = await issued();
    expect((await voidIt('abcdef0123456789')).json()).toMatchObject({
      statusCode: 404,
      code: 'CERTIFICATE_NOT_FOUND',
    });
    const bad: Array<[string, unknown]> = [
      ['not-hex', { journeyId: JOURNEY, reason: REASON }],
      [a.cert.serialNumber, { journeyId: JOURNEY, reason: '' }],
      [a.cert.serialNumber, { journeyId: JOURNEY, reason: '   ' }],
      [a.cert.serialNumber, { journeyId: JOURNEY, reason: 'x'.repeat(201) }],
      [a.cert.serialNumber, { reason: REASON }],
      [a.cert.serialNumber, { journeyId: 'has spaces', reason: REASON }],
      [a.cert.serialNumber, { journeyId: JOURNEY, reason: REASON, revoke: 'all' }],
    ];
    for (const [serial, body] of bad) {
      const r = await voidIt(serial, undefined, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await order(a.orderId)).status).toBe('issued');
    expect(await crlText()).not.toContain(`serial number ${a.cert.serialNumber}`);
    expect(
      (await voidIt(a.cert.serialNumber, undefined, { journeyId: JOURNEY, reason: 'x'.repeat(200) }))
        .statusCode,
    ).toBe(200);
  });

  it('refuses once the holder activated the certificate: 409 ORDER_ALREADY_ACTIVATED, not revoked', async () => {
    const a = await issued();
    await h.signed('POST', '/v1/events', {
      events: [
        {
          id: `evt-activated-${a.orderId}`,
          type: 'certificate.activated',
          occurredAt: new Date(h.clock.ms).toISOString(),
          orderId: a.orderId,
          payload: {},
        },
      ],
    });
    expect((await order(a.orderId)).status).toBe('activated');
    expect((await voidIt(a.cert.serialNumber)).json()).toMatchObject({
      statusCode: 409,
      code: 'ORDER_ALREADY_ACTIVATED',
    });
    expect((await order(a.orderId)).status).toBe('activated');
    expect(await crlText()).not.toContain(`serial number ${a.cert.serialNumber}`);
  });

  it('voids a certificate an operator already revoked: that revocation stands, the order returns to approved', async () => {
    const a = await issued();
    const rev = await h.admin('POST', `/admin/v1/certificates/${a.cert.serialNumber}/revoke`, {
      reason: 'keyCompromise',
    });
    const revokedAt = (rev.json() as { revokedAt: string }).revokedAt;
    h.clock.ms += 60_000;
    const r = (await voidIt(a.cert.serialNumber)).json() as VoidCertificateResponse;
    expect(r).toMatchObject({ revokedAt, order: { status: 'approved' } });
    expect(r.voidedAt).not.toBe(revokedAt);
    expect(await crlText()).toContain('key compromise');
  });
});
