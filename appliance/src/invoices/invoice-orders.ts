// Which order an invoice may be asked about: only one the screen on show belongs to. The done screen of a completed
// pickup offers its order; a completed renewal's result screen its renewal order (position 0); a look-up's result
// screen each order it listed, by position — orders the looked-up person was shown, never one named by the caller.
import { INVOICEABLE_STATUSES, type OrderStatus } from '@certkiosk/sync';
import { ApplianceError } from '../errors.js';
import type { JourneyRecord } from '../journey/record.js';
import type { ServiceRecord } from '../services/service-record.js';

/** An order in this status may have its invoice asked for (or has one): what a look-up's list offers. */
export function invoiceOffered(status: string): boolean {
  return status === 'invoiced' || INVOICEABLE_STATUSES.includes(status as OrderStatus);
}

/**
 * The order of the done screen on show: a completed pickup still on screen (the journey knows its order until
 * the done screen is left). NO_ACTIVE_JOURNEY without one, WRONG_STEP before it is completed or when it failed.
 */
export function doneScreenOrder(journey: JourneyRecord | null): string {
  if (!journey) throw new ApplianceError('NO_ACTIVE_JOURNEY');
  const orderId = journey.order?.orderId;
  if (journey.status !== 'completed' || !orderId)
    throw new ApplianceError(
      'WRONG_STEP',
      'An invoice is asked for on the done screen of a completed pickup.',
    );
  return orderId;
}

/**
 * The order at `position` on a completed service's result screen: a renewal's order (0), or a look-up's listed
 * order. NO_ACTIVE_JOURNEY without a service, WRONG_STEP before its result or for a service without orders,
 * INVOICE_ORDER_UNKNOWN for a position the screen does not show, INVOICE_NOT_AVAILABLE for a listed order that
 * cannot have an invoice (not paid and collected) — each before central is asked.
 */
export function serviceResultOrder(service: ServiceRecord | null, position: number): string {
  if (!service) throw new ApplianceError('NO_ACTIVE_JOURNEY');
  if (service.status !== 'completed' || (service.kind !== 'renew' && service.kind !== 'lookup'))
    throw new ApplianceError(
      'WRONG_STEP',
      "An invoice is asked for on a completed renewal's or look-up's result screen.",
    );
  if (service.kind === 'renew') {
    const orderId = service.renewal?.order.orderId;
    if (position !== 0 || !orderId) throw new ApplianceError('INVOICE_ORDER_UNKNOWN');
    return orderId;
  }
  const order = service.orders?.[position];
  if (!order?.orderId) throw new ApplianceError('INVOICE_ORDER_UNKNOWN');
  if (!invoiceOffered(order.status))
    throw new ApplianceError('INVOICE_NOT_AVAILABLE', 'This order is not paid and collected yet.');
  return order.orderId;
}
