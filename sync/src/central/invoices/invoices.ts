import { lockSubject } from '../sql.js';
// Issued invoices: an operator issues the invoice of an order whose request is recorded (invoice-requests.ts)
// and whose life cycle allows the `invoice` action; that takes the year's next number, applies the action and
// tells the hall's kiosks through the change feed, in one transaction. One invoice per order: issuing again
// answers the same one. Its PDF is rendered after the transaction and kept; a PDF lost to a crash in between
// is rendered on its first fetch, from the invoice row alone. The PDF is public behind a random token.
//
// Issued by an operator rather than automatically: an issued invoice cannot be edited, only cancelled with a
// red-letter (红字) credit note, so finance checks the title against the credit code (the check character
// catches typing errors, not another company's valid code) and issues in its own rhythm; until then the
// applicant may still correct the request.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { BUSINESS_TYPE_LABELS, CERTIFICATE_TYPE_LABELS, maskName } from '@certkiosk/config';
import QRCode from 'qrcode';
import type { AdminInvoice, InvoiceRequestListResponse, InvoiceState } from '../../contract/invoices.js';
import { applyOrderAction } from '../../contract/order-status.js';
import { mapSeq } from '../async-list.js';
import type { ChangeFeed } from '../change-feed.js';
import { CentralError } from '../errors.js';
import { checkInvoiceRequest, type InvoiceRequest, type InvoiceRequests } from '../invoice-requests.js';
import type { OrderRow, OrderService } from '../orders.js';
import type { Db } from '../store.js';
import type { CjkFont } from './cjk-font.js';
import { nextInvoiceNumber } from './invoice-number.js';
import { type InvoiceContent, renderInvoicePdf } from './invoice-pdf.js';

/** The seller printed on every invoice: the CA (as its certificates name it). */
export const INVOICE_SELLER = 'CertKiosk Reference CA';

interface InvoiceRow {
  order_id: string;
  number: string;
  title: string;
  tax_id: string | null;
  email: string;
  item: string;
  amount_fen: number;
  fetch_token: string;
  issued_at: string;
  pdf: Buffer | null;
}

/** An issued invoice as the receipt and phone pages show it: with its link as a QR code. */
export interface IssuedInvoiceView {
  number: string;
  amountFen: number;
  issuedAt: string;
  url: string;
  qrSvg: string;
}

/** The appliance asking, as its signed request names it. */
export interface AskingAppliance {
  id: string;
  hall: string;
}

export class Invoices {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly orders: OrderService,
    private readonly requests: InvoiceRequests,
    private readonly changes: ChangeFeed,
    private readonly publicBaseUrl: () => string,
    /** The font to embed (findCjkFont); asked before a number is taken. */
    private readonly font: () => CjkFont,
  ) {}

  private async row(orderId: string): Promise<InvoiceRow | undefined> {
    return (await this.db.get('SELECT * FROM invoices WHERE order_id = ?', orderId)) as
      | InvoiceRow
      | undefined;
  }

  /** The order, for an appliance of its hall only. */
  private async orderFor(orderId: string, asking: AskingAppliance): Promise<OrderRow> {
    const order = await this.orders.row(orderId);
    if (order.hall !== asking.hall) throw new CentralError('ORDER_WRONG_HALL');
    return order;
  }

  /** `<public URL>/v1/invoices/<number>/<token>.pdf` */
  url(r: Pick<InvoiceRow, 'number' | 'fetch_token'>): string {
    return `${this.publicBaseUrl()}/v1/invoices/${encodeURIComponent(r.number)}/${r.fetch_token}.pdf`;
  }

  /**
   * The order's invoice link, behind its receipt token (`<receipt page>/invoice`): the PDF once issued, the receipt
   * page until then. None without a public URL.
   */
  link(order: OrderRow): string | undefined {
    const page = this.orders.receiptUrl(order);
    return page ? `${page}/invoice` : undefined;
  }

  /** The issued invoice's PDF link of an order, or undefined while it is not issued. */
  async issuedUrl(orderId: string): Promise<string | undefined> {
    const r = await this.row(orderId);
    return r ? this.url(r) : undefined;
  }

  /** A kiosk's request (checked like the receipt page's form): recorded or replaced until invoiced. */
  async request(
    orderId: string,
    asking: AskingAppliance,
    body: Record<string, unknown>,
  ): Promise<InvoiceState> {
    const order = await this.orderFor(orderId, asking);
    await this.requests.request(order.id, order.status, checkInvoiceRequest(body));
    return this.state(order.id, asking);
  }

  /** The order's invoice as its hall's kiosk may see it; INVOICE_NOT_REQUESTED when there is none. */
  async state(orderId: string, asking: AskingAppliance): Promise<InvoiceState> {
    const order = await this.orderFor(orderId, asking);
    const request = await this.requests.get(order.id);
    if (!request) throw new CentralError('INVOICE_NOT_REQUESTED');
    const link = this.link(order);
    const requested = {
      orderId: order.id,
      titleType: request.titleType,
      // A person's name is masked, as on the receipt: whoever scans a receipt at a kiosk may ask.
      title: request.titleType === 'person' ? maskName(request.title) : request.title,
      requestedAt: request.requestedAt,
      ...(link ? { link } : {}),
    };
    const inv = await this.row(order.id);
    if (!inv) return { state: 'requested', ...requested, amountFen: order.price_fen };
    return {
      state: 'issued',
      ...requested,
      number: inv.number,
      amountFen: inv.amount_fen,
      issuedAt: inv.issued_at,
      url: this.url(inv),
    };
  }

  /**
   * Issue the order's invoice (operator): refused with INVOICE_NOT_AVAILABLE unless the life cycle allows the
   * `invoice` action (paid, and the certificate activated), INVOICE_NOT_REQUESTED without a request,
   * INVOICE_FONT_MISSING without a font — each before anything is written. An invoiced order answers its invoice.
   */
  async issue(orderId: string): Promise<AdminInvoice> {
    let inv = await this.row(orderId);
    if (!inv) {
      this.font(); // throws INVOICE_FONT_MISSING before a number is taken
      inv = await this.take(orderId);
    }
    await this.pdfOf(inv);
    return this.toAdmin(inv);
  }

  /** Number, order action and change, in one transaction. */
  private async take(orderId: string): Promise<InvoiceRow> {
    return await this.db.transaction(async (): Promise<InvoiceRow> => {
      await lockSubject(this.db, 'invoice-numbers');
      const already = await this.row(orderId);
      if (already) return already;
      const order = await this.orders.row(orderId);
      const t = applyOrderAction(order.status, 'invoice', order.business_type);
      if (!t.ok)
        throw new CentralError(
          'INVOICE_NOT_AVAILABLE',
          `此订单（${order.status}）暂不能开票：订单支付且证书激活后方可开具。 An order is invoiced once it is paid and its certificate activated; this one is "${order.status}".`,
        );
      const request = await this.requests.get(orderId);
      if (!request) throw new CentralError('INVOICE_NOT_REQUESTED');
      const at = new Date(this.now()).toISOString();
      const { year, seq, number } = await nextInvoiceNumber(this.db, at);
      const type = CERTIFICATE_TYPE_LABELS[order.certificate_type].zh;
      const kind = BUSINESS_TYPE_LABELS[order.business_type].zh;
      await this.db.run(
        `INSERT INTO invoices (order_id, number, year, seq, title, tax_id, email, item, amount_fen, fetch_token,
             issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        order.id,
        number,
        year,
        seq,
        request.title,
        request.taxId ?? null,
        request.email,
        `数字证书服务（${kind}，${type}，${order.service_years} 年）`,
        order.price_fen,
        randomBytes(16).toString('base64url'),
        at,
      );
      await this.orders.act(order.id, { action: 'invoice' });
      // An order.updated change (a type every agent's contract knows) carrying the invoice; not its link: the
      // feed is kept for good and goes to every kiosk of the hall, the link's token is asked for when shown.
      await this.changes.record('order.updated', order.hall, order.id, {
        status: t.to,
        invoice: { state: 'issued', number, amountFen: order.price_fen, issuedAt: at },
      });
      return (await this.row(order.id))!;
    });
  }

  private content(r: InvoiceRow): InvoiceContent {
    return {
      number: r.number,
      issuedAt: r.issued_at,
      titleType: r.tax_id ? 'organisation' : 'person',
      title: r.title,
      ...(r.tax_id ? { taxId: r.tax_id } : {}),
      amountFen: r.amount_fen,
      item: r.item,
      orderId: r.order_id,
      seller: INVOICE_SELLER,
    };
  }

  /** The invoice's PDF: the kept one, or rendered now and kept (the first writer wins). */
  private async pdfOf(r: InvoiceRow): Promise<Buffer> {
    if (r.pdf) return r.pdf;
    const pdf = await renderInvoicePdf(this.content(r), this.font());
    await this.db.run('UPDATE invoices SET pdf = ? WHERE order_id = ? AND pdf IS NULL', pdf, r.order_id);
    return (await this.row(r.order_id))!.pdf ?? pdf;
  }

  /** The PDF behind a public link; INVOICE_NOT_FOUND alike for an unknown number and a wrong token. */
  async pdf(number: string, token: string): Promise<{ number: string; pdf: Buffer }> {
    const r = (await this.db.get('SELECT * FROM invoices WHERE number = ?', number)) as
      | InvoiceRow
      | undefined;
    // Compared even for an unknown number (against a dummy), so the timing does not tell the two apart.
    const want = Buffer.from(r?.fetch_token ?? '-'.repeat(22), 'utf8');
    const got = Buffer.from(token, 'utf8');
    const same = want.length === got.length && timingSafeEqual(want, got);
    if (!r || !same) throw new CentralError('INVOICE_NOT_FOUND');
    return { number: r.number, pdf: await this.pdfOf(r) };
  }

  /** What the receipt and phone pages show of the order's invoice. */
  async forPage(orderId: string): Promise<{ request?: InvoiceRequest; issued?: IssuedInvoiceView }> {
    const request = await this.requests.get(orderId);
    const r = await this.row(orderId);
    if (!r) return request ? { request } : {};
    const url = this.url(r);
    const qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return {
      ...(request ? { request } : {}),
      issued: { number: r.number, amountFen: r.amount_fen, issuedAt: r.issued_at, url, qrSvg },
    };
  }

  private toAdmin(r: InvoiceRow): AdminInvoice {
    return {
      orderId: r.order_id,
      number: r.number,
      titleType: r.tax_id ? 'organisation' : 'person',
      title: r.title,
      ...(r.tax_id ? { taxId: r.tax_id } : {}),
      email: r.email,
      amountFen: r.amount_fen,
      issuedAt: r.issued_at,
      url: this.url(r),
    };
  }

  /** Requests not invoiced yet, oldest first, each with whether it can be issued now. */
  async pending(): Promise<InvoiceRequestListResponse> {
    const rows =
      (await this.db.all(`SELECT r.order_id FROM invoice_requests r LEFT JOIN invoices i ON i.order_id = r.order_id
         WHERE i.order_id IS NULL ORDER BY r.requested_at, r.order_id`)) as Array<{ order_id: string }>;
    return {
      requests: await mapSeq(rows, async ({ order_id }) => {
        const request = (await this.requests.get(order_id))!;
        const order = await this.orders.row(order_id);
        return {
          orderId: order_id,
          titleType: request.titleType,
          title: request.title,
          ...(request.taxId ? { taxId: request.taxId } : {}),
          email: request.email,
          requestedAt: request.requestedAt,
          amountFen: order.price_fen,
          issuable: applyOrderAction(order.status, 'invoice', order.business_type).ok,
        };
      }),
    };
  }
}
