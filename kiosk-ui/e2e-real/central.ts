// The reference central service's admin API, as the CA's back office would use it: make an order ready for
// kiosk pickup, and read back what the kiosk reported about it.
import { type APIRequestContext, expect } from '@playwright/test';
import type { AdminPayment } from '../../sync/src/central/payments/schemas.ts';
import type { AdminCertificate, Order, OrderActionResponse } from '../../sync/src/contract/schemas.ts';
import { ADMIN_TOKEN, CENTRAL_URL } from './ports.ts';

/** The holder of every order here; the ID-card emulator's fixture `han-zhang-wei` is this person. */
export const HOLDER = { name: '张伟', idNumber: '440305198503071238' } as const;
export const HOLDER_CARD = 'han-zhang-wei';
/** The holder of the demo's reissue paid at the kiosk (the emulator's fixture `long-term-wang-shufen`). */
export const REISSUE_TO_PAY_HOLDER = { name: '王淑芬', idNumber: '110101195804020040' } as const;
export const REISSUE_TO_PAY_CARD = 'long-term-wang-shufen';

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

  /**
   * The good certificate on the demo's renewal key now: the seeded one (its renewal order names it), or the one
   * a renewal put there (that order's certificate).
   */
  async renewalKeyCertificate(): Promise<string> {
    const { orders } = await this.#admin<{ orders: Order[] }>('GET', '/orders');
    const serials = orders
      .filter((o) => o.businessType === 'renewal' && o.holder?.idNumber === HOLDER.idNumber)
      .flatMap((o) => [o.certificateSerial, o.previousCertificateSerial])
      .filter((s): s is string => !!s);
    // The seeded certificate and those renewals put on the same key: the good one (a renewed one is revoked).
    const good: AdminCertificate[] = [];
    for (const serial of new Set(serials)) {
      const c = await this.#admin<AdminCertificate>('GET', `/certificates/${serial}`);
      if (!c.revokedAt && !c.voidedAt) good.push(c);
    }
    expect(good, 'one good certificate on the demo renewal key').toHaveLength(1);
    return good[0]!.serialNumber;
  }

  /**
   * A renewal order awaiting payment at the kiosk for the certificate on the demo's renewal key: the one there
   * is (the seeded one, before it was paid), or a new one (after the key was renewed).
   */
  async unpaidRenewal(): Promise<string> {
    const serial = await this.renewalKeyCertificate();
    const { orders } = await this.#admin<{ orders: Order[] }>('GET', '/orders');
    const open = orders.find(
      (o) =>
        o.businessType === 'renewal' && o.previousCertificateSerial === serial && o.status !== 'rejected',
    );
    if (open) {
      expect(open.status, `the renewal order ${open.id} of ${serial}`).toBe('awaiting-payment');
      return open.id;
    }
    const order = await this.#admin<Order>('POST', '/orders', {
      certificateType: 'natural-person',
      businessType: 'renewal',
      serviceYears: 1,
      hall: 'SZ-FUTIAN',
      delivery: 'kiosk',
      applicant: { name: HOLDER.name, phone: '13800138000' },
      previousCertificateSerial: serial,
    });
    await this.#admin('POST', `/orders/${order.id}/actions`, { action: 'request-payment' });
    return order.id;
  }

  /** The demo's reissue to pay at the kiosk (王淑芬's, seeded awaiting payment): found by the look-up with her card. */
  async kioskReissue(): Promise<Order> {
    const { orders } = await this.#admin<{ orders: Order[] }>('GET', '/orders');
    const reissue = orders.find(
      (o) => o.businessType === 'reissue' && o.holder?.idNumber === REISSUE_TO_PAY_HOLDER.idNumber,
    );
    expect(reissue, "the demo seeds 王淑芬's reissue awaiting payment").toBeTruthy();
    return reissue!;
  }

  /** The kiosk payments of an order, newest first (`?flagged=1`: only those kept for a refund). */
  async payments(orderId: string, flagged = false): Promise<AdminPayment[]> {
    const { payments } = await this.#admin<{ payments: AdminPayment[] }>(
      'GET',
      `/payments${flagged ? '?flagged=1' : ''}`,
    );
    return payments.filter((p) => p.orderId === orderId);
  }

  /** The newest open kiosk payment (the QR code on the kiosk's screen): its order. */
  async openPaymentOrder(): Promise<string> {
    const { payments } = await this.#admin<{ payments: AdminPayment[] }>('GET', '/payments');
    const open = payments.find((p) => p.state === 'pending');
    expect(open, 'a kiosk payment is open').toBeTruthy();
    return open!.orderId!;
  }

  /** The WeChat Pay simulator's payer (demo only): pays `outTradeNo`; `late`: after it was closed (the race). */
  async simulatorPay(outTradeNo: string, late = false): Promise<unknown> {
    const res = await this.request.post(`${CENTRAL_URL}/wechatpay-sim/demo/pay`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      data: { out_trade_no: outTradeNo, ...(late ? { late } : {}) },
    });
    expect(res.ok(), `the simulator answered ${res.status()}: ${await res.text()}`).toBe(true);
    return res.json();
  }
}
