// The appliance's own key pair lives on its own PKCS#11 token under this id (never in a file).
import { createHash } from 'node:crypto';
import type { TokenRef, UsbKeyDriver } from '@certkiosk/firmware-bridge';
import type { ApplianceKey } from './journey/ports.js';

export const APPLIANCE_KEY_ID = Buffer.from('a1', 'hex');

/** Label of the appliance token's HMAC secret key (generated on the token, never extractable). */
export const APPLIANCE_HMAC_KEY_LABEL = 'certkiosk-appliance-hmac';

/**
 * The keys the appliance derives from its token's HMAC secret at every start and holds in memory only: the
 * key ID numbers are HMACed under, and the key-encryption key of the journal's per-journey keys. A disk without
 * the token therefore reveals neither an ID number nor a sealed journey.
 */
export async function deriveApplianceSecrets(
  key: Pick<ApplianceKey, 'hmac'>,
): Promise<{ idHashKey: Buffer; journalKek: Buffer }> {
  return {
    idHashKey: await key.hmac(Buffer.from('certkiosk id-number key v1')),
    journalKek: await key.hmac(Buffer.from('certkiosk journal key-encryption key v1')),
  };
}

/** The appliance key as the engine and the sync agent use it: every call a session on the appliance token. */
export async function applianceKeyOn(
  usbKey: Pick<UsbKeyDriver, 'withSession'>,
  tokenRef: TokenRef,
  pin: string,
): Promise<ApplianceKey & { spkiSha256: string }> {
  const spki = await usbKey.withSession(tokenRef, pin, (s) => s.keyPair(APPLIANCE_KEY_ID).spki);
  const body = spki.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    sign: (data) => usbKey.withSession(tokenRef, pin, (s) => s.signer(APPLIANCE_KEY_ID).sign(data)),
    hmac: (data) => usbKey.withSession(tokenRef, pin, (s) => s.hmac(APPLIANCE_HMAC_KEY_LABEL, data)),
    publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${body}-----END PUBLIC KEY-----\n`,
    spkiSha256: createHash('sha256').update(spki).digest('hex'),
  };
}
