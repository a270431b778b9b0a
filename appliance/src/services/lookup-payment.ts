// Paying a look-up's listed order at the kiosk (在此支付): a kiosk order awaiting payment — a reissue (补办), or a
// new order chosen to be paid at a kiosk — is paid before the CA reviews it. Only an order the list on screen
// shows may be paid, by its position there (never one the caller names), and only one central listed as awaiting
// payment at a kiosk: anything else is refused before central is asked. Paying reopens the look-up (need
// 'payment', the QR code of payments/payment-steps.ts); paid, the list comes back with that order shown paid
// (payment.taken reported once); left (back to the list, cancel, idle wipe), the payment is closed at central.
import type { ErrorBody } from '../api/contract.js';
import { ApplianceError } from '../errors.js';
import { paymentOpen } from '../payments/kiosk-payment.js';
import type { PaymentSlot, PaymentSteps } from '../payments/payment-steps.js';
import type { LookupOrderRecord, ServiceRecord } from './service-record.js';

/** What paying a listed order needs of the service engine (its durable-state primitives). */
export interface LookupPaymentHost {
  payments: PaymentSteps<ServiceRecord>;
  persist(j: ServiceRecord, step?: ServiceRecord['step']): Promise<void>;
  end(j: ServiceRecord, status: 'completed', note: string, error?: ErrorBody): Promise<void>;
}

/**
 * The listed order at `position` that may be paid here: NO_ACTIVE_JOURNEY without a service, WRONG_STEP but on a
 * look-up's list, PAYMENT_ORDER_UNKNOWN for a position the list does not show, PAYMENT_NOT_AVAILABLE for an
 * order not awaiting payment at a kiosk — each before central is asked.
 */
export function payableOrder(
  j: ServiceRecord | null,
  position: number,
): LookupOrderRecord & { orderId: string; payHere: { amountFen: number } } {
  if (!j) throw new ApplianceError('NO_ACTIVE_JOURNEY');
  if (j.kind !== 'lookup' || j.status !== 'completed')
    throw new ApplianceError('WRONG_STEP', "An order is paid from a look-up's list of orders.");
  const order = Number.isInteger(position) && position >= 0 ? j.orders?.[position] : undefined;
  if (!order?.orderId) throw new ApplianceError('PAYMENT_ORDER_UNKNOWN');
  if (!order.payHere)
    throw new ApplianceError('PAYMENT_NOT_AVAILABLE', 'This order is not awaiting payment at a kiosk.');
  return order as LookupOrderRecord & { orderId: string; payHere: { amountFen: number } };
}

/** The payment of a look-up still to be closed when its session ends (shown, not paid), by its order id. */
export function openLookupPayment(j: ServiceRecord): string | undefined {
  const lp = j.status === 'active' && j.kind === 'lookup' ? j.lookupPayment : undefined;
  return lp && paymentOpen(lp.payment) ? lp.orderId : undefined;
}

export class LookupPayments {
  constructor(private readonly h: LookupPaymentHost) {}

  private slot(j: ServiceRecord): PaymentSlot {
    const lp = j.lookupPayment;
    if (!lp) throw new ApplianceError('WRONG_STEP', 'No listed order is being paid.');
    return {
      orderId: lp.orderId,
      // Each listed order has its own payment.taken (the journey may pay more than one).
      eventId: `${j.id}:payment.taken:${lp.position}`,
      read: () => lp.payment,
      write: (p) => {
        lp.payment = p;
      },
    };
  }

  /** 在此支付 on the list: the order at `position` is paid here (the QR code); while paying it, shown again. */
  async pay(j: ServiceRecord, position: number): Promise<void> {
    if (j.status === 'active' && j.lookupPayment) {
      if (j.lookupPayment.position !== position) throw new ApplianceError('PAYMENT_ORDER_UNKNOWN');
      return this.again(j);
    }
    const order = payableOrder(j, position);
    j.lookupPayment = {
      position,
      orderId: order.orderId,
      payment: { state: 'due', amountFen: order.payHere.amountFen },
    };
    j.status = 'active';
    j.awaiting = 'payment';
    delete j.error;
    delete j.note;
    await this.h.persist(j, 'paying');
    await this.again(j);
  }

  /** The QR code (central's open payment, or a new one after an expired one); no longer payable: the list. */
  async again(j: ServiceRecord): Promise<void> {
    const turn = await this.h.payments.start(j, this.slot(j));
    if (turn.outcome === 'paid') await this.paid(j);
    else if (turn.outcome === 'refused')
      await this.backToList(j, 'the order is no longer payable here', turn.error.toBody());
  }

  /** The screen's poll: paid → the list, the order shown paid; closed → expired (pay again or back). */
  async check(j: ServiceRecord): Promise<void> {
    if ((await this.h.payments.check(j, this.slot(j))).outcome === 'paid') await this.paid(j);
  }

  /**
   * Back to the list (the holder's choice): the payment is closed at central first. Paid after all (the phone
   * paid just then): recorded as paid, as a poll would.
   */
  async back(j: ServiceRecord, position: number): Promise<void> {
    if (j.lookupPayment?.position !== position) throw new ApplianceError('PAYMENT_ORDER_UNKNOWN');
    const slot = this.slot(j);
    if (j.lookupPayment.payment.state === 'pending') {
      if (
        (await this.h.payments.cancel(slot.orderId)) === 'paid' &&
        (await this.h.payments.check(j, slot)).outcome === 'paid'
      )
        return this.paid(j);
    }
    await this.backToList(j, 'payment left: back to the list');
  }

  /** Paid: the list again, the order shown as central now has it (paid; the CA reviews it next). */
  private async paid(j: ServiceRecord): Promise<void> {
    const lp = j.lookupPayment;
    const order = lp ? j.orders?.[lp.position] : undefined;
    if (lp && order && lp.payment.state === 'paid') {
      const paidAt = lp.payment.paidAt ?? j.updatedAt;
      order.status = 'paid';
      order.history = [...order.history, { status: 'paid', at: paidAt }];
      order.updatedAt = paidAt;
      delete order.payHere;
      order.paidHere = { amountFen: lp.payment.amountFen, paidAt };
    }
    await this.backToList(j, 'paid at the kiosk');
  }

  private async backToList(j: ServiceRecord, note: string, error?: ErrorBody): Promise<void> {
    const lp = j.lookupPayment;
    const order = lp ? j.orders?.[lp.position] : undefined;
    // Not payable here after all (paid elsewhere, cancelled): the list no longer offers it.
    if (error && order) delete order.payHere;
    delete j.lookupPayment;
    await this.h.end(j, 'completed', note, error);
  }
}
