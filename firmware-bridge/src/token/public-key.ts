// Token public-key attributes → SubjectPublicKeyInfo (DER), and comparisons against certificates.
import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { TokenError } from './errors.js';

export type KeyAlgorithm = 'rsa2048' | 'rsa3072' | 'ec-p256';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['rsa2048', 'rsa3072', 'ec-p256'];

/** DER of the prime256v1 OID, the CKA_EC_PARAMS value of a P-256 key. */
export const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

/** Strip leading zero bytes (PKCS#11 big integers may carry them; JWK must not). */
function unsigned(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/** DER length octets. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

function derUnsignedInteger(b: Buffer): Buffer {
  const v = unsigned(b);
  return der(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** rsaEncryption AlgorithmIdentifier (OID 1.2.840.113549.1.1.1, NULL). */
const RSA_ALGORITHM = Buffer.from('300d06092a864886f70d0101010500', 'hex');
/** id-ecPublicKey with prime256v1. */
const P256_ALGORITHM = Buffer.from('301306072a8648ce3d020106082a8648ce3d030107', 'hex');

// SPKI DER is written directly: building it through a KeyObject (JWK import, export) cost more than the
// PKCS#11 calls around it.
export function rsaSpki(modulus: Buffer, exponent: Buffer): Buffer {
  const rsaKey = der(0x30, derUnsignedInteger(modulus), derUnsignedInteger(exponent));
  return der(0x30, RSA_ALGORITHM, der(0x03, Buffer.from([0]), rsaKey));
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
  return der(0x30, P256_ALGORITHM, der(0x03, Buffer.from([0]), unwrapEcPoint(ecPoint)));
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
