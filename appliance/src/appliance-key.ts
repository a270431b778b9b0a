// The appliance's own key pair lives on its own PKCS#11 token under this id (never in a file).
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

/**
 * The appliance key as the engine and the sync agent use it: every call a session on the appliance token, which
 * is first made to show the pinned public key (`spkiSha256`) before the PIN is sent. Without a pinned key (the
 * sim), the key the token shows at start is pinned for the life of the process.
 */
export async function applianceKeyOn(
  usbKey: Pick<UsbKeyDriver, 'withSession'>,
  tokenRef: TokenRef,
  pin: string,
  pinned?: string,
): Promise<ApplianceKey & { spkiSha256: string }> {
  const spkiSha256 =
    pinned ?? (await usbKey.withSession(tokenRef, undefined, (s) => s.publicKeySha256(APPLIANCE_KEY_ID)));
  if (!spkiSha256) throw new Error('The appliance token holds no appliance key.');
  const expect = { expectPublicKey: { id: APPLIANCE_KEY_ID, spkiSha256 } };
  const spki = await usbKey.withSession(tokenRef, pin, (s) => s.keyPair(APPLIANCE_KEY_ID).spki, expect);
  const body = spki.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    sign: (data) => usbKey.withSession(tokenRef, pin, (s) => s.signer(APPLIANCE_KEY_ID).sign(data), expect),
    hmac: (data) => usbKey.withSession(tokenRef, pin, (s) => s.hmac(APPLIANCE_HMAC_KEY_LABEL, data), expect),
    publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${body}-----END PUBLIC KEY-----\n`,
    spkiSha256,
  };
}

/** The appliance token: by its pinned serial (production), by label only in the sim. */
export function applianceTokenRef(token: {
  applianceKeyTokenSerial?: string | undefined;
  applianceKeyTokenLabel: string;
}): TokenRef {
  return token.applianceKeyTokenSerial
    ? { serial: token.applianceKeyTokenSerial }
    : { label: token.applianceKeyTokenLabel };
}
