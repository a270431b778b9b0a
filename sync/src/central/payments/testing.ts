// Test support: a merchant's WeChat Pay settings made with node:crypto, and the simulator on its own Fastify
// (listening on loopback) holding the matching platform key — a stand-in for api.mch.weixin.qq.com.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { HttpFetch } from './client.js';
import type { WechatPayOptions } from './config.js';
import type { SimulatorKeys } from './sim-keys.js';
import { wechatpaySimulator } from './simulator.js';

export function testWechatPayKeys(): SimulatorKeys {
  const pair = () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  };
  const merchant = pair();
  const platform = pair();
  return {
    mchid: '1230000109',
    appid: 'wx8888888888888888',
    merchantPrivateKeyPem: merchant.privateKeyPem,
    merchantSerial: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
    platformPublicKeyPem: platform.publicKeyPem,
    platformPrivateKeyPem: platform.privateKeyPem,
    platformSerial: 'PUB_KEY_ID_0114232134912410000000000000',
    apiV3Key: randomBytes(16).toString('hex'),
  };
}

/** The merchant's options for buildCentral, pointing at `baseUrl`. */
export function merchantOptions(keys: SimulatorKeys, baseUrl: string): WechatPayOptions {
  const { platformPrivateKeyPem: _, dir: __, ...merchant } = keys;
  return { ...merchant, baseUrl, notifyUrl: 'https://central.example.com/v1/payments/wechatpay/notify' };
}

/** The simulator alone, listening on loopback; its URL is the provider's base URL. */
export async function startSimulator(
  keys: SimulatorKeys,
  now: () => number,
  http?: HttpFetch,
): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  await app.register(wechatpaySimulator, { keys: () => keys, now, ...(http ? { http } : {}) });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}
