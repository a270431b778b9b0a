// The applicant's "I have paid" (我已打款) on the phone page: recorded once with its time, shown as awaiting the
// bank statement match, never a payment by itself; refused, with a clear message, for an order not awaiting a
// transfer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order, OrderHistoryEntry } from '../../contract/schemas.js';
import { type Harness, startHarness } from '../testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const phonePath = async (o: Order) =>
  ((await h.admin('GET', `/admin/v1/orders/${o.id}/phone-page`)).json() as { path: string }).path;
/** The button as the browser sends it: a form post without fields. */
const pressPaid = (path: string) =>
  h.app.inject({
    method: 'POST',
    url: `${path}/transfer-paid`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: '',
  });
const orderNow = async (o: Order) => (await h.admin('GET', `/admin/v1/orders/${o.id}`)).json() as Order;
const history = async (o: Order) =>
  ((await h.admin('GET', `/admin/v1/orders/${o.id}/history`)).json() as { history: OrderHistoryEntry[] })
    .history;

describe('我已打款 on the phone page', () => {
  it('a transfer-pending order shows how to pay and the button; pressing it shows the order awaiting the match, with the time', async () => {
    const { order } = await h.order(['request-payment', 'choose-transfer']);
    const path = await phonePath(order);
    const before = await h.app.inject({ url: path });
    expect(before.body).toContain('data-status="transfer-pending">待确认转账');
    expect(before.body).toContain(`data-remittance-code>${order.remittanceCode}<`);
    expect(before.body).toMatch(/<form method="post" action="[^"]+\/transfer-paid" data-transfer-form>/);
    expect(before.body).toContain('我已打款');

    const pressedAt = h.clock.ms;
    const r = await pressPaid(path);
    expect(r.statusCode, r.body).toBe(303);
    expect(r.headers.location).toBe(path);
    const declared = await orderNow(order);
    expect(declared).toMatchObject({
      status: 'transfer-pending',
      transferDeclaredAt: new Date(pressedAt).toISOString(),
    });
    const page = await h.app.inject({ url: path });
    expect(page.body).toContain('data-status="transfer-pending">已提交打款，等待银行流水核对');
    expect(page.body).toContain(`data-transfer-declared="${new Date(pressedAt).toISOString()}"`);
    expect(page.body).toContain('已于 2026-03-01 16:00（北京时间）提交打款'); // 08:00 UTC
    expect(page.body).not.toContain('data-transfer-form');
    // Still how to pay: the applicant may need the code again.
    expect(page.body).toContain(`data-remittance-code>${order.remittanceCode}<`);
    expect((await history(order)).at(-1)).toMatchObject({
      action: 'declare-transfer-paid',
      from: 'transfer-pending',
      to: 'transfer-pending',
    });
  });

  it('pressing it twice changes nothing: the first time stays, no second history entry', async () => {
    const { order } = await h.order(['request-payment', 'choose-transfer']);
    const path = await phonePath(order);
    await pressPaid(path);
    const first = await orderNow(order);
    const entries = (await history(order)).length;
    h.clock.ms += 10 * 60_000;
    const again = await pressPaid(path);
    expect(again.statusCode).toBe(303);
    expect(await orderNow(order)).toEqual(first);
    expect(await history(order)).toHaveLength(entries);
    // The operator API's action is the same one, so it is idempotent too.
    const api = await h.admin('POST', `/admin/v1/orders/${order.id}/actions`, {
      action: 'declare-transfer-paid',
    });
    expect(api.statusCode).toBe(200);
    expect((api.json() as { order: Order }).order.transferDeclaredAt).toBe(first.transferDeclaredAt);
    expect(await history(order)).toHaveLength(entries);
  });

  it('is refused with a clear message for an order not awaiting a transfer, which stays as it was', async () => {
    const { order: unpaid } = await h.order(['request-payment']);
    const { order: wechat } = await h.order(['request-payment', 'pay-wechat']);
    for (const [order, statusZh] of [
      [unpaid, '待支付'],
      [wechat, '已支付'],
    ] as const) {
      const path = await phonePath(order);
      const entries = (await history(order)).length;
      const r = await pressPaid(path);
      expect(r.statusCode).toBe(409);
      expect(r.headers['content-type']).toContain('text/html');
      expect(r.body).toContain('data-transfer-refused data-error-code="TRANSFER_NOT_PENDING"');
      expect(r.body).toContain(`此订单不在等待对公转账（当前状态：${statusZh}），无需提交打款。`);
      expect(r.body).toContain('This order is not awaiting a bank transfer');
      expect(r.body).not.toContain('data-transfer-form');
      const now = await orderNow(order);
      expect(now.status).toBe(order.status);
      expect(now.transferDeclaredAt).toBeUndefined();
      expect(await history(order)).toHaveLength(entries);
    }
  });

  it('once the statement shows the transfer the order is paid, and pressing again is refused', async () => {
    const { order } = await h.order(['request-payment', 'choose-transfer']);
    const path = await phonePath(order);
    await pressPaid(path);
    const csv = `date,amount,remark\n2026-03-01,${(order.priceFen / 100).toFixed(2)},${order.remittanceCode}\n`;
    const imported = await h.app.inject({
      method: 'POST',
      url: '/admin/v1/statements',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.json()).toMatchObject({ matched: [{ orderId: order.id }] });
    const page = await h.app.inject({ url: path });
    expect(page.body).toContain('data-status="paid">已支付');
    expect(page.body).not.toContain('data-transfer-state');
    const late = await pressPaid(path);
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('当前状态：已支付');
  });

  it('an unknown link is 404', async () => {
    expect((await pressPaid('/p/not-a-real-view-token')).statusCode).toBe(404);
  });
});
