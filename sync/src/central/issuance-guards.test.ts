// What an issuance must carry besides the pickup code — key evidence that the key pair lives on the token,
// and the kiosk's signed statement that an ID card of a person allowed to collect matched — and how far an
// appliance's reach goes: its own certificates and the events about orders it issued. Each test is named
// after the attack it stops and fails if the attack works (no certificate, no state change).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_STATEMENT_MAX_AGE_MS, identityStatementBytes } from '../contract/identity.js';
import { createKeySigner } from '../contract/request-signing.js';
import type {
  AdminCertificate,
  AdminCertificateListResponse,
  IssuedCertificate,
  Order,
  SignedIdentityStatement,
} from '../contract/schemas.js';
import {
  GOOD_KEY_EVIDENCE,
  type Harness,
  identityStatementFor,
  newApplianceKey,
  opensslCsr,
  startHarness,
  type TestAppliance,
  TO_APPROVED,
} from './testing.js';

let h: Harness;
let sameHall: TestAppliance;
let n = 0;
beforeAll(async () => {
  h = await startHarness();
  sameHall = newApplianceKey('KIOSK-T-NEIGHBOUR');
  await h.enrol(sameHall);
  await h.admin('POST', `/admin/v1/appliances/${sameHall.id}/approve`);
});
afterAll(() => h.close());

async function approved(patch = {}) {
  const { order, pickupCode } = await h.order(TO_APPROVED, patch);
  return {
    orderId: order.id,
    pickupCode: pickupCode!,
    idempotencyKey: `${order.id}:attempt-1`,
    csrPem: opensslCsr(h.dir, 'ec', `guard-${++n}`),
  };
}

const certificateCount = async (orderId: string) =>
  (
    (await h.app.central.db.get('SELECT COUNT(*) AS n FROM certificates WHERE order_id = ?', orderId)) as {
      n: number;
    }
  ).n;
const orderOf = async (id: string) => (await h.admin('GET', `/admin/v1/orders/${id}`)).json() as Order;

/** The request was refused with `code`, and nothing was issued: no certificate, order still approved. */
async function expectRefusedNothingIssued(
  res: { json(): unknown; statusCode: number },
  orderId: string,
  code: string,
  status?: number,
) {
  expect(res.json()).toMatchObject({ code, ...(status ? { statusCode: status } : {}) });
  expect(await certificateCount(orderId)).toBe(0);
  expect((await orderOf(orderId)).status).toBe('approved');
}

describe('identity statement', () => {
  it('a valid statement by the requesting kiosk issues, and operators see it with the certificate', async () => {
    const req = await approved();
    const body = await h.issueBody(req);
    const r = await h.signed('POST', '/v1/certificates', body);
    expect(r.statusCode, r.body).toBe(200);
    const cert = r.json() as IssuedCertificate;
    const list = (
      await h.admin('GET', `/admin/v1/orders/${req.orderId}/certificates`)
    ).json() as AdminCertificateListResponse;
    expect(list.certificates).toHaveLength(1);
    const shown = list.certificates[0] as AdminCertificate;
    expect(shown).toMatchObject({
      serialNumber: cert.serialNumber,
      applianceId: h.appliance.id,
      keyEvidence: GOOD_KEY_EVIDENCE,
      identityStatement: body.identityStatement as SignedIdentityStatement,
    });
    expect(shown.identityStatement?.statement.role).toBe('holder');
    expect((await h.admin('GET', `/admin/v1/certificates/${cert.serialNumber}`)).json()).toEqual(shown);
    // the retry of the same request after a crash still gets the certificate, even once the check is old
    h.clock.ms += IDENTITY_STATEMENT_MAX_AGE_MS + 60_000;
    const retry = await h.signed('POST', '/v1/certificates', body);
    expect((retry.json() as IssuedCertificate).serialNumber).toBe(cert.serialNumber);
  });

  it('an issuance with a forged statement (signed by another key) is refused and issues nothing', async () => {
    const req = await approved();
    const forger = newApplianceKey(h.appliance.id); // same id, someone else's key
    const body = await h.issueBody(req, { as: forger });
    const r = await h.signed('POST', '/v1/certificates', body); // the request itself is the kiosk's own
    await expectRefusedNothingIssued(r, req.orderId, 'IDENTITY_STATEMENT_BAD_SIGNATURE', 403);
  });

  it('an issuance with a statement tampered after signing (role, HMAC, time) is refused and issues nothing', async () => {
    const req = await approved({
      certificateType: 'organisation',
      holder: undefined,
      organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
      legalRepresentative: { name: '王芳', idNumber: '310101197805200023' },
      handler: { name: '陈强', idNumber: '440305199203040012' },
    });
    const good = await h.identityStatement(req.orderId, { role: 'handler' });
    const tamper: Array<Partial<SignedIdentityStatement['statement']>> = [
      { role: 'legal-representative' },
      { cardIdHmac: 'f'.repeat(64) },
      { checkedAt: new Date(h.clock.ms + 1000).toISOString() },
    ];
    for (const t of tamper) {
      const r = await h.issue({
        ...req,
        identityStatement: { ...good, statement: { ...good.statement, ...t } },
      });
      await expectRefusedNothingIssued(r, req.orderId, 'IDENTITY_STATEMENT_BAD_SIGNATURE');
    }
    expect((await h.issue({ ...req, identityStatement: good })).statusCode).toBe(200);
  });

  it('an issuance with another appliance’s statement (its own signature, its own id) is refused and issues nothing', async () => {
    const req = await approved();
    const theirs = await h.identityStatement(req.orderId, { as: sameHall });
    const r = await h.issue({ ...req, identityStatement: theirs });
    await expectRefusedNothingIssued(r, req.orderId, 'IDENTITY_STATEMENT_INVALID', 400);
    // relabelled with our id, their signature no longer verifies against our key
    const relabelled = { ...theirs, statement: { ...theirs.statement, applianceId: h.appliance.id } };
    await expectRefusedNothingIssued(
      await h.issue({ ...req, identityStatement: relabelled }),
      req.orderId,
      'IDENTITY_STATEMENT_BAD_SIGNATURE',
    );
  });

  it('an issuance with a statement about another order is refused and issues nothing', async () => {
    const req = await approved();
    const other = await approved();
    const aboutOther = await h.identityStatement(other.orderId);
    await expectRefusedNothingIssued(
      await h.issue({ ...req, identityStatement: aboutOther }),
      req.orderId,
      'IDENTITY_STATEMENT_INVALID',
      400,
    );
  });

  it('an issuance whose card does not match the order’s person (mismatched statement) is refused and issues nothing', async () => {
    const req = await approved();
    for (const card of [
      { idNumber: '110105198503150027', name: '张伟' }, // same name, another ID number
      { idNumber: '440304199001011233', name: '张玮' }, // the ID number, another name
    ]) {
      const r = await h.issue(req, { card });
      await expectRefusedNothingIssued(r, req.orderId, 'IDENTITY_MISMATCH', 403);
    }
    // the HMACs are under this order's salt: the right person's HMACs from another order do not match here
    const other = await approved();
    const otherOrder = h.app.central.orders.toApplianceOrder(await h.app.central.orders.row(other.orderId));
    const borrowed = await identityStatementFor(
      otherOrder,
      { idNumber: '440304199001011233', name: '张伟' },
      {
        applianceId: h.appliance.id,
        signer: createKeySigner(h.appliance.privateKey),
        checkedAt: new Date(h.clock.ms).toISOString(),
        patch: { orderId: req.orderId },
      },
    );
    await expectRefusedNothingIssued(
      await h.issue({ ...req, identityStatement: borrowed }),
      req.orderId,
      'IDENTITY_MISMATCH',
    );
  });

  it('an issuance claiming a role that may not collect is refused and issues nothing', async () => {
    // natural person: the holder only
    const np = await approved();
    await expectRefusedNothingIssued(
      await h.issue(np, { role: 'handler' }),
      np.orderId,
      'IDENTITY_ROLE_NOT_ALLOWED',
      403,
    );
    // organisation-individual: the handler only once the holder verified online
    const oi = await approved({
      certificateType: 'organisation-individual',
      organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
      holder: { name: '李娜', idNumber: '110105198503150027' },
      handler: { name: '陈强', idNumber: '440305199203040012' },
    });
    await expectRefusedNothingIssued(
      await h.issue(oi, { role: 'handler' }),
      oi.orderId,
      'IDENTITY_ROLE_NOT_ALLOWED',
    );
    // organisation: not the (absent) holder
    const org = await approved({
      certificateType: 'organisation',
      holder: undefined,
      organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
      legalRepresentative: { name: '王芳', idNumber: '310101197805200023' },
    });
    await expectRefusedNothingIssued(
      await h.issue(org, { role: 'holder', card: { idNumber: '310101197805200023', name: '王芳' } }),
      org.orderId,
      'IDENTITY_ROLE_NOT_ALLOWED',
    );
    expect((await h.issue(org, { role: 'legal-representative' })).statusCode).toBe(200);
  });

  it('an issuance with a stale (or future-dated) identity check is refused and issues nothing', async () => {
    const req = await approved();
    const old = new Date(h.clock.ms - IDENTITY_STATEMENT_MAX_AGE_MS - 1000).toISOString();
    await expectRefusedNothingIssued(
      await h.issue(req, { checkedAt: old }),
      req.orderId,
      'IDENTITY_STATEMENT_STALE',
      400,
    );
    const future = new Date(h.clock.ms + 10 * 60_000).toISOString();
    await expectRefusedNothingIssued(
      await h.issue(req, { checkedAt: future }),
      req.orderId,
      'IDENTITY_STATEMENT_STALE',
    );
    const recent = new Date(h.clock.ms - IDENTITY_STATEMENT_MAX_AGE_MS + 60_000).toISOString();
    expect((await h.issue(req, { checkedAt: recent })).statusCode).toBe(200);
  });

  it('an issuance without a statement, or with another match rule, is refused by the contract', async () => {
    const req = await approved();
    const good = await h.identityStatement(req.orderId);
    const { identityStatement: _, ...noStatement } = await h.issueBody(req);
    expect((await h.signed('POST', '/v1/certificates', noStatement)).statusCode).toBe(400);
    const otherRule = { ...good, statement: { ...good.statement, matchRule: 'name-only/v0' } };
    expect((await h.issue({ ...req, identityStatement: otherRule })).statusCode).toBe(400);
    expect(await certificateCount(req.orderId)).toBe(0);
  });

  it('the statement bytes are canonical JSON (sorted keys, UTF-8), whatever order the fields come in', () => {
    const st = {
      orderId: 'CK1',
      applianceId: 'K1',
      role: 'holder' as const,
      cardIdHmac: 'a'.repeat(64),
      cardNameHmac: 'b'.repeat(64),
      matchRule: 'id-hmac+name-hmac/v1' as const,
      checkedAt: '2026-03-01T08:00:00.000Z',
    };
    const bytes = identityStatementBytes(st);
    expect(bytes.toString('utf8')).toBe(
      `{"applianceId":"K1","cardIdHmac":"${'a'.repeat(64)}","cardNameHmac":"${'b'.repeat(64)}","checkedAt":"2026-03-01T08:00:00.000Z","matchRule":"id-hmac+name-hmac/v1","orderId":"CK1","role":"holder"}`,
    );
    const reordered = Object.fromEntries(Object.entries(st).reverse()) as typeof st;
    expect(identityStatementBytes(reordered).equals(bytes)).toBe(true);
  });
});

describe('key evidence', () => {
  it.each([
    ['local:false', { local: false }, ['local']],
    ['extractable:true', { extractable: true }, ['extractable']],
    ['neverExtractable:false', { neverExtractable: false }, ['neverExtractable']],
    [
      'alwaysSensitive:false + sensitive:false',
      { alwaysSensitive: false, sensitive: false },
      ['alwaysSensitive', 'sensitive'],
    ],
  ])(
    'an issuance with keyEvidence %s is refused (KEY_EVIDENCE_REFUSED naming it) and issues nothing',
    async (_n, bad, named) => {
      const req = await approved();
      const r = await h.issue(req, { keyEvidence: { ...GOOD_KEY_EVIDENCE, ...bad } });
      await expectRefusedNothingIssued(r, req.orderId, 'KEY_EVIDENCE_REFUSED', 400);
      const message = (r.json() as { message: string }).message;
      for (const attr of named) expect(message).toContain(attr);
    },
  );

  it('an issuance without keyEvidence is refused by the contract', async () => {
    const req = await approved();
    const { keyEvidence: _, ...body } = await h.issueBody(req);
    expect((await h.signed('POST', '/v1/certificates', body)).statusCode).toBe(400);
    expect(await certificateCount(req.orderId)).toBe(0);
  });
});

describe('an appliance reaches only its own issuances', () => {
  async function issuedHere() {
    const req = await approved();
    const r = await h.issue(req);
    expect(r.statusCode, r.body).toBe(200);
    return { ...req, cert: r.json() as IssuedCertificate };
  }

  it('a look-up by another appliance’s idempotency key gets 404 (and re-sending its request gets no certificate)', async () => {
    const a = await issuedHere();
    const mine = await h.signed('GET', `/v1/certificates/by-idempotency-key/${a.idempotencyKey}`);
    expect((mine.json() as IssuedCertificate).serialNumber).toBe(a.cert.serialNumber);
    const theirs = await h.signed(
      'GET',
      `/v1/certificates/by-idempotency-key/${a.idempotencyKey}`,
      undefined,
      sameHall,
    );
    expect(theirs.json()).toMatchObject({ statusCode: 404, code: 'CERTIFICATE_NOT_FOUND' });
    expect(theirs.body).not.toContain('BEGIN CERTIFICATE');
    // replaying the issuing request (same key, same CSR) as the other kiosk: refused, no certificate
    const replay = await h.issue(
      { orderId: a.orderId, idempotencyKey: a.idempotencyKey, pickupCode: a.pickupCode, csrPem: a.csrPem },
      { as: sameHall },
    );
    expect(replay.json()).toMatchObject({ statusCode: 409, code: 'IDEMPOTENCY_CONFLICT' });
    const replayNewKey = await h.issue(
      {
        orderId: a.orderId,
        idempotencyKey: `${a.orderId}:theirs`,
        pickupCode: a.pickupCode,
        csrPem: a.csrPem,
      },
      { as: sameHall },
    );
    expect(replayNewKey.json()).toMatchObject({ statusCode: 409, code: 'ORDER_ALREADY_ISSUED' });
    expect(replayNewKey.body).not.toContain('BEGIN CERTIFICATE');
    expect(await certificateCount(a.orderId)).toBe(1);
  });

  it('an activation event for another appliance’s order is refused and changes nothing; the issuing kiosk’s is accepted', async () => {
    const a = await issuedHere();
    const eventCount = async () => h.app.central.events.count();
    const before = await eventCount();
    const activated = (id: string) => ({
      id,
      type: 'certificate.activated',
      occurredAt: new Date(h.clock.ms).toISOString(),
      orderId: a.orderId,
      payload: { serialNumber: a.cert.serialNumber },
    });
    const harmless = {
      id: `evt-harmless-${a.orderId}`,
      type: 'receipt.printed',
      occurredAt: new Date(h.clock.ms).toISOString(),
      payload: {},
    };
    const r = await h.signed(
      'POST',
      '/v1/events',
      { events: [harmless, activated(`evt-act-other-${a.orderId}`)] },
      sameHall,
    );
    expect(r.json()).toMatchObject({ statusCode: 403, code: 'EVENT_WRONG_APPLIANCE' });
    expect((await orderOf(a.orderId)).status).toBe('issued');
    expect(await eventCount()).toBe(before); // all or nothing: the harmless one is not stored either
    // other events about that order from the other kiosk are refused too
    const receipt = await h.signed(
      'POST',
      '/v1/events',
      { events: [{ ...activated(`evt-rcpt-other-${a.orderId}`), type: 'receipt.printed' }] },
      sameHall,
    );
    expect(receipt.json()).toMatchObject({ code: 'EVENT_WRONG_APPLIANCE' });
    // the issuing kiosk's own activation counts
    const own = await h.signed('POST', '/v1/events', { events: [activated(`evt-act-own-${a.orderId}`)] });
    expect(own.json()).toMatchObject({ accepted: 1 });
    expect((await orderOf(a.orderId)).status).toBe('activated');
  });

  it('an event about an order of another hall, before any issuance, is refused', async () => {
    const { order } = await h.order(TO_APPROVED, { hall: 'GZ-TIANHE' });
    const r = await h.signed('POST', '/v1/events', {
      events: [
        {
          id: `evt-hall-${order.id}`,
          type: 'journey.failed',
          occurredAt: new Date(h.clock.ms).toISOString(),
          orderId: order.id,
          payload: {},
        },
      ],
    });
    expect(r.json()).toMatchObject({ statusCode: 403, code: 'EVENT_WRONG_APPLIANCE' });
  });

  it('a void by another appliance is refused (403) and revokes nothing', async () => {
    const a = await issuedHere();
    const r = await h.signed(
      'POST',
      `/v1/certificates/${a.cert.serialNumber}/void`,
      { journeyId: 'J-other', reason: 'not mine' },
      sameHall,
    );
    expect(r.json()).toMatchObject({ statusCode: 403, code: 'CERTIFICATE_WRONG_APPLIANCE' });
    expect((await orderOf(a.orderId)).status).toBe('issued');
    const cert = (
      await h.admin('GET', `/admin/v1/certificates/${a.cert.serialNumber}`)
    ).json() as AdminCertificate;
    expect(cert.revokedAt).toBeUndefined();
  });
});
