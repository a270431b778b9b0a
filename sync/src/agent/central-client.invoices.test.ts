// The invoice calls through the signed client against a real central on loopback: a request is recorded and
// replaced until issued, every answer passes the contract schema (requested, then issued with its PDF link), and
// central's refusals keep their codes for the appliance to map.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATURAL_PERSON, opensslCsr, TO_APPROVED } from '../central/testing.js';
import type { Order } from '../contract/schemas.js';
import type { CentralClient } from './central-client.js';
import { type LoopbackCentral, refusalOf, startLoopbackCentral } from './loopback-central.js';

let central: LoopbackCentral;
let client: CentralClient;
let tmp: string;
beforeAll(async () => {
  central = await startLoopbackCentral();
  client = await central.newClient('KIOSK-INV-001');
  tmp = mkdtempSync(join(tmpdir(), 'ck-client-inv-'));
});
afterAll(async () => {
  await central.close();
  rmSync(tmp, { recursive: true, force: true });
});

const TENCENT = { title: '深圳市腾讯计算机系统有限公司', taxId: '91440300708461136T' };

/** A couriered order of the client's hall, certified and shipped: collected, so an invoice may be asked for. */
async function shippedOrder(name: string): Promise<Order> {
  const order = (await central.admin('POST', '/orders', { ...NATURAL_PERSON, delivery: 'courier' })) as Order;
  for (const action of TO_APPROVED) await central.admin('POST', `/orders/${order.id}/actions`, { action });
  await central.admin('POST', `/orders/${order.id}/certificates`, {
    csrPem: opensslCsr(tmp, 'ec', name),
    tokenSerial: `CLIENT-INV-${name}`,
  });
  await central.admin('POST', `/orders/${order.id}/actions`, { action: 'ship' });
  return order;
}

describe('CentralClient invoice calls', () => {
  it('requests, replaces until issued, reads the issued invoice with its link; then refuses another request', async () => {
    const order = await shippedOrder('issued');
    expect((await refusalOf(client.invoice(order.id))).details).toMatchObject({
      centralCode: 'INVOICE_NOT_REQUESTED',
      status: 404,
    });

    const requested = await client.requestInvoice(order.id, {
      titleType: 'organisation',
      ...TENCENT,
      email: 'finance@example.cn',
    });
    expect(requested).toMatchObject({ state: 'requested', orderId: order.id, titleType: 'organisation' });
    expect(requested.title).toBe(TENCENT.title);

    // Replaced by a person's request: the title is masked on the way back.
    const replaced = await client.requestInvoice(order.id, {
      titleType: 'person',
      title: '个人',
      email: 'me@example.cn',
    });
    expect(replaced).toMatchObject({ state: 'requested', titleType: 'person', title: '个*' });
    expect(await client.invoice(order.id)).toEqual(replaced);

    await central.admin('POST', `/orders/${order.id}/actions`, { action: 'activate' });
    await central.admin('POST', `/orders/${order.id}/invoice`);
    const issued = await client.invoice(order.id);
    if (issued.state !== 'issued') throw new Error(`not issued: ${JSON.stringify(issued)}`);
    expect(issued.number).toMatch(/^\d{4}-\d{6,9}$/);
    expect(issued.amountFen).toBeGreaterThan(0);
    expect(issued.url.startsWith(`${central.url}/v1/invoices/${issued.number}/`)).toBe(true);
    expect((await fetch(issued.url)).headers.get('content-type')).toBe('application/pdf');

    expect(
      (
        await refusalOf(
          client.requestInvoice(order.id, { titleType: 'person', title: '个人', email: 'x@example.cn' }),
        )
      ).details,
    ).toMatchObject({ centralCode: 'INVOICE_NOT_AVAILABLE', status: 409 });
  });

  it('keeps central’s codes for a wrong credit code and an order not collected yet', async () => {
    const order = await shippedOrder('refused');
    const e = await refusalOf(
      client.requestInvoice(order.id, {
        titleType: 'organisation',
        title: TENCENT.title,
        taxId: '91440300708461136X',
        email: 'finance@example.cn',
      }),
    );
    expect(e.code).toBe('CENTRAL_REFUSED');
    expect(e.details).toMatchObject({ centralCode: 'USCC_CHECK_MISMATCH', status: 400 });

    const approved = (await central.admin('POST', '/orders', NATURAL_PERSON)) as Order;
    for (const action of TO_APPROVED)
      await central.admin('POST', `/orders/${approved.id}/actions`, { action });
    expect(
      (
        await refusalOf(
          client.requestInvoice(approved.id, { titleType: 'person', title: '个人', email: 'me@example.cn' }),
        )
      ).details,
    ).toMatchObject({ centralCode: 'INVOICE_NOT_AVAILABLE', status: 409 });
  });
});
