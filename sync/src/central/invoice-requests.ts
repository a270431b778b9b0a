// Invoice requests made on the receipt page (the receipt's QR code): one per order, its details replaceable
// until the order is invoiced. Operators issue the invoice (order action `invoice`) from what is recorded here.
import type { OrderStatus } from '../contract/order-status.js';
import { CentralError } from './errors.js';
import type { Db } from './store.js';

export interface InvoiceRequest {
  orderId: string;
  /** 发票抬头: a person's or organisation's name. */
  title: string;
  /** 纳税人识别号 (unified social credit code) for an organisation title. */
  taxId?: string;
  /** Where the electronic invoice is sent. */
  email: string;
  requestedAt: string;
  updatedAt: string;
}

export interface InvoiceRequestInput {
  title: string;
  taxId?: string;
  email: string;
}

/** Statuses in which the order was paid and delivered, so an invoice may be asked for. */
export const INVOICEABLE_STATUSES: readonly OrderStatus[] = ['issued', 'activated', 'shipped'];

const TAX_ID = /^[0-9A-HJ-NPQRTUWXY]{15,20}$/;
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,190}\.[A-Za-z]{2,24}$/;

interface Row {
  order_id: string;
  title: string;
  tax_id: string | null;
  email: string;
  requested_at: string;
  updated_at: string;
}

/** The fields as posted, checked; throws INVOICE_REQUEST_INVALID naming what is wrong. */
export function checkInvoiceRequest(raw: Record<string, unknown>): InvoiceRequestInput {
  const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string).trim() : '');
  const title = str('title');
  const taxId = str('taxId').toUpperCase();
  const email = str('email');
  const bad = (msg: string): never => {
    throw new CentralError('INVOICE_REQUEST_INVALID', msg);
  };
  if (title.length === 0 || title.length > 100)
    bad('请填写发票抬头（不超过 100 字）。 The invoice title is required (at most 100 characters).');
  if (taxId && !TAX_ID.test(taxId))
    bad('纳税人识别号为 15 至 20 位数字或大写字母。 The tax ID is 15 to 20 digits or capital letters.');
  if (!EMAIL.test(email))
    bad('请填写接收电子发票的邮箱。 An e-mail address for the electronic invoice is required.');
  return { title, ...(taxId ? { taxId } : {}), email };
}

export class InvoiceRequests {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  get(orderId: string): InvoiceRequest | undefined {
    const r = this.db.prepare('SELECT * FROM invoice_requests WHERE order_id = ?').get(orderId) as
      | Row
      | undefined;
    return r
      ? {
          orderId: r.order_id,
          title: r.title,
          ...(r.tax_id ? { taxId: r.tax_id } : {}),
          email: r.email,
          requestedAt: r.requested_at,
          updatedAt: r.updated_at,
        }
      : undefined;
  }

  /** Record (or replace the details of) the order's request; the order must be invoiceable. */
  request(orderId: string, status: OrderStatus, input: InvoiceRequestInput): InvoiceRequest {
    if (!INVOICEABLE_STATUSES.includes(status))
      throw new CentralError(
        'INVOICE_NOT_AVAILABLE',
        status === 'invoiced'
          ? '此订单已开票。 This order has been invoiced already.'
          : '证书领取后才能申请发票。 An invoice can be requested once the certificate has been collected.',
      );
    const at = new Date(this.now()).toISOString();
    this.db
      .prepare(
        `INSERT INTO invoice_requests (order_id, title, tax_id, email, requested_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (order_id) DO UPDATE SET title = excluded.title, tax_id = excluded.tax_id,
           email = excluded.email, updated_at = excluded.updated_at`,
      )
      .run(orderId, input.title, input.taxId ?? null, input.email, at, at);
    return this.get(orderId)!;
  }
}
