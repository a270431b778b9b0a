// Page routes: the applicant's phone page (by its unguessable view token), the receipt page (the kiosk
// receipt's QR code: order id + random receipt token; masked status and the invoice request). The operations
// console (fleet page, live stream, per-appliance page) is in console-routes.ts.
// Both the phone and the receipt page take the invoice request and show the issued invoice's QR code; the phone
// page also takes the applicant's "I have paid" (我已打款) for a bank transfer. The bank statement pages of the
// operations console are in statement-routes.ts.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CENTRAL_ERRORS } from '../../contract/error-codes.js';
import { PickupCodeResponseSchema } from '../../contract/schemas.js';
import { CentralError } from '../errors.js';
import { checkInvoiceRequest } from '../invoice-requests.js';
import { invoiceCardHasForm } from '../invoices/invoice-card.js';
import type { OrderRow } from '../orders.js';
import { DEMO_PAY_NOTHING_OPEN } from './demo-pay-card.js';
import { renderPhonePage, statusLabel } from './phone-page.js';
import { renderReceiptNotFound, renderReceiptPage } from './receipt-page.js';
import { transferNotPendingMessage } from './transfer-card.js';

const FORM = 'application/x-www-form-urlencoded';

/** The invoice request form's fields, as posted. */
type InvoiceFormBody = { titleType?: string; title?: string; taxId?: string; email?: string };

/** The receipt page: a token in the URL, so no caching, no referrer, no indexing; nothing but its own form. */
function receiptHtml(reply: FastifyReply, status: number, body: string) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-robots-tag', 'noindex, nofollow')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    )
    .type('text/html; charset=utf-8')
    .send(body);
}

/** A phone-page button refused: the page again, with why, under the refusal's status (never cached). */
function refusedPage(reply: FastifyReply, status: number, page: string) {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page);
}

export async function registerPages(app: FastifyInstance): Promise<void> {
  const ctx = app.central;

  /** The order's pickup code, renewed (new nonce) when the shown one has expired. */
  const currentPickup = async (row: OrderRow) => {
    if (row.status !== 'approved' || row.delivery !== 'kiosk') return null;
    if (row.pickup_exp !== null && row.pickup_exp * 1000 <= ctx.now())
      return ctx.orders.refreshPickupCode(row.id);
    return ctx.orders.pickupCode(row.id);
  };
  const rowOr404 = async (token: string): Promise<OrderRow> => {
    const row = await ctx.orders.byViewToken(token);
    if (!row) throw new CentralError('ORDER_NOT_FOUND', 'No order behind this link.');
    return row;
  };
  const ViewParams = Type.Object({ viewToken: Type.String({ maxLength: 64 }) });
  const rateLimit = ctx.publicRateLimit;
  const phonePath = (row: OrderRow) => `/p/${encodeURIComponent(row.view_token)}`;
  /** The phone page's invoice card: from collection on (before, only to say why a request was refused). */
  const phoneInvoice = async (row: OrderRow, refused?: { formError: string; typed: InvoiceFormBody }) => {
    if (!refused && !invoiceCardHasForm(row.status) && row.status !== 'invoiced') return undefined;
    const { request, issued } = await ctx.invoicing.forPage(row.id);
    return {
      action: `${phonePath(row)}/invoice`,
      ...(request ? { request } : {}),
      ...(issued ? { issued } : {}),
      ...refused,
    };
  };

  const transferPath = (row: OrderRow) => `${phonePath(row)}/transfer-paid`;
  /** Demo only (the simulator is on): the pay button's card, shown while the order's kiosk payment is open. */
  const demoPayCard = async (row: OrderRow, refused?: string) =>
    ctx.demoPay
      ? {
          action: `${phonePath(row)}/demo-pay`,
          open: (await ctx.payments.openAttempt(row.id)) !== null,
          ...(refused ? { refused } : {}),
        }
      : undefined;

  app.get<{ Params: { viewToken: string } }>(
    '/p/:viewToken',
    {
      schema: { summary: 'Applicant phone page (HTML)', tags: ['pages'], params: ViewParams },
      config: { rateLimit },
    },
    async (req, reply) => {
      const row = await rowOr404(req.params.viewToken);
      const pickup = await currentPickup(row);
      return reply
        .type('text/html; charset=utf-8')
        .send(
          await renderPhonePage(
            await ctx.orders.toOrder(row),
            pickup,
            await phoneInvoice(row),
            { action: transferPath(row) },
            await demoPayCard(row),
          ),
        );
    },
  );

  const demoPay = ctx.demoPay;
  if (demoPay)
    app.post<{ Params: { viewToken: string } }>(
      '/p/:viewToken/demo-pay',
      {
        schema: {
          summary:
            'Demo only (the WeChat Pay simulator is on; absent with a real provider): pay the order’s open kiosk payment as a phone scanning its QR code would — the simulator notifies central; back to the page (303). 409 on the page when no kiosk payment is open',
          tags: ['pages'],
          params: ViewParams,
        },
        config: { rateLimit },
      },
      async (req, reply) => {
        const row = await rowOr404(req.params.viewToken);
        const outcome = await demoPay(row.id);
        if (!outcome?.ok) {
          const now = await ctx.orders.row(row.id);
          const page = await renderPhonePage(
            await ctx.orders.toOrder(now),
            await currentPickup(now),
            await phoneInvoice(now),
            { action: transferPath(now) },
            await demoPayCard(
              now,
              outcome ? `${DEMO_PAY_NOTHING_OPEN} (${outcome.message})` : DEMO_PAY_NOTHING_OPEN,
            ),
          );
          return refusedPage(reply, CENTRAL_ERRORS.PAYMENT_NOT_AVAILABLE[0], page);
        }
        return reply.header('cache-control', 'no-store').redirect(phonePath(row), 303);
      },
    );

  app.post<{ Params: { viewToken: string } }>(
    '/p/:viewToken/transfer-paid',
    {
      schema: {
        summary:
          'The applicant’s “I have paid” (我已打款) for a transfer-pending order: the time is recorded once (the order is paid only by the bank statement); back to the page (303). Refused (409, on the page) for an order not awaiting a transfer',
        tags: ['pages'],
        params: ViewParams,
      },
      config: { rateLimit },
    },
    async (req, reply) => {
      const row = await rowOr404(req.params.viewToken);
      try {
        await ctx.orders.act(row.id, { action: 'declare-transfer-paid' });
      } catch (err) {
        if (!(err instanceof CentralError && err.code === 'ORDER_ILLEGAL_TRANSITION')) throw err;
        const now = await ctx.orders.row(row.id);
        const order = await ctx.orders.toOrder(now);
        const page = await renderPhonePage(order, await currentPickup(now), await phoneInvoice(now), {
          action: transferPath(now),
          refused: transferNotPendingMessage(statusLabel(order)),
        });
        return refusedPage(reply, CENTRAL_ERRORS.TRANSFER_NOT_PENDING[0], page);
      }
      return reply.header('cache-control', 'no-store').redirect(phonePath(row), 303);
    },
  );

  app.get<{ Params: { viewToken: string } }>(
    '/p/:viewToken/pickup-code',
    {
      schema: {
        summary: 'The pickup code shown on the phone page, as JSON (what a QR scan of the page yields)',
        tags: ['pages'],
        params: ViewParams,
        response: { 200: PickupCodeResponseSchema },
      },
      config: { rateLimit },
    },
    async (req) => {
      const code = await currentPickup(await rowOr404(req.params.viewToken));
      if (!code)
        throw new CentralError(
          'ORDER_NOT_APPROVED',
          'This order has no pickup code (not approved for kiosk pickup).',
        );
      return code;
    },
  );

  // HTML forms post urlencoded; in this plugin only the invoice request reads it.
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const InvoiceFormSchema = Type.Object({
    titleType: Type.Optional(Type.String({ maxLength: 20 })),
    title: Type.Optional(Type.String({ maxLength: 200 })),
    taxId: Type.Optional(Type.String({ maxLength: 64 })),
    email: Type.Optional(Type.String({ maxLength: 320 })),
  });
  /** Record the posted request; a refusal (a CentralError) comes back as the page's form error. */
  const recordInvoiceForm = async (
    row: OrderRow,
    body: InvoiceFormBody | undefined,
  ): Promise<{ statusCode: number; formError: string; typed: InvoiceFormBody } | null> => {
    try {
      await ctx.invoices.request(row.id, row.status, checkInvoiceRequest(body ?? {}));
      return null;
    } catch (err) {
      if (!(err instanceof CentralError)) throw err;
      const { titleType, title, taxId, email } = body ?? {};
      return {
        statusCode: err.statusCode,
        formError: err.message,
        typed: { titleType, title, taxId, email },
      };
    }
  };

  app.post<{ Params: { viewToken: string }; Body: InvoiceFormBody }>(
    '/p/:viewToken/invoice',
    {
      schema: {
        summary:
          'Invoice request from the phone page (form: titleType, title, taxId for an organisation, email); back to the page (303)',
        tags: ['pages'],
        consumes: [FORM],
        params: ViewParams,
        body: InvoiceFormSchema,
      },
      config: { rateLimit },
    },
    async (req, reply) => {
      const row = await rowOr404(req.params.viewToken);
      const refused = await recordInvoiceForm(row, req.body);
      if (refused) {
        const { statusCode, ...shown } = refused;
        const page = await renderPhonePage(
          await ctx.orders.toOrder(row),
          null,
          await phoneInvoice(row, shown),
          {
            action: transferPath(row),
          },
        );
        return reply.code(statusCode).type('text/html; charset=utf-8').send(page);
      }
      return reply.header('cache-control', 'no-store').redirect(phonePath(row), 303);
    },
  );
  const ReceiptParams = Type.Object({
    orderId: Type.String({ maxLength: 64 }),
    receiptToken: Type.String({ maxLength: 64 }),
  });
  type ReceiptRoute = { Params: { orderId: string; receiptToken: string } };
  const receiptPath = (row: OrderRow) =>
    `/lookup/${encodeURIComponent(row.id)}/${encodeURIComponent(row.receipt_token)}`;

  app.get<ReceiptRoute>(
    '/lookup/:orderId/:receiptToken',
    {
      schema: {
        summary:
          'Receipt page (HTML; the kiosk receipt’s QR code): masked order status and the invoice request form. 404 unless the receipt token is the order’s',
        tags: ['pages'],
        params: ReceiptParams,
      },
      config: { rateLimit },
    },
    async (req, reply) => {
      const row = await ctx.orders.byReceiptToken(req.params.orderId, req.params.receiptToken);
      if (!row) return receiptHtml(reply, 404, renderReceiptNotFound());
      const { request, issued } = await ctx.invoicing.forPage(row.id);
      return receiptHtml(
        reply,
        200,
        renderReceiptPage({
          order: await ctx.orders.toOrder(row),
          path: receiptPath(row),
          ...(request ? { invoice: request } : {}),
          ...(issued ? { issued } : {}),
        }),
      );
    },
  );

  app.get<ReceiptRoute>(
    '/lookup/:orderId/:receiptToken/invoice',
    {
      schema: {
        summary:
          'The order’s invoice link (the QR code of a kiosk’s invoice slip): once issued, a redirect (303) to the invoice PDF; until then to the receipt page, which shows the request. 404 unless the receipt token is the order’s',
        tags: ['pages'],
        params: ReceiptParams,
      },
      config: { rateLimit },
    },
    async (req, reply) => {
      const row = await ctx.orders.byReceiptToken(req.params.orderId, req.params.receiptToken);
      if (!row) return receiptHtml(reply, 404, renderReceiptNotFound());
      return reply
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .redirect((await ctx.invoicing.issuedUrl(row.id)) ?? receiptPath(row), 303);
    },
  );

  app.post<ReceiptRoute & { Body: InvoiceFormBody }>(
    '/lookup/:orderId/:receiptToken/invoice',
    {
      schema: {
        summary:
          'Invoice request from the receipt page (form: titleType, title, taxId for an organisation, email); back to the page (303), which shows it submitted',
        tags: ['pages'],
        consumes: [FORM],
        params: ReceiptParams,
        body: InvoiceFormSchema,
      },
      config: { rateLimit },
    },
    async (req, reply) => {
      const row = await ctx.orders.byReceiptToken(req.params.orderId, req.params.receiptToken);
      if (!row) return receiptHtml(reply, 404, renderReceiptNotFound());
      const path = receiptPath(row);
      const refused = await recordInvoiceForm(row, req.body);
      if (refused) {
        const { request, issued } = await ctx.invoicing.forPage(row.id);
        return receiptHtml(
          reply,
          refused.statusCode,
          renderReceiptPage({
            order: await ctx.orders.toOrder(row),
            path,
            ...(request ? { invoice: request } : {}),
            ...(issued ? { issued } : {}),
            formError: refused.formError,
            typed: refused.typed,
          }),
        );
      }
      return reply
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .redirect(path, 303);
    },
  );
}
