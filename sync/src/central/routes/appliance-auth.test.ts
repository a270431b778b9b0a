import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeySigner, signRequest } from '../../contract/request-signing.js';
import { type Harness, newApplianceKey, startHarness } from '../testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const HEARTBEAT = {
  softwareVersion: '0.1.0',
  devices: [],
  consumables: { paper: 'ok' },
  queueDepth: 0,
  parkedEvents: 0,
};

/** Every endpoint an appliance calls, with a body that passes validation. */
const APPLIANCE_ENDPOINTS: Array<['GET' | 'POST', string, unknown?]> = [
  ['GET', '/v1/orders/CK1'],
  [
    'POST',
    '/v1/certificates',
    { orderId: 'CK1', idempotencyKey: 'CK1:attempt-1', pickupCode: 'x'.repeat(20), csrPem: 'x'.repeat(120) },
  ],
  ['GET', '/v1/certificates/by-idempotency-key/CK1:attempt-1'],
  ['POST', '/v1/certificates/abcdef/void', { journeyId: 'J-1', reason: 'key pulled before writing' }],
  ['POST', '/v1/pickup-codes/check', { pickupCode: 'x'.repeat(20) }],
  ['POST', '/v1/activations', { certificateSerial: 'abcdef', tokenSerial: 'T-1', code: '123456' }],
  ['GET', '/v1/activations/abcdef?tokenSerial=T-1'],
  ['GET', '/v1/certificates/abcdef?tokenSerial=T-1'],
  ['GET', '/v1/renewals?certificateSerial=abcdef&tokenSerial=T-1'],
  ['POST', '/v1/certificates/abcdef/revoke', { reason: 'superseded', orderId: 'CK1' }],
  [
    'POST',
    '/v1/unlocks',
    {
      unlockId: 'unlock-0001',
      certificateSerial: 'abcdef',
      tokenSerial: 'T-1',
      card: { idNumber: '440305198503071238', name: '张伟' },
    },
  ],
  ['POST', '/v1/lookups/by-id-card', { card: { idNumber: '440305198503071238', name: '张伟' } }],
  ['POST', '/v1/lookups/by-code', { code: 'x'.repeat(20) }],
  [
    'POST',
    '/v1/events',
    {
      events: [
        { id: 'evt-00000001', type: 'receipt.printed', occurredAt: '2026-03-01T08:00:00Z', payload: {} },
      ],
    },
  ],
  ['GET', '/v1/changes?cursor=0'],
  ['POST', '/v1/heartbeat', HEARTBEAT],
  ['POST', '/v1/seals/sign', { orderId: 'CK1', sealImageSha256: 'a'.repeat(64) }],
  ['POST', '/v1/appliances/enrol', { applianceId: 'K', hall: 'H', publicKeyPem: 'x'.repeat(60) }],
];

describe('appliance request authentication', () => {
  it.each(APPLIANCE_ENDPOINTS)(
    '%s %s answers 401 AUTH_UNSIGNED to an unsigned request',
    async (method, url, body) => {
      const r = await h.app.inject({ method, url, ...(body ? { payload: body as object } : {}) });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 'AUTH_UNSIGNED' });
    },
  );

  it('accepts a correctly signed request', async () => {
    expect((await h.signed('POST', '/v1/heartbeat', HEARTBEAT)).statusCode).toBe(200);
  });

  it('refuses a bad signature (signed by another key)', async () => {
    const impostor = { ...newApplianceKey(h.appliance.id) };
    const r = await h.signed('POST', '/v1/heartbeat', HEARTBEAT, impostor);
    expect(r.json()).toMatchObject({ statusCode: 401, code: 'AUTH_BAD_SIGNATURE' });
  });

  it('refuses a body changed after signing', async () => {
    const payload = JSON.stringify(HEARTBEAT);
    const headers = await signRequest(
      { applianceId: h.appliance.id, method: 'POST', path: '/v1/heartbeat', body: payload },
      createKeySigner(h.appliance.privateKey),
      { now: h.clock.ms },
    );
    const r = await h.app.inject({
      method: 'POST',
      url: '/v1/heartbeat',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...HEARTBEAT, queueDepth: 99 }),
    });
    expect(r.json()).toMatchObject({ statusCode: 401, code: 'AUTH_BAD_SIGNATURE' });
  });

  it('refuses a replayed nonce', async () => {
    const nonce = 'replay-nonce-0000001';
    expect((await h.signed('GET', '/v1/changes', undefined, undefined, { nonce })).statusCode).toBe(200);
    const again = await h.signed('GET', '/v1/changes', undefined, undefined, { nonce });
    expect(again.json()).toMatchObject({ statusCode: 401, code: 'AUTH_REPLAYED' });
  });

  it('refuses a stale or future timestamp', async () => {
    const old = await h.signed('GET', '/v1/changes', undefined, undefined, { now: h.clock.ms - 10 * 60_000 });
    expect(old.json()).toMatchObject({ statusCode: 401, code: 'AUTH_STALE_TIMESTAMP' });
    const future = await h.signed('GET', '/v1/changes', undefined, undefined, {
      now: h.clock.ms + 10 * 60_000,
    });
    expect(future.json()).toMatchObject({ statusCode: 401, code: 'AUTH_STALE_TIMESTAMP' });
  });

  it('refuses an unknown appliance, an unapproved one, and a revoked one', async () => {
    const stranger = newApplianceKey('KIOSK-STRANGER');
    expect((await h.signed('GET', '/v1/changes', undefined, stranger)).json()).toMatchObject({
      statusCode: 401,
      code: 'AUTH_UNKNOWN_APPLIANCE',
    });
    const fresh = newApplianceKey('KIOSK-NEW');
    const enrolled = await h.enrol(fresh);
    expect(enrolled.json()).toMatchObject({ applianceId: 'KIOSK-NEW', status: 'pending' });
    expect((await h.signed('GET', '/v1/changes', undefined, fresh)).json()).toMatchObject({
      code: 'AUTH_APPLIANCE_NOT_APPROVED',
    });
    expect((await h.admin('POST', '/admin/v1/appliances/KIOSK-NEW/approve')).json()).toMatchObject({
      status: 'approved',
    });
    expect((await h.signed('GET', '/v1/changes', undefined, fresh)).statusCode).toBe(200);
    await h.admin('POST', '/admin/v1/appliances/KIOSK-NEW/revoke');
    expect((await h.signed('GET', '/v1/changes', undefined, fresh)).json()).toMatchObject({
      code: 'AUTH_UNKNOWN_APPLIANCE',
    });
  });
});

describe('a key central remembers (PostgreSQL: no read before the nonce claim)', () => {
  // Another central process on the same database revokes, re-keys or suspends the appliance: this process still
  // remembers the old key, and the change must take effect on the very next request all the same.
  it('stops at once when the appliance is revoked, re-keyed or suspended behind this process’s back', async () => {
    const kiosk = newApplianceKey('KIOSK-REMEMBERED');
    await h.enrol(kiosk);
    await h.admin('POST', '/admin/v1/appliances/KIOSK-REMEMBERED/approve');
    const changes = (as = kiosk, nonce?: string) =>
      h.signed('GET', '/v1/changes', undefined, as, nonce ? { nonce } : {});
    for (let i = 0; i < 2; i++) expect((await changes()).statusCode).toBe(200);
    const db = h.app.central.db;
    await db.run("UPDATE appliances SET status = 'revoked' WHERE id = ?", kiosk.id);
    expect((await changes()).json()).toMatchObject({ statusCode: 401, code: 'AUTH_UNKNOWN_APPLIANCE' });
    await db.run("UPDATE appliances SET status = 'approved' WHERE id = ?", kiosk.id);
    expect((await changes()).statusCode).toBe(200);
    await db.run("UPDATE appliances SET status = 'pending' WHERE id = ?", kiosk.id);
    expect((await changes()).json()).toMatchObject({ code: 'AUTH_APPLIANCE_NOT_APPROVED' });
    // Re-keyed and approved: the old key is refused, the new one accepted, and its nonce is claimed once.
    const rekeyed = newApplianceKey(kiosk.id);
    await db.run(
      "UPDATE appliances SET status = 'approved', public_key_pem = ? WHERE id = ?",
      rekeyed.publicKeyPem,
      kiosk.id,
    );
    expect((await changes()).json()).toMatchObject({ statusCode: 401, code: 'AUTH_BAD_SIGNATURE' });
    expect((await changes(rekeyed, 'rekeyed-nonce-000001')).statusCode).toBe(200);
    expect((await changes(rekeyed, 'rekeyed-nonce-000001')).json()).toMatchObject({ code: 'AUTH_REPLAYED' });
    expect((await changes()).json()).toMatchObject({ code: 'AUTH_BAD_SIGNATURE' });
    expect((await changes(rekeyed)).statusCode).toBe(200);
  });

  it('claims each nonce once when requests of remembered keys arrive together', async () => {
    expect((await h.signed('GET', '/v1/changes')).statusCode).toBe(200);
    const nonces = [
      'together-nonce-00001',
      'together-nonce-00002',
      'together-nonce-00001',
      'together-nonce-00002',
    ];
    const answers = await Promise.all(
      nonces.map((nonce) => h.signed('GET', '/v1/changes', undefined, undefined, { nonce })),
    );
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 200, 401, 401]);
    for (const r of answers.filter((x) => x.statusCode === 401))
      expect(r.json()).toMatchObject({ code: 'AUTH_REPLAYED' });
  });
});

describe('enrolment', () => {
  it('needs proof of possession: signed by the key being enrolled, for the same id', async () => {
    const a = newApplianceKey('KIOSK-POP');
    const b = newApplianceKey('KIOSK-POP');
    const enrolmentCode = await h.register(a.id, a.hall);
    const body = { applianceId: a.id, hall: a.hall, publicKeyPem: a.publicKeyPem, enrolmentCode };
    expect((await h.signed('POST', '/v1/appliances/enrol', body, b)).json()).toMatchObject({
      code: 'AUTH_BAD_SIGNATURE',
    });
    const otherId = { ...a, id: 'KIOSK-OTHER' };
    expect((await h.signed('POST', '/v1/appliances/enrol', body, otherId)).json()).toMatchObject({
      code: 'AUTH_BAD_SIGNATURE',
    });
    expect((await h.signed('POST', '/v1/appliances/enrol', body, a)).statusCode).toBe(200);
  });

  it('is idempotent for the same key (no code needed again) and refuses a second key for the same id', async () => {
    const a = newApplianceKey('KIOSK-TWICE');
    expect((await h.enrol(a)).statusCode).toBe(200);
    expect((await h.enrol(a)).json()).toMatchObject({ applianceId: 'KIOSK-TWICE', status: 'pending' });
    expect((await h.enrol(a, null)).json()).toMatchObject({ applianceId: 'KIOSK-TWICE', status: 'pending' });
    const b = newApplianceKey('KIOSK-TWICE');
    expect((await h.enrol(b, null)).json()).toMatchObject({ statusCode: 409, code: 'ENROL_KEY_MISMATCH' });
    expect((await h.enrol(b)).json()).toMatchObject({ statusCode: 403, code: 'ENROLMENT_CODE_USED' });
  });

  it('refuses a key that is not EC P-256, and an invalid body', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const p384 = {
      id: 'KIOSK-P384',
      hall: 'H',
      privateKey,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
    expect((await h.enrol(p384)).json()).toMatchObject({ statusCode: 400, code: 'ENROL_PROOF_INVALID' });
    const r = await h.signed('POST', '/v1/appliances/enrol', {
      applianceId: 'K 1',
      hall: 'H',
      publicKeyPem: 'x',
    });
    expect(r.json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_VALIDATION' });
  });
});
