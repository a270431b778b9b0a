// The steps of paying at the kiosk that every service charging there shares (renew's renewal order, a look-up's
// listed order): show the QR code, ask how it stands, record it paid with `payment.taken` (once: a fixed event
// id), close it when the session ends. The journey record keeps the payment (kiosk-payment.ts) in a slot of its
// own; the service decides what comes next (renew: the PIN; a look-up: back to its list).
import type { ErrorBody } from '../api/contract.js';
import { ApplianceError, errorBody } from '../errors.js';
import {
  type KioskPaymentRecord,
  KioskPayments,
  type PaymentCentralPort,
  paymentError,
} from './kiosk-payment.js';

/** What the payment steps need of the engine running the journey (its durable-state primitives). */
export interface PaymentHost<J extends { error?: ErrorBody }> {
  central: PaymentCentralPort;
  now(): Date;
  /** Make the journey durable (a failed write throws STORE_UNAVAILABLE). */
  persist(j: J): Promise<void>;
  /** Enqueue `payment.taken` for the order (`eventId`: the same id however often it is sent). */
  emitPaid(j: J, payload: PaymentTakenPayload, eventId?: string): Promise<void>;
}

/** The payment of one order inside a journey record: its order, and where the record keeps it. */
export interface PaymentSlot {
  orderId: string;
  /** `payment.taken`'s id when the journey may pay more than one order (default: the journey's own). */
  eventId?: string;
  read(): KioskPaymentRecord | undefined;
  write(p: KioskPaymentRecord): void;
}

/** What central and reconciliation read of a payment the kiosk took (no personal data). */
export interface PaymentTakenPayload {
  orderId: string;
  amountFen: number;
  paidAt: string;
  method: 'wechat';
}

/**
 * How a step left the payment: paid (recorded and reported; the journey is not yet written — the service writes
 * its next step), shown (a QR code on screen), expired (said: PAYMENT_EXPIRED), failed (central or WeChat Pay
 * could not be reached: said, try again), unchanged (nothing to write), refused (the order is no longer payable
 * here: the service decides).
 */
export type PaymentTurn =
  | { outcome: 'paid' | 'shown' | 'expired' | 'failed' | 'unchanged' }
  | { outcome: 'refused'; error: ApplianceError };

export class PaymentSteps<J extends { error?: ErrorBody }> {
  private readonly payments: KioskPayments;

  constructor(private readonly h: PaymentHost<J>) {
    this.payments = new KioskPayments(h.central, () => h.now());
  }

  /** Show the QR code: central's open payment, or a new one after an expired one. */
  async start(j: J, slot: PaymentSlot): Promise<PaymentTurn> {
    const p = slot.read();
    if (!p || p.state === 'paid') return { outcome: 'unchanged' };
    let next: KioskPaymentRecord;
    try {
      next = await this.payments.start(slot.orderId, p);
    } catch (err) {
      const e = err instanceof ApplianceError ? err : paymentError(err);
      if (e.code === 'PAYMENT_NOT_AVAILABLE') return { outcome: 'refused', error: e };
      j.error = e.toBody();
      await this.h.persist(j);
      return { outcome: 'failed' };
    }
    if (next.state === 'paid') {
      await this.taken(j, slot, next);
      return { outcome: 'paid' };
    }
    slot.write(next);
    delete j.error;
    await this.h.persist(j);
    return { outcome: 'shown' };
  }

  /**
   * Ask central how the shown QR code stands. Nothing is written while nothing changed (the screen asks every few
   * seconds); central down: asked again on the next poll (central closes the code at its expiry regardless).
   */
  async check(j: J, slot: PaymentSlot): Promise<PaymentTurn> {
    const p = slot.read();
    if (p?.state !== 'pending') return { outcome: 'unchanged' };
    let next: KioskPaymentRecord;
    try {
      next = await this.payments.poll(slot.orderId, p);
    } catch {
      return { outcome: 'unchanged' };
    }
    if (next.state === 'paid') {
      await this.taken(j, slot, next);
      return { outcome: 'paid' };
    }
    if (next.state === 'expired') {
      slot.write(next);
      j.error = errorBody('PAYMENT_EXPIRED');
      await this.h.persist(j);
      return { outcome: 'expired' };
    }
    if (next.expiresAt === p.expiresAt && next.amountFen === p.amountFen) return { outcome: 'unchanged' };
    slot.write(next);
    await this.h.persist(j);
    return { outcome: 'shown' };
  }

  /**
   * Paid: `payment.taken` goes to the outbox before the journey is durable (its id is fixed, so a poll again
   * after a crash here sends the same event, which central counts once). The QR code link is dropped.
   */
  private async taken(j: J, slot: PaymentSlot, p: KioskPaymentRecord): Promise<void> {
    const paidAt = p.paidAt ?? this.h.now().toISOString();
    await this.h.emitPaid(
      j,
      { orderId: slot.orderId, amountFen: p.amountFen, paidAt, method: 'wechat' },
      slot.eventId,
    );
    const { codeUrl: _shown, ...rest } = p;
    slot.write({ ...rest, state: 'paid', paidAt });
    delete j.error;
  }

  /** The session ended while paying: close the QR code's payment at central (best effort). */
  cancel(orderId: string): Promise<'closed' | 'paid' | 'unknown'> {
    return this.payments.cancel(orderId);
  }
}
