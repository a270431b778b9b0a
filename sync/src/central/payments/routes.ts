// The payment endpoints: the kiosk's (signed appliance requests, like routes/appliance.ts), the provider's
// notify_url (authenticated by the platform signature on the raw body, answered in the provider's terms), and the
// operators' list of payments flagged for a refund.
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../contract/schemas.js';
import { operatorOnly } from '../admin-auth.js';
import { applianceAuth } from '../routes/appliance-auth.js';
import { NOTIFY_PATH } from './config.js';
import { NotificationRefused } from './notification.js';
import {
  AdminPaymentListQuerySchema,
  AdminPaymentListResponseSchema,
  type NativePaymentRequest,
  NativePaymentRequestSchema,
  NativePaymentResponseSchema,
  OrderIdParamsSchema,
  PaymentStatusSchema,
} from './schemas.js';

const SIGNED = [{ applianceSignature: [] }];
const ADMIN: Array<Record<string, string[]>> = [{ adminToken: [] }, { adminSession: [] }];

export async function registerPaymentRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.central;

  await app.register(async (signed) => {
    signed.addHook('preValidation', applianceAuth(ctx));
    const asking = (req: { appliance?: { id: string; hall: string } }) => ({
      id: req.appliance!.id,
      hall: req.appliance!.hall,
    });

    signed.post<{ Body: NativePaymentRequest }>(
      '/v1/payments/native',
      {
        schema: {
          summary:
            'Pay at the kiosk with WeChat Pay (Native): the QR code link (code_url), amount and expiry for an order of this kiosk’s hall awaiting payment; the open one again while it lasts (409 PAYMENT_NOT_AVAILABLE otherwise, 502 PAYMENT_PROVIDER_FAILED when WeChat Pay fails)',
          tags: ['appliance', 'payments'],
          security: SIGNED,
          body: NativePaymentRequestSchema,
          response: { 200: NativePaymentResponseSchema, ...errorResponses(400, 401, 403, 404, 409, 502) },
        },
      },
      async (req) => ctx.payments.startNative(req.body.orderId, asking(req)),
    );

    signed.get<{ Params: { orderId: string } }>(
      '/v1/payments/:orderId',
      {
        schema: {
          summary:
            'The kiosk payment of an order: pending, paid, closed (cancelled or expired — one past its expiry is queried and closed at WeChat Pay first; pending while WeChat Pay cannot be asked) or refund-pending (money arrived that was not taken; staff refund it)',
          tags: ['appliance', 'payments'],
          security: SIGNED,
          params: OrderIdParamsSchema,
          response: { 200: PaymentStatusSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => ctx.payments.status(req.params.orderId, asking(req)),
    );

    signed.post<{ Params: { orderId: string } }>(
      '/v1/payments/:orderId/cancel',
      {
        schema: {
          summary:
            'The kiosk session was cancelled: close the open WeChat Pay order (unless WeChat Pay says it was paid: then paid); a payment that still arrives is kept for a refund; idempotent',
          tags: ['appliance', 'payments'],
          security: SIGNED,
          params: OrderIdParamsSchema,
          response: { 200: PaymentStatusSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => ctx.payments.cancel(req.params.orderId, asking(req)),
    );
  });

  // The notify_url: nothing is parsed before the signature verifies, so this context keeps bodies as bytes.
  await app.register(async (provider) => {
    provider.removeAllContentTypeParsers();
    provider.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
      req.rawBody = body as Buffer;
      done(null, body);
    });
    provider.post(
      NOTIFY_PATH,
      {
        schema: {
          summary:
            'WeChat Pay payment notifications (JSON, resource AEAD_AES_256_GCM), verified on the raw body with the platform key (Wechatpay-Signature over timestamp, nonce, body; at most 5 minutes old); 200 with no body, or 4xx {"code":"FAIL","message":…}',
          tags: ['payments'],
        },
        config: { rateLimit: ctx.publicRateLimit },
      },
      async (req, reply) => {
        try {
          await ctx.payments.handleNotification(req.rawBody ?? Buffer.alloc(0), req.headers);
          return reply.code(200).send();
        } catch (err) {
          if (err instanceof NotificationRefused) {
            req.log.warn({ reason: err.reason }, `WeChat Pay notification refused: ${err.message}`);
            return reply.code(err.statusCode).send({ code: 'FAIL', message: err.message });
          }
          req.log.error(err);
          return reply
            .code(500)
            .send({ code: 'FAIL', message: 'Central failed to handle the notification.' });
        }
      },
    );
  });

  await app.register(
    async (admin) => {
      admin.addHook('preValidation', operatorOnly(ctx));
      admin.get<{ Querystring: { flagged?: '1' | '0' | 'true' | 'false' } }>(
        '/payments',
        {
          schema: {
            summary:
              'Kiosk payments, newest first; ?flagged=1: only those flagged for a refund (wrong amount, paid after the session was cancelled or expired, order no longer waiting, unknown order), each with its reason',
            tags: ['admin', 'payments'],
            security: ADMIN,
            querystring: AdminPaymentListQuerySchema,
            response: { 200: AdminPaymentListResponseSchema, ...errorResponses(400, 401) },
          },
        },
        async (req) => ({
          payments: await ctx.payments.list({
            flagged: req.query.flagged === '1' || req.query.flagged === 'true',
          }),
        }),
      );
    },
    { prefix: '/admin/v1' },
  );
}
