// Invoices beyond the done screen, end to end on the sim kiosk (SoftHSM keys, emulated devices) with a real central
// behind a proxy that logs every call: a completed renewal's result screen asks for its renewal order's invoice;
// a look-up's result screen for an order it listed (only those: any other order is refused before central is
// asked); the invoice slip prints through the receipt printer with a QR code that reads back as the order's invoice
// link (the receipt page until issued, the PDF after); a printer out of paper queues the slip for staff to print
// again; once central issued the invoice, the kiosk's view and slip show its number. Nothing typed is kept.
import { join } from 'node:path';
import { parseLogLine } from '@certkiosk/config';
import { maskOrderId } from '@certkiosk/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceView } from './api/service-contract.js';
import { makeCourieredKey, renewalOrder, serviceClient } from './testing/after-sales.js';
import { centralStore, expectStoreHoldsNone } from './testing/central-rows.js';
import { staffLogin } from './testing/daemon-child.js';
import { waitFor, ZHANG_WEI } from './testing/kiosk-harness.js';
import { readQr } from './testing/read-qr.js';
import { type SimKiosk, startSimKiosk } from './testing/sim-kiosk.js';

const PIN = '730164';
const DAY = 86_400_000;
const EMAIL = 'renewal.invoice@example.cn';
const LOOKUP_EMAIL = 'lookup.invoice@example.cn';

let k: SimKiosk;
let s: ReturnType<typeof serviceClient>;
let centralOffsetMs = 0;
const trayDir = () => join(k.dir, 'sim', 'key-tray');

beforeAll(async () => {
  let enrolled = false;
  k = await startSimKiosk('invoice-services', {
    faultProxy: true,
    centralNow: () => Date.now() + centralOffsetMs,
    log: (l) => {
      if (parseLogLine(l)?.msg === 'enrolled with central') enrolled = true;
    },
  });
  s = serviceClient(k.daemon.url);
  await waitFor(() => enrolled, 20_000, 'the kiosk enrolled with central');
}, 60_000);

/** The kiosk's printer status says paper out, or online again: the emulator was told, the kiosk polled it. */
async function paper(state: 'ok' | 'out'): Promise<void> {
  k.daemon.sim.setPrinter({ paper: state });
  await waitFor(
    async () => {
      const r = await s.api.state();
      const printer = r.ok ? r.data.devices.find((d) => d.kind === 'printer') : undefined;
      return state === 'out' ? printer?.detail === 'paper-out' : printer?.state === 'online';
    },
    10_000,
    `printer paper ${state}`,
  );
}

afterEach(async () => {
  await paper('ok');
  await s.leave();
  k.daemon.sim.pullKeys();
  await k.daemon.sim.placeCard(null);
});

afterAll(async () => k?.stop());

const requestRow = (orderId: string) =>
  centralStore(k.central).get<{ title: string; email: string }>(
    'SELECT title, email FROM invoice_requests WHERE order_id = ?',
    orderId,
  );
/** The kiosk's calls about this order's invoice, as the proxy in front of central saw them. */
const invoiceCalls = (orderId: string) =>
  k.proxy!.log.filter((l) => l.includes(`/v1/orders/${orderId}/invoice`));

/** The kiosk's calls to central other than its own background ones (heartbeats, events, changes, reconciliations). */
const BACKGROUND = /^\w+ \/v1\/(heartbeat|events|changes|reconciliations)\b/;
const foregroundCalls = () => k.proxy!.log.filter((l) => !BACKGROUND.test(l));

/** The last printed document's lines and the QR code read from its picture (what a phone would scan). */
async function lastPrinted(): Promise<{ lines: string[]; qr: string | null }> {
  const doc = k.daemon.sim.receipts().at(-1)!;
  const png = await fetch(`${k.daemon.url}/sim/receipts/latest.png`);
  return { lines: doc.lines.map((l) => l.text), qr: await readQr(Buffer.from(await png.arrayBuffer())) };
}

/** Where central sends whoever opens the link (without following it). */
const redirectOf = async (url: string) => {
  const r = await fetch(url, { redirect: 'manual' });
  expect(r.status).toBe(303);
  return new URL(r.headers.get('location')!, url).toString();
};

/** 王淑芬's year-old certificate on a held key and its renewal, paid online, renewed at the kiosk. */
async function renewed(name: string): Promise<{ orderId: string; view: ServiceView }> {
  centralOffsetMs = -320 * DAY;
  const key = await makeCourieredKey(k.central, trayDir(), name, { ship: false, userPin: PIN });
  centralOffsetMs = 0;
  const orderId = await renewalOrder(k.central, key.certificateSerial, { pay: true });
  await s.start('renew');
  k.daemon.sim.insertHeldKey(name);
  await s.until((v) => v?.need === 'id-card', 20_000);
  await k.daemon.sim.placeCard('long-term-wang-shufen');
  await s.until((v) => v?.need === 'current-pin');
  const r = await s.api.servicePin({ body: { pin: PIN } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  expect(r.data).toMatchObject({ kind: 'renew', status: 'completed', need: 'result' });
  return { orderId, view: r.data };
}

describe('the invoice of a renewal, on its result screen', () => {
  it('requests, prints the slip (its QR the order’s invoice link), and once issued shows and prints the number', async () => {
    const { orderId } = await renewed('inv-renew');
    const first = { params: { position: '0' } };
    expect(await s.api.serviceInvoice(first)).toEqual({ ok: true, status: 200, data: { state: 'none' } });
    // A slip before anything was asked for: nothing printed.
    const printedBefore = k.daemon.sim.receipts().length;
    expect(await s.api.printServiceInvoiceSlip(first)).toMatchObject({
      ok: false,
      error: { code: 'INVOICE_NOT_AVAILABLE' },
    });
    // A renewal's screen shows one order: any other position is refused before central is asked.
    // (The kiosk's own heartbeats and events may pass the proxy meanwhile: they do not count.)
    const callsBefore = foregroundCalls().length;
    expect(await s.api.serviceInvoice({ params: { position: '1' } })).toMatchObject({
      ok: false,
      status: 404,
      error: { code: 'INVOICE_ORDER_UNKNOWN' },
    });
    expect(foregroundCalls().length).toBe(callsBefore);

    const asked = await s.api.requestServiceInvoice({ ...first, body: { title: 'person', email: EMAIL } });
    expect(asked).toMatchObject({ ok: true, data: { state: 'requested', title: 'person' } });
    expect(await requestRow(orderId)).toEqual({ title: '个人', email: EMAIL });
    const requested = asked.ok && asked.data.state === 'requested' ? asked.data : null;
    expect(requested?.link).toMatch(
      new RegExp(`^${k.central.url}/lookup/${orderId}/[A-Za-z0-9_-]{22}/invoice$`),
    );

    // The slip: printed now, its QR code the order's invoice link, which leads to the receipt page until issued.
    expect(await s.api.printServiceInvoiceSlip(first)).toEqual({
      ok: true,
      status: 200,
      data: { state: 'printed' },
    });
    expect(k.daemon.sim.receipts().length).toBe(printedBefore + 1);
    const slip = await lastPrinted();
    expect(slip.lines).toContain('发票凭条 Invoice Slip');
    expect(slip.lines).toContain(`订单号 Order: ${maskOrderId(orderId)}`);
    expect(slip.lines).toContain('已申请，待开具 Requested');
    expect(slip.lines.find((l) => l.startsWith('发票金额 Amount: ¥'))).toBeTruthy();
    expect(slip.lines.join('\n')).not.toContain(orderId);
    expect(slip.qr).toBe(requested?.link);
    expect(await redirectOf(slip.qr!)).toBe(slip.qr!.replace(/\/invoice$/, ''));

    // Central issues (the certificate activated first); the kiosk's view shows it when asked again.
    await k.daemon.agent.drain(15_000);
    if ((await k.central.order(orderId)).status === 'issued')
      await k.central.admin('POST', `/admin/v1/orders/${orderId}/actions`, { action: 'activate' });
    const atCentral = (await k.central.admin('POST', `/admin/v1/orders/${orderId}/invoice`)) as {
      number: string;
      url: string;
      amountFen: number;
    };
    const issued = await s.api.serviceInvoice(first);
    expect(issued).toMatchObject({
      ok: true,
      data: {
        state: 'issued',
        number: atCentral.number,
        url: atCentral.url,
        amountFen: atCentral.amountFen,
        link: requested?.link,
      },
    });
    await s.api.printServiceInvoiceSlip(first);
    const issuedSlip = await lastPrinted();
    expect(issuedSlip.lines).toContain(`发票号码 Invoice No.: ${atCentral.number}`);
    expect(issuedSlip.lines).toContain(`发票金额 Amount: ¥${(atCentral.amountFen / 100).toFixed(2)}`);
    expect(issuedSlip.qr).toBe(requested?.link);
    const pdfUrl = await redirectOf(issuedSlip.qr!);
    expect(pdfUrl).toBe(atCentral.url);
    expect((await fetch(pdfUrl)).headers.get('content-type')).toBe('application/pdf');

    expectStoreHoldsNone(join(k.dir, 'store'), [EMAIL, atCentral.url]);
    // The result screen left: no order to ask about.
    await s.leave();
    expect(await s.api.serviceInvoice(first)).toMatchObject({
      ok: false,
      error: { code: 'NO_ACTIVE_JOURNEY' },
    });
  }, 120_000);

  it('a printer out of paper queues the slip; staff print it again (补打), the same QR code', async () => {
    await renewed('inv-renew-paper');
    const first = { params: { position: '0' } };
    await s.api.requestServiceInvoice({ ...first, body: { title: 'person', email: EMAIL } });
    const printed = k.daemon.sim.receipts().length;
    await paper('out');
    expect(await s.api.printServiceInvoiceSlip(first)).toMatchObject({
      ok: true,
      data: { state: 'queued-for-reprint' },
    });
    expect(k.daemon.sim.receipts().length).toBe(printed);
    const token = await staffLogin(k.daemon.url);
    const overview = await s.api.staffOverview({ token });
    if (!overview.ok) throw new Error(overview.error.code);
    const queued = overview.data.reprints.at(-1)!;
    expect(queued.orderId).toMatch(/\*/);
    await paper('ok');
    expect(await s.api.reprint({ token, params: { id: queued.id } })).toMatchObject({
      ok: true,
      data: { state: 'printed' },
    });
    const again = await lastPrinted();
    expect(again.lines).toContain('补打 REPRINT');
    expect(again.lines).toContain('发票凭条 Invoice Slip');
    expect(again.qr).toMatch(/\/lookup\/[^/]+\/[A-Za-z0-9_-]{22}\/invoice$/);
  }, 120_000);
});

describe('the invoice of an order found by a look-up', () => {
  it('offers it for a listed paid and collected order only; any other order is refused and central not asked', async () => {
    // 张伟's orders: one shipped (collected, invoiceable), one approved (not yet); 巴特尔's, not his.
    const shipped = await makeCourieredKey(k.central, trayDir(), 'inv-lookup-zw', { holder: ZHANG_WEI });
    const approved = await k.central.createApprovedOrder();
    const others = await makeCourieredKey(k.central, trayDir(), 'inv-lookup-batu', {
      holder: { name: '巴特尔', idNumber: '150102197911230011' },
    });

    await s.start('lookup');
    await k.daemon.sim.placeCard('han-zhang-wei');
    const v = (await s.until((x) => x?.status === 'completed')) as ServiceView;
    const at = (orderId: string) => v.orders!.findIndex((o) => o.orderIdMasked === maskOrderId(orderId));
    const mine = at(shipped.orderId);
    const notYet = at(approved.orderId);
    expect(mine).toBeGreaterThanOrEqual(0);
    expect(notYet).toBeGreaterThanOrEqual(0);
    expect(at(others.orderId)).toBe(-1);
    expect(v.orders![mine]).toMatchObject({ status: 'shipped', invoiceOffered: true });
    expect(v.orders![notYet]?.invoiceOffered).toBeUndefined();
    expect(JSON.stringify(v)).not.toContain(shipped.orderId);

    const body = { title: 'person' as const, email: LOOKUP_EMAIL };
    const position = (n: number) => ({ params: { position: String(n) } });
    // Attacks: a position not listed, a listed order not collected, another order's id smuggled into the body,
    // a position that is not a number — each refused or ignored, and central never hears of those orders.
    expect(await s.api.requestServiceInvoice({ ...position(v.orders!.length), body })).toMatchObject({
      ok: false,
      status: 404,
      error: { code: 'INVOICE_ORDER_UNKNOWN' },
    });
    expect(await s.api.requestServiceInvoice({ ...position(notYet), body })).toMatchObject({
      ok: false,
      status: 409,
      error: { code: 'INVOICE_NOT_AVAILABLE' },
    });
    // Another order's id in the body is not part of the request (dropped): the listed order is the one asked.
    const smuggled = await fetch(`${k.daemon.url}/api/services/current/orders/${mine}/invoice-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, orderId: others.orderId }),
    });
    expect(smuggled.status).toBe(200);
    const notANumber = await fetch(
      `${k.daemon.url}/api/services/current/orders/${encodeURIComponent(others.orderId)}/invoice`,
    );
    expect(notANumber.status).toBe(400);
    expect(invoiceCalls(approved.orderId)).toEqual([]);
    expect(invoiceCalls(others.orderId)).toEqual([]);
    expect(await requestRow(approved.orderId)).toBeUndefined();
    expect(await requestRow(others.orderId)).toBeUndefined();
    // Nor through the done screen's routes: there is no pickup on screen.
    expect(await s.api.requestInvoice({ body })).toMatchObject({
      ok: false,
      error: { code: 'NO_ACTIVE_JOURNEY' },
    });

    // The listed, collected order: requested at central (again, replacing), and its state read back.
    expect(await s.api.requestServiceInvoice({ ...position(mine), body })).toMatchObject({
      ok: true,
      data: { state: 'requested', title: 'person' },
    });
    expect(await requestRow(shipped.orderId)).toEqual({ title: '个人', email: LOOKUP_EMAIL });
    expect(await s.api.serviceInvoice(position(mine))).toMatchObject({
      ok: true,
      data: { state: 'requested' },
    });
    expect(await s.api.printServiceInvoiceSlip(position(mine))).toMatchObject({
      ok: true,
      data: { state: 'printed' },
    });
    const slip = await lastPrinted();
    expect(slip.lines).toContain(`订单号 Order: ${maskOrderId(shipped.orderId)}`);
    expect(slip.qr).toMatch(
      new RegExp(`^${k.central.url}/lookup/${shipped.orderId}/[A-Za-z0-9_-]{22}/invoice$`),
    );
    expectStoreHoldsNone(join(k.dir, 'store'), [LOOKUP_EMAIL, ZHANG_WEI.idNumber, ZHANG_WEI.name]);
  }, 120_000);
});
