// The receipt page behind the kiosk receipt's QR code: opened only with the order's receipt token (an order
// id alone opens nothing), masked data only, the invoice request, rate-limited like every public page.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplianceOrder, Order } from '../../contract/schemas.js';
import { MIGRATIONS } from '../migrations.js';
import { migrateSqlite } from '../store.js';
import { type Harness, NATURAL_PERSON, opensslCsr, startHarness, TO_APPROVED } from '../testing.js';

const LIMIT = 40;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ central: { publicRateLimit: { max: LIMIT, timeWindowMs: 60_000 } } });
});
afterAll(() => h.close());

let ipSeq = 10;
const freshIp = () => `203.0.113.${ipSeq++}`;

/** An approved order, its ApplianceOrder (what a kiosk gets with the pickup code) and its receipt path. */
async function approved(): Promise<{
  order: Order;
  pickupCode: string;
  answer: ApplianceOrder;
  path: string;
}> {
  const { order, pickupCode } = await h.order(TO_APPROVED);
  const r = await h.signed('POST', '/v1/pickup-codes/check', { pickupCode });
  expect(r.statusCode, r.body).toBe(200);
  const answer = r.json() as ApplianceOrder;
  return { order, pickupCode: pickupCode!, answer, path: new URL(answer.receiptUrl!).pathname };
}

let csrN = 0;
/** The same, collected at the kiosk (status issued). */
async function issued() {
  const a = await approved();
  const r = await h.issue({
    orderId: a.order.id,
    idempotencyKey: `${a.order.id}:1`,
    pickupCode: a.pickupCode,
    csrPem: opensslCsr(h.dir, 'ec', `receipt-${++csrN}`),
  });
  expect(r.statusCode, r.body).toBe(200);
  return a;
}

const get = (url: string) => h.app.inject({ url, remoteAddress: freshIp() });
const postForm = (url: string, fields: Record<string, string>) =>
  h.app.inject({
    method: 'POST',
    url,
    remoteAddress: freshIp(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });

describe('receipt link in the ApplianceOrder', () => {
  it('carries the price paid and a receipt URL with the order id and a random token', async () => {
    const { order, answer } = await approved();
    expect(answer.pricePaidFen).toBe(order.priceFen);
    const url = new URL(answer.receiptUrl!);
    expect(`${url.protocol}//${url.host}`).toBe(h.app.central.publicBaseUrl());
    const [, lookup, id, token] = url.pathname.split('/');
    expect([lookup, id]).toEqual(['lookup', order.id]);
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // Another order: another token (random, not derived from anything a kiosk sees).
    const other = await approved();
    expect(other.path.split('/')[3]).not.toBe(token);
  });
});

describe('GET /lookup/:orderId/:receiptToken', () => {
  it('shows the masked status — order id, type, status, masked holder — and nothing personal', async () => {
    const { order, path } = await issued();
    const r = await get(path);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.body).toContain(order.id);
    expect(r.body).toContain('data-status="issued"');
    // Signed by central, but not yet reported written and activated by the kiosk.
    expect(r.body).toContain('已签发，待写入');
    expect(r.body).not.toContain('已领取');
    expect(r.body).toContain('自然人证书');
    expect(r.body).toContain('<span data-holder>张*</span>');
    expect(r.body).toContain('¥180.00');
    for (const personal of [NATURAL_PERSON.holder!.idNumber, '张伟', '13800138000', '4403**'])
      expect(r.body).not.toContain(personal);
    expect(r.body).toContain('data-invoice-form');
  });

  it('says 已领取 only once the kiosk reported the certificate written and activated, and for a kiosk order only', async () => {
    const { order, path } = await issued();
    const status = async () => {
      const body = (await get(path)).body;
      return /data-status="([a-z-]+)">([^<]*)</.exec(body)?.slice(1);
    };
    expect(await status()).toEqual(['issued', '已签发，待写入']);
    const activated = {
      id: `evt-receipt-${order.id}`,
      type: 'certificate.activated',
      occurredAt: new Date().toISOString(),
      payload: {},
      orderId: order.id,
    };
    const sent = await h.signed('POST', '/v1/events', { events: [activated] });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(await status()).toEqual(['activated', '已领取']);
    // A couriered order that was activated was never collected at a kiosk.
    const { statusLabel } = await import('./phone-page.js');
    expect(statusLabel({ status: 'activated', delivery: 'courier' })[0]).toBe('已激活');
    expect(statusLabel({ status: 'issued', delivery: 'kiosk' })[0]).not.toContain('领取');
  });

  it('answers 404 for a wrong token, another order’s token, a bare order id and an unknown order alike', async () => {
    const { order, path } = await issued();
    const other = await approved();
    const token = path.split('/')[3]!;
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const answers = await Promise.all(
      [
        `/lookup/${order.id}/${wrong}`,
        `/lookup/${order.id}/${other.path.split('/')[3]}`,
        `/lookup/${other.order.id}/${token}`,
        `/lookup/CK20990101DEADBEEF/${token}`,
        `/lookup/${order.id}/x`,
      ].map(get),
    );
    for (const r of answers) {
      expect(r.statusCode).toBe(404);
      expect(r.body).toContain('data-not-found');
      expect(r.body).not.toContain(order.id);
      expect(r.body).toBe(answers[0]!.body);
    }
    expect((await get(`/lookup/${order.id}`)).statusCode).toBe(404);
  });

  it('before collection: no invoice form, and a posted request is refused', async () => {
    const { path } = await approved();
    const page = await get(path);
    expect(page.body).toContain('data-invoice-state="unavailable"');
    expect(page.body).not.toContain('data-invoice-form');
    const r = await postForm(`${path}/invoice`, { title: '张伟', email: 'zw@example.cn' });
    expect(r.statusCode).toBe(409);
    expect(r.body).toContain('证书领取后才能申请发票');
  });
});

describe('POST /lookup/:orderId/:receiptToken/invoice', () => {
  it('records the request and sends the browser back to the page, which shows it submitted', async () => {
    const { order, path } = await issued();
    const r = await postForm(`${path}/invoice`, {
      title: '深圳市腾讯计算机系统有限公司',
      taxId: '91440300708461136t',
      email: 'finance@example.cn',
    });
    expect(r.statusCode, r.body).toBe(303);
    expect(r.headers.location).toBe(path);
    expect(await h.app.central.invoices.get(order.id)).toMatchObject({
      orderId: order.id,
      title: '深圳市腾讯计算机系统有限公司',
      taxId: '91440300708461136T',
      email: 'finance@example.cn',
    });
    const page = await get(path);
    expect(page.body).toContain('data-invoice-state="submitted"');
    expect(page.body).toContain('发票申请已提交');
    expect(page.body).toContain('Invoice request submitted');
    // What was typed is not shown back to whoever holds the receipt.
    expect(page.body).not.toContain('finance@example.cn');

    // A second post replaces the details (one request per order).
    expect((await postForm(`${path}/invoice`, { title: '个人', email: 'me@example.cn' })).statusCode).toBe(
      303,
    );
    expect(await h.app.central.invoices.get(order.id)).toMatchObject({
      title: '个人',
      email: 'me@example.cn',
    });
    expect((await h.app.central.invoices.get(order.id))?.taxId).toBeUndefined();
  });

  it('refuses an incomplete request with the reason, showing what was typed (escaped)', async () => {
    const { order, path } = await issued();
    const r = await postForm(`${path}/invoice`, { title: '<b>甲</b>', email: 'not-an-address' });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('data-invoice-error');
    expect(r.body).toContain('请填写接收电子发票的邮箱');
    expect(r.body).toContain('value="&lt;b&gt;甲&lt;/b&gt;"');
    expect(r.body).not.toContain('<b>甲</b>');
    expect(await h.app.central.invoices.get(order.id)).toBeUndefined();
  });

  it('records nothing with a wrong token', async () => {
    const { order, path } = await issued();
    const r = await postForm(`/lookup/${order.id}/AAAAAAAAAAAAAAAAAAAAAA/invoice`, {
      title: '张伟',
      email: 'zw@example.cn',
    });
    expect(r.statusCode).toBe(404);
    expect(await h.app.central.invoices.get(order.id)).toBeUndefined();
    expect(path).not.toContain('AAAAAAAAAAAAAAAAAAAAAA');
  });

  it('shows an invoiced order with its invoice — number, amount, the PDF link as a QR code — without the form', async () => {
    const { order, path } = await issued();
    expect((await postForm(`${path}/invoice`, { title: '张伟', email: 'zw@example.cn' })).statusCode).toBe(
      303,
    );
    const act = await h.admin('POST', `/admin/v1/orders/${order.id}/actions`, { action: 'activate' });
    expect(act.statusCode, act.body).toBe(200);
    const inv = await h.admin('POST', `/admin/v1/orders/${order.id}/invoice`);
    expect(inv.statusCode, inv.body).toBe(200);
    const { number, url } = inv.json() as { number: string; url: string };
    const page = await get(path);
    expect(page.body).toContain('data-invoice-state="issued"');
    expect(page.body).toContain(`<span data-invoice-number>${number}</span>`);
    expect(page.body).toContain('¥180.00');
    expect(page.body).toMatch(new RegExp(`data-invoice-qr data-invoice-url="${url}"><svg`));
    expect(page.body).not.toContain('data-invoice-form');
    expect(page.body).not.toContain('zw@example.cn');
  });
});

describe('receipt page hygiene', () => {
  it('is rate-limited per client address like the other public pages', async () => {
    const { path } = await approved();
    const ip = '198.51.100.250';
    for (let i = 0; i < LIMIT; i++) {
      const ok = await h.app.inject({ url: `/lookup/x/${i}`, remoteAddress: ip });
      expect(ok.statusCode, `request ${i + 1}`).toBe(404);
    }
    const r = await h.app.inject({ url: path, remoteAddress: ip });
    expect(r.statusCode).toBe(429);
    expect(r.json()).toMatchObject({ code: 'RATE_LIMITED' });
    const form = await h.app.inject({
      method: 'POST',
      url: `${path}/invoice`,
      remoteAddress: '198.51.100.251',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'title=a&email=a%40b.cn',
    });
    expect(form.statusCode).toBe(409); // its own counter; not collected yet
  });

  it('migration 006 gives orders made before it a receipt token each', async () => {
    const db = new Database(':memory:');
    const before = MIGRATIONS.findIndex((m) => m.id.startsWith('006-'));
    db.exec('CREATE TABLE schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
    for (const m of MIGRATIONS.slice(0, before)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(m.id, 'then');
    }
    const insert = db.prepare(
      `INSERT INTO orders (id, status, certificate_type, business_type, service_years, hall, delivery, price_fen,
        details_json, view_token, created_at, submitted_at, updated_at)
       VALUES (?, 'approved', 'natural-person', 'new', 1, 'SZ-FUTIAN', 'kiosk', 10000, '{}', ?, 't', 't', 't')`,
    );
    insert.run('OLD-1', 'v1');
    insert.run('OLD-2', 'v2');
    expect(migrateSqlite(db)).toEqual(MIGRATIONS.slice(before).map((m) => m.id));
    const tokens = db.prepare('SELECT receipt_token AS t FROM orders').all() as Array<{ t: string }>;
    expect(tokens).toHaveLength(2);
    for (const { t } of tokens) expect(t).toMatch(/^[0-9a-f]{32}$/);
    expect(tokens[0]!.t).not.toBe(tokens[1]!.t);
    db.close();
  });
});
