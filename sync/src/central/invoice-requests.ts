// Invoice requests made on the receipt page (the receipt's QR code), the phone page or a kiosk: one per order,
// its details replaceable until the order is invoiced. Operators issue the invoice (invoices/invoices.ts, which
// applies the order action `invoice`) from what is recorded here.
import type { CentralErrorCode } from '../contract/error-codes.js';
import { INVOICEABLE_STATUSES, type InvoiceTitleType } from '../contract/invoices.js';
import type { OrderStatus } from '../contract/order-status.js';
import { normaliseUscc, type UsccProblemKind, usccProblem } from '../contract/uscc.js';
import { CentralError } from './errors.js';
import type { Db } from './store.js';

export interface InvoiceRequest {
  orderId: string;
  /** An organisation title is the one with a credit code (the fact is stored once: tax_id). */
  titleType: InvoiceTitleType;
  /** 发票抬头: a person's or organisation's name. */
  title: string;
  /** 纳税人识别号: the organisation's unified social credit code (GB 32100, checked). */
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

export { INVOICEABLE_STATUSES } from '../contract/invoices.js';

/** Each way a credit code can be wrong has its own stable code, so a UI can say which. */
const USCC_ERRORS: Record<UsccProblemKind, CentralErrorCode> = {
  length: 'USCC_WRONG_LENGTH',
  character: 'USCC_FORBIDDEN_CHARACTER',
  check: 'USCC_CHECK_MISMATCH',
  'organisation-check': 'USCC_ORGANISATION_CODE_MISMATCH',
};
/** An address mail servers take: dot-atom local part, host names of letters, digits and inner hyphens. */
const EMAIL =
  /^(?=.{3,254}$)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$/;

interface Row {
  order_id: string;
  title: string;
  tax_id: string | null;
  email: string;
  requested_at: string;
  updated_at: string;
}

/**
 * The fields as posted (form or JSON), checked; throws INVOICE_REQUEST_INVALID naming what is wrong, or the
 * credit code's own USCC_* code. Without `titleType` (the receipt form of old) a credit code makes it an
 * organisation.
 */
export function checkInvoiceRequest(raw: Record<string, unknown>): InvoiceRequestInput {
  const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string).trim() : '');
  const title = str('title');
  const taxId = normaliseUscc(str('taxId'));
  const email = str('email');
  const titleType = str('titleType') || (taxId ? 'organisation' : 'person');
  const bad = (msg: string): never => {
    throw new CentralError('INVOICE_REQUEST_INVALID', msg);
  };
  if (titleType !== 'person' && titleType !== 'organisation')
    bad('抬头类型为个人或单位。 The title is a person or an organisation.');
  if (title.length === 0 || title.length > 100)
    bad('请填写发票抬头（不超过 100 字）。 The invoice title is required (at most 100 characters).');
  if (titleType === 'organisation' && !taxId)
    bad(
      '单位抬头须填写统一社会信用代码。 An organisation title needs its unified social credit code (tax ID).',
    );
  if (titleType === 'person' && taxId)
    bad('个人抬头无需填写统一社会信用代码。 A person’s title has no unified social credit code.');
  const problem = taxId ? usccProblem(taxId) : null;
  if (problem) throw new CentralError(USCC_ERRORS[problem.kind], problem.message);
  if (!email) bad('请填写接收电子发票的邮箱。 An e-mail address for the electronic invoice is required.');
  if (!EMAIL.test(email) || email.split('@')[0]!.length > 64)
    bad(
      '请填写接收电子发票的邮箱，格式如 name@example.cn。 The e-mail address is not valid (like name@example.cn).',
    );
  return { title, ...(taxId ? { taxId } : {}), email };
}

export class InvoiceRequests {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  async get(orderId: string): Promise<InvoiceRequest | undefined> {
    const r = (await this.db.get('SELECT * FROM invoice_requests WHERE order_id = ?', orderId)) as
      | Row
      | undefined;
    return r
      ? {
          orderId: r.order_id,
          titleType: r.tax_id ? 'organisation' : 'person',
          title: r.title,
          ...(r.tax_id ? { taxId: r.tax_id } : {}),
          email: r.email,
          requestedAt: r.requested_at,
          updatedAt: r.updated_at,
        }
      : undefined;
  }

  /** Record (or replace the details of) the order's request; the order must be invoiceable. */
  async request(orderId: string, status: OrderStatus, input: InvoiceRequestInput): Promise<InvoiceRequest> {
    if (!INVOICEABLE_STATUSES.includes(status))
      throw new CentralError(
        'INVOICE_NOT_AVAILABLE',
        status === 'invoiced'
          ? '此订单已开票。 This order has been invoiced already.'
          : '证书领取后才能申请发票。 An invoice can be requested once the certificate has been collected.',
      );
    const at = new Date(this.now()).toISOString();
    await this.db.run(
      `INSERT INTO invoice_requests (order_id, title, tax_id, email, requested_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (order_id) DO UPDATE SET title = excluded.title, tax_id = excluded.tax_id,
           email = excluded.email, updated_at = excluded.updated_at`,
      orderId,
      input.title,
      input.taxId ?? null,
      input.email,
      at,
      at,
    );
    return (await this.get(orderId))!;
  }
}
