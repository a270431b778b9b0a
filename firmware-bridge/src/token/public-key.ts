// Token public-key attributes → SubjectPublicKeyInfo (DER), and comparisons against certificates.
import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { TokenError } from './errors.js';

export type KeyAlgorithm = 'rsa2048' | 'rsa3072' | 'ec-p256';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['rsa2048', 'rsa3072', 'ec-p256'];

/** DER of the prime256v1 OID, the CKA_EC_PARAMS value of a P-256 key. */
export const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

const b64url = (b: Buffer) => b.toString('base64url');

/** Strip leading zero bytes (PKCS#11 big integers may carry them; JWK must not). */
function unsigned(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

export function rsaSpki(modulus: Buffer, exponent: Buffer): Buffer {
  const key = createPublicKey({
    key: { kty: 'RSA', n: b64url(unsigned(modulus)), e: b64url(unsigned(exponent)) },
    format: 'jwk',
  });
  return key.export({ type: 'spki', format: 'der' });
}

/** CKA_EC_POINT is usually a DER OCTET STRING wrapping 04‖X‖Y; some modules give the raw point. */
export function unwrapEcPoint(ecPoint: Buffer): Buffer {
  if (ecPoint[0] === 0x04 && ecPoint.length === 65) return ecPoint;
  if (ecPoint[0] === 0x04 && ecPoint[1] === 65 && ecPoint.length === 67) return ecPoint.subarray(2);
  if (ecPoint[0] === 0x04 && ecPoint[1] === 0x81 && ecPoint[2] === 65 && ecPoint.length === 68)
    return ecPoint.subarray(3);
  throw new TokenError('TOKEN_FAILED', 'The USB key returned an EC point in an unknown encoding.', {
    ecPoint: ecPoint.toString('hex'),
  });
}

export function ecP256Spki(ecPoint: Buffer): Buffer {
  const point = unwrapEcPoint(ecPoint);
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) },
    format: 'jwk',
  });
  return key.export({ type: 'spki', format: 'der' });
}

export function spkiKey(spki: Buffer): KeyObject {
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

export function spkiSha256(spki: Buffer): string {
  return createHash('sha256').update(spki).digest('hex');
}

export function parseCertificate(pemOrDer: string | Buffer): X509Certificate {
  try {
    return new X509Certificate(pemOrDer);
  } catch (err) {
    throw new TokenError(
      'TOKEN_BAD_CERTIFICATE',
      `The certificate could not be parsed: ${(err as Error).message}.`,
      {},
      err,
    );
  }
}

export function certificateSpki(cert: X509Certificate): Buffer {
  return cert.publicKey.export({ type: 'spki', format: 'der' });
}

/** Split a PEM bundle into certificates (a chain file may hold several). */
export function splitPemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) throw new TokenError('TOKEN_BAD_CERTIFICATE', 'The file holds no PEM certificate.');
  return blocks.map((b) => parseCertificate(b));
}
