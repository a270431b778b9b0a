// The CA on first start: central processes sharing a data directory start together and must end with one CA
// between them, never a mix of two (a certificate signed by one issuing key under the other's certificate).

import { webcrypto } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAuthority } from './authority.js';
import { CA_KEY_ALGORITHM, CA_SIGNING_ALGORITHM, subtle } from './x509.js';

const base = mkdtempSync(join(tmpdir(), 'ck-authority-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function signsUnderItsCertificate(ca: Awaited<ReturnType<typeof openAuthority>>): Promise<boolean> {
  const data = Buffer.from('certkiosk');
  const signature = await subtle.sign(CA_SIGNING_ALGORITHM, ca.issuingKey, data);
  const publicKey = await ca.issuingCert.publicKey.export(CA_KEY_ALGORITHM, ['verify'], webcrypto as Crypto);
  return subtle.verify(CA_SIGNING_ALGORITHM, publicKey, signature, data);
}

describe('the CA in the data directory', () => {
  it('makes one CA when several openings race on a fresh data directory, and leaves nothing aside', async () => {
    const dataDir = join(base, 'race');
    const opened = await Promise.all([1, 2, 3, 4].map(() => openAuthority(dataDir, Date.now())));
    const issuing = new Set(opened.map((ca) => ca.issuingCert.toString('pem')));
    expect(issuing.size).toBe(1);
    for (const ca of opened) {
      expect(await signsUnderItsCertificate(ca)).toBe(true);
      expect(await ca.issuingCert.verify({ publicKey: ca.rootCert.publicKey, signatureOnly: true })).toBe(
        true,
      );
    }
    expect(readdirSync(dataDir)).toEqual(['ca']);
    expect(readFileSync(join(dataDir, 'ca', 'issuing.cert.pem'), 'utf8')).toBe([...issuing][0]);
    expect(statSync(join(dataDir, 'ca', 'issuing.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'ca')).mode & 0o777).toBe(0o700);
  });

  it('fills an empty ca folder left by an earlier version and then keeps that CA', async () => {
    const dataDir = join(base, 'empty');
    mkdirSync(join(dataDir, 'ca'), { recursive: true });
    const first = await openAuthority(dataDir, Date.now());
    const again = await openAuthority(dataDir, Date.now());
    expect(again.issuingCert.toString('pem')).toBe(first.issuingCert.toString('pem'));
    expect(await signsUnderItsCertificate(again)).toBe(true);
  });
});
