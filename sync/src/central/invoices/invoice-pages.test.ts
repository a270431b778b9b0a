// The invoice on the applicant's phone page: the request form once the certificate is collected (and no
// self-refresh that would wipe it), the same checks as a kiosk's request, and once issued the invoice's PDF link
// as a QR code that opens the PDF.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminInvoice } from '../../contract/invoices.js';
import type { Order } from '../../contract/schemas.js';
import { type Harness, opensslCsr, startHarness, TO_APPROVED } from '../testing.js';
import { pdfText, requirePdftotext } from './testing.js';

let h: Harness;
beforeAll(async () => {
  requirePdftotext();
  h = await startHarness();
});
afterAll(() => h.close());

let n = 0;
/** A collected order and its phone page's path. */
async function collected(): Promise<{ order: Order; phone: string }> {
  const { order, pickupCode } = await h.order(TO_APPROVED);
  const phone = ((await h.admin('GET', `/admin/v1/orders/${order.id}/phone-page`)).json() as { path: string })
    .path;
  const r = await h.issue({
    orderId: order.id,
    idempotencyKey: `${order.id}:1`,
    pickupCode: pickupCode!,
    csrPem: opensslCsr(h.dir, 'ec', `phone-invoice-${++n}`),
  });
  expect(r.statusCode, r.body).toBe(200);
  return { order, phone };
}

const postForm = (url: string, fields: Record<string, string>) =>
  h.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });

describe('the phone page’s invoice card', () => {
  it('before collection: no card, the page refreshes itself, and a posted request is refused with the reason', async () => {
    const { order } = await h.order(TO_APPROVED);
    const phone = (
      (await h.admin('GET', `/admin/v1/orders/${order.id}/phone-page`)).json() as { path: string }
    ).path;
    const page = (await h.app.inject({ url: phone })).body;
    expect(page).not.toContain('data-invoice-state');
    expect(page).toContain('http-equiv="refresh"');
    const early = await postForm(`${phone}/invoice`, { title: '张伟', email: 'zw@example.cn' });
    expect(early.statusCode).toBe(409);
    expect(early.body).toContain('证书领取后才能申请发票');
    expect(await h.app.central.invoices.get(order.id)).toBeUndefined();
  });

  it('once collected: the form, without a self-refresh; a request is recorded and the page says submitted', async () => {
    const { order, phone } = await collected();
    const page = (await h.app.inject({ url: phone })).body;
    expect(page).toContain('data-invoice-state="open"');
    expect(page).toContain(`action="${phone}/invoice"`);
    expect(page).toContain('name="titleType" value="organisation"');
    expect(page).not.toContain('http-equiv="refresh"');

    const r = await postForm(`${phone}/invoice`, {
      titleType: 'organisation',
      title: '深圳市腾讯计算机系统有限公司',
      taxId: '91440300708461136T',
      email: 'finance@example.cn',
    });
    expect(r.statusCode, r.body).toBe(303);
    expect(r.headers.location).toBe(phone);
    expect(await h.app.central.invoices.get(order.id)).toMatchObject({
      titleType: 'organisation',
      taxId: '91440300708461136T',
    });
    expect((await h.app.inject({ url: phone })).body).toContain('data-invoice-state="submitted"');
  });

  it('refuses a wrong credit code or e-mail address with the reason, what was typed kept, nothing recorded', async () => {
    const { order, phone } = await collected();
    const bad = await postForm(`${phone}/invoice`, {
      titleType: 'organisation',
      title: '深圳市腾讯计算机系统有限公司',
      taxId: '91440300708461136U',
      email: 'finance@example.cn',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('data-invoice-error');
    expect(bad.body).toContain('校验位（第 18 位）不符');
    expect(bad.body).toContain('value="91440300708461136U"');
    expect(bad.body).toMatch(/value="organisation" checked/);
    const mail = await postForm(`${phone}/invoice`, {
      titleType: 'person',
      title: '张伟',
      email: 'zw@example',
    });
    expect(mail.statusCode).toBe(400);
    expect(mail.body).toContain('name@example.cn');
    expect(await h.app.central.invoices.get(order.id)).toBeUndefined();
    const unknown = await postForm('/p/not-a-view-token/invoice', { title: '张伟', email: 'zw@example.cn' });
    expect(unknown.statusCode).toBe(404);
  });

  it('once issued: number, amount and the PDF link as a QR code; the link opens the invoice', async () => {
    const { order, phone } = await collected();
    await postForm(`${phone}/invoice`, { titleType: 'person', title: '张伟', email: 'zw@example.cn' });
    await h.admin('POST', `/admin/v1/orders/${order.id}/actions`, { action: 'activate' });
    const inv = (await h.admin('POST', `/admin/v1/orders/${order.id}/invoice`)).json() as AdminInvoice;
    const page = (await h.app.inject({ url: phone })).body;
    expect(page).toContain('data-invoice-state="issued"');
    expect(page).toContain(`<span data-invoice-number>${inv.number}</span>`);
    expect(page).toContain(`¥${(order.priceFen / 100).toFixed(2)}`);
    const qr = /data-invoice-qr data-invoice-url="([^"]+)"><svg/.exec(page);
    expect(qr?.[1]).toBe(inv.url);
    expect(page).not.toContain('data-invoice-form');
    const pdf = await h.app.inject({ url: new URL(inv.url).pathname });
    expect(pdf.statusCode).toBe(200);
    const text = pdfText(pdf.rawPayload);
    expect(text).toContain(inv.number);
    expect(text).toContain('张伟');
  });
});
