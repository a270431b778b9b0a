// Pickup codes for approved kiosk orders: the nonce and expiry live on the order; the token is re-signed on
// demand (Ed25519 is deterministic, so the same nonce gives the same token) and a new nonce supersedes the old.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { type PickupCodePayload, signPickupCode } from '../contract/pickup-code.js';
import { loadOrCreateDataFile } from './data-keys.js';

export const PICKUP_CODE_VALIDITY_S = 7 * 24 * 3600;

export class PickupCodeSigner {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;

  constructor(privateKeyPem?: string) {
    this.privateKey = privateKeyPem
      ? createPrivateKey(privateKeyPem)
      : generateKeyPairSync('ed25519').privateKey;
    if (this.privateKey.asymmetricKeyType !== 'ed25519') {
      throw new Error('The pickup-code signing key must be an Ed25519 private key (PEM).');
    }
    this.publicKeyPem = createPublicKey(this.privateKey).export({ type: 'spki', format: 'pem' }).toString();
  }

  newNonce(): string {
    return randomBytes(12).toString('base64url');
  }

  sign(payload: PickupCodePayload): string {
    return signPickupCode(payload, this.privateKey);
  }
}

/** The key in `<dataDir>/pickup-signing.key.pem`, created (0600) on first start, so codes survive restarts. */
export function loadOrCreatePickupKey(dataDir: string): string {
  return loadOrCreateDataFile(dataDir, 'pickup-signing.key.pem', () =>
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
}
