// The one answer to "would central accept this pickup code for an issuance now?", shared by issuance and the
// kiosk's scan-time check. Checked in this order: signature, hall, order status, code of this order, expiry,
// current nonce — so a forged code learns nothing about orders, and a used or unapproved order is named as
// such rather than as an expired code the phone could never refresh.
import { CERTIFICATE_EXISTS_STATUSES } from '../contract/order-status.js';
import { verifyPickupCode } from '../contract/pickup-code.js';
import { CentralError } from './errors.js';
import type { OrderRow, OrderService } from './orders.js';

export interface PickupAdmissionRequest {
  pickupCode: string;
  /** Hall of the calling appliance. */
  hall: string;
  /** Central's clock, ms. */
  now: number;
  /** The order the caller names (issuance); by default the order the code was signed for. */
  orderId?: string;
}

/** The order the code admits to issuance; throws the CentralError issuance would answer with. */
export async function admitPickupCode(
  orders: OrderService,
  pickupPublicKeyPem: string,
  req: PickupAdmissionRequest,
): Promise<OrderRow> {
  const code = verifyPickupCode(req.pickupCode, pickupPublicKeyPem, { hall: req.hall, now: req.now });
  // An expired or other-hall code still carries its verified payload; a malformed or forged one has none.
  const payload = 'payload' in code ? code.payload : undefined;
  if (!payload || (!code.ok && code.reason === 'forged')) {
    throw new CentralError('PICKUP_CODE_INVALID', code.ok ? undefined : code.message);
  }
  if (payload.hall !== req.hall) {
    throw new CentralError('ORDER_WRONG_HALL', `This order is to be collected at hall ${payload.hall}.`);
  }
  const row = await orders.row(req.orderId ?? payload.orderId);
  if (CERTIFICATE_EXISTS_STATUSES.includes(row.status)) throw new CentralError('ORDER_ALREADY_ISSUED');
  if (row.status !== 'approved' || row.delivery !== 'kiosk') {
    throw new CentralError(
      'ORDER_NOT_APPROVED',
      `The order is "${row.status}", not approved for kiosk pickup.`,
    );
  }
  if (payload.orderId !== row.id) {
    throw new CentralError('PICKUP_CODE_INVALID', 'The pickup code belongs to another order.');
  }
  if (!code.ok) throw new CentralError('PICKUP_CODE_EXPIRED');
  if (payload.nonce !== row.pickup_nonce) throw new CentralError('PICKUP_CODE_SUPERSEDED');
  return row;
}
