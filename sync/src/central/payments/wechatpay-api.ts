// The WeChat Pay API v3 surface central uses, as the provider documents it (pay.weixin.qq.com/docs/merchant/apis/
// native-payment/…): paths, the JSON bodies (TypeBox, so the adapter checks what it gets and the simulator what
// it is sent), trade states, the notification envelope, and the provider's time format. Field names are the
// provider's (snake_case); nothing here is central's own API.
import { type Static, Type } from '@sinclair/typebox';

export const WECHATPAY_BASE_URL = 'https://api.mch.weixin.qq.com';

export const WECHATPAY_PATHS = {
  native: '/v3/pay/transactions/native',
  byOutTradeNo: (outTradeNo: string) => `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}`,
  close: (outTradeNo: string) => `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`,
  tradeBill: '/v3/bill/tradebill',
  billDownload: '/v3/billdownload/file',
} as const;

/** 商户订单号: 6–32 of digits, letters, _ - | * (the provider's rule). */
export const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;

export const TRADE_STATES = [
  'SUCCESS',
  'REFUND',
  'NOTPAY',
  'CLOSED',
  'REVOKED',
  'USERPAYING',
  'PAYERROR',
] as const;
export type TradeState = (typeof TRADE_STATES)[number];

/** The event type of a successful payment notification. */
export const TRANSACTION_SUCCESS = 'TRANSACTION.SUCCESS';

/** rfc3339 in China Standard Time, as the provider writes times (`2015-05-20T13:29:35+08:00`). */
export function rfc3339Cst(ms: number): string {
  const cst = new Date(Math.floor(ms / 1000) * 1000 + 8 * 3600_000).toISOString();
  return `${cst.slice(0, 19)}+08:00`;
}

/** `yyyy-MM-dd HH:mm:ss` in China Standard Time (the trade bill's 交易时间). */
export function billTimeCst(ms: number): string {
  return rfc3339Cst(ms).slice(0, 19).replace('T', ' ');
}

export const NativeOrderRequestSchema = Type.Object({
  appid: Type.String({ minLength: 1, maxLength: 32 }),
  mchid: Type.String({ minLength: 1, maxLength: 32 }),
  description: Type.String({ minLength: 1, maxLength: 127 }),
  out_trade_no: Type.String({ pattern: OUT_TRADE_NO.source }),
  time_expire: Type.Optional(Type.String({ maxLength: 64 })),
  attach: Type.Optional(Type.String({ maxLength: 128 })),
  notify_url: Type.String({ minLength: 1, maxLength: 255 }),
  amount: Type.Object({
    total: Type.Integer({ minimum: 1 }),
    currency: Type.Optional(Type.Literal('CNY')),
  }),
});
export type NativeOrderRequest = Static<typeof NativeOrderRequestSchema>;

export const NativeOrderResponseSchema = Type.Object({ code_url: Type.String({ minLength: 1 }) });

export const CloseRequestSchema = Type.Object({ mchid: Type.String({ minLength: 1, maxLength: 32 }) });

/** A transaction: the query answer, and the decrypted resource of a payment notification. */
export const TransactionSchema = Type.Object({
  appid: Type.String(),
  mchid: Type.String(),
  out_trade_no: Type.String(),
  transaction_id: Type.Optional(Type.String()),
  trade_type: Type.Optional(Type.String()),
  trade_state: Type.String(),
  trade_state_desc: Type.Optional(Type.String()),
  bank_type: Type.Optional(Type.String()),
  attach: Type.Optional(Type.String()),
  success_time: Type.Optional(Type.String()),
  payer: Type.Optional(Type.Object({ openid: Type.Optional(Type.String()) })),
  amount: Type.Optional(
    Type.Object({
      total: Type.Optional(Type.Integer()),
      payer_total: Type.Optional(Type.Integer()),
      currency: Type.Optional(Type.String()),
      payer_currency: Type.Optional(Type.String()),
    }),
  ),
});
export type Transaction = Static<typeof TransactionSchema>;

export const EncryptedResourceSchema = Type.Object({
  algorithm: Type.String(),
  ciphertext: Type.String(),
  nonce: Type.String(),
  associated_data: Type.Optional(Type.String()),
  original_type: Type.String(),
});

/** A notification as POSTed to notify_url. */
export const NotificationSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  create_time: Type.String(),
  event_type: Type.String(),
  resource_type: Type.String(),
  summary: Type.Optional(Type.String()),
  resource: EncryptedResourceSchema,
});
export type Notification = Static<typeof NotificationSchema>;

export const TradeBillResponseSchema = Type.Object({
  hash_type: Type.Literal('SHA1'),
  hash_value: Type.String(),
  download_url: Type.String(),
});
export type TradeBillResponse = Static<typeof TradeBillResponseSchema>;

/** The provider's error body (and the one a notify_url answers a refusal with: code FAIL). */
export const ProviderErrorSchema = Type.Object({ code: Type.String(), message: Type.String() });
export type ProviderError = Static<typeof ProviderErrorSchema>;
