// The reference central service's admin API, as the CA's back office would use it: make an order ready for
// kiosk pickup, and read back what the kiosk reported about it.
import { type APIRequestContext, expect } from '@playwright/test';
import type { Order, OrderActionResponse } from '../../sync/src/contract/schemas.ts';
import { ADMIN_TOKEN, CENTRAL_URL } from './ports.ts';

/** The holder of every order here; the ID-card emulator's fixture `han-zhang-wei` is this person. */
export const HOLDER = { name: '张伟', idNumber: '440305198503071238' } as const;
export const HOLDER_CARD = 'han-zhang-wei';

/** From a new order to approved for kiosk pickup, in the order the back office does it. */
const APPROVAL = ['request-payment', 'pay-wechat', 'request-identity', 'verify-identity', 'approve'] as const;

export class Central {
  constructor(private readonly request: APIRequestContext) {}

  async #admin<T>(method: 'GET' | 'POST', path: string, data?: unknown): Promise<T> {
    const res = await this.request.fetch(`${CENTRAL_URL}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      ...(data === undefined ? {} : { data }),
    });
    expect(res.ok(), `central ${method} ${path} answered ${res.status()}: ${await res.text()}`).toBe(true);
    return (await res.json()) as T;
  }

  /** A fresh natural-person order for 张伟, approved for pickup at this kiosk's hall; each can be collected once. */
  async createApprovedOrder(): Promise<{ orderId: string; pickupCode: string }> {
    const order = await this.#admin<Order>('POST', '/orders', {
      certificateType: 'natural-person',
      businessType: 'new',
      serviceYears: 1,
      hall: 'SZ-FUTIAN',
      delivery: 'kiosk',
      applicant: { name: HOLDER.name, phone: '13800138000' },
      holder: HOLDER,
    });
    let last: OrderActionResponse | undefined;
    for (const action of APPROVAL)
      last = await this.#admin<OrderActionResponse>('POST', `/orders/${order.id}/actions`, { action });
    expect(last?.pickupCode, 'the approve answer carries the pickup code').toBeTruthy();
    return { orderId: order.id, pickupCode: last!.pickupCode! };
  }

  /** The applicant's phone page for the order; its QR code is what the kiosk's scanner reads. */
  async phonePageUrl(orderId: string): Promise<string> {
    const { path } = await this.#admin<{ path: string }>('GET', `/orders/${orderId}/phone-page`);
    return `${CENTRAL_URL}${path}`;
  }

  order(orderId: string): Promise<Order> {
    return this.#admin<Order>('GET', `/orders/${orderId}`);
  }
}
