// The adapter's requests as the provider checks them: the Authorization header re-verified here with node:crypto
// from the documented message, and the simulator refusing what the real provider would (other key, other serial,
// clock off, body changed after signing). The adapter in turn believes no answer the platform key did not sign.
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentralError } from '../errors.js';
import { type HttpFetch, WechatPayClient } from './client.js';
import { wechatPayConfig } from './config.js';
import type { SimulatorKeys } from './sim-keys.js';
import { merchantOptions, startSimulator, testWechatPayKeys } from './testing.js';

const clock = { ms: Date.parse('2026-03-01T08:00:00Z') };
let keys: SimulatorKeys;
let sim: Awaited<ReturnType<typeof startSimulator>>;
let otherKeyPem: string;

beforeAll(async () => {
  keys = testWechatPayKeys();
  otherKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  sim = await startSimulator(keys, () => clock.ms);
});
afterAll(() => sim.app.close());

function client(
  patch: Partial<ReturnType<typeof merchantOptions>> = {},
  opts: { http?: HttpFetch; now?: () => number } = {},
) {
  const cfg = wechatPayConfig({ ...merchantOptions(keys, sim.url), ...patch }, () => 'http://unused');
  return new WechatPayClient(cfg, opts.now ?? (() => clock.ms), opts.http);
}

/** The provider's refusal as the adapter reports it. */
async function providerCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CentralError);
    expect((err as CentralError).code).toBe('PAYMENT_PROVIDER_FAILED');
    return ((err as CentralError).details.providerCode as string | undefined) ?? (err as Error).message;
  }
  return 'no error';
}

let n = 0;
const order = (outTradeNo = `CK20260301TEST${String(++n).padStart(4, '0')}`) => ({
  outTradeNo,
  description: '数字证书服务',
  totalFen: 30000,
  expiresAtMs: clock.ms + 300_000,
});

describe('the Authorization header', () => {
  it('is WECHATPAY2-SHA256-RSA2048 with the five fields, signing METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n', async () => {
    const seen: Array<{ url: string; init: RequestInit }> = [];
    const spy: HttpFetch = (url, init) => {
      seen.push({ url, init });
      return fetch(url, init);
    };
    const codeUrl = await client({}, { http: spy }).createNative(order());
    expect(codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    const { url, init } = seen[0]!;
    const auth = (init.headers as Record<string, string>).authorization!;
    const m =
      /^WECHATPAY2-SHA256-RSA2048 mchid="(\d+)",nonce_str="([0-9A-F]{32})",signature="([A-Za-z0-9+/=]+)",timestamp="(\d+)",serial_no="([0-9A-F]+)"$/.exec(
        auth,
      );
    expect(m, auth).not.toBeNull();
    const [, mchid, nonce, signature, timestamp, serial] = m!;
    expect([mchid, serial, Number(timestamp)]).toEqual([keys.mchid, keys.merchantSerial, clock.ms / 1000]);
    const path = new URL(url).pathname;
    expect(path).toBe('/v3/pay/transactions/native');
    const body = init.body as string;
    expect(JSON.parse(body)).toMatchObject({
      appid: keys.appid,
      mchid: keys.mchid,
      time_expire: '2026-03-01T16:05:00+08:00',
      notify_url: 'https://central.example.com/v1/payments/wechatpay/notify',
      amount: { total: 30000, currency: 'CNY' },
    });
    // Verified with the merchant's public half, as the provider holds it (derived here from the key file).
    const ok = createVerify('RSA-SHA256')
      .update(`POST\n${path}\n${timestamp}\n${nonce}\n${body}\n`)
      .verify(keys.merchantPrivateKeyPem, signature!, 'base64');
    expect(ok).toBe(true);
    // A GET signs the query too, and an empty body.
    await client({}, { http: spy }).query(order().outTradeNo);
    const q = seen[1]!;
    const qm = /nonce_str="([^"]+)",signature="([^"]+)",timestamp="(\d+)"/.exec(
      (q.init.headers as Record<string, string>).authorization!,
    )!;
    const u = new URL(q.url);
    expect(u.search).toBe(`?mchid=${keys.mchid}`);
    expect(
      createVerify('RSA-SHA256')
        .update(`GET\n${u.pathname}${u.search}\n${qm[3]}\n${qm[1]}\n\n`)
        .verify(keys.merchantPrivateKeyPem, qm[2]!, 'base64'),
    ).toBe(true);
  });

  it('the simulator accepts the merchant key and answers as the provider does (create, same again, query, close)', async () => {
    const c = client();
    const o = order();
    const codeUrl = await c.createNative(o);
    expect(await c.createNative(o)).toBe(codeUrl);
    expect(await c.query(o.outTradeNo)).toMatchObject({
      out_trade_no: o.outTradeNo,
      mchid: keys.mchid,
      trade_state: 'NOTPAY',
    });
    await c.close(o.outTradeNo);
    expect((await c.query(o.outTradeNo))?.trade_state).toBe('CLOSED');
    await c.close(o.outTradeNo); // closed already counts as closed
    expect(await c.query('CK20260301NEVERMADE')).toBeNull();
    expect(await providerCode(c.createNative(o))).toBe('ORDER_CLOSED');
  });

  it('the simulator refuses another key, another serial, a clock 6 minutes off, a body changed after signing (SIGN_ERROR)', async () => {
    expect(await providerCode(client({ merchantPrivateKeyPem: otherKeyPem }).createNative(order()))).toBe(
      'SIGN_ERROR',
    );
    expect(
      await providerCode(
        client({ merchantSerial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1' }).query('X12345'),
      ),
    ).toBe('SIGN_ERROR');
    expect(await providerCode(client({}, { now: () => clock.ms - 360_000 }).createNative(order()))).toBe(
      'SIGN_ERROR',
    );
    const tamper: HttpFetch = (url, init) =>
      fetch(url, { ...init, body: (init.body as string).replace('"total":30000', '"total":1') });
    expect(await providerCode(client({}, { http: tamper }).createNative(order()))).toBe('SIGN_ERROR');
  });
});

describe('answers', () => {
  it('an answer not signed by the configured platform key is not believed', async () => {
    const strangerPublic = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const message = await providerCode(
      client({ platformPublicKeyPem: strangerPublic }).createNative(order()),
    );
    expect(message).toMatch(/not signed by it: Wechatpay-Signature does not verify/);
    const otherSerial = await providerCode(
      client({ platformSerial: 'PUB_KEY_ID_OTHER' }).createNative(order()),
    );
    expect(otherSerial).toMatch(/not signed by it: Wechatpay-Serial/);
  });

  it('a provider that does not answer is PAYMENT_PROVIDER_FAILED, not a hang', async () => {
    const down: HttpFetch = async () => {
      throw new TypeError('fetch failed');
    };
    expect(await providerCode(client({}, { http: down }).query('X12345'))).toMatch(/did not answer/);
  });
});
