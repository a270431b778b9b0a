// Public keys parsed once: a central checks every signed request against its appliance's PEM, thousands a second
// at fleet scale, and parsing the PEM (createPublicKey) and hashing its SPKI cost more than the verify itself.
// Keyed by the PEM text, so a re-enrolled key is another entry; bounded, the oldest dropped first.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

const MAX_KEYS = 100_000;
const keys = new Map<string, { key: KeyObject; sha256?: string }>();

function entry(pem: string): { key: KeyObject; sha256?: string } {
  let e = keys.get(pem);
  if (!e) {
    e = { key: createPublicKey(pem) };
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string);
    keys.set(pem, e);
  }
  return e;
}

/** The KeyObject of a public key (PEM text, or a KeyObject as it is); throws for a PEM that is no key. */
export function publicKeyObject(publicKey: string | KeyObject): KeyObject {
  return typeof publicKey === 'string' ? entry(publicKey).key : publicKey;
}

/** Hex SHA-256 of a public key's SPKI DER. */
export function spkiSha256(publicKey: string | KeyObject): string {
  const hash = (key: KeyObject) =>
    createHash('sha256')
      .update(key.export({ type: 'spki', format: 'der' }))
      .digest('hex');
  if (typeof publicKey !== 'string') return hash(publicKey);
  const e = entry(publicKey);
  e.sha256 ??= hash(e.key);
  return e.sha256;
}
