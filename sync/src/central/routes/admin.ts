// Operator API (Bearer admin token): orders and their life cycle, pickup codes, statements, appliances, revocation.
import { timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OrderAction, OrderStatus } from '../../contract/order-status.js';
import {
  ApplianceListResponseSchema,
  ApplianceSchema,
  type CreateOrderRequest,
  CreateOrderRequestSchema,
  errorResponses,
  type OrderActionRequest,
  OrderActionRequestSchema,
  OrderActionResponseSchema,
  OrderHistoryResponseSchema,
  OrderListResponseSchema,
  OrderSchema,
  OrderStatusSchema,
  PickupCodeResponseSchema,
  RevocationSchema,
  type RevokeRequest,
  RevokeRequestSchema,
  StatementImportResponseSchema,
} from '../../contract/schemas.js';
import { ApplianceRegistry } from '../appliances.js';
import { CentralError } from '../errors.js';

const ADMIN = [{ adminToken: [] }];

/** Actions central applies only as part of another operation (it also writes the certificate side). */
const OWN_ENDPOINT_ACTIONS: Partial<Record<OrderAction, string>> = {
  'issue-at-kiosk': 'certificate issuance (POST /v1/certificates)',
  'void-issuance': 'voiding the certificate at the issuing kiosk (POST /v1/certificates/:serialNumber/void)',
};
const OrderParams = Type.Object({ orderId: Type.String({ maxLength: 64 }) });

/** True when the request carries the admin token (Bearer header, or ?token= for pages opened in a browser). */
export function hasAdminToken(req: FastifyRequest, token: string): boolean {
  const auth = req.headers.authorization;
  const given = auth?.startsWith('Bearer ')
    ? auth.slice(7)
    : (req.query as { token?: string } | undefined)?.token;
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function registerAdminRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.central;
  app.addHook('preValidation', async (req) => {
    if (!hasAdminToken(req, ctx.adminToken)) throw new CentralError('ADMIN_UNAUTHORISED');
  });

  app.post<{ Body: CreateOrderRequest }>(
    '/orders',
    {
      schema: {
        summary: 'Create an order (status submitted)',
        tags: ['admin'],
        security: ADMIN,
        body: CreateOrderRequestSchema,
        response: { 201: OrderSchema, ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => reply.code(201).send(ctx.orders.create(req.body)),
  );

  app.get<{ Querystring: { status?: OrderStatus } }>(
    '/orders',
    {
      schema: {
        summary: 'List orders (oldest submission first), optionally of one status',
        tags: ['admin'],
        security: ADMIN,
        querystring: Type.Object({ status: Type.Optional(OrderStatusSchema) }),
        response: { 200: OrderListResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (req) => ({ orders: ctx.orders.list(req.query.status) }),
  );

  app.get(
    '/review-queue',
    {
      schema: {
        summary: 'Orders under review, first come first served by submission time',
        tags: ['admin'],
        security: ADMIN,
        response: { 200: OrderListResponseSchema, ...errorResponses(401) },
      },
    },
    async () => ({ orders: ctx.orders.list('under-review') }),
  );

  app.get<{ Params: { orderId: string } }>(
    '/orders/:orderId',
    {
      schema: {
        summary: 'One order',
        tags: ['admin'],
        security: ADMIN,
        params: OrderParams,
        response: { 200: OrderSchema, ...errorResponses(401, 404) },
      },
    },
    async (req) => ctx.orders.get(req.params.orderId),
  );

  app.post<{ Params: { orderId: string }; Body: OrderActionRequest }>(
    '/orders/:orderId/actions',
    {
      schema: {
        summary:
          'Apply a life-cycle action (pay-wechat, choose-transfer, approve, reject with reason, ship, …)',
        tags: ['admin'],
        security: ADMIN,
        params: OrderParams,
        body: OrderActionRequestSchema,
        response: { 200: OrderActionResponseSchema, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (req) => {
      const through = OWN_ENDPOINT_ACTIONS[req.body.action];
      if (through) {
        throw new CentralError(
          'ORDER_ILLEGAL_TRANSITION',
          `"${req.body.action}" happens only through ${through}.`,
        );
      }
      return ctx.orders.act(req.params.orderId, req.body);
    },
  );

  app.get<{ Params: { orderId: string } }>(
    '/orders/:orderId/history',
    {
      schema: {
        summary:
          'Every life-cycle step of an order, oldest first (voided issuances name appliance, journey and reason)',
        tags: ['admin'],
        security: ADMIN,
        params: OrderParams,
        response: { 200: OrderHistoryResponseSchema, ...errorResponses(401, 404) },
      },
    },
    async (req) => ({ history: ctx.orders.history(req.params.orderId) }),
  );

  app.get<{ Params: { orderId: string } }>(
    '/orders/:orderId/pickup-code',
    {
      schema: {
        summary: 'The current pickup code of an approved kiosk order',
        tags: ['admin'],
        security: ADMIN,
        params: OrderParams,
        response: { 200: PickupCodeResponseSchema, ...errorResponses(401, 404, 409) },
      },
    },
    async (req) => {
      const code = ctx.orders.pickupCode(req.params.orderId);
      if (!code)
        throw new CentralError('ORDER_NOT_APPROVED', 'Only an approved kiosk order has a pickup code.');
      return code;
    },
  );

  app.post<{ Params: { orderId: string } }>(
    '/orders/:orderId/pickup-code',
    {
      schema: {
        summary: 'Replace the pickup code (new nonce and expiry); the old one is refused at issuance',
        tags: ['admin'],
        security: ADMIN,
        params: OrderParams,
        response: { 200: PickupCodeResponseSchema, ...errorResponses(401, 404, 409) },
      },
    },
    async (req) => ctx.orders.refreshPickupCode(req.params.orderId),
  );

  app.get<{ Params: { orderId: string } }>(
    '/orders/:orderId/phone-page',
    {
      schema: {
        summary: 'Path of the applicant’s phone page for an order',
        tags: ['admin'],
        security: ADMIN,
        params: OrderParams,
        response: { 200: Type.Object({ path: Type.String() }), ...errorResponses(401, 404) },
      },
    },
    async (req) => ({ path: `/p/${ctx.orders.row(req.params.orderId).view_token}` }),
  );

  app.post<{ Body: string }>(
    '/statements',
    {
      schema: {
        summary: 'Import a bank statement (text/csv: date,amount,payer,remark[,reference]; amounts in yuan)',
        tags: ['admin'],
        security: ADMIN,
        consumes: ['text/csv'],
        body: Type.String({ maxLength: 5_000_000 }),
        response: { 200: StatementImportResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (req) => ctx.statements.import(req.body),
  );

  app.get(
    '/appliances',
    {
      schema: {
        summary: 'All enrolled appliances',
        tags: ['admin'],
        security: ADMIN,
        response: { 200: ApplianceListResponseSchema, ...errorResponses(401) },
      },
    },
    async () => ({ appliances: ctx.appliances.list().map((r) => ApplianceRegistry.toAppliance(r)) }),
  );

  for (const verb of ['approve', 'revoke'] as const) {
    app.post<{ Params: { applianceId: string } }>(
      `/appliances/:applianceId/${verb}`,
      {
        schema: {
          summary:
            verb === 'approve'
              ? 'Approve an enrolled appliance'
              : 'Revoke an appliance (its requests get 401)',
          tags: ['admin'],
          security: ADMIN,
          params: Type.Object({ applianceId: Type.String({ maxLength: 64 }) }),
          response: { 200: ApplianceSchema, ...errorResponses(401, 404) },
        },
      },
      async (req) => ctx.appliances[verb](req.params.applianceId),
    );
  }

  app.post<{ Params: { serial: string }; Body: RevokeRequest }>(
    '/certificates/:serial/revoke',
    {
      schema: {
        summary: 'Revoke a certificate (appears in the CRL and the change feed)',
        tags: ['admin', 'ca'],
        security: ADMIN,
        params: Type.Object({ serial: Type.String({ pattern: '^[0-9a-fA-F]{1,42}$' }) }),
        body: RevokeRequestSchema,
        response: { 200: RevocationSchema, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (req) => ctx.issuer.revoke(req.params.serial, req.body.reason),
  );
}
