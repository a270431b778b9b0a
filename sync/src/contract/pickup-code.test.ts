import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePickupCodeUnverified, signPickupCode, verifyPickupCode } from './pickup-code.js';

const fixtureKey = readFileSync(
  new URL('../../fixtures/sim-pickup-signing.key.pem', import.meta.url),
  'utf8',
);
const simPublicKey = (
  JSON.parse(readFileSync(new URL('../../../config/profiles/sim.json', import.meta.url), 'utf8')) as {
    central: { publicKey: string };
  }
).central.publicKey;

const NOW = Date.parse('2026-03-01T08:00:00Z');
const payload = {
  orderId: 'CK20260301ABCDEF01',
  hall: 'SZ-FUTIAN',
  exp: NOW / 1000 + 3600,
  nonce: 'n0nce-abc',
};

describe('pickup codes', () => {
  it('a code signed with the demo key verifies offline with the sim profile public key', () => {
    const token = signPickupCode(payload, fixtureKey);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyPickupCode(token, simPublicKey, { hall: 'SZ-FUTIAN', now: NOW })).toEqual({
      ok: true,
      payload,
    });
  });

  it('refuses a code signed by another key as forged', () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const r = verifyPickupCode(signPickupCode(payload, other), simPublicKey, { hall: 'SZ-FUTIAN', now: NOW });
    expect(r).toMatchObject({ ok: false, reason: 'forged' });
  });

  it('refuses an edited payload (other order id, same signature) as forged', () => {
    const [, sig] = signPickupCode(payload, fixtureKey).split('.');
    const edited = Buffer.from(JSON.stringify({ ...payload, orderId: 'CK20260301FFFFFFFF' })).toString(
      'base64url',
    );
    expect(verifyPickupCode(`${edited}.${sig}`, simPublicKey, { hall: 'SZ-FUTIAN', now: NOW })).toMatchObject(
      {
        ok: false,
        reason: 'forged',
      },
    );
  });

  it('refuses an expired code and says which order it was', () => {
    const token = signPickupCode(payload, fixtureKey);
    const r = verifyPickupCode(token, simPublicKey, { hall: 'SZ-FUTIAN', now: NOW + 3601_000 });
    expect(r).toMatchObject({ ok: false, reason: 'expired', payload: { orderId: payload.orderId } });
  });

  it('refuses a code for another hall', () => {
    const r = verifyPickupCode(signPickupCode(payload, fixtureKey), simPublicKey, {
      hall: 'GZ-TIANHE',
      now: NOW,
    });
    expect(r).toMatchObject({ ok: false, reason: 'wrong-hall' });
    expect(!r.ok && r.message).toContain('SZ-FUTIAN');
  });

  it.each([
    ['empty', ''],
    ['one part', 'abc'],
    ['three parts', 'a.b.c'],
    ['not base64url', 'ab+c.de/f'],
    ['not JSON', `${Buffer.from('hello').toString('base64url')}.AAAA`],
    ['missing field', `${Buffer.from('{"orderId":"x"}').toString('base64url')}.AAAA`],
  ])('refuses %s as malformed', (_name, token) => {
    expect(verifyPickupCode(token, simPublicKey, { hall: 'SZ-FUTIAN', now: NOW })).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
  });

  it('decodes the payload for display without trusting it', () => {
    expect(decodePickupCodeUnverified(signPickupCode(payload, fixtureKey))).toEqual(payload);
    expect(decodePickupCodeUnverified('%%%')).toBeNull();
  });
});
