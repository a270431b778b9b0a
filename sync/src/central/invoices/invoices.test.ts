// Invoices at central: a kiosk requests and reads the invoice of an order of its hall, an operator issues it
// (paid and activated orders only, one per order, numbered per year), the PDF is fetched by its unguessable
// link, and the hall's kiosks learn of it through the change feed. Each refusal records nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminInvoice, InvoiceRequestListResponse, InvoiceState } from '../../contract/invoices.js';
import type { ChangeFeedResponse, Order } from '../../contract/schemas.js';
import {
  type Harness,
  newApplianceKey,
  opensslCsr,
  startHarness,
  type TestAppliance,
  TO_APPROVED,
} from '../testing.js';
import { findCjkFont } from './cjk-font.js';
import { Invoices } from './invoices.js';
import { pdfText, requirePdftotext } from './testing.js';

let h: Harness;
let otherHall: TestAppliance;
beforeAll(async () => {
  requirePdftotext();
  h = await startHarness();
  otherHall = newApplianceKey('KIOSK-GZ-001', 'GZ-TIANHE');
  await h.enrol(otherHall);
  await h.admin('POST', `/admin/v1/appliances/${otherHall.id}/approve`);
});
afterAll(() => h.close());

const TENCENT = { title: '深圳市腾讯计算机系统有限公司', taxId: '91440300708461136T' };
const ORGANISATION_REQUEST = { titleType: 'organisation', ...TENCENT, email: 'finance@example.cn' };

let n = 0;
/** An order collected at the harness kiosk (status issued); `activated` also reports it written. */
async function collected(opts: { activated?: boolean } = {}): Promise<Order> {
  const { order, pickupCode } = await h.order(TO_APPROVED);
  const r = await h.issue({
    orderId: order.id,
    idempotencyKey: `${order.id}:1`,
    pickupCode: pickupCode!,
    csrPem: opensslCsr(h.dir, 'ec', `invoice-${++n}`),
  });
  expect(r.statusCode, r.body).toBe(200);
  if (opts.activated) {
    const a = await h.admin('POST', `/admin/v1/orders/${order.id}/actions`, { action: 'activate' });
    expect(a.statusCode, a.body).toBe(200);
  }
  return h.app.central.orders.get(order.id);
}

const request = (orderId: string, body: object, as?: TestAppliance) =>
  h.signed('POST', `/v1/orders/${orderId}/invoice-request`, body, as);
const read = (orderId: string, as?: TestAppliance) =>
  h.signed('GET', `/v1/orders/${orderId}/invoice`, undefined, as);
const issue = (orderId: string) => h.admin('POST', `/admin/v1/orders/${orderId}/invoice`);
const recorded = async (orderId: string) => h.app.central.invoices.get(orderId);
const invoiceRows = async (orderId: string) =>
  (
    (await h.app.central.db.get('SELECT COUNT(*) AS n FROM invoices WHERE order_id = ?', orderId)) as {
      n: number;
    }
  ).n;
const pathOf = (url: string) => new URL(url).pathname;

describe('POST /v1/orders/:orderId/invoice-request', () => {
  it('records an organisation’s request (credit code normalised) and answers it requested', async () => {
    const order = await collected();
    const r = await request(order.id, { ...ORGANISATION_REQUEST, taxId: '9144 0300 7084 6113 6t' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({
      state: 'requested',
      orderId: order.id,
      titleType: 'organisation',
      title: TENCENT.title,
      requestedAt: new Date(h.clock.ms).toISOString(),
      amountFen: order.priceFen,
      link: `${h.app.central.orders.receiptUrl(await h.app.central.orders.row(order.id))}/invoice`,
    });
    expect(await recorded(order.id)).toMatchObject({ ...TENCENT, email: 'finance@example.cn' });
    expect((await read(order.id)).json()).toEqual(r.json());
  });

  it('a person’s title is read back masked, as on the receipt', async () => {
    const order = await collected();
    const r = await request(order.id, { titleType: 'person', title: '张伟', email: 'zw@example.cn' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ state: 'requested', titleType: 'person', title: '张*' });
    expect((await recorded(order.id))?.taxId).toBeUndefined();
  });

  it.each([
    ['a wrong check character', '91440300708461136U', 'USCC_CHECK_MISMATCH', '校验位（第 18 位）不符'],
    ['a letter it never uses (O)', '9144030070846113OT', 'USCC_FORBIDDEN_CHARACTER', '第 17 位“O”'],
    ['a letter among the region digits', '914A0300708461136T', 'USCC_FORBIDDEN_CHARACTER', '第 4 位“A”'],
    ['17 characters', '91440300708461136', 'USCC_WRONG_LENGTH', '此处为 17 位'],
    ['19 characters', '91440300708461136TT', 'USCC_WRONG_LENGTH', '此处为 19 位'],
    ['a broken organisation code', '91440300708461137H', 'USCC_ORGANISATION_CODE_MISMATCH', '组织机构代码'],
  ])('refuses a credit code with %s (%s): %s, nothing recorded', async (_what, taxId, code, says) => {
    const order = await collected();
    const r = await request(order.id, { ...ORGANISATION_REQUEST, taxId });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code });
    expect(r.json().message).toContain(says);
    expect(await recorded(order.id)).toBeUndefined();
  });

  it.each([
    'zw',
    'zw@',
    '@example.cn',
    'zw@example',
    'zw@@example.cn',
    'zw@exa mple.cn',
    'zw@example..cn',
    'zw.@example.cn',
    'zw@-example.cn',
    '张伟@example.cn',
    '',
  ])('refuses the e-mail address "%s", nothing recorded', async (email) => {
    const order = await collected();
    const r = await request(order.id, { ...ORGANISATION_REQUEST, email });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'INVOICE_REQUEST_INVALID' });
    expect(r.json().message).toContain('邮箱');
    expect(await recorded(order.id)).toBeUndefined();
  });

  it('refuses an organisation without its credit code, and a person with one', async () => {
    const order = await collected();
    const org = await request(order.id, { titleType: 'organisation', title: TENCENT.title, email: 'a@b.cn' });
    expect(org.json()).toMatchObject({ code: 'INVOICE_REQUEST_INVALID' });
    expect(org.json().message).toContain('须填写统一社会信用代码');
    const person = await request(order.id, {
      titleType: 'person',
      title: '张伟',
      taxId: TENCENT.taxId,
      email: 'a@b.cn',
    });
    expect(person.json()).toMatchObject({ code: 'INVOICE_REQUEST_INVALID' });
    expect(person.json().message).toContain('个人抬头无需填写统一社会信用代码');
    expect((await request(order.id, { title: '张伟', email: 'a@b.cn' })).statusCode).toBe(400); // no titleType
    expect(await recorded(order.id)).toBeUndefined();
  });

  it('refuses an order not collected yet (unpaid, or paid and approved), nothing recorded', async () => {
    for (const actions of [['request-payment'], TO_APPROVED] as const) {
      const { order } = await h.order([...actions]);
      const r = await request(order.id, ORGANISATION_REQUEST);
      expect(r.statusCode).toBe(409);
      expect(r.json()).toMatchObject({ code: 'INVOICE_NOT_AVAILABLE' });
      expect(await recorded(order.id)).toBeUndefined();
    }
  });

  it('another hall’s kiosk can neither request nor read (ORDER_WRONG_HALL), and an unsigned call is refused', async () => {
    const order = await collected();
    const theirs = await request(order.id, ORGANISATION_REQUEST, otherHall);
    expect(theirs.statusCode).toBe(403);
    expect(theirs.json()).toMatchObject({ code: 'ORDER_WRONG_HALL' });
    expect(await recorded(order.id)).toBeUndefined();
    expect((await request(order.id, ORGANISATION_REQUEST)).statusCode).toBe(200);
    expect((await read(order.id, otherHall)).json()).toMatchObject({ code: 'ORDER_WRONG_HALL' });
    const unsigned = await h.app.inject({ url: `/v1/orders/${order.id}/invoice` });
    expect(unsigned.json()).toMatchObject({ code: 'AUTH_UNSIGNED' });
  });

  it('reading an order without a request answers INVOICE_NOT_REQUESTED; an unknown order ORDER_NOT_FOUND', async () => {
    const order = await collected();
    expect((await read(order.id)).json()).toMatchObject({ statusCode: 404, code: 'INVOICE_NOT_REQUESTED' });
    expect((await read('CK20990101DEADBEEF')).json()).toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });
});

describe('POST /admin/v1/orders/:orderId/invoice', () => {
  it('only a paid order whose certificate is activated is invoiced; before that nothing is written', async () => {
    const { order: unpaid } = await h.order(['request-payment']);
    const r = await issue(unpaid.id);
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ code: 'INVOICE_NOT_AVAILABLE' });
    expect(r.json().message).toContain('awaiting-payment');

    const order = await collected();
    expect((await request(order.id, ORGANISATION_REQUEST)).statusCode).toBe(200);
    const early = await issue(order.id);
    expect(early.json()).toMatchObject({ code: 'INVOICE_NOT_AVAILABLE' });
    const pending = (await h.admin('GET', '/admin/v1/invoice-requests')).json() as InvoiceRequestListResponse;
    expect(pending.requests.find((q) => q.orderId === order.id)).toMatchObject({
      issuable: false,
      email: 'finance@example.cn',
      taxId: TENCENT.taxId,
      amountFen: order.priceFen,
    });
    expect((await invoiceRows(order.id)) + (await invoiceRows(unpaid.id))).toBe(0);
    expect((await h.app.central.orders.get(order.id)).status).toBe('issued');
  });

  it('without a request there is nothing to issue (INVOICE_NOT_REQUESTED)', async () => {
    const order = await collected({ activated: true });
    expect((await issue(order.id)).json()).toMatchObject({ code: 'INVOICE_NOT_REQUESTED' });
    expect(await invoiceRows(order.id)).toBe(0);
    expect((await h.app.central.orders.get(order.id)).status).toBe('activated');
  });

  it('issues: number, amount, PDF link; order invoiced; one invoice per order (issuing again answers it)', async () => {
    const order = await collected({ activated: true });
    await request(order.id, ORGANISATION_REQUEST);
    const first = await issue(order.id);
    expect(first.statusCode, first.body).toBe(200);
    const inv = first.json() as AdminInvoice;
    expect(inv).toMatchObject({
      orderId: order.id,
      titleType: 'organisation',
      ...TENCENT,
      email: 'finance@example.cn',
      amountFen: order.priceFen,
      issuedAt: new Date(h.clock.ms).toISOString(),
    });
    expect(inv.number).toMatch(/^2026-\d{6}$/);
    expect(inv.url).toMatch(/\/v1\/invoices\/2026-\d{6}\/[A-Za-z0-9_-]{22}\.pdf$/);
    const again = await issue(order.id);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(inv);
    expect(await invoiceRows(order.id)).toBe(1);
    expect((await h.app.central.orders.get(order.id)).status).toBe('invoiced');
    expect((await h.app.central.orders.history(order.id)).at(-1)).toMatchObject({
      action: 'invoice',
      to: 'invoiced',
    });
    // The request is closed now: the details cannot be changed any more.
    expect(
      (await request(order.id, { titleType: 'person', title: '张伟', email: 'a@b.cn' })).statusCode,
    ).toBe(409);
    const pending = (await h.admin('GET', '/admin/v1/invoice-requests')).json() as InvoiceRequestListResponse;
    expect(pending.requests.map((q) => q.orderId)).not.toContain(order.id);
  });

  it('numbers follow each other within the year', async () => {
    const numbers: number[] = [];
    for (let i = 0; i < 3; i++) {
      const order = await collected({ activated: true });
      await request(order.id, { titleType: 'person', title: '张伟', email: 'zw@example.cn' });
      numbers.push(Number(((await issue(order.id)).json() as AdminInvoice).number.slice(5)));
    }
    expect(numbers).toEqual([numbers[0], numbers[0]! + 1, numbers[0]! + 2]);
  });

  it('the order action `invoice` happens only through issuing', async () => {
    const order = await collected({ activated: true });
    const r = await h.admin('POST', `/admin/v1/orders/${order.id}/actions`, { action: 'invoice' });
    expect(r.statusCode).toBe(409);
    expect(r.json().message).toContain('POST /admin/v1/orders/:orderId/invoice');
    expect((await h.app.central.orders.get(order.id)).status).toBe('activated');
  });

  it('needs the operator', async () => {
    const order = await collected({ activated: true });
    const r = await h.app.inject({ method: 'POST', url: `/admin/v1/orders/${order.id}/invoice` });
    expect(r.json()).toMatchObject({ statusCode: 401, code: 'ADMIN_UNAUTHORISED' });
    expect((await h.app.inject({ url: '/admin/v1/invoice-requests' })).statusCode).toBe(401);
  });

  it('without a CJK font: INVOICE_FONT_MISSING, and no number is taken, the order stays activated', async () => {
    const order = await collected({ activated: true });
    await request(order.id, ORGANISATION_REQUEST);
    const c = h.app.central;
    const fontless = new Invoices(c.db, c.now, c.orders, c.invoices, c.changes, c.publicBaseUrl, () =>
      findCjkFont({ fontconfig: false, candidates: [{ path: '/nonexistent/font.ttc' }] }),
    );
    await expect(fontless.issue(order.id)).rejects.toMatchObject({ code: 'INVOICE_FONT_MISSING' });
    expect(await invoiceRows(order.id)).toBe(0);
    expect((await c.orders.get(order.id)).status).toBe('activated');
  });
});

describe('the issued invoice at the kiosk, in the change feed and behind its link', () => {
  let order: Order;
  let inv: AdminInvoice;
  beforeAll(async () => {
    order = await collected({ activated: true });
    await request(order.id, ORGANISATION_REQUEST);
    inv = (await issue(order.id)).json() as AdminInvoice;
  });

  it('the kiosk reads it issued: number, amount, link', async () => {
    const r = await read(order.id);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json() as InvoiceState).toEqual({
      state: 'issued',
      orderId: order.id,
      titleType: 'organisation',
      title: TENCENT.title,
      requestedAt: expect.any(String),
      number: inv.number,
      amountFen: order.priceFen,
      issuedAt: inv.issuedAt,
      url: inv.url,
      link: expect.stringMatching(new RegExp(`/lookup/${order.id}/[A-Za-z0-9_-]+/invoice$`)),
    });
  });

  it('the order’s invoice link leads to the PDF once issued, to the receipt page before; a wrong token: 404', async () => {
    const { link } = (await read(order.id)).json() as InvoiceState;
    const issued = await h.app.inject({ url: pathOf(link!) });
    expect(issued.statusCode).toBe(303);
    expect(issued.headers.location).toBe(inv.url);
    expect((await h.app.inject({ url: pathOf(issued.headers.location as string) })).statusCode).toBe(200);
    const waiting = await collected({ activated: true });
    await request(waiting.id, ORGANISATION_REQUEST);
    const before = (await read(waiting.id)).json() as InvoiceState;
    const early = await h.app.inject({ url: pathOf(before.link!) });
    expect(early.statusCode).toBe(303);
    expect(early.headers.location).toBe(pathOf(before.link!).replace(/\/invoice$/, ''));
    const page = await h.app.inject({ url: early.headers.location as string });
    expect(page.body).toContain('data-invoice-state="submitted"');
    const forged = pathOf(link!).replace(/\/[A-Za-z0-9_-]+\/invoice$/, '/wrong-token/invoice');
    expect((await h.app.inject({ url: forged })).statusCode).toBe(404);
  });

  it('the change feed tells the hall’s kiosks (without the link), not another hall’s', async () => {
    const mine = (await h.signed('GET', '/v1/changes?limit=1000')).json() as ChangeFeedResponse;
    const change = mine.changes.find(
      (c) => c.orderId === order.id && (c.payload.invoice as { number?: string } | undefined)?.number,
    );
    expect(change).toMatchObject({
      type: 'order.updated',
      payload: {
        status: 'invoiced',
        invoice: { state: 'issued', number: inv.number, amountFen: order.priceFen, issuedAt: inv.issuedAt },
      },
    });
    expect(JSON.stringify(change)).not.toContain(pathOf(inv.url).split('/').at(-1));
    const theirs = (
      await h.signed('GET', '/v1/changes?limit=1000', undefined, otherHall)
    ).json() as ChangeFeedResponse;
    expect(theirs.changes.some((c) => c.orderId === order.id)).toBe(false);
  });

  it('the link serves the PDF (number, title, amount in it); a wrong token, another’s token or number: 404', async () => {
    const ok = await h.app.inject({ url: pathOf(inv.url) });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('application/pdf');
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.headers['referrer-policy']).toBe('no-referrer');
    const text = pdfText(ok.rawPayload);
    for (const s of [inv.number, TENCENT.title, TENCENT.taxId, (order.priceFen / 100).toFixed(2)])
      expect(text).toContain(s);

    const [, , , number, file] = pathOf(inv.url).split('/');
    const token = file!.slice(0, -4);
    const other = await collected({ activated: true });
    await request(other.id, { titleType: 'person', title: '张伟', email: 'zw@example.cn' });
    const otherInv = (await issue(other.id)).json() as AdminInvoice;
    const otherToken = pathOf(otherInv.url).split('/').at(-1)!.slice(0, -4);
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const answers = await Promise.all(
      [
        `/v1/invoices/${number}/${wrong}.pdf`,
        `/v1/invoices/${number}/${otherToken}.pdf`,
        `/v1/invoices/${otherInv.number}/${token}.pdf`,
        `/v1/invoices/2099-000001/${token}.pdf`,
        `/v1/invoices/${number}/${token}`,
        `/v1/invoices/${number}/.pdf`,
      ].map((url) => h.app.inject({ url })),
    );
    for (const r of answers) {
      expect(r.statusCode, r.body).toBe(404);
      expect(r.json()).toMatchObject({ code: 'INVOICE_NOT_FOUND' });
    }
  });

  it('a PDF lost between issuing and storing it (a crash) is rendered on its first fetch, and kept', async () => {
    const db = h.app.central.db;
    await db.run('UPDATE invoices SET pdf = NULL WHERE order_id = ?', order.id);
    const r = await h.app.inject({ url: pathOf(inv.url) });
    expect(r.statusCode).toBe(200);
    expect(pdfText(r.rawPayload)).toContain(inv.number);
    const kept = (await db.get('SELECT pdf FROM invoices WHERE order_id = ?', order.id)) as { pdf: Buffer };
    expect(Buffer.compare(kept.pdf, r.rawPayload)).toBe(0);
  });

  it('a new year (Beijing time) starts at 000001', async () => {
    h.clock.ms = Date.parse('2026-12-31T16:30:00Z'); // 00:30 on 1 January 2027 in Beijing
    const next = await collected({ activated: true });
    await request(next.id, { titleType: 'person', title: '张伟', email: 'zw@example.cn' });
    expect(((await issue(next.id)).json() as AdminInvoice).number).toBe('2027-000001');
  });
});
