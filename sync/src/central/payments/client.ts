// The adapter central pays through: WeChat Pay API v3 over HTTPS (or the simulator), each request signed with the
// merchant key (Authorization), each 2xx answer checked against the platform key before it is believed. Native
// order, query and close by out_trade_no, and the trade bill (hash-checked). Any failure is one typed error
// (PAYMENT_PROVIDER_FAILED) carrying the provider's code when it gave one.
import { createHash } from 'node:crypto';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { CentralError } from '../errors.js';
import type { WechatPayConfig } from './config.js';
import { authorizationHeader, checkPlatformSignature, type HeaderBag } from './signatures.js';
import {
  type CloseRequestSchema,
  type NativeOrderRequest,
  NativeOrderResponseSchema,
  ProviderErrorSchema,
  rfc3339Cst,
  TradeBillResponseSchema,
  type Transaction,
  TransactionSchema,
  WECHATPAY_PATHS,
} from './wechatpay-api.js';

/** How long one call to the provider may take before it counts as failed (the kiosk is waiting). */
export const PROVIDER_TIMEOUT_MS = 10_000;

export type HttpFetch = (url: string, init: RequestInit) => Promise<Response>;

interface Answer {
  status: number;
  text: string;
  /** The provider's error code (4xx/5xx JSON body), when it gave one. */
  code?: string;
}

function headerBag(h: Headers): HeaderBag {
  const out: HeaderBag = {};
  h.forEach((v, k) => {
    out[k.toLowerCase()] = v;
  });
  return out;
}

const failed = (message: string, providerCode?: string) =>
  new CentralError('PAYMENT_PROVIDER_FAILED', message, providerCode ? { providerCode } : {});

export class WechatPayClient {
  constructor(
    private readonly cfg: WechatPayConfig,
    private readonly now: () => number,
    private readonly http: HttpFetch = fetch,
  ) {}

  /** Signed call; a 2xx answer is returned only when its platform signature verifies (or `unsigned` says none). */
  private async call(
    method: 'GET' | 'POST',
    url: string,
    body?: object,
    opts: { unsigned?: boolean } = {},
  ): Promise<Answer> {
    // A path is under the base URL (which may have a path of its own, as the simulator's has); the bill's
    // download_url is absolute.
    const target = new URL(/^https?:\/\//.test(url) ? url : `${this.cfg.baseUrl()}${url}`);
    const signedUrl = `${target.pathname}${target.search}`;
    const text = body === undefined ? '' : JSON.stringify(body);
    let res: Response;
    try {
      res = await this.http(target.href, {
        method,
        headers: {
          authorization: authorizationHeader(
            { mchid: this.cfg.mchid, ...this.cfg.merchant },
            { method, url: signedUrl, body: text },
            this.now(),
          ),
          accept: 'application/json',
          'user-agent': 'certkiosk-central',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: text }),
        signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      });
    } catch (err) {
      throw failed(`WeChat Pay did not answer ${method} ${target.pathname}: ${(err as Error).message}`);
    }
    const answer = await res.text();
    if (res.status >= 200 && res.status < 300) {
      if (!opts.unsigned) {
        const check = checkPlatformSignature(headerBag(res.headers), answer, this.cfg.platform, this.now());
        if (!check.ok)
          throw failed(
            `WeChat Pay's answer to ${method} ${target.pathname} is not signed by it: ${check.message}`,
          );
      }
      return { status: res.status, text: answer };
    }
    // An error answer is used for its code only (ORDER_NOT_EXIST, ORDER_CLOSED), and each of those can only make
    // central more careful: a payment that still arrives is flagged, never taken.
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer);
    } catch {}
    const code = Value.Check(ProviderErrorSchema, parsed) ? parsed.code : undefined;
    return { status: res.status, text: answer, ...(code ? { code } : {}) };
  }

  private json<T extends TSchema>(a: Answer, schema: T, what: string) {
    let v: unknown;
    try {
      v = JSON.parse(a.text);
    } catch {}
    if (!Value.Check(schema, v)) throw failed(`WeChat Pay's ${what} answer is not in the documented shape.`);
    return v as Static<T>;
  }

  private refused(a: Answer, what: string): never {
    throw failed(`WeChat Pay refused ${what} (${a.status}${a.code ? ` ${a.code}` : ''}).`, a.code);
  }

  /** Native order (Native下单): the code_url to show as a QR code. Calling again with the same fields is safe. */
  async createNative(req: {
    outTradeNo: string;
    description: string;
    totalFen: number;
    expiresAtMs: number;
    attach?: string;
  }): Promise<string> {
    const body: NativeOrderRequest = {
      appid: this.cfg.appid,
      mchid: this.cfg.mchid,
      description: req.description,
      out_trade_no: req.outTradeNo,
      time_expire: rfc3339Cst(req.expiresAtMs),
      ...(req.attach ? { attach: req.attach } : {}),
      notify_url: this.cfg.notifyUrl(),
      amount: { total: req.totalFen, currency: 'CNY' },
    };
    const a = await this.call('POST', WECHATPAY_PATHS.native, body);
    if (a.status !== 200) this.refused(a, `the native order ${req.outTradeNo}`);
    return this.json(a, NativeOrderResponseSchema, 'native order').code_url;
  }

  /** The transaction by out_trade_no, or null when the provider has no such order (ORDER_NOT_EXIST). */
  async query(outTradeNo: string): Promise<Transaction | null> {
    const a = await this.call(
      'GET',
      `${WECHATPAY_PATHS.byOutTradeNo(outTradeNo)}?mchid=${encodeURIComponent(this.cfg.mchid)}`,
    );
    if (a.status === 404 && a.code === 'ORDER_NOT_EXIST') return null;
    if (a.status !== 200) this.refused(a, `the query of ${outTradeNo}`);
    const t = this.json(a, TransactionSchema, 'query');
    if (t.out_trade_no !== outTradeNo || t.mchid !== this.cfg.mchid)
      throw failed(`WeChat Pay answered the query of ${outTradeNo} with another order.`);
    return t;
  }

  /** Close an unpaid order (关闭订单); an order already closed counts as closed. */
  async close(outTradeNo: string): Promise<void> {
    const body: Static<typeof CloseRequestSchema> = { mchid: this.cfg.mchid };
    const a = await this.call('POST', WECHATPAY_PATHS.close(outTradeNo), body);
    if (a.status === 204 || (a.status === 400 && a.code === 'ORDER_CLOSED')) return;
    this.refused(a, `closing ${outTradeNo}`);
  }

  /** The trade bill of a day (yyyy-MM-dd, China time) as the provider's CSV text, its SHA-1 checked. */
  async tradeBill(billDate: string, billType: 'ALL' | 'SUCCESS' | 'REFUND' = 'ALL'): Promise<string> {
    const a = await this.call(
      'GET',
      `${WECHATPAY_PATHS.tradeBill}?bill_date=${billDate}&bill_type=${billType}`,
    );
    if (a.status !== 200) this.refused(a, `the trade bill of ${billDate}`);
    const bill = this.json(a, TradeBillResponseSchema, 'trade bill');
    // The download itself is not signed by the platform: the hash from the signed answer vouches for it.
    const file = await this.call('GET', bill.download_url, undefined, { unsigned: true });
    if (file.status !== 200) this.refused(file, `the trade bill download of ${billDate}`);
    const sha1 = createHash('sha1').update(file.text, 'utf8').digest('hex');
    if (sha1 !== bill.hash_value.toLowerCase())
      throw failed(`The trade bill of ${billDate} does not match its SHA-1 (${bill.hash_value}).`);
    return file.text;
  }
}
