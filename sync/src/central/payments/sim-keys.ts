// The simulator's merchant: keys and ids made once into <dataDir>/wechatpay-sim/ (0600 files) and reused, so a
// demo's QR codes and notifications keep verifying across restarts. The files are laid out as a real merchant's
// would be, so --wechatpay-* flags can point at them to run central against the simulator as if it were real.
import { generateKeyPair, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

interface RsaPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

const RSA = { modulusLength: 2048 } as const;
const pemPair = (k: { privateKey: KeyObject; publicKey: KeyObject }): RsaPair => ({
  privateKeyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  publicKeyPem: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
});
const rsaPair = (): RsaPair => pemPair(generateKeyPairSync('rsa', RSA));
const generateKeyPairAsync = promisify(generateKeyPair);
const rsaPairAsync = async (): Promise<RsaPair> => pemPair(await generateKeyPairAsync('rsa', RSA));

function keysOf(merchant: RsaPair, platform: RsaPair): Omit<SimulatorKeys, 'dir'> {
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

const keyDir = (dataDir: string) => join(dataDir, SIM_KEY_DIR);
const keyFile = (dir: string, name: keyof typeof SIM_FILES) => join(dir, SIM_FILES[name]);

/**
 * Keep a key set in the data directory: written whole into a folder of its own, then renamed into place, so a
 * set is there complete or not at all; when another set got there first (the CLI's early preparation and a
 * first payment at once), that one is kept and this one dropped.
 */
function keepKeys(dataDir: string, k: Omit<SimulatorKeys, 'dir'>): void {
  const tmp = `${keyDir(dataDir)}.tmp-${randomBytes(6).toString('hex')}`;
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const write = (name: keyof typeof SIM_FILES, text: string) => {
    writeFileSync(keyFile(tmp, name), text, { mode: 0o600 });
    chmodSync(keyFile(tmp, name), 0o600);
  };
  write('merchantKey', k.merchantPrivateKeyPem);
  write('merchantSerial', `${k.merchantSerial}\n`);
  write('platformKey', k.platformPrivateKeyPem);
  write('platformPublicKey', k.platformPublicKeyPem);
  write('platformSerial', `${k.platformSerial}\n`);
  write('apiV3Key', `${k.apiV3Key}\n`);
  try {
    renameSync(tmp, keyDir(dataDir));
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const haveKeys = (dataDir: string) => existsSync(keyFile(keyDir(dataDir), 'apiV3Key'));

/**
 * Make the key set ahead of its first use, off the event loop (RSA key generation takes a few hundred
 * milliseconds): certkiosk-central calls it at start, so the first payment or reconciliation stalls nothing.
 */
export async function prepareSimulatorKeys(dataDir: string): Promise<void> {
  if (dataDir === ':memory:' || haveKeys(dataDir)) return;
  const [merchant, platform] = await Promise.all([rsaPairAsync(), rsaPairAsync()]);
  if (!haveKeys(dataDir)) keepKeys(dataDir, keysOf(merchant, platform));
}

/** Load the simulator's keys from the data directory, creating them the first time. */
export function loadOrCreateSimulatorKeys(dataDir: string): SimulatorKeys {
  if (dataDir === ':memory:') return keysOf(rsaPair(), rsaPair());
  const dir = keyDir(dataDir);
  const file = (name: keyof typeof SIM_FILES) => keyFile(dir, name);
  if (!haveKeys(dataDir)) keepKeys(dataDir, keysOf(rsaPair(), rsaPair()));
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
