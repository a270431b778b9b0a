// Paying at the kiosk (WeChat Pay Native), for whichever service charges there (renew; a look-up's listed order —
// a reissue — through payment-steps.ts): central creates the provider order and answers the QR code link, the amount and the expiry; the kiosk
// keeps those (none of it personal) in its journey record and asks central until it says paid, closed or
// refund-pending. A session that ends closes the provider order at central, best effort: central's sweep closes
// it at its expiry anyway, and a payment that still arrives is kept there for a refund, never taken.
import { isCentralClientError, type NativePaymentResponse, type PaymentStatus } from '@certkiosk/sync';
import type { ApplianceErrorCode } from '../api/contract.js';
import type { KioskPaymentView } from '../api/service-contract.js';
import { ApplianceError } from '../errors.js';
import { asApplianceError } from '../journey/translate-error.js';

/** What paying needs of central (the agent's CentralClient): start, ask, cancel, for an order of this hall. */
export interface PaymentCentralPort {
  startNativePayment(orderId: string): Promise<NativePaymentResponse>;
  paymentStatus(orderId: string): Promise<PaymentStatus>;
  cancelPayment(orderId: string): Promise<PaymentStatus>;
}

/**
 * A payment as the journey keeps it: due (central not asked yet, or its answer lost), pending (the QR code is
 * shown), expired (closed unpaid: a new attempt may start), paid. No person's data: an amount, a link, times.
 */
export interface KioskPaymentRecord {
  state: KioskPaymentView['state'];
  amountFen: number;
  codeUrl?: string;
  expiresAt?: string;
  paidAt?: string;
}

/** Central's payment refusals as the holder is told them (an order of another hall is not paid here either). */
const CENTRAL_CODES: Record<string, ApplianceErrorCode> = {
  PAYMENT_NOT_AVAILABLE: 'PAYMENT_NOT_AVAILABLE',
  PAYMENT_PROVIDER_FAILED: 'PAYMENT_PROVIDER_FAILED',
  ORDER_WRONG_HALL: 'PAYMENT_NOT_AVAILABLE',
};

/** A payment whose QR code may still be paid (due or shown): the one a session that ends closes at central. */
export function paymentOpen(p: KioskPaymentRecord | undefined): boolean {
  return p !== undefined && p.state !== 'paid' && p.state !== 'expired';
}

/** A failed payment call in the appliance's terms (a provider failure answers 502: unavailable, with its code). */
export function paymentError(err: unknown): ApplianceError {
  if (isCentralClientError(err)) {
    const mapped = err.centralCode ? CENTRAL_CODES[err.centralCode] : undefined;
    if (mapped) return new ApplianceError(mapped, undefined, undefined, { cause: err });
  }
  return asApplianceError(err);
}

/** What the view shows of a payment (the record minus nothing: it holds nothing personal). */
export function kioskPaymentView(p: KioskPaymentRecord): KioskPaymentView {
  return {
    state: p.state,
    amountFen: p.amountFen,
    ...(p.codeUrl ? { codeUrl: p.codeUrl } : {}),
    ...(p.expiresAt ? { expiresAt: p.expiresAt } : {}),
    ...(p.paidAt ? { paidAt: p.paidAt } : {}),
  };
}

export class KioskPayments {
  constructor(
    private readonly central: PaymentCentralPort,
    private readonly now: () => Date,
  ) {}

  /**
   * Show the QR code: central's open attempt (the same code again while it lasts) or a new one after an expired
   * attempt. Throws the payment's ApplianceError (PAYMENT_NOT_AVAILABLE, PAYMENT_PROVIDER_FAILED, central down).
   */
  async start(orderId: string, p: KioskPaymentRecord): Promise<KioskPaymentRecord> {
    let answer: NativePaymentResponse;
    try {
      answer = await this.central.startNativePayment(orderId);
    } catch (err) {
      const e = paymentError(err);
      // Paid meanwhile (the phone paid the last code just as it expired): the order no longer waits.
      if (e.code === 'PAYMENT_NOT_AVAILABLE') {
        const paid = await this.poll(orderId, p).catch(() => null);
        if (paid?.state === 'paid') return paid;
      }
      throw e;
    }
    return {
      state: 'pending',
      amountFen: answer.amountFen,
      codeUrl: answer.codeUrl,
      expiresAt: answer.expiresAt,
    };
  }

  /**
   * Ask central how the payment stands: paid (by the provider's notification or central's own query), closed
   * (expired: the code can no longer be paid), or still pending. An order paid otherwise is paid for the kiosk
   * too; money kept for a refund is not a payment.
   */
  async poll(orderId: string, p: KioskPaymentRecord): Promise<KioskPaymentRecord> {
    let s: PaymentStatus;
    try {
      s = await this.central.paymentStatus(orderId);
    } catch (err) {
      throw paymentError(err);
    }
    if (s.state === 'paid' || s.orderStatus === 'paid')
      return { ...p, state: 'paid', paidAt: s.paidAt ?? this.now().toISOString() };
    if (s.state === 'pending')
      return { ...p, state: 'pending', amountFen: s.amountFen, expiresAt: s.expiresAt };
    // Closed (expired, or cancelled by another session) or money not taken: this code is done with.
    const { codeUrl: _gone, ...rest } = p;
    return { ...rest, state: 'expired', expiresAt: s.expiresAt };
  }

  /**
   * The session ended: close the provider order at central. Best effort — 'unknown' when central cannot be
   * asked (its sweep closes the order at its expiry); 'paid' when the provider says it was paid after all.
   */
  async cancel(orderId: string): Promise<'closed' | 'paid' | 'unknown'> {
    try {
      const s = await this.central.cancelPayment(orderId);
      return s.state === 'paid' || s.orderStatus === 'paid' ? 'paid' : 'closed';
    } catch {
      return 'unknown';
    }
  }
}
