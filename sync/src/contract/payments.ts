// Kiosk payments (WeChat Pay Native) as the kiosk and central both see them: what a kiosk asks and is told. The
// payment states and why one was closed are defined here, once (central's payments/schemas.ts re-exports them).
import { type Static, Type } from '@sinclair/typebox';
import { OrderStatusSchema } from './schemas.js';

const literals = <const T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
const IsoTime = Type.String({ format: 'date-time' });
const OrderId = Type.String({ minLength: 1, maxLength: 64 });

/**
 * A kiosk payment (one provider order): pending until paid, closed (cancelled at the kiosk or expired), or
 * refund-pending — money arrived that was not taken for the order (central's PAYMENT_FLAG_REASONS).
 */
export const PAYMENT_STATES = ['pending', 'paid', 'closed', 'refund-pending'] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

/** Why a payment was closed. */
export const PAYMENT_CLOSE_REASONS = ['cancelled', 'expired'] as const;
export type PaymentCloseReason = (typeof PAYMENT_CLOSE_REASONS)[number];

export const PaymentStateSchema = literals(PAYMENT_STATES);
export const PaymentCloseReasonSchema = literals(PAYMENT_CLOSE_REASONS);

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
  closeReason: Type.Optional(PaymentCloseReasonSchema),
});
export type PaymentStatus = Static<typeof PaymentStatusSchema>;

export const OrderIdParamsSchema = Type.Object({ orderId: OrderId });
