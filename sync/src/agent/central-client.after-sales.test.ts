// The after-sales calls through the signed client against a real central on loopback: every answer is checked
// against the contract schema by the client, and central's refusals keep their codes (and the tries left).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOD_KEY_EVIDENCE, NATURAL_PERSON, opensslCsr } from '../central/testing.js';
import { idNumberMatchHmac, personNameMatchHmac } from '../contract/identity.js';
import {
  type ApplianceOrder,
  IDENTITY_MATCH_RULE,
  type IssuedCertificate,
  type Order,
} from '../contract/schemas.js';
import type { CentralClient } from './central-client.js';
import { CentralClientError } from './errors.js';
import { type LoopbackCentral, startLoopbackCentral } from './loopback-central.js';

let central: LoopbackCentral;
let client: CentralClient;
let tmp: string;
beforeAll(async () => {
  central = await startLoopbackCentral();
  client = await central.newClient('KIOSK-AS-001');
  tmp = mkdtempSync(join(tmpdir(), 'ck-client-as-'));
});
afterAll(async () => {
  await central.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function walk(order: Order, actions: string[]): Promise<string | undefined> {
  let pickupCode: string | undefined;
  for (const action of actions) {
    const r = (await central.admin('POST', `/orders/${order.id}/actions`, { action })) as {
      pickupCode?: string;
    };
    pickupCode = r.pickupCode ?? pickupCode;
  }
  return pickupCode;
}

/** The kiosk's signed identity statement for the holder's card against an ApplianceOrder. */
function statement(order: ApplianceOrder) {
  const card = NATURAL_PERSON.holder!;
  return client.signIdentityStatement({
    orderId: order.id,
    applianceId: client.applianceId,
    role: 'holder',
    cardIdHmac: idNumberMatchHmac(order.identitySalt, card.idNumber),
    cardNameHmac: personNameMatchHmac(order.identitySalt, card.name),
    matchRule: IDENTITY_MATCH_RULE,
    checkedAt: new Date().toISOString(),
  });
}

const TO_APPROVED = ['request-payment', 'pay-wechat', 'request-identity', 'verify-identity', 'approve'];

describe('CentralClient after-sales calls', () => {
  it('my certificates, renewal onto the same key, revocation of the old one', async () => {
    const tokenSerial = 'CLIENT-KEY-0001';
    const order = (await central.admin('POST', '/orders', NATURAL_PERSON)) as Order;
    const pickupCode = (await walk(order, TO_APPROVED))!;
    const checked = await client.checkPickupCode(pickupCode);
    const first = await client.issueCertificate({
      orderId: order.id,
      idempotencyKey: `${order.id}:1`,
      pickupCode,
      csrPem: opensslCsr(tmp, 'ec', 'first'),
      keyEvidence: { ...GOOD_KEY_EVIDENCE, tokenSerial },
      identityStatement: await statement(checked),
    });
    const status = await client.certificateStatus(first.serialNumber, tokenSerial);
    expect(status).toMatchObject({
      status: 'good',
      holderNameMasked: '张*',
      renewal: { rule: 'revoke-previous' },
    });

    const renewal = (await central.admin('POST', '/orders', {
      ...NATURAL_PERSON,
      businessType: 'renewal',
      previousCertificateSerial: first.serialNumber,
    })) as Order;
    await walk(renewal, ['request-payment', 'pay-wechat']);
    const pulled = await client.renewalFor(first.serialNumber, tokenSerial);
    expect(pulled.order).toMatchObject({ id: renewal.id, status: 'paid' });
    const renewed: IssuedCertificate = await client.issueRenewal({
      orderId: renewal.id,
      idempotencyKey: `${renewal.id}:1`,
      previousCertificateSerial: first.serialNumber,
      csrPem: opensslCsr(tmp, 'ec', 'renewed'),
      keyEvidence: { ...GOOD_KEY_EVIDENCE, tokenSerial },
      identityStatement: await statement(pulled.order),
    });
    expect(renewed.orderId).toBe(renewal.id);
    const revoked = await client.revokeForOrder(first.serialNumber, {
      reason: 'superseded',
      orderId: renewal.id,
    });
    expect(revoked).toMatchObject({ serialNumber: first.serialNumber, reason: 'superseded' });
    expect((await client.certificateStatus(first.serialNumber, tokenSerial)).status).toBe('revoked');
    const e = await client.certificateStatus(first.serialNumber, 'ANOTHER-KEY').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CentralClientError);
    expect((e as CentralClientError).centralCode).toBe('CERTIFICATE_NOT_OURS');

    const unlock = await client.requestUnlock({
      unlockId: 'client-unlock-0001',
      certificateSerial: renewed.serialNumber,
      tokenSerial,
      card: { idNumber: NATURAL_PERSON.holder!.idNumber, name: NATURAL_PERSON.holder!.name },
    });
    expect(unlock.unlocksLeftToday).toBe(2);

    const mine = await client.lookupByIdCard({
      idNumber: NATURAL_PERSON.holder!.idNumber,
      name: NATURAL_PERSON.holder!.name,
    });
    expect(mine.orders.map((o) => o.id)).toEqual(expect.arrayContaining([order.id, renewal.id]));
    const one = await client.lookupByCode(pickupCode);
    expect(one.orders).toEqual([expect.objectContaining({ id: order.id, status: 'issued' })]);
  });

  it('activation of a couriered key: the tries left come with a wrong code', async () => {
    const tokenSerial = 'CLIENT-COURIER-0001';
    const order = (await central.admin('POST', '/orders', {
      ...NATURAL_PERSON,
      delivery: 'courier',
    })) as Order;
    await walk(order, TO_APPROVED);
    const cert = (await central.admin('POST', `/orders/${order.id}/certificates`, {
      csrPem: opensslCsr(tmp, 'ec', 'courier'),
      tokenSerial,
    })) as IssuedCertificate;
    const { activationCode } = (await central.admin('POST', `/orders/${order.id}/actions`, {
      action: 'ship',
    })) as {
      activationCode: string;
    };
    const preview = await client.activationPreview(cert.serialNumber, tokenSerial);
    expect(preview).toMatchObject({ attemptsLeft: 5, holderNameMasked: '张*' });
    const wrong = activationCode === '000000' ? '000001' : '000000';
    const e = await client
      .activate({ certificateSerial: cert.serialNumber, tokenSerial, code: wrong })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CentralClientError);
    expect((e as CentralClientError).details).toMatchObject({
      centralCode: 'ACTIVATION_CODE_WRONG',
      attemptsLeft: 4,
      status: 403,
    });
    const done = await client.activate({
      certificateSerial: cert.serialNumber,
      tokenSerial,
      code: activationCode,
    });
    expect(done).toMatchObject({ status: 'activated', certificateSerial: cert.serialNumber });
  });
});
