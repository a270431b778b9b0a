// The simulator's merchant: keys and ids made once into <dataDir>/wechatpay-sim/ (0600 files) and reused, so a
// demo's QR codes and notifications keep verifying across restarts. The files are laid out as a real merchant's
// would be, so --wechatpay-* flags can point at them to run central against the simulator as if it were real.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WechatPayOptions } from './config.js';

export const SIM_KEY_DIR = 'wechatpay-sim';
/** Demo merchant and app ids (the documentation's example values): never a real merchant's. */
export const SIM_MCHID = '1900000109';
export const SIM_APPID = 'wxd678efh567hg6787';

/** Everything both sides need: the merchant's settings and the platform's private key. */
export interface SimulatorKeys extends Omit<WechatPayOptions, 'baseUrl' | 'notifyUrl'> {
  platformPrivateKeyPem: string;
  /** Where the files are (undefined for an in-memory store). */
  dir?: string;
}

export const SIM_FILES = {
  merchantKey: 'merchant.key.pem',
  merchantSerial: 'merchant.serial',
  platformKey: 'platform.key.pem',
  platformPublicKey: 'platform.pub.pem',
  platformSerial: 'platform.serial',
  apiV3Key: 'apiv3.key',
} as const;

function rsaPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function freshKeys(): Omit<SimulatorKeys, 'dir'> {
  const merchant = rsaPair();
  const platform = rsaPair();
  return {
    mchid: SIM_MCHID,
    appid: SIM_APPID,
    merchantPrivateKeyPem: merchant.privateKeyPem,
    merchantSerial: randomBytes(20).toString('hex').toUpperCase(),
    platformPublicKeyPem: platform.publicKeyPem,
    platformPrivateKeyPem: platform.privateKeyPem,
    platformSerial: `PUB_KEY_ID_${randomBytes(12).toString('hex').toUpperCase()}`,
    // 32 printable characters, like the key an operator sets on the merchant platform.
    apiV3Key: randomBytes(24).toString('base64url'),
  };
}

/** Load the simulator's keys from the data directory, creating them the first time. */
export function loadOrCreateSimulatorKeys(dataDir: string): SimulatorKeys {
  if (dataDir === ':memory:') return freshKeys();
  const dir = join(dataDir, SIM_KEY_DIR);
  const file = (name: keyof typeof SIM_FILES) => join(dir, SIM_FILES[name]);
  if (!existsSync(file('apiV3Key'))) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const k = freshKeys();
    const write = (name: keyof typeof SIM_FILES, text: string) => {
      writeFileSync(file(name), text, { mode: 0o600 });
      chmodSync(file(name), 0o600);
    };
    write('merchantKey', k.merchantPrivateKeyPem);
    write('merchantSerial', `${k.merchantSerial}\n`);
    write('platformKey', k.platformPrivateKeyPem);
    write('platformPublicKey', k.platformPublicKeyPem);
    write('platformSerial', `${k.platformSerial}\n`);
    // Written last: its presence says the set is complete.
    write('apiV3Key', `${k.apiV3Key}\n`);
  }
  const read = (name: keyof typeof SIM_FILES) => readFileSync(file(name), 'utf8');
  return {
    mchid: SIM_MCHID,
    appid: SIM_APPID,
    merchantPrivateKeyPem: read('merchantKey'),
    merchantSerial: read('merchantSerial').trim(),
    platformPublicKeyPem: read('platformPublicKey'),
    platformPrivateKeyPem: read('platformKey'),
    platformSerial: read('platformSerial').trim(),
    apiV3Key: read('apiV3Key').trim(),
    dir,
  };
}
