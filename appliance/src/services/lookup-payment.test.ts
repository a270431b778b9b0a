// Paying a look-up's listed order (在此支付) on the service engine against in-memory fakes (central's payments
// played by a small stand-in): a restart while the code is shown keeps it; a crash between payment.taken and the
// record sends the same event again (one id); the phone paying just as the holder goes back to the list is
// recorded as paid. The real central and its WeChat Pay simulator: lookup-payment.softhsm.test.ts.
import type { LookupOrder, PaymentStatus } from '@certkiosk/sync';
import { describe, expect, it } from 'vitest';
import { emptyState } from '../journey/record.js';
import {
  type CallLog,
  FakeCentral,
  FakeClock,
  FakeDevices,
  FakeEventSink,
  FakeStore,
  FakeUsbKey,
  HALL,
  HOLDER,
  PIN_POLICY,
  refused,
  residentCard,
} from '../journey/testing-fakes.js';
import { ServiceEngine } from './engine.js';
import type { ServiceCentralPort } from './ports.js';

const PRICE = 20_000;

async function kiosk() {
  const log: CallLog = [];
  const clock = new FakeClock();
  const central = await FakeCentral.create(log, clock, HALL);
  const at = clock.now().toISOString();
  const order = (id: string, status: LookupOrder['status']): LookupOrder => ({
    id,
    businessType: 'reissue',
    certificateType: 'natural-person',
    status,
    delivery: 'kiosk',
    hall: HALL,
    submittedAt: at,
    updatedAt: at,
    history: [{ action: 'request-payment', status, at }],
    ...(status === 'awaiting-payment' ? { amountFen: PRICE } : {}),
  });
  // Central's kiosk payment of the reissue: none yet, pending (a code shown), paid, closed.
  const pay = { state: 'none' as 'none' | PaymentStatus['state'], attempts: 0 };
  const status = (orderId: string): PaymentStatus => ({
    orderId,
    state: pay.state === 'none' ? 'closed' : pay.state,
    amountFen: PRICE,
    expiresAt: new Date(clock.ms + 300_000).toISOString(),
    orderStatus: pay.state === 'paid' ? 'paid' : 'awaiting-payment',
    ...(pay.state === 'paid' ? { paidAt: at } : {}),
  });
  // The fake central, with the holder's two orders and the stand-in's payments.
  const port: ServiceCentralPort = Object.assign(Object.create(central) as ServiceCentralPort, {
    lookupByIdCard: async () => ({
      orders: [
        order('CK-ISSUED-1', 'activated'),
        order('CK-REISSUE-1', 'awaiting-payment'),
        order('CK-OTHER-HALL', 'awaiting-payment'),
      ],
    }),
    startNativePayment: async (orderId: string) => {
      log.push(`central.startNativePayment:${orderId}`);
      if (orderId === 'CK-OTHER-HALL') throw refused('ORDER_WRONG_HALL');
      if (pay.state === 'paid') throw refused('PAYMENT_NOT_AVAILABLE');
      if (pay.state !== 'pending') pay.attempts += 1;
      pay.state = 'pending';
      return {
        orderId,
        codeUrl: `weixin://wxpay/bizpayurl?pr=T${pay.attempts}`,
        amountFen: PRICE,
        expiresAt: status(orderId).expiresAt,
      };
    },
    paymentStatus: async (orderId: string) => status(orderId),
    cancelPayment: async (orderId: string) => {
      log.push(`central.cancelPayment:${orderId}`);
      if (pay.state === 'pending') pay.state = 'closed';
      return status(orderId);
    },
  });
  const events = new FakeEventSink(log);
  const devices = new FakeDevices(log, new FakeUsbKey(log));
  const k = {
    log,
    pay,
    events,
    devices,
    store: new FakeStore(emptyState()),
    engine: undefined as unknown as ServiceEngine,
    open(durable?: string) {
      if (durable !== undefined) k.store = new FakeStore(durable);
      k.engine = new ServiceEngine(k.store, port, events, devices, {
        applianceId: 'KIOSK-TEST-01',
        pinPolicy: PIN_POLICY,
        soPinMasterSecret: Buffer.alloc(32, 7),
        now: clock.now,
      });
      return k.engine;
    },
  };
  k.open();
  return k;
}

/** Look up the holder's orders by card, then 在此支付 on the reissue (position 1): the QR code. */
async function paying(k: Awaited<ReturnType<typeof kiosk>>) {
  await k.engine.start('lookup');
  k.devices.card = residentCard(HOLDER.name, HOLDER.idNumber);
  const list = await k.engine.readCard();
  expect(list?.orders?.map((o) => o.payHere?.amountFen)).toEqual([undefined, PRICE, PRICE]);
  const v = await k.engine.payOrder(1);
  expect(v).toMatchObject({ need: 'payment', step: 'paying', payingOrder: 1, payment: { state: 'pending' } });
  return v!;
}

describe('look-up: paying a listed order', () => {
  it('a restart while the code is shown keeps it (payment-again); paid after it, the list shows the order paid', async () => {
    const k = await kiosk();
    const shown = await paying(k);
    const after = k.open(k.store.durable());
    expect((await after.recover()).map((r) => r.outcome)).toEqual(['payment-again']);
    expect(after.view()).toMatchObject({ need: 'payment', payment: { codeUrl: shown.payment?.codeUrl } });
    k.pay.state = 'paid';
    const paid = await after.orderPayment(1);
    expect(paid).toMatchObject({ status: 'completed', need: 'result' });
    expect(paid?.orders?.[1]).toMatchObject({ status: 'paid', paidHere: { amountFen: PRICE } });
    expect(k.events.ofType('payment.taken')).toHaveLength(1);
    expect(k.events.ofType('payment.taken')[0]).toMatchObject({
      orderId: 'CK-REISSUE-1',
      payload: { orderId: 'CK-REISSUE-1', amountFen: PRICE, method: 'wechat' },
    });
  });

  it('a crash after payment.taken before the record: polled again, the same event (one id)', async () => {
    const k = await kiosk();
    await paying(k);
    const beforePaid = k.store.durable();
    k.pay.state = 'paid';
    await k.engine.checkPayment();
    // The record from before the crash: the poll finds it paid again and sends the same event.
    const after = k.open(beforePaid);
    await after.recover();
    await after.checkPayment();
    const taken = k.events.ofType('payment.taken');
    expect(taken).toHaveLength(2);
    expect(new Set(taken.map((e) => e.id)).size).toBe(1);
  });

  it('back to the list as the phone pays: central says paid, so the order is recorded paid, not left unpaid', async () => {
    const k = await kiosk();
    await paying(k);
    // The payment arrives just before central closes it.
    k.pay.state = 'paid';
    const v = await k.engine.leaveOrderPayment(1);
    expect(v?.orders?.[1]).toMatchObject({ status: 'paid' });
    expect(k.events.ofType('payment.taken')).toHaveLength(1);
    expect(k.log).toContain('central.cancelPayment:CK-REISSUE-1');
  });

  it('another position while paying is refused; back to the list closes the code, the order still payable', async () => {
    const k = await kiosk();
    await paying(k);
    await expect(k.engine.payOrder(0)).rejects.toMatchObject({ code: 'PAYMENT_ORDER_UNKNOWN' });
    await expect(k.engine.leaveOrderPayment(0)).rejects.toMatchObject({ code: 'PAYMENT_ORDER_UNKNOWN' });
    await expect(k.engine.orderPayment(0)).rejects.toMatchObject({ code: 'PAYMENT_ORDER_UNKNOWN' });
    const v = await k.engine.leaveOrderPayment(1);
    expect(v).toMatchObject({ status: 'completed', need: 'result' });
    expect(v?.orders?.[1]).toMatchObject({ status: 'awaiting-payment', payHere: { amountFen: PRICE } });
    expect(k.pay.state).toBe('closed');
    expect(k.events.ofType('payment.taken')).toHaveLength(0);
  });

  it('an order of another hall: central refuses it, the list comes back saying so, no longer offering it', async () => {
    const k = await kiosk();
    await paying(k);
    await k.engine.leaveOrderPayment(1);
    const v = await k.engine.payOrder(2);
    expect(v).toMatchObject({
      status: 'completed',
      need: 'result',
      error: { code: 'PAYMENT_NOT_AVAILABLE' },
    });
    expect(v?.orders?.[2]?.payHere).toBeUndefined();
    expect(v?.payment).toBeUndefined();
    await expect(k.engine.payOrder(2)).rejects.toMatchObject({ code: 'PAYMENT_NOT_AVAILABLE' });
  });
});
