// Which order an invoice may be asked about: the done screen's completed pickup; a completed renewal's order at
// position 0; a look-up's listed order by position, only once paid and collected. Anything else is refused with
// its own code before central could be asked.
import { describe, expect, it } from 'vitest';
import type { JourneyRecord } from '../journey/record.js';
import type { LookupOrderRecord, ServiceRecord } from '../services/service-record.js';
import { doneScreenOrder, invoiceOffered, serviceResultOrder } from './invoice-orders.js';

const service = (patch: Partial<ServiceRecord>): ServiceRecord =>
  ({
    id: 'S-1',
    kind: 'lookup',
    step: 'completed',
    status: 'completed',
    startedAt: '2026-03-01T00:00:00.000Z',
    updatedAt: '2026-03-01T00:00:00.000Z',
    awaiting: 'scan-or-id-card',
    attempt: 1,
    ...patch,
  }) as ServiceRecord;
const listed = (orderId: string, status: string): LookupOrderRecord => ({
  orderId,
  orderIdMasked: 'CK****',
  kind: 'new',
  certificateType: 'natural-person',
  status,
  history: [],
  updatedAt: '2026-03-01T00:00:00.000Z',
});
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'none thrown';
};

describe('invoice orders', () => {
  it('offers an invoice for collected orders (issued, shipped, activated) and invoiced ones only', () => {
    expect(['issued', 'shipped', 'activated', 'invoiced'].every(invoiceOffered)).toBe(true);
    expect(['approved', 'paid', 'transfer-pending', 'rejected', 'submitted'].some(invoiceOffered)).toBe(
      false,
    );
  });

  it('the done screen: a completed pickup’s order, nothing else', () => {
    expect(code(() => doneScreenOrder(null))).toBe('NO_ACTIVE_JOURNEY');
    const j = { status: 'active', order: { orderId: 'ORD-1' } } as JourneyRecord;
    expect(code(() => doneScreenOrder(j))).toBe('WRONG_STEP');
    expect(doneScreenOrder({ ...j, status: 'completed' } as JourneyRecord)).toBe('ORD-1');
  });

  it('a renewal: its order at position 0 once completed; any other position is unknown', () => {
    const renew = service({
      kind: 'renew',
      renewal: { order: { orderId: 'ORD-R' } } as ServiceRecord['renewal'],
    });
    expect(serviceResultOrder(renew, 0)).toBe('ORD-R');
    expect(code(() => serviceResultOrder(renew, 1))).toBe('INVOICE_ORDER_UNKNOWN');
    expect(code(() => serviceResultOrder({ ...renew, status: 'active' }, 0))).toBe('WRONG_STEP');
    expect(code(() => serviceResultOrder(null, 0))).toBe('NO_ACTIVE_JOURNEY');
    expect(code(() => serviceResultOrder(service({ kind: 'unlock' }), 0))).toBe('WRONG_STEP');
  });

  it('a look-up: a listed order by its place, once collected; past the list or without its id: unknown', () => {
    const lookup = service({ orders: [listed('ORD-A', 'approved'), listed('ORD-B', 'shipped')] });
    expect(serviceResultOrder(lookup, 1)).toBe('ORD-B');
    expect(code(() => serviceResultOrder(lookup, 0))).toBe('INVOICE_NOT_AVAILABLE');
    expect(code(() => serviceResultOrder(lookup, 2))).toBe('INVOICE_ORDER_UNKNOWN');
    const { orderId: _id, ...kept } = listed('ORD-C', 'issued');
    expect(code(() => serviceResultOrder(service({ orders: [kept] }), 0))).toBe('INVOICE_ORDER_UNKNOWN');
  });
});
