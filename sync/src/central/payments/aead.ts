// AEAD_AES_256_GCM as WeChat Pay API v3 uses it for notification resources: the 32-byte APIv3 key, a 12-byte
// nonce (sent as a 12-character string), associated data (may be empty), and base64 ciphertext with the 16-byte
// GCM tag at its end (RFC 5116).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const AEAD_ALGORITHM = 'AEAD_AES_256_GCM';
const TAG_BYTES = 16;
export const APIV3_KEY_BYTES = 32;

/** An encrypted resource as the provider sends it. */
export interface EncryptedResource {
  algorithm: string;
  ciphertext: string;
  nonce: string;
  associated_data?: string;
  original_type: string;
}

/** The APIv3 key as bytes, checked: 32 bytes (the merchant platform shows a 32-character key). */
export function apiV3KeyBytes(key: string | Buffer): Buffer {
  const b = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (b.length !== APIV3_KEY_BYTES)
    throw new Error(`the WeChat Pay APIv3 key must be ${APIV3_KEY_BYTES} bytes, not ${b.length}.`);
  return b;
}

/** The plaintext (UTF-8) of a resource; throws when the algorithm is another or the tag does not verify. */
export function decryptResource(key: Buffer, r: EncryptedResource): string {
  if (r.algorithm !== AEAD_ALGORITHM) throw new Error(`unsupported algorithm ${r.algorithm}`);
  const data = Buffer.from(r.ciphertext, 'base64');
  if (data.length <= TAG_BYTES) throw new Error('the ciphertext is shorter than its tag');
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(r.nonce, 'utf8'));
  d.setAAD(Buffer.from(r.associated_data ?? '', 'utf8'));
  d.setAuthTag(data.subarray(data.length - TAG_BYTES));
  return Buffer.concat([d.update(data.subarray(0, data.length - TAG_BYTES)), d.final()]).toString('utf8');
}

/** 12 random alphanumeric characters: the provider's resource nonces are printable. */
function resourceNonce(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Encrypt a resource the way the provider does (the simulator's side). */
export function encryptResource(
  key: Buffer,
  plaintext: string,
  opts: { originalType: string; associatedData: string; nonce?: string },
): EncryptedResource {
  const nonce = opts.nonce ?? resourceNonce();
  const c = createCipheriv('aes-256-gcm', key, Buffer.from(nonce, 'utf8'));
  c.setAAD(Buffer.from(opts.associatedData, 'utf8'));
  const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()]);
  return {
    original_type: opts.originalType,
    algorithm: AEAD_ALGORITHM,
    ciphertext: body.toString('base64'),
    associated_data: opts.associatedData,
    nonce,
  };
}
