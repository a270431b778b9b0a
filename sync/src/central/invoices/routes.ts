// Invoice endpoints: a kiosk requests and reads the invoice of an order of its hall (signed appliance routes),
// an operator lists the requests and issues (admin routes), and anyone holding the link fetches the PDF
// (public, rate-limited, behind the invoice's random token).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  AdminInvoiceSchema,
  INVOICE_NUMBER_PATTERN,
  type InvoiceRequestBody,
  InvoiceRequestBodySchema,
  InvoiceRequestListResponseSchema,
  InvoiceStateSchema,
} from '../../contract/invoices.js';
import { errorResponses } from '../../contract/schemas.js';
import { operatorOnly } from '../admin-auth.js';
import { CentralError } from '../errors.js';
import { applianceAuth } from '../routes/appliance-auth.js';

const SIGNED = [{ applianceSignature: [] }];
const ADMIN: Array<Record<string, string[]>> = [{ adminToken: [] }, { adminSession: [] }];
const OrderParams = Type.Object({ orderId: Type.String({ maxLength: 64 }) });
type OrderRoute = { Params: { orderId: string } };

export async function registerInvoiceRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.central;

  app.get<{ Params: { number: string; file: string } }>(
    '/v1/invoices/:number/:file',
    {
      schema: {
        summary:
          'An issued invoice as PDF (`<number>/<token>.pdf`, the link a kiosk or page shows as a QR code); 404 INVOICE_NOT_FOUND alike for an unknown number and a wrong token',
        tags: ['invoices'],
        params: Type.Object({
          number: Type.String({ pattern: INVOICE_NUMBER_PATTERN }),
          file: Type.String({ maxLength: 64 }),
        }),
        response: { 200: { type: 'string', description: 'application/pdf' }, ...errorResponses(404, 429) },
      },
      config: { rateLimit: ctx.publicRateLimit },
    },
    async (req, reply) => {
      const token = /^([A-Za-z0-9_-]{1,60})\.pdf$/.exec(req.params.file)?.[1];
      if (!token) throw new CentralError('INVOICE_NOT_FOUND');
      const { number, pdf } = await ctx.invoicing.pdf(req.params.number, token);
      // A token in the URL: not cached, not passed on as a referrer, not indexed.
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="invoice-${number}.pdf"`)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-robots-tag', 'noindex, nofollow')
        .send(pdf);
    },
  );

  await app.register(async (signed) => {
    signed.addHook('preValidation', applianceAuth(ctx));
    const asking = (req: { appliance?: { id: string; hall: string } }) => ({
      id: req.appliance!.id,
      hall: req.appliance!.hall,
    });

    signed.post<OrderRoute & { Body: InvoiceRequestBody }>(
      '/v1/orders/:orderId/invoice-request',
      {
        schema: {
          summary:
            'Request the invoice of a collected order of this appliance’s hall (title: a person, or an organisation with its unified social credit code, checked; e-mail); replaces the details until it is issued',
          tags: ['appliance', 'invoices'],
          security: SIGNED,
          params: OrderParams,
          body: InvoiceRequestBodySchema,
          response: { 200: InvoiceStateSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => ctx.invoicing.request(req.params.orderId, asking(req), req.body),
    );

    signed.get<OrderRoute>(
      '/v1/orders/:orderId/invoice',
      {
        schema: {
          summary:
            'The invoice of an order of this appliance’s hall: requested, or issued with its number, amount and PDF link; 404 INVOICE_NOT_REQUESTED when none was asked for',
          tags: ['appliance', 'invoices'],
          security: SIGNED,
          params: OrderParams,
          response: { 200: InvoiceStateSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => ctx.invoicing.state(req.params.orderId, asking(req)),
    );
  });

  await app.register(
    async (admin) => {
      admin.addHook('preValidation', operatorOnly(ctx));

      admin.get(
        '/invoice-requests',
        {
          schema: {
            summary:
              'Invoice requests not invoiced yet, oldest first, each with whether it can be issued now',
            tags: ['admin', 'invoices'],
            security: ADMIN,
            response: { 200: InvoiceRequestListResponseSchema, ...errorResponses(401) },
          },
        },
        async () => ctx.invoicing.pending(),
      );

      admin.post<OrderRoute>(
        '/orders/:orderId/invoice',
        {
          schema: {
            summary:
              'Issue the order’s invoice from its request (paid, certificate activated): the year’s next number, the PDF, order action `invoice`; issuing again answers the same invoice',
            tags: ['admin', 'invoices'],
            security: ADMIN,
            params: OrderParams,
            response: { 200: AdminInvoiceSchema, ...errorResponses(401, 404, 409, 500) },
          },
        },
        async (req) => ctx.invoicing.issue(req.params.orderId),
      );
    },
    { prefix: '/admin/v1' },
  );
}
