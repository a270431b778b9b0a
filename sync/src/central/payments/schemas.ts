// Central's payment API (TypeBox, validated by Fastify and published as OpenAPI): what operations see, and the
// reasons a payment is flagged (defined here, once). What a kiosk asks and is told is in the contract
// (contract/payments.ts), re-exported here.
import { type Static, Type } from '@sinclair/typebox';
import { PaymentCloseReasonSchema, PaymentStateSchema } from '../../contract/payments.js';

export * from '../../contract/payments.js';

const literals = <const T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
const IsoTime = Type.String({ format: 'date-time' });

/** Why a payment that arrived was not taken, and what operations should do about it. */
export const PAYMENT_FLAG_REASONS = {
  'amount-mismatch':
    'The amount paid differs from the order price; it was not taken for the order. Refund it.',
  'paid-after-cancel':
    'Paid after the kiosk session was cancelled and the provider order closed; the order was not paid. Refund it.',
  'paid-after-expiry':
    'Paid after the payment expired and the provider order was closed; the order was not paid. Refund it.',
  'order-not-awaiting-payment':
    'The order was no longer awaiting payment when this payment arrived (paid otherwise). Refund it.',
  'unknown-order': 'No kiosk payment of ours has this out_trade_no. Check it with WeChat Pay and refund it.',
} as const;
export type PaymentFlagReason = keyof typeof PAYMENT_FLAG_REASONS;

export const AdminPaymentSchema = Type.Object({
  outTradeNo: Type.String(),
  /** Absent for a payment that names no order of ours (unknown-order). */
  orderId: Type.Optional(Type.String()),
  provider: Type.Literal('wechatpay'),
  state: PaymentStateSchema,
  amountFen: Type.Integer(),
  expiresAt: IsoTime,
  applianceId: Type.Optional(Type.String()),
  closeReason: Type.Optional(PaymentCloseReasonSchema),
  transactionId: Type.Optional(Type.String()),
  paidFen: Type.Optional(Type.Integer()),
  paidAt: Type.Optional(IsoTime),
  flagReason: Type.Optional(literals(Object.keys(PAYMENT_FLAG_REASONS) as PaymentFlagReason[])),
  /** The reason as a sentence (PAYMENT_FLAG_REASONS) and what was found. */
  flagMessage: Type.Optional(Type.String()),
  flaggedAt: Type.Optional(IsoTime),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type AdminPayment = Static<typeof AdminPaymentSchema>;

export const AdminPaymentListQuerySchema = Type.Object({
  flagged: Type.Optional(literals(['1', '0', 'true', 'false'] as const)),
});
export const AdminPaymentListResponseSchema = Type.Object({ payments: Type.Array(AdminPaymentSchema) });
