// The rules one by one, on sources written by hand: the cases the property's world does not reach (refund rows on
// the bill, an incomplete or unavailable bill, a certificate central never issued, central's records disagreeing with
// each other, a kiosk's own record never received).
import { describe, expect, it } from 'vitest';
import type { TradeBillRow } from '../payments/trade-bill.js';
import { reconcile } from './reconcile.js';
import type { CentralPayment, DaySources, KioskRecordSeen } from './sources.js';

const DAY = '2026-03-01';
const AT = '2026-03-01T02:00:00.000Z';

function sources(patch: Partial<DaySources> = {}): DaySources {
  return {
    day: DAY,
    payments: [],
    wechatPaidOrders: [],
    certificates: [],
    activations: [],
    invoices: [],
    kiosk: [],
    bill: { state: 'complete', rows: [] },
    ...patch,
  };
}

const paid = (patch: Partial<CentralPayment> = {}): CentralPayment => ({
  outTradeNo: 'CK1',
  orderId: 'CK1',
  applianceId: 'K1',
  state: 'paid',
  amountFen: 18000,
  paidFen: 18000,
  paidAt: AT,
  flagReason: null,
  orderPaidByWechat: true,
  onDay: true,
  ...patch,
});

/** The kiosk's payment.taken event for the payment above, received by central. */
const taken = (patch: Partial<KioskRecordSeen> = {}): KioskRecordSeen => ({
  applianceId: 'K1',
  eventId: 'svc-1:payment.taken:1',
  type: 'payment.taken',
  orderId: 'CK1',
  serial: null,
  received: true,
  onDay: true,
  ...patch,
});

const billRow = (patch: Partial<TradeBillRow> = {}): TradeBillRow => ({
  line: 2,
  tradeTime: '2026-03-01 10:00:00',
  outTradeNo: 'CK1',
  tradeState: 'SUCCESS',
  orderTotalFen: 18000,
  settlementTotalFen: 18000,
  ...patch,
});

const kinds = (s: DaySources) =>
  reconcile(s).map((l) => (l.kind === 'missing-on-a-side' ? `${l.kind}:${l.side}` : l.kind));

describe('payments against the bill', () => {
  it('a payment on both sides with the same amount is no difference', () => {
    expect(
      reconcile(
        sources({ payments: [paid()], kiosk: [taken()], bill: { state: 'complete', rows: [billRow()] } }),
      ),
    ).toEqual([]);
  });

  it('the same payment with two amounts: amount-differs, saying what each side has', () => {
    const [line, ...rest] = reconcile(
      sources({ payments: [paid()], bill: { state: 'complete', rows: [billRow({ orderTotalFen: 17000 })] } }),
    );
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      kind: 'amount-differs',
      subject: 'payment',
      outTradeNo: 'CK1',
      applianceId: 'K1',
      central: 'paid 180.00 元 at 2026-03-01 10:00:00',
      provider: 'SUCCESS 170.00 元 at 2026-03-01 10:00:00',
    });
  });

  it('money kept for a refund: refund-pending until the bill shows the refund', () => {
    const flagged = paid({ state: 'refund-pending', flagReason: 'paid-after-cancel' });
    expect(kinds(sources({ payments: [flagged], bill: { state: 'complete', rows: [billRow()] } }))).toEqual([
      'refund-pending',
    ]);
    const refund = billRow({ tradeState: 'REFUND', line: 3 });
    expect(
      kinds(sources({ payments: [flagged], bill: { state: 'complete', rows: [billRow(), refund] } })),
    ).toEqual([]);
  });

  it('refunded at the provider while central has it paid for the order: state-differs', () => {
    const rows = [billRow(), billRow({ tradeState: 'REFUND', line: 3 })];
    expect(kinds(sources({ payments: [paid()], bill: { state: 'complete', rows } }))).toEqual([
      'state-differs',
    ]);
  });

  it('a paid payment whose order never went through pay-wechat: state-differs', () => {
    const s = sources({
      payments: [paid({ orderPaidByWechat: false })],
      bill: { state: 'complete', rows: [billRow()] },
    });
    expect(kinds(s)).toEqual(['state-differs']);
  });

  it('paid at central, not on the bill: missing at the provider only when the bill was read in full', () => {
    const kiosk = [taken()];
    expect(kinds(sources({ payments: [paid()], kiosk }))).toEqual(['missing-on-a-side:provider']);
    expect(kinds(sources({ payments: [paid()], kiosk, bill: { state: 'incomplete', rows: [] } }))).toEqual(
      [],
    );
    const unavailable = reconcile(
      sources({ payments: [paid()], kiosk, bill: { state: 'unavailable', rows: [] } }),
    );
    expect(unavailable).toEqual([]);
  });

  it('without the bill, central’s own flags are still reported, with nothing said for the provider', () => {
    const lines = reconcile(
      sources({
        payments: [paid({ state: 'refund-pending', flagReason: 'amount-mismatch', paidFen: 1 })],
        bill: { state: 'unavailable', rows: [] },
      }),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ kind: 'amount-differs' });
    expect(lines[0]).not.toHaveProperty('provider');
  });

  it('a bill row for an out_trade_no central never made: payment-without-order, shown to no kiosk', () => {
    const [line] = reconcile(
      sources({ bill: { state: 'complete', rows: [billRow({ outTradeNo: 'SOMEONE-ELSE' })] } }),
    );
    expect(line).toMatchObject({ kind: 'payment-without-order', outTradeNo: 'SOMEONE-ELSE' });
    expect(line).not.toHaveProperty('applianceId');
  });

  it('a pending attempt the provider has as paid: missing at central', () => {
    const s = sources({
      payments: [paid({ state: 'pending', paidFen: null, paidAt: null, onDay: false })],
      bill: { state: 'complete', rows: [billRow()] },
    });
    expect(kinds(s)).toEqual(['missing-on-a-side:central']);
  });
});

describe('payments the kiosk took (payment.taken) against central’s', () => {
  const bill = { state: 'complete' as const, rows: [billRow()] };
  const pending = paid({ state: 'pending', paidFen: null, paidAt: null, onDay: false });

  it('a kiosk payment paid at central with no payment.taken from that kiosk: missing at the kiosk', () => {
    const [line, ...rest] = reconcile(sources({ payments: [paid()], bill }));
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      kind: 'missing-on-a-side',
      side: 'kiosk',
      subject: 'payment',
      outTradeNo: 'CK1',
      orderId: 'CK1',
      applianceId: 'K1',
      kiosk: 'no payment.taken received',
    });
  });

  it('a payment.taken of another day still counts: no difference', () => {
    expect(reconcile(sources({ payments: [paid()], kiosk: [taken({ onDay: false })], bill }))).toEqual([]);
  });

  it('payment.taken for an order whose payment of that kiosk is not paid at central: missing at central', () => {
    const [line, ...rest] = reconcile(sources({ payments: [pending], kiosk: [taken()] }));
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      kind: 'missing-on-a-side',
      side: 'central',
      subject: 'payment',
      outTradeNo: 'CK1',
      orderId: 'CK1',
      applianceId: 'K1',
      kiosk: 'payment.taken',
    });
    expect(line?.central).toMatch(/^pending/);
    // Only listed by the kiosk in its records, with no attempt at all at central: still missing there.
    const [only] = reconcile(sources({ kiosk: [taken({ received: false })] }));
    expect(only).toMatchObject({ kind: 'missing-on-a-side', side: 'central', subject: 'payment' });
    expect(only).not.toHaveProperty('outTradeNo');
    expect(only?.kiosk).toBe('payment.taken (listed by the kiosk, not received)');
  });

  it('another kiosk’s paid payment does not answer for this kiosk’s payment.taken', () => {
    const lines = reconcile(sources({ payments: [paid({ applianceId: 'K2' })], kiosk: [taken()], bill }));
    expect(lines.map((l) => `${l.kind}:${'side' in l ? l.side : ''}:${l.applianceId}`).sort()).toEqual([
      'missing-on-a-side:central:K1',
      'missing-on-a-side:kiosk:K2',
    ]);
  });

  it('one line per payment: the provider took it, central has it pending, the kiosk says taken', () => {
    expect(kinds(sources({ payments: [pending], kiosk: [taken()], bill }))).toEqual([
      'missing-on-a-side:central',
    ]);
  });

  it('a payment.taken of another day alone is not this day’s difference', () => {
    expect(reconcile(sources({ payments: [pending], kiosk: [taken({ onDay: false })] }))).toEqual([]);
  });
});

describe('certificates, activations and invoices', () => {
  const record = (patch: Partial<KioskRecordSeen> = {}): KioskRecordSeen => ({
    applianceId: 'K1',
    eventId: 'journey-1:certificate.issued:1',
    type: 'certificate.issued',
    orderId: 'CK1',
    serial: 'abc123',
    received: true,
    onDay: true,
    ...patch,
  });
  const cert = {
    serial: 'abc123',
    orderId: 'CK1',
    applianceId: 'K1',
    issuedAt: AT,
    voided: false,
    onDay: true,
  };

  it('a kiosk reporting a certificate central never issued: missing at central', () => {
    const [line] = reconcile(sources({ kiosk: [record()] }));
    expect(line).toMatchObject({
      kind: 'missing-on-a-side',
      side: 'central',
      subject: 'certificate',
      certificateSerial: 'abc123',
      applianceId: 'K1',
    });
  });

  it('a voided certificate (settled by staff) or a workshop one is not a kiosk’s to report', () => {
    expect(reconcile(sources({ certificates: [{ ...cert, voided: true }] }))).toEqual([]);
    expect(reconcile(sources({ certificates: [{ ...cert, applianceId: null }] }))).toEqual([]);
    expect(kinds(sources({ certificates: [cert] }))).toEqual(['missing-on-a-side:kiosk']);
  });

  it('an activation only the kiosk’s own records hold (never received) differs from central’s', () => {
    const activated = record({
      type: 'certificate.activated',
      eventId: 'journey-1:certificate.activated:1',
      received: false,
    });
    const [line] = reconcile(
      sources({
        certificates: [cert],
        kiosk: [record({ received: false }), activated],
        activations: [
          {
            orderId: 'CK1',
            status: 'issued',
            activatedAt: null,
            applianceId: 'K1',
            serials: ['abc123'],
            onDay: false,
          },
        ],
      }),
    );
    expect(line).toMatchObject({
      kind: 'activation-differs',
      orderId: 'CK1',
      applianceId: 'K1',
      kiosk: 'activated: certificate.activated (listed by the kiosk, not received)',
      central: 'not activated (order issued)',
    });
  });

  it('a key activated the day after its kiosk said so (clock skew): the same activation, no difference', () => {
    // The couriered certificate was issued days before; the kiosk's event names only the certificate.
    const activated = record({
      type: 'certificate.activated',
      eventId: 'service-1:certificate.activated:1',
      orderId: null,
      serial: 'old0001',
      onDay: false,
    });
    const activation = {
      orderId: 'CK2',
      status: 'activated' as const,
      activatedAt: AT,
      applianceId: 'K1',
      serials: ['old0001'],
      onDay: true,
    };
    expect(reconcile(sources({ kiosk: [activated], activations: [activation] }))).toEqual([]);
    expect(kinds(sources({ activations: [activation] }))).toEqual(['activation-differs']);
  });

  it('central’s invoice and its order disagreeing: state-differs either way; amounts: amount-differs', () => {
    const invoice = {
      orderId: 'CK1',
      invoiceNumber: '2026-000001',
      invoiceFen: 18000,
      invoicedAt: AT,
      paidFen: 18000,
    };
    expect(reconcile(sources({ invoices: [invoice] }))).toEqual([]);
    expect(kinds(sources({ invoices: [{ ...invoice, invoicedAt: null }] }))).toEqual(['state-differs']);
    expect(kinds(sources({ invoices: [{ ...invoice, invoiceNumber: null, invoiceFen: null }] }))).toEqual([
      'state-differs',
    ]);
    const [line] = reconcile(sources({ invoices: [{ ...invoice, invoiceFen: 18100 }] }));
    expect(line).toMatchObject({ kind: 'amount-differs', subject: 'invoice', invoiceNumber: '2026-000001' });
  });
});
