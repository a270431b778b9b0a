// Reading a PKCS#10 request: parse, verify its self-signature, and hold its key to policy.
import { createHash, createPublicKey } from 'node:crypto';
import { CentralError } from '../errors.js';
import { x509 } from './x509.js';

export const KEY_POLICY = {
  minRsaBits: 2048,
  maxRsaBits: 8192,
  ecCurves: ['prime256v1', 'secp384r1'],
} as const;

export interface CheckedCsr {
  csr: x509.Pkcs10CertificateRequest;
  /** SHA-256 (hex) of the SubjectPublicKeyInfo DER. */
  publicKeySha256: string;
  keyDescription: string;
}

export async function checkCsr(pem: string): Promise<CheckedCsr> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem.trim());
  } catch (err) {
    throw new CentralError(
      'CSR_MALFORMED',
      `The CSR cannot be parsed as PKCS#10 PEM (${(err as Error).message}).`,
    );
  }
  const spki = Buffer.from(csr.publicKey.rawData);
  let details: { type: string | undefined; bits?: number; curve?: string };
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const d = key.asymmetricKeyDetails ?? {};
    details = { type: key.asymmetricKeyType, bits: d.modulusLength, curve: d.namedCurve };
  } catch {
    throw new CentralError('CSR_MALFORMED', 'The CSR public key cannot be read.');
  }
  if (details.type === 'rsa') {
    const bits = details.bits ?? 0;
    if (bits < KEY_POLICY.minRsaBits || bits > KEY_POLICY.maxRsaBits) {
      throw new CentralError(
        'CSR_WEAK_KEY',
        `RSA keys must be ${KEY_POLICY.minRsaBits}–${KEY_POLICY.maxRsaBits} bits; this one has ${bits}.`,
      );
    }
  } else if (details.type === 'ec') {
    if (!(KEY_POLICY.ecCurves as readonly string[]).includes(details.curve ?? '')) {
      throw new CentralError(
        'CSR_WEAK_KEY',
        `EC keys must be on P-256 or P-384; this one is on ${details.curve}.`,
      );
    }
  } else {
    throw new CentralError(
      'CSR_WEAK_KEY',
      `Key type ${details.type} is not allowed; use RSA ≥ 2048 or EC P-256.`,
    );
  }
  let verified = false;
  try {
    verified = await csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw new CentralError('CSR_BAD_SIGNATURE');
  return {
    csr,
    publicKeySha256: createHash('sha256').update(spki).digest('hex'),
    keyDescription: details.type === 'rsa' ? `RSA-${details.bits}` : `EC-${details.curve}`,
  };
}
