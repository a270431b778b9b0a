// Property: random days of business — kiosk orders paid by WeChat Pay at two kiosks, couriered orders paid by
// transfer and activated at a kiosk, issuances, activations, invoices, stray payments — with faults injected at
// random (notifications dropped or repeated, a wrong amount, a payment after cancel, a row the bill leaves out, an
// order marked paid by hand, kiosk events lost, lost then replayed, repeated, or only in the kiosk's own records, an
// activation central lost, a wrong invoice amount). The report of each day lists exactly the injected differences of
// that day — nothing for a clean day, nothing for a repeat or a replay once it arrived — and a kiosk's own run lists
// exactly its share of them.
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncEvent } from '../../contract/schemas.js';
import type { SimulatorKeys } from '../payments/sim-keys.js';
import { testWechatPayKeys } from '../payments/testing.js';
import {
  type KioskRecord,
  type ReconciliationLine,
  ReconciliationLineSchema,
  type ReconciliationSide,
  type ReconciliationSubject,
} from './schemas.js';
import { openWorld, WORLD_HALL, type World } from './testing.js';

const DAYS = ['2026-03-01', '2026-03-02'] as const;
const KIOSKS = ['KIOSK-R-1', 'KIOSK-R-2'] as const;
const PROGRESS = ['unpaid', 'paid', 'issued', 'activated', 'invoiced'] as const;
type Progress = (typeof PROGRESS)[number];
type Flow = 'kiosk' | 'courier';

/** Each fault, the flows it applies to, and the progress it needs (raised to) or allows (capped at). */
const FAULTS = {
  none: { flows: ['kiosk', 'courier'] },
  'paid-by-hand': { flows: ['kiosk', 'courier'] },
  'notification-dropped': { flows: ['kiosk'], atMost: 'unpaid' },
  'notification-dropped-then-queried': { flows: ['kiosk'] },
  'notification-repeated': { flows: ['kiosk'] },
  'wrong-amount': { flows: ['kiosk'], atMost: 'unpaid' },
  'paid-after-cancel': { flows: ['kiosk'], atMost: 'unpaid' },
  'paid-after-cancel-dropped': { flows: ['kiosk'], atMost: 'unpaid' },
  'bill-lost-row': { flows: ['kiosk'] },
  // The kiosk took the payment (central said paid) and its payment.taken event never reached central.
  'payment-event-lost': { flows: ['kiosk'] },
  // The kiosk recorded a payment taken that central never had paid (its attempt stays pending, nothing was paid).
  'payment-taken-not-paid': { flows: ['kiosk'], atMost: 'unpaid' },
  // The kiosk's journey may finish; central, never told, keeps the order issued.
  'events-lost': { flows: ['kiosk'], atLeast: 'issued', atMost: 'activated' },
  'events-lost-then-replayed': { flows: ['kiosk', 'courier'], atLeast: 'activated', atMost: 'activated' },
  'events-repeated': { flows: ['kiosk', 'courier'], atLeast: 'activated' },
  'events-summarised-only': { flows: ['kiosk'], atLeast: 'activated', atMost: 'activated' },
  'activation-event-lost': { flows: ['courier'], atLeast: 'activated' },
  'central-activation-lost': { flows: ['courier'], atLeast: 'activated', atMost: 'activated' },
  'invoice-amount-wrong': { flows: ['kiosk', 'courier'], atLeast: 'invoiced' },
} as const satisfies Record<string, { flows: readonly Flow[]; atLeast?: Progress; atMost?: Progress }>;
type Fault = keyof typeof FAULTS;
const FAULT_NAMES = Object.keys(FAULTS) as Fault[];

interface OrderPlan {
  flow: Flow;
  kiosk: 0 | 1;
  progress: Progress;
  fault: Fault;
}
interface DayPlan {
  orders: OrderPlan[];
  /** Payments for no order of ours; true: its notification reached central. */
  strays: boolean[];
}

const at = (p: Progress) => PROGRESS.indexOf(p);

/** A fault that does not fit the flow becomes none; the progress is raised or capped to what the fault needs. */
function fitted(raw: { flow: Flow; kiosk: 0 | 1; progress: Progress; fault: number }): OrderPlan {
  const fits = FAULT_NAMES.filter((f) => (FAULTS[f].flows as readonly Flow[]).includes(raw.flow));
  const fault = fits[raw.fault % fits.length]!;
  const rule = FAULTS[fault] as { atLeast?: Progress; atMost?: Progress };
  let progress = raw.progress;
  if (rule.atLeast && at(progress) < at(rule.atLeast)) progress = rule.atLeast;
  if (rule.atMost && at(progress) > at(rule.atMost)) progress = rule.atMost;
  return { flow: raw.flow, kiosk: raw.kiosk, progress, fault };
}

const orderPlan = fc
  .record({
    flow: fc.constantFrom<Flow>('kiosk', 'courier'),
    kiosk: fc.constantFrom<0 | 1>(0, 1),
    progress: fc.constantFrom<Progress>('paid', 'issued', 'activated', 'invoiced'),
    // Clean orders half of the time.
    fault: fc.oneof(fc.constant(0), fc.nat({ max: 40 })),
  })
  .map(fitted);
const dayPlan = fc.record({
  orders: fc.array(orderPlan, { maxLength: 5 }),
  strays: fc.array(fc.boolean(), { maxLength: 2 }),
});

/** A line by what identifies it: kind, side, subject, its key, the kiosk it is shown to. */
function lineKey(
  kind: ReconciliationLine['kind'],
  side: ReconciliationSide | '',
  subject: ReconciliationSubject,
  key: string,
  applianceId = '',
): string {
  return [kind, side, subject, key, applianceId].join(' | ');
}
function keyOf(l: ReconciliationLine): string {
  const key =
    l.subject === 'payment'
      ? l.outTradeNo
      : l.subject === 'certificate' && l.kind !== 'activation-differs'
        ? l.certificateSerial
        : l.orderId;
  return lineKey(l.kind, l.kind === 'missing-on-a-side' ? l.side : '', l.subject, key ?? '?', l.applianceId);
}

/** What the day's report must list, and the lines that go once the deferred replays arrive. */
interface Expected {
  lines: string[];
  untilReplayed: string[];
  replays: Array<() => Promise<unknown>>;
  /** Each kiosk's own records of the day, for the faults where only the kiosk kept them. */
  records: Map<string, KioskRecord[]>;
}

const iso = (w: World) => new Date(w.clock.ms).toISOString();

function kioskEvent(
  w: World,
  applianceId: string,
  journeyId: string,
  type: string,
  payload: Record<string, unknown>,
  orderId?: string,
): SyncEvent {
  return {
    id: `${journeyId}:${type}:1`,
    type,
    occurredAt: iso(w),
    ...(orderId ? { orderId } : {}),
    payload: { applianceId, journeyId, ...payload },
  };
}

/** Deliver a kiosk's events as the fault says; returns false when central never got them. */
async function deliver(
  w: World,
  p: OrderPlan,
  kiosk: string,
  events: SyncEvent[],
  e: Expected,
  late: string,
): Promise<boolean> {
  switch (p.fault) {
    case 'events-lost':
    case 'activation-event-lost':
      return false;
    case 'events-lost-then-replayed':
      e.untilReplayed.push(late);
      e.replays.push(() => w.ingest(kiosk, events));
      return false;
    case 'events-summarised-only':
      e.records.set(kiosk, [
        ...(e.records.get(kiosk) ?? []),
        ...events.map((ev) => ({
          eventId: ev.id,
          type: ev.type as KioskRecord['type'],
          ...(ev.orderId ? { orderId: ev.orderId } : {}),
          ...(typeof ev.payload.serialNumber === 'string' ? { serialNumber: ev.payload.serialNumber } : {}),
        })),
      ]);
      return false;
    case 'events-repeated':
      await w.ingest(kiosk, events);
      await w.ingest(kiosk, events);
      return true;
    default:
      await w.ingest(kiosk, events);
      return true;
  }
}

/** The kiosk's record of a payment it took, as its outbox sends it. */
const paymentTaken = (w: World, kiosk: string, id: string) =>
  kioskEvent(w, kiosk, `payment-${id}`, 'payment.taken', { orderId: id, outTradeNo: id }, id);

/** Pay as the fault says; the kiosk records the payment taken once central says it is paid. */
async function payAtKiosk(w: World, p: OrderPlan, id: string, e: Expected): Promise<boolean> {
  const kiosk = KIOSKS[p.kiosk];
  if (!(await payAtCentral(w, p, id, e))) return false;
  if (p.fault === 'payment-event-lost')
    e.lines.push(lineKey('missing-on-a-side', 'kiosk', 'payment', id, kiosk));
  else await w.ingest(kiosk, [paymentTaken(w, kiosk, id)]);
  return true;
}

async function payAtCentral(w: World, p: OrderPlan, id: string, e: Expected): Promise<boolean> {
  const kiosk = KIOSKS[p.kiosk];
  const asking = { id: kiosk, hall: WORLD_HALL };
  await w.payments.startNative(id, asking);
  const price = (await w.orders.row(id)).price_fen;
  const dropped = async (pay: () => Promise<void>) => {
    w.notify.deliver = false;
    await pay();
    w.notify.deliver = true;
  };
  switch (p.fault) {
    case 'notification-dropped':
      await dropped(() => w.pay(id));
      e.lines.push(lineKey('missing-on-a-side', 'central', 'payment', id, kiosk));
      return false;
    case 'notification-dropped-then-queried':
      await dropped(() => w.pay(id));
      w.clock.ms += 6 * 60_000;
      await w.payments.status(id, asking);
      return true;
    case 'notification-repeated':
      await w.pay(id);
      await w.pay(id);
      return true;
    case 'wrong-amount':
      await w.pay(id, { amountFen: price + 1 });
      e.lines.push(lineKey('amount-differs', '', 'payment', id, kiosk));
      return false;
    case 'paid-after-cancel':
    case 'paid-after-cancel-dropped':
      await w.payments.cancel(id, asking);
      if (p.fault === 'paid-after-cancel') {
        await w.pay(id, { late: true });
        e.lines.push(lineKey('refund-pending', '', 'payment', id, kiosk));
      } else {
        await dropped(() => w.pay(id, { late: true }));
        e.lines.push(lineKey('missing-on-a-side', 'central', 'payment', id, kiosk));
      }
      return false;
    case 'bill-lost-row':
      await w.pay(id);
      w.billOmits.add(id);
      e.lines.push(lineKey('missing-on-a-side', 'provider', 'payment', id, kiosk));
      return true;
    case 'payment-taken-not-paid':
      await w.ingest(kiosk, [paymentTaken(w, kiosk, id)]);
      e.lines.push(lineKey('missing-on-a-side', 'central', 'payment', id, kiosk));
      return false;
    default:
      await w.pay(id);
      return true;
  }
}

async function invoiceIt(w: World, p: OrderPlan, id: string, e: Expected): Promise<void> {
  await w.invoice(id);
  if (p.fault !== 'invoice-amount-wrong') return;
  await w.db.run('UPDATE invoices SET amount_fen = amount_fen + 100 WHERE order_id = ?', id);
  e.lines.push(lineKey('amount-differs', '', 'invoice', id));
}

/** A kiosk order: paid at the kiosk, collected there with its pickup code (the kiosk's events activate it). */
async function kioskOrder(w: World, p: OrderPlan, e: Expected): Promise<void> {
  const kiosk = KIOSKS[p.kiosk];
  const id = await w.order({ delivery: 'kiosk' }, ['request-payment']);
  if (p.fault === 'paid-by-hand') {
    await w.act(id, ['pay-wechat']);
    e.lines.push(lineKey('missing-on-a-side', 'provider', 'order', id));
  } else if (!(await payAtKiosk(w, p, id, e))) return;
  if (at(p.progress) < at('issued')) return;
  await w.act(id, ['request-identity', 'verify-identity', 'approve']);
  const serial = await w.certificate(id, kiosk, `TOKEN-${id}`);
  await w.act(id, ['issue-at-kiosk']);
  const journey = `journey-${id}`;
  const facts = { serialNumber: serial, tokenSerial: `TOKEN-${id}` };
  const events = [
    kioskEvent(w, kiosk, journey, 'certificate.issued', facts, id),
    kioskEvent(w, kiosk, journey, 'certificate.written', facts, id),
  ];
  if (at(p.progress) >= at('activated'))
    events.push(
      kioskEvent(
        w,
        kiosk,
        journey,
        'issuance.record',
        { record: { orderId: id, certificateSerial: serial }, signature: 'c2lnbmVk' },
        id,
      ),
      kioskEvent(w, kiosk, journey, 'certificate.activated', { serialNumber: serial }, id),
    );
  const missingAtKiosk = lineKey('missing-on-a-side', 'kiosk', 'certificate', serial, kiosk);
  if (p.fault === 'events-lost') e.lines.push(missingAtKiosk);
  // Only the kiosk kept its records: the issuance agrees, the activation never reached central.
  if (p.fault === 'events-summarised-only')
    e.lines.push(lineKey('activation-differs', '', 'certificate', id, kiosk));
  const received = await deliver(w, p, kiosk, events, e, missingAtKiosk);
  if (received && at(p.progress) >= at('invoiced')) await invoiceIt(w, p, id, e);
}

/** A couriered order: paid by transfer, certified at the workshop, shipped, activated at a kiosk with its code. */
async function courierOrder(w: World, p: OrderPlan, e: Expected): Promise<void> {
  const kiosk = KIOSKS[p.kiosk];
  const id = await w.order({ delivery: 'courier' }, ['request-payment']);
  if (p.fault === 'paid-by-hand') {
    await w.act(id, ['pay-wechat']);
    e.lines.push(lineKey('missing-on-a-side', 'provider', 'order', id));
  } else await w.act(id, ['choose-transfer', 'confirm-transfer']);
  if (at(p.progress) < at('issued')) return;
  await w.act(id, ['request-identity', 'verify-identity', 'approve']);
  const token = `TOKEN-${id}`;
  const serial = await w.certificate(id, null, token);
  const code = (await w.orders.act(id, { action: 'ship' })).activationCode!;
  if (at(p.progress) < at('activated')) return;
  w.clock.ms += 60_000;
  if (p.fault !== 'central-activation-lost')
    await w.afterSales.activate(
      { certificateSerial: serial, tokenSerial: token, code },
      { id: kiosk, hall: WORLD_HALL },
    );
  // The service engine's event names the certificate on the key, not the order.
  const event = kioskEvent(w, kiosk, `service-${id}`, 'certificate.activated', {
    serialNumber: serial,
    tokenSerial: token,
  });
  const differs = lineKey('activation-differs', '', 'certificate', id, kiosk);
  if (p.fault === 'activation-event-lost' || p.fault === 'central-activation-lost') e.lines.push(differs);
  await deliver(w, p, kiosk, [event], e, differs);
  if (at(p.progress) >= at('invoiced') && p.fault !== 'central-activation-lost') await invoiceIt(w, p, id, e);
}

async function playDay(w: World, day: string, plan: DayPlan): Promise<Expected> {
  w.clock.ms = Math.max(w.clock.ms, Date.parse(`${day}T01:00:00+08:00`));
  const e: Expected = { lines: [], untilReplayed: [], replays: [], records: new Map() };
  for (const p of plan.orders) {
    w.clock.ms += 60_000;
    if (p.flow === 'kiosk') await kioskOrder(w, p, e);
    else await courierOrder(w, p, e);
  }
  for (const [i, notified] of plan.strays.entries()) {
    const no = `STRAY${day.replaceAll('-', '')}${i}`;
    w.notify.deliver = notified;
    await w.strayPayment(no, 100 + i);
    w.notify.deliver = true;
    e.lines.push(lineKey('payment-without-order', '', 'payment', no));
  }
  return e;
}

const sorted = (xs: string[]) => [...xs].sort();
const keysOf = (lines: ReconciliationLine[]) => {
  for (const l of lines) expect(Value.Check(ReconciliationLineSchema, l), JSON.stringify(l)).toBe(true);
  return sorted(lines.map(keyOf));
};

let keys: SimulatorKeys;
beforeAll(() => {
  keys = testWechatPayKeys();
});

describe('reconciliation, property: the report lists exactly the injected differences', () => {
  const worlds: World[] = [];
  afterAll(async () => {
    for (const w of worlds) await w.close();
  });

  it('over random days of business with random faults (two days, two kiosks)', async () => {
    const clean: OrderPlan = { flow: 'kiosk', kiosk: 0, progress: 'invoiced', fault: 'none' };
    const cleanCourier: OrderPlan = { ...clean, flow: 'courier', kiosk: 1 };
    await fc.assert(
      fc.asyncProperty(fc.tuple(dayPlan, dayPlan), async ([first, second]) => {
        const w = await openWorld(keys, Date.parse(`${DAYS[0]}T01:00:00+08:00`));
        worlds.push(w);
        const expected = [await playDay(w, DAYS[0], first), await playDay(w, DAYS[1], second)];

        // Each kiosk runs its days (sending its own records where it kept them): its lines only, before replays.
        for (const [d, day] of DAYS.entries()) {
          const e = expected[d]!;
          for (const kiosk of KIOSKS) {
            const own = await w.reconciliations.runForAppliance(day, kiosk, e.records.get(kiosk));
            expect(keysOf(own.lines), `${day} at ${kiosk}`).toEqual(
              sorted([...e.lines, ...e.untilReplayed].filter((k) => k.endsWith(` | ${kiosk}`))),
            );
          }
        }
        const before = await w.reconciliations.run(DAYS[0], { trigger: 'operator' });
        expect(before.run.providerBill).toBe('complete');
        expect(keysOf(before.lines)).toEqual(sorted([...expected[0]!.lines, ...expected[0]!.untilReplayed]));

        // The lost events arrive at last (the next day): their differences are gone.
        for (const e of expected) for (const replay of e.replays) await replay();
        for (const [d, day] of DAYS.entries()) {
          const after = await w.reconciliations.run(day, { trigger: 'operator' });
          expect(keysOf(after.lines), day).toEqual(sorted(expected[d]!.lines));
        }
        await w.close();
        worlds.pop();
      }),
      {
        numRuns: 80,
        examples: [
          [
            [
              { orders: [clean, cleanCourier], strays: [] },
              { orders: [], strays: [] },
            ],
          ],
        ],
      },
    );
  }, 60_000);
});
