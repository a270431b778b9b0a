// Where central pays through: the merchant's WeChat Pay settings (buildCentral's `payments.wechatpay`, or the
// CLI's --wechatpay-* flags), checked once at start; without them the reference central's simulator.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { apiV3KeyBytes } from './aead.js';
import type { SigningKey, VerifyingKey } from './signatures.js';
import { WECHATPAY_BASE_URL } from './wechatpay-api.js';

/** The merchant's settings as given (PEM text, not file names; the CLI reads the files). */
export interface WechatPayOptions {
  /** 商户号. */
  mchid: string;
  /** The AppID bound to the merchant (the Native order API requires one). */
  appid: string;
  /** The merchant API private key (apiclient_key.pem), PKCS#8 or PKCS#1 PEM: signs every request. */
  merchantPrivateKeyPem: string;
  /** The serial of the merchant API certificate (serial_no in Authorization). */
  merchantSerial: string;
  /** The WeChat Pay platform public key (or certificate) PEM: verifies answers and notifications. */
  platformPublicKeyPem: string;
  /** Its serial or public-key id (PUB_KEY_ID_…), as Wechatpay-Serial names it. */
  platformSerial: string;
  /** The 32-character APIv3 key: decrypts notification resources. */
  apiV3Key: string;
  /** Default WECHATPAY_BASE_URL. */
  baseUrl?: string;
  /** Where the provider sends notifications; default `<public URL>/v1/payments/wechatpay/notify`. */
  notifyUrl?: string;
}

export interface PaymentOptions {
  /** The real provider. Without it the reference central mounts its simulator at WECHATPAY_SIM_PREFIX. */
  wechatpay?: WechatPayOptions;
  /**
   * How often central looks for kiosk payments past their expiry with no notification, queries and closes them
   * (ms; default DEFAULT_SWEEP_INTERVAL_MS); false: only when asked (tests, `payments.sweep()`).
   */
  sweepIntervalMs?: number | false;
  /**
   * How long a kiosk payment's QR code can be paid (ms; default KIOSK_PAYMENT_VALIDITY_MS). The real provider
   * wants at least a minute; shorter is for the simulator (demo and tests).
   */
  validityMs?: number;
}

export const DEFAULT_SWEEP_INTERVAL_MS = 30_000;
export const NOTIFY_PATH = '/v1/payments/wechatpay/notify';

/** The settings the adapter works with: keys parsed, URLs resolved when used (the public URL may come later). */
export interface WechatPayConfig {
  mchid: string;
  appid: string;
  merchant: SigningKey;
  platform: VerifyingKey;
  apiV3Key: Buffer;
  baseUrl: () => string;
  notifyUrl: () => string;
}

function httpUrl(raw: string, what: string, opts: { query: boolean }): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`the ${what} "${raw}" is not a URL.`);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hash || (!opts.query && u.search))
    throw new Error(
      `the ${what} "${raw}" must be http(s)://host[:port][/path]${opts.query ? '' : ' without a query'}.`,
    );
  return u.href.replace(/\/+$/, '');
}

/** Check the merchant's settings (throws one line naming what is wrong) and resolve them. */
export function wechatPayConfig(o: WechatPayOptions, publicBaseUrl: () => string): WechatPayConfig {
  if (!/^\d{6,32}$/.test(o.mchid))
    throw new Error(`the WeChat Pay merchant id "${o.mchid}" is not a 商户号.`);
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(o.appid))
    throw new Error(`the WeChat Pay AppID "${o.appid}" is not one.`);
  for (const [what, v] of [
    ['merchant serial', o.merchantSerial],
    ['platform serial', o.platformSerial],
  ] as const)
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(v)) throw new Error(`the WeChat Pay ${what} "${v}" is not a serial.`);
  const key = <T>(what: string, make: () => T): T => {
    try {
      return make();
    } catch (err) {
      throw new Error(`the WeChat Pay ${what} cannot be read: ${(err as Error).message}`);
    }
  };
  const merchantKey = key('merchant private key', () => createPrivateKey(o.merchantPrivateKeyPem));
  const platformKey = key('platform public key', () => createPublicKey(o.platformPublicKeyPem));
  for (const [what, k] of [
    ['merchant private key', merchantKey],
    ['platform public key', platformKey],
  ] as const)
    if (k.asymmetricKeyType !== 'rsa') throw new Error(`the WeChat Pay ${what} must be an RSA key.`);
  const apiV3Key = apiV3KeyBytes(o.apiV3Key);
  const base = httpUrl(o.baseUrl ?? WECHATPAY_BASE_URL, 'WeChat Pay base URL', { query: false });
  // The provider refuses a notify_url with a query string.
  const notify = o.notifyUrl === undefined ? null : httpUrl(o.notifyUrl, 'notify URL', { query: false });
  return {
    mchid: o.mchid,
    appid: o.appid,
    merchant: { serial: o.merchantSerial, privateKey: merchantKey },
    platform: { serial: o.platformSerial, publicKey: platformKey },
    apiV3Key,
    baseUrl: () => base,
    notifyUrl: () => notify ?? `${publicBaseUrl()}${NOTIFY_PATH}`,
  };
}
