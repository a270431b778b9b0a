// A WeChat Pay API v3 simulator: the provider's side of what central uses, speaking the same wire format. It
// checks each merchant request's Authorization against the merchant key (401 SIGN_ERROR otherwise), signs every
// answer with the platform key, keeps its orders in memory (as the provider's own database), and serves the
// trade bill. One demo-only action stands in for a payer scanning the QR code: POST /demo/pay marks the order
// paid and sends the signed, encrypted notification to its notify_url. Mounted by the reference central when no
// real provider is configured; a Fastify plugin of its own, so a test can run it standalone.
import { createHash, createPrivateKey, createPublicKey, randomBytes, randomInt } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiV3KeyBytes } from './aead.js';
import type { HttpFetch } from './client.js';
import { sealTransactionNotification } from './notification.js';
import { checkAuthorization, platformSignatureHeaders } from './signatures.js';
import type { SimulatorKeys } from './sim-keys.js';
import { type BilledPayment, formatTradeBill } from './trade-bill.js';
import {
  billTimeCst,
  CloseRequestSchema,
  type NativeOrderRequest,
  NativeOrderRequestSchema,
  rfc3339Cst,
  type TradeState,
  type Transaction,
} from './wechatpay-api.js';

/** Where the reference central mounts the simulator. */
export const WECHATPAY_SIM_PREFIX = '/wechatpay-sim';

export interface SimulatorOptions {
  /** The merchant's and the platform's keys (called on first use: the demo makes them then). */
  keys: () => SimulatorKeys;
  now: () => number;
  /** How notifications are delivered (default fetch). */
  http?: HttpFetch;
  /** Who may use the demo pay action (default anyone: a standalone simulator in a test). */
  authorizeDemo?: (req: FastifyRequest) => Promise<boolean>;
  /** Given the payer once the plugin is registered (the phone page's demo pay button). */
  expose?: (handle: SimulatorHandle) => void;
}

interface SimOrder {
  request: NativeOrderRequest;
  codeUrl: string;
  state: TradeState;
  transactionId?: string;
  successMs?: number;
  paidFen?: number;
  openid?: string;
  /** The notification sent for the payment (a repeat delivery sends the same body, newly signed). */
  notificationBody?: string;
}

export interface DemoPayBody {
  out_trade_no?: string;
  /** Demo and tests: a payment that was already under way when the order closed or expired (the race). */
  late?: boolean;
  /** Tests only: the amount the notification reports (a provider fault central must not take). */
  amount_total?: number;
}

/** What the demo payer's action did: paid (and notified central, with its answer), or the provider's refusal. */
export type DemoPayOutcome =
  | {
      ok: true;
      out_trade_no: string;
      trade_state: TradeState;
      notified: { status: number; body: string };
    }
  | { ok: false; status: number; code: string; message: string };

/** The simulator's payer, for central's own demo (the phone page's pay button). */
export interface SimulatorHandle {
  demoPay(body: DemoPayBody): Promise<DemoPayOutcome>;
}

const BILL_VALIDITY_MS = 5 * 60_000;

export async function wechatpaySimulator(app: FastifyInstance, opts: SimulatorOptions): Promise<void> {
  const orders = new Map<string, SimOrder>();
  const bills = new Map<string, { text: string; expiresMs: number }>();
  const http = opts.http ?? fetch;
  let memo: ReturnType<typeof load> | null = null;
  const load = () => {
    const k = opts.keys();
    return {
      keys: k,
      merchant: {
        mchid: k.mchid,
        serial: k.merchantSerial,
        publicKey: createPublicKey(createPrivateKey(k.merchantPrivateKeyPem)),
      },
      platform: { serial: k.platformSerial, privateKey: createPrivateKey(k.platformPrivateKeyPem) },
      apiV3Key: apiV3KeyBytes(k.apiV3Key),
    };
  };
  const sim = () => {
    memo ??= load();
    return memo;
  };

  // Exact body bytes for the signature check, whoever mounts the simulator.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const raw = body as Buffer;
    req.rawBody = raw;
    try {
      done(null, raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8')));
    } catch {
      done(Object.assign(new Error('The body is not JSON.'), { statusCode: 400, code: 'PARAM_ERROR' }));
    }
  });
  app.setErrorHandler((err, _req, reply) => {
    const e = err as { statusCode?: number; code?: string; message: string };
    const status = e.statusCode && e.statusCode < 500 ? e.statusCode : 500;
    return reply.code(status).send({
      code: status === 500 ? 'SYSTEM_ERROR' : (e.code ?? 'PARAM_ERROR'),
      message: e.message,
    });
  });
  // Every answer to a merchant request is signed with the platform key (the bill file and the demo are not).
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.routeOptions.config?.unsigned) return payload;
    const body =
      typeof payload === 'string' ? payload : payload === undefined || payload === null ? '' : null;
    if (body === null) return payload;
    for (const [k, v] of Object.entries(platformSignatureHeaders(sim().platform, body, opts.now())))
      reply.header(k, v);
    return payload;
  });

  const fail = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply.code(status).send({ code, message });

  /** The provider's check of the merchant's Authorization; answers 401 SIGN_ERROR and returns false. */
  const authorized = (req: FastifyRequest, reply: FastifyReply): boolean => {
    const check = checkAuthorization(
      req.headers.authorization,
      { method: req.method, url: req.url, body: req.rawBody ?? '' },
      sim().merchant,
      opts.now(),
    );
    if (check.ok) return true;
    void fail(reply, 401, 'SIGN_ERROR', check.message);
    return false;
  };

  const transaction = (o: SimOrder): Transaction => ({
    appid: o.request.appid,
    mchid: o.request.mchid,
    out_trade_no: o.request.out_trade_no,
    ...(o.transactionId ? { transaction_id: o.transactionId } : {}),
    trade_type: 'NATIVE',
    trade_state: o.state,
    trade_state_desc:
      { SUCCESS: '支付成功', NOTPAY: '未支付', CLOSED: '已关闭' }[o.state as string] ?? o.state,
    ...(o.state === 'SUCCESS'
      ? {
          bank_type: 'OTHERS',
          success_time: rfc3339Cst(o.successMs!),
          payer: { openid: o.openid! },
          amount: { total: o.paidFen!, payer_total: o.paidFen!, currency: 'CNY', payer_currency: 'CNY' },
        }
      : { amount: { total: o.request.amount.total, currency: 'CNY' } }),
    ...(o.request.attach ? { attach: o.request.attach } : {}),
  });

  const hidden = { hide: true, tags: ['wechatpay-simulator'] };

  app.post('/v3/pay/transactions/native', { schema: hidden }, async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const body = req.body;
    if (!Value.Check(NativeOrderRequestSchema, body))
      return fail(reply, 400, 'PARAM_ERROR', 'The native order request does not fit the API.');
    if (body.mchid !== sim().keys.mchid || body.appid !== sim().keys.appid)
      return fail(reply, 400, 'APPID_MCHID_NOT_MATCH', 'AppID and mchid do not match.');
    const known = orders.get(body.out_trade_no);
    if (known) {
      if (known.state === 'CLOSED') return fail(reply, 400, 'ORDER_CLOSED', '订单已关闭');
      const same =
        known.state === 'NOTPAY' &&
        known.request.amount.total === body.amount.total &&
        known.request.time_expire === body.time_expire &&
        known.request.notify_url === body.notify_url;
      if (!same) return fail(reply, 403, 'OUT_TRADE_NO_USED', '商户订单号重复');
      return { code_url: known.codeUrl };
    }
    const codeUrl = `weixin://wxpay/bizpayurl?pr=${randomBytes(6).toString('base64url')}`;
    orders.set(body.out_trade_no, { request: body, codeUrl, state: 'NOTPAY' });
    return { code_url: codeUrl };
  });

  app.get<{ Params: { outTradeNo: string }; Querystring: { mchid?: string } }>(
    '/v3/pay/transactions/out-trade-no/:outTradeNo',
    { schema: hidden },
    async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      if (req.query.mchid !== sim().keys.mchid) return fail(reply, 400, 'PARAM_ERROR', 'mchid is required.');
      const o = orders.get(req.params.outTradeNo);
      if (!o) return fail(reply, 404, 'ORDER_NOT_EXIST', '订单不存在');
      return transaction(o);
    },
  );

  app.post<{ Params: { outTradeNo: string } }>(
    '/v3/pay/transactions/out-trade-no/:outTradeNo/close',
    { schema: hidden },
    async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      if (!Value.Check(CloseRequestSchema, req.body) || req.body.mchid !== sim().keys.mchid)
        return fail(reply, 400, 'PARAM_ERROR', 'The body must name the merchant (mchid).');
      const o = orders.get(req.params.outTradeNo);
      if (!o) return fail(reply, 404, 'ORDER_NOT_EXIST', '订单不存在');
      if (o.state === 'CLOSED') return fail(reply, 400, 'ORDER_CLOSED', '订单已关闭');
      if (o.state !== 'NOTPAY') return fail(reply, 400, 'TRADE_ERROR', `订单状态为 ${o.state}，不能关闭`);
      o.state = 'CLOSED';
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { bill_date?: string; bill_type?: string } }>(
    '/v3/bill/tradebill',
    { schema: hidden },
    async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      const date = req.query.bill_date ?? '';
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
        return fail(reply, 400, 'PARAM_ERROR', 'bill_date is yyyy-MM-dd.');
      const type = req.query.bill_type ?? 'ALL';
      if (type !== 'ALL' && type !== 'SUCCESS')
        return fail(reply, 400, 'PARAM_ERROR', 'The simulator bills ALL and SUCCESS.');
      const paid: BilledPayment[] = [...orders.values()]
        .filter((o) => o.state === 'SUCCESS' && billTimeCst(o.successMs!).slice(0, 10) === date)
        .sort((a, b) => a.successMs! - b.successMs!)
        .map((o) => ({
          tradeTime: billTimeCst(o.successMs!),
          appid: o.request.appid,
          mchid: o.request.mchid,
          transactionId: o.transactionId!,
          outTradeNo: o.request.out_trade_no,
          openid: o.openid!,
          totalFen: o.paidFen!,
          description: o.request.description,
          ...(o.request.attach ? { attach: o.request.attach } : {}),
        }));
      const text = formatTradeBill(paid);
      const token = randomBytes(16).toString('base64url');
      bills.set(token, { text, expiresMs: opts.now() + BILL_VALIDITY_MS });
      const base = `${req.protocol}://${req.host}${req.url.slice(0, req.url.indexOf('/v3/bill/tradebill'))}`;
      return {
        hash_type: 'SHA1',
        hash_value: createHash('sha1').update(text, 'utf8').digest('hex'),
        download_url: `${base}/v3/billdownload/file?token=${token}`,
      };
    },
  );

  app.get<{ Querystring: { token?: string } }>(
    '/v3/billdownload/file',
    { schema: hidden, config: { unsigned: true } },
    async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      const bill = bills.get(req.query.token ?? '');
      if (!bill || bill.expiresMs < opts.now()) return fail(reply, 400, 'INVALID_REQUEST', '下载链接已失效');
      return reply.type('text/plain; charset=utf-8').send(bill.text);
    },
  );

  /** Deliver the payment's notification to its notify_url (newly signed each time, as a provider retry is). */
  const notify = async (o: SimOrder) => {
    const { platform } = sim();
    const body = o.notificationBody!;
    try {
      const res = await http(o.request.notify_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...platformSignatureHeaders(platform, body, opts.now()),
        },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      return { status: 0, body: (err as Error).message };
    }
  };

  /** The payer (demo): pay the order and send its notification; an order already paid notifies again. */
  const demoPay = async (b: DemoPayBody): Promise<DemoPayOutcome> => {
    const o = orders.get(b.out_trade_no ?? '');
    if (!o) return { ok: false, status: 404, code: 'ORDER_NOT_EXIST', message: '订单不存在' };
    if (o.state === 'NOTPAY' || (b.late && o.state === 'CLOSED')) {
      const expired = o.request.time_expire !== undefined && Date.parse(o.request.time_expire) < opts.now();
      if (expired && !b.late)
        return { ok: false, status: 400, code: 'ORDER_CLOSED', message: '订单已过支付截止时间' };
      const { keys, platform, apiV3Key } = sim();
      o.state = 'SUCCESS';
      o.successMs = opts.now();
      o.transactionId = `4200${String(randomInt(0, 1e12)).padStart(12, '0')}${String(randomInt(0, 1e12)).padStart(12, '0')}`;
      o.openid = `oSim${randomBytes(12).toString('base64url')}`;
      o.paidFen = b.amount_total ?? o.request.amount.total;
      o.notificationBody = sealTransactionNotification({
        transaction: { ...transaction(o), mchid: keys.mchid },
        platform,
        apiV3Key,
        nowMs: opts.now(),
      }).body;
    } else if (o.state !== 'SUCCESS') {
      return { ok: false, status: 400, code: 'ORDER_CLOSED', message: `订单状态为 ${o.state}` };
    }
    // An order already paid: the same notification again (a provider retry).
    const notified = await notify(o);
    return { ok: true, out_trade_no: o.request.out_trade_no, trade_state: o.state, notified };
  };
  opts.expose?.({ demoPay });

  app.post<{ Body: DemoPayBody | undefined }>(
    '/demo/pay',
    { schema: hidden, config: { unsigned: true } },
    async (req, reply) => {
      if (opts.authorizeDemo && !(await opts.authorizeDemo(req)))
        return fail(reply, 401, 'UNAUTHORISED', 'The demo pay action needs the operator token.');
      const r = await demoPay(req.body ?? {});
      if (!r.ok) return fail(reply, r.status, r.code, r.message);
      const { ok: _ok, ...answer } = r;
      return answer;
    },
  );
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Simulator: answers not signed with the platform key (bill file, demo action). */
    unsigned?: boolean;
  }
}
