import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalRequest,
  createKeySigner,
  ecdsaRawToDer,
  SIGNATURE_HEADERS,
  signRequest,
  verifyRequestSignature,
} from './request-signing.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const NOW = 1_772_352_000_000;
const body = JSON.stringify({ events: [] });

async function headersFor(opts: { path?: string; body?: string } = {}) {
  return signRequest(
    { applianceId: 'KIOSK-1', method: 'post', path: opts.path ?? '/v1/events', body: opts.body ?? body },
    createKeySigner(privateKey),
    { now: NOW },
  );
}

describe('request signing', () => {
  it('the canonical string covers method, path, timestamp, nonce and the body hash', () => {
    const c = canonicalRequest({
      method: 'get',
      path: '/v1/changes?cursor=3',
      timestamp: '1',
      nonce: 'n',
      body: '',
    });
    expect(c.split('\n')).toEqual([
      'CERTKIOSK-REQUEST-V1',
      'GET',
      '/v1/changes?cursor=3',
      '1',
      'n',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ]);
  });

  it('a signed request verifies', async () => {
    const headers = await headersFor();
    expect(Object.keys(headers).sort()).toEqual(Object.values(SIGNATURE_HEADERS).sort());
    const r = await verifyRequestSignature({
      method: 'POST',
      path: '/v1/events',
      headers,
      body,
      publicKeyPem: pub,
      now: NOW,
    });
    expect(r).toMatchObject({ ok: true, applianceId: 'KIOSK-1' });
  });

  it('a changed body, path or method fails', async () => {
    const headers = await headersFor();
    const base = { method: 'POST', path: '/v1/events', headers, body, publicKeyPem: pub, now: NOW };
    expect((await verifyRequestSignature({ ...base, body: `${body} ` })).ok).toBe(false);
    expect((await verifyRequestSignature({ ...base, path: '/v1/heartbeat' })).ok).toBe(false);
    expect(await verifyRequestSignature({ ...base, method: 'PUT' })).toMatchObject({
      reason: 'bad-signature',
    });
  });

  it('another key, a stale timestamp and missing headers fail with their reason', async () => {
    const headers = await headersFor();
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    const base = { method: 'POST', path: '/v1/events', headers, body, publicKeyPem: pub, now: NOW };
    expect(await verifyRequestSignature({ ...base, publicKeyPem: other.toString() })).toMatchObject({
      reason: 'bad-signature',
    });
    expect(await verifyRequestSignature({ ...base, now: NOW + 6 * 60_000 })).toMatchObject({
      reason: 'stale-timestamp',
    });
    expect(await verifyRequestSignature({ ...base, headers: {} })).toMatchObject({
      reason: 'missing-headers',
    });
  });

  it('a signature that is no DER, and a key that is no key, fail as a bad signature rather than throwing', async () => {
    const headers = await headersFor();
    const base = { method: 'POST', path: '/v1/events', headers, body, publicKeyPem: pub, now: NOW };
    const garbled = {
      ...headers,
      [SIGNATURE_HEADERS.signature]: Buffer.from('not a signature').toString('base64'),
    };
    expect(await verifyRequestSignature({ ...base, headers: garbled })).toMatchObject({
      reason: 'bad-signature',
    });
    expect(await verifyRequestSignature({ ...base, publicKeyPem: 'not a key' })).toMatchObject({
      reason: 'bad-signature',
    });
  });

  it('a raw r‖s signature from a PKCS#11 token converts to DER that verifies', async () => {
    const signer = async (data: Buffer) =>
      ecdsaRawToDer(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    for (let i = 0; i < 20; i++) {
      const headers = await signRequest(
        { applianceId: 'K', method: 'GET', path: `/v1/changes?i=${i}` },
        signer,
        {
          now: NOW,
        },
      );
      const r = await verifyRequestSignature({
        method: 'GET',
        path: `/v1/changes?i=${i}`,
        headers,
        publicKeyPem: pub,
        now: NOW,
      });
      expect(r.ok).toBe(true);
    }
  });
});
