// Test support: a central store in memory with the services a day's business goes through, and the WeChat Pay
// simulator reached in-process (inject, no socket). The payment path is the real one — signed requests, the
// platform-signed answers, encrypted notifications verified and applied by PaymentService, the bill hash-checked and
// parsed — only quicker. Kiosks are played by their events (EventInbox.ingest, as the sync route stores them) and
// certificates are written as rows: reconciliation reads rows, not the CA.
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { OrderAction } from '../../contract/order-status.js';
import type { CreateOrderRequest, SyncEvent } from '../../contract/schemas.js';
import { ActivationCodes } from '../activation-codes.js';
import { AfterSales } from '../after-sales.js';
import type { CertificateIssuer } from '../ca/issuer.js';
import { ChangeFeed } from '../change-feed.js';
import { EventInbox } from '../events.js';
import { InvoiceRequests } from '../invoice-requests.js';
import { Invoices } from '../invoices/invoices.js';
import { Leases } from '../leases.js';
import { openCentralStore } from '../open-store.js';
import { OrderService } from '../orders.js';
import { type HttpFetch, WechatPayClient } from '../payments/client.js';
import { wechatPayConfig } from '../payments/config.js';
import { PaymentService } from '../payments/payments.js';
import type { SimulatorKeys } from '../payments/sim-keys.js';
import { wechatpaySimulator } from '../payments/simulator.js';
import { merchantOptions } from '../payments/testing.js';
import { PersonIndex } from '../person-index.js';
import { PickupCodeSigner } from '../pickup-codes.js';
import type { Db } from '../store.js';
import { NATURAL_PERSON } from '../testing.js';
import { Reconciliations, type TradeBillSource } from './service.js';

export const WORLD_HALL = 'SZ-FUTIAN';
const SIM_BASE = 'http://wechatpay-sim.test';

/** Answer a fetch with a Fastify instance's inject(): the provider's HTTP without a socket. */
function injectFetch(app: FastifyInstance): HttpFetch {
  return async (url, init) => {
    const u = new URL(url);
    const r = await app.inject({
      method: (init.method ?? 'GET') as 'GET' | 'POST',
      url: `${u.pathname}${u.search}`,
      headers: init.headers as Record<string, string>,
      ...(typeof init.body === 'string' ? { payload: init.body } : {}),
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers.set(k, String(v));
    return new Response(r.statusCode === 204 ? null : r.payload, { status: r.statusCode, headers });
  };
}

export interface World {
  db: Db;
  clock: { ms: number };
  orders: OrderService;
  payments: PaymentService;
  events: EventInbox;
  afterSales: AfterSales;
  invoiceRequests: InvoiceRequests;
  invoices: Invoices;
  reconciliations: Reconciliations;
  /** Out_trade_nos the provider's bill leaves out (a provider-side fault). */
  billOmits: Set<string>;
  /** While false, the provider's notifications are lost on the way (central never hears of the payment). */
  notify: { deliver: boolean };
  /** The payer pays at the provider (the simulator's demo action); its notification goes to central unless dropped. */
  pay(outTradeNo: string, opts?: { late?: boolean; amountFen?: number }): Promise<void>;
  /** A provider order central never made (someone else's out_trade_no), then paid. */
  strayPayment(outTradeNo: string, fen: number): Promise<void>;
  order(patch: Partial<CreateOrderRequest>, actions: OrderAction[]): Promise<string>;
  act(orderId: string, actions: OrderAction[]): Promise<void>;
  /** A certificate row as the CA writes it; `applianceId` null for the workshop (couriered key). */
  certificate(orderId: string, applianceId: string | null, tokenSerial: string): Promise<string>;
  /** A kiosk's batch as the sync route stores it. */
  ingest(applianceId: string, events: SyncEvent[]): Promise<void>;
  /** The order's invoice request and issue (the numbering transaction; the PDF is not what is reconciled). */
  invoice(orderId: string): Promise<void>;
  close(): Promise<void>;
}

/** A fresh store and provider; `keys` is made once per test file (RSA key generation is slow). */
export async function openWorld(keys: SimulatorKeys, startMs: number): Promise<World> {
  const clock = { ms: startMs };
  const now = () => clock.ms;
  const db = await openCentralStore({ dataDir: ':memory:' });
  const changes = new ChangeFeed(db, now);
  const activation = new ActivationCodes(db, now);
  const pickup = new PickupCodeSigner();
  const people = new PersonIndex(db, randomBytes(32));
  const orders = new OrderService(db, now, pickup, activation, changes, undefined, people);
  const notify = { deliver: true };
  let payments: PaymentService | undefined;

  const sim = Fastify();
  await sim.register(wechatpaySimulator, {
    keys: () => keys,
    now,
    http: async (_url, init) => {
      if (!notify.deliver) return new Response('lost on the way', { status: 503 });
      try {
        await payments!.handleNotification(
          Buffer.from(String(init.body)),
          init.headers as Record<string, string>,
        );
      } catch (err) {
        return new Response((err as Error).message, { status: 400 });
      }
      return new Response(null, { status: 200 });
    },
  });
  await sim.ready();
  const config = wechatPayConfig(merchantOptions(keys, SIM_BASE), () => 'http://central.test');
  const client = new WechatPayClient(config, now, injectFetch(sim));
  payments = new PaymentService(db, now, orders, () => ({ config, client }), new Leases(db, now));

  const billOmits = new Set<string>();
  const tradeBill: TradeBillSource = async (day) => {
    const bill = await payments!.tradeBill(day);
    const rows = bill.rows.filter((r) => !billOmits.has(r.outTradeNo));
    return { ...bill, rows, summary: { ...bill.summary, count: rows.length + bill.unreadable.length } };
  };
  // Only what AfterSales.activate asks of the CA: the certificate on the key.
  const issuer = {
    certificateOnKey: async (serial: string) =>
      await db.get('SELECT * FROM certificates WHERE serial = ?', serial),
  } as unknown as CertificateIssuer;
  const invoiceRequests = new InvoiceRequests(db, now);
  const invoices = new Invoices(
    db,
    now,
    orders,
    invoiceRequests,
    changes,
    () => 'http://central.test',
    () => {
      throw new Error('no PDF in this world');
    },
  );

  const demoPay = async (body: Record<string, unknown>) => {
    const r = await sim.inject({ method: 'POST', url: '/demo/pay', payload: body });
    if (r.statusCode !== 200) throw new Error(`the simulator did not pay: ${r.body}`);
    const { notified } = r.json() as { notified: { status: number; body: string } };
    // A delivered notification central refused would be a bug of the world, not a fault under test.
    if (notify.deliver && notified.status !== 200)
      throw new Error(`central refused the notification: ${notified.body}`);
  };

  const world: World = {
    db,
    clock,
    orders,
    payments,
    events: new EventInbox(db, now, orders),
    afterSales: new AfterSales(db, now, orders, issuer, activation, people, pickup.publicKeyPem),
    invoiceRequests,
    invoices,
    reconciliations: new Reconciliations(db, now, tradeBill, 2 * 60, new Leases(db, now)),
    billOmits,
    notify,
    async pay(outTradeNo, opts = {}) {
      await demoPay({
        out_trade_no: outTradeNo,
        ...(opts.late ? { late: true } : {}),
        ...(opts.amountFen !== undefined ? { amount_total: opts.amountFen } : {}),
      });
    },
    async strayPayment(outTradeNo, fen) {
      await client.createNative({
        outTradeNo,
        description: 'not ours',
        totalFen: fen,
        expiresAtMs: clock.ms + 5 * 60_000,
      });
      await demoPay({ out_trade_no: outTradeNo });
    },
    async order(patch, actions) {
      const id = (await orders.create({ ...NATURAL_PERSON, hall: WORLD_HALL, ...patch })).id;
      await world.act(id, actions);
      return id;
    },
    async act(orderId, actions) {
      for (const action of actions) {
        clock.ms += 60_000;
        await orders.act(orderId, { action });
      }
    },
    async certificate(orderId, applianceId, tokenSerial) {
      const serial = randomBytes(16).toString('hex').replace(/^0+/, '');
      const at = new Date(clock.ms).toISOString();
      await db.run(
        `INSERT INTO certificates (serial, order_id, idempotency_key, appliance_id, profile, public_key_sha256,
           certificate_pem, not_before, not_after, issued_at, token_serial)
         VALUES (?, ?, ?, ?, 'natural-person', ?, '-', ?, ?, ?, ?)`,
        serial,
        orderId,
        `${orderId}:${serial}`,
        applianceId,
        randomBytes(32).toString('hex'),
        at,
        new Date(clock.ms + 365 * 86_400_000).toISOString(),
        at,
        tokenSerial,
      );
      return serial;
    },
    async ingest(applianceId, events) {
      clock.ms += 1000;
      await world.events.ingest(applianceId, WORLD_HALL, events);
    },
    async invoice(orderId) {
      clock.ms += 60_000;
      await invoiceRequests.request(orderId, (await orders.row(orderId)).status, {
        title: '张伟',
        email: 'zhang.wei@example.com',
      });
      // The issuing transaction itself (number, order action, change): rendering the PDF is another matter.
      await invoices['take'](orderId);
    },
    async close() {
      await sim.close();
      await db.close();
    },
  };
  return world;
}
