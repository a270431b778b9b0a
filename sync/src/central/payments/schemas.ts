// Central's payment API (TypeBox, validated by Fastify and published as OpenAPI): what a kiosk asks and is told,
// what operations see. The payment states and the reasons a payment is flagged are defined here, once.
import { type Static, Type } from '@sinclair/typebox';
import { OrderStatusSchema } from '../../contract/schemas.js';

const literals = <const T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
const IsoTime = Type.String({ format: 'date-time' });
const OrderId = Type.String({ minLength: 1, maxLength: 64 });

/**
 * A kiosk payment (one provider order): pending until paid, closed (cancelled at the kiosk or expired), or
 * refund-pending — money arrived that was not taken for the order (see PAYMENT_FLAG_REASONS).
 */
export const PAYMENT_STATES = ['pending', 'paid', 'closed', 'refund-pending'] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

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

/** Why a payment was closed. */
export const PAYMENT_CLOSE_REASONS = ['cancelled', 'expired'] as const;
export type PaymentCloseReason = (typeof PAYMENT_CLOSE_REASONS)[number];

export const PaymentStateSchema = literals(PAYMENT_STATES);

export const NativePaymentRequestSchema = Type.Object({ orderId: OrderId }, { additionalProperties: false });
export type NativePaymentRequest = Static<typeof NativePaymentRequestSchema>;

export const NativePaymentResponseSchema = Type.Object({
  orderId: Type.String(),
  /** The `weixin://wxpay/bizpayurl?pr=…` link to show as a QR code. */
  codeUrl: Type.String(),
  amountFen: Type.Integer({ minimum: 1 }),
  /** After this the code cannot be paid (the provider's time_expire). */
  expiresAt: IsoTime,
});
export type NativePaymentResponse = Static<typeof NativePaymentResponseSchema>;

export const PaymentStatusSchema = Type.Object({
  orderId: Type.String(),
  state: PaymentStateSchema,
  amountFen: Type.Integer(),
  expiresAt: IsoTime,
  orderStatus: OrderStatusSchema,
  paidAt: Type.Optional(IsoTime),
  closeReason: Type.Optional(literals(PAYMENT_CLOSE_REASONS)),
});
export type PaymentStatus = Static<typeof PaymentStatusSchema>;

export const OrderIdParamsSchema = Type.Object({ orderId: OrderId });

export const AdminPaymentSchema = Type.Object({
  outTradeNo: Type.String(),
  /** Absent for a payment that names no order of ours (unknown-order). */
  orderId: Type.Optional(Type.String()),
  provider: Type.Literal('wechatpay'),
  state: PaymentStateSchema,
  amountFen: Type.Integer(),
  expiresAt: IsoTime,
  applianceId: Type.Optional(Type.String()),
  closeReason: Type.Optional(literals(PAYMENT_CLOSE_REASONS)),
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
