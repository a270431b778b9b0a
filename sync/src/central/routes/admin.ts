// Operator API (Bearer admin token or login session): orders and their life cycle, pickup codes, bank statements
// and their operator queue, appliances, revocation.

import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { OrderAction, OrderStatus } from '../../contract/order-status.js';
import {
  AdminCertificateListResponseSchema,
  AdminCertificateSchema,
  AdminUnlockListResponseSchema,
  AlarmListResponseSchema,
  AlarmSchema,
  ApplianceListResponseSchema,
  ApplianceSchema,
  type ApproveApplianceRequest,
  ApproveApplianceRequestSchema,
  type AssignStatementLineRequest,
  AssignStatementLineRequestSchema,
  AssignStatementLineResponseSchema,
  type CreateOrderRequest,
  CreateOrderRequestSchema,
  type DismissStatementLineRequest,
  DismissStatementLineRequestSchema,
  errorResponses,
  IssuedCertificateSchema,
  type OrderActionRequest,
  OrderActionRequestSchema,
  OrderActionResponseSchema,
  OrderHistoryResponseSchema,
  OrderListResponseSchema,
  OrderSchema,
  OrderStatusSchema,
  PickupCodeResponseSchema,
  QueuedStatementLineSchema,
  type RegisterApplianceRequest,
  RegisterApplianceRequestSchema,
  RegisterApplianceResponseSchema,
  RevocationSchema,
  type RevokeRequest,
  RevokeRequestSchema,
  StatementImportResponseSchema,
  StatementQueueResponseSchema,
  type TokenBindingRequest,
  TokenBindingRequestSchema,
  type WorkshopIssueRequest,
  WorkshopIssueRequestSchema,
} from '../../contract/schemas.js';
import { operatorOnly } from '../admin-auth.js';
import { ApplianceRegistry, type ApplianceRow } from '../appliances.js';
import { mapSeq } from '../async-list.js';
import type { CentralContext } from '../context.js';
import { CentralError } from '../errors.js';
import { STATEMENT_MAX_BYTES } from '../statement.js';

const ADMIN: Array<Record<string, string[]>> = [{ adminToken: [] }, { adminSession: [] }];

/** Actions central applies only as part of another operation (it also writes the certificate side). */
const OWN_ENDPOINT_ACTIONS: Partial<Record<OrderAction, string>> = {
  'issue-at-kiosk': 'certificate issuance (POST /v1/certificates)',
  'issue-renewal': 'certificate issuance (POST /v1/certificates)',
  'void-issuance': 'voiding the certificate at the issuing kiosk (POST /v1/certificates/:serialNumber/void)',
  'void-renewal': 'voiding the certificate at the issuing kiosk (POST /v1/certificates/:serialNumber/void)',
  invoice: 'issuing the invoice (POST /admin/v1/orders/:orderId/invoice)',
};
const OrderParams = Type.Object({ orderId: Type.String({ maxLength: 64 }) });

/** The approve body: none (approves as before; Fastify validates a missing body as null), or {keyFingerprint}. */
const ApproveBodySchema = Type.Union([ApproveApplianceRequestSchema, Type.Null()]);

/** The operator's view of an appliance: enrolled key fingerprint, last audit head, open alarms. */
export async function adminAppliance(ctx: CentralContext, r: ApplianceRow) {
  const hb = r.heartbeat_json
    ? (JSON.parse(r.heartbeat_json) as { auditHead?: { seq: number; hash: string; at: string } })
    : null;
  const head = hb?.auditHead;
  return {
    ...ApplianceRegistry.toAppliance(r),
    ...(head && r.last_heartbeat_at
      ? { auditHead: { seq: head.seq, hash: head.hash, at: head.at, receivedAt: r.last_heartbeat_at } }
      : {}),
    alarms: await ctx.alarms.list({ applianceId: r.id }),
  };
}

export async function registerAdminRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.central;
  app.addHook('preValidation', operatorOnly(ctx));

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
    async (req, reply) => reply.code(201).send(await ctx.orders.create(req.body)),
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
    async (req) => ({ orders: await ctx.orders.list(req.query.status) }),
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
    async () => ({ orders: await ctx.orders.list('under-review') }),
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
    async (req) => ({ history: await ctx.orders.history(req.params.orderId) }),
  );

  app.post<{ Params: { orderId: string } }>(
    '/orders/:orderId/identity-attempts/reset',
    {
      schema: {
        summary: 'Give an order its ID-card tries back (staff checked the applicant in person)',
        tags: ['admin'],
        security: ADMIN,
        params: OrderParams,
        response: {
          200: Type.Object({ orderId: Type.String(), attemptsLeft: Type.Integer() }),
          ...errorResponses(401, 404),
        },
      },
    },
    async (req) => {
      const row = await ctx.orders.row(req.params.orderId);
      await ctx.identityAttempts.reset(row.id);
      return { orderId: row.id, attemptsLeft: await ctx.identityAttempts.left(row.id) };
    },
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
      const code = await ctx.orders.pickupCode(req.params.orderId);
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
    async (req) => ({ path: `/p/${(await ctx.orders.row(req.params.orderId)).view_token}` }),
  );

  app.post<{ Body: string }>(
    '/statements',
    {
      schema: {
        summary:
          'Import a bank statement (text/csv: date,amount,payer,remark[,reference]; amounts in yuan): a line that fits one transfer-pending order by remittance code and amount pays it, other credits go to the operator queue, lines imported before are only reported; a line that cannot be read refuses the file (STATEMENT_MALFORMED, nothing stored)',
        tags: ['admin'],
        security: ADMIN,
        consumes: ['text/csv'],
        body: Type.String({ maxLength: STATEMENT_MAX_BYTES }),
        response: { 200: StatementImportResponseSchema, ...errorResponses(400, 401) },
      },
      bodyLimit: STATEMENT_MAX_BYTES,
    },
    async (req) => ctx.statements.import(req.body),
  );

  const QueueParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
  app.get<{ Querystring: { state?: 'open' | 'resolved' } }>(
    '/statement-queue',
    {
      schema: {
        summary:
          'Bank statement lines the import left to an operator (open: oldest first; resolved: newest first)',
        tags: ['admin'],
        security: ADMIN,
        querystring: Type.Object({
          state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved')])),
        }),
        response: { 200: StatementQueueResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (req) => ({ lines: await ctx.statementQueue.list(req.query.state ?? 'open') }),
  );

  app.post<{ Params: { id: number }; Body: AssignStatementLineRequest }>(
    '/statement-queue/:id/assign',
    {
      schema: {
        summary:
          'Assign a queued statement line to a transfer-pending order of the same price: the order is paid, its history naming the operator',
        tags: ['admin'],
        security: ADMIN,
        params: QueueParams,
        body: AssignStatementLineRequestSchema,
        response: { 200: AssignStatementLineResponseSchema, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (req) => ctx.statementQueue.assign(req.params.id, req.body),
  );

  app.post<{ Params: { id: number }; Body: DismissStatementLineRequest }>(
    '/statement-queue/:id/dismiss',
    {
      schema: {
        summary: 'Dismiss a queued statement line with the reason (no order changes)',
        tags: ['admin'],
        security: ADMIN,
        params: QueueParams,
        body: DismissStatementLineRequestSchema,
        response: { 200: QueuedStatementLineSchema, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (req) => ctx.statementQueue.dismiss(req.params.id, req.body),
  );

  app.post<{ Body: RegisterApplianceRequest }>(
    '/appliances',
    {
      schema: {
        summary:
          'Register an appliance for a hall: answers its one-time enrolment code (shown once, single use, default 7 days)',
        tags: ['admin'],
        security: ADMIN,
        body: RegisterApplianceRequestSchema,
        response: { 201: RegisterApplianceResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .header('cache-control', 'no-store')
        .send(await ctx.appliances.register(req.body.applianceId, req.body.hall, req.body.validDays)),
  );

  app.get(
    '/appliances',
    {
      schema: {
        summary: 'All enrolled appliances, with key fingerprint, last audit head and open alarms',
        tags: ['admin'],
        security: ADMIN,
        response: { 200: ApplianceListResponseSchema, ...errorResponses(401) },
      },
    },
    async () => ({
      appliances: await mapSeq(await ctx.appliances.list(), async (r) => adminAppliance(ctx, r)),
    }),
  );

  const ApplianceParams = Type.Object({ applianceId: Type.String({ maxLength: 64 }) });
  app.post<{ Params: { applianceId: string }; Body: ApproveApplianceRequest | null }>(
    '/appliances/:applianceId/approve',
    {
      schema: {
        summary:
          'Approve an enrolled appliance; with {keyFingerprint} (as read on the kiosk) a different enrolled key is refused',
        tags: ['admin'],
        security: ADMIN,
        params: ApplianceParams,
        body: ApproveBodySchema,
        response: { 200: ApplianceSchema, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (req) => ctx.appliances.approve(req.params.applianceId, req.body?.keyFingerprint),
  );

  app.post<{ Params: { applianceId: string } }>(
    '/appliances/:applianceId/revoke',
    {
      schema: {
        summary: 'Revoke an appliance (its requests get 401)',
        tags: ['admin'],
        security: ADMIN,
        params: ApplianceParams,
        response: { 200: ApplianceSchema, ...errorResponses(401, 404) },
      },
    },
    async (req) => ctx.appliances.revoke(req.params.applianceId),
  );

  app.get<{ Querystring: { all?: boolean; applianceId?: string } }>(
    '/alarms',
    {
      schema: {
        summary:
          'Alarms (audit log truncated, forked, badly signed; reported by the appliance; conditions from heartbeats: stale, device error, paper out, low stock, in doubt, parked events), newest first; open ones (neither acknowledged nor cleared) unless all=true',
        tags: ['admin'],
        security: ADMIN,
        querystring: Type.Object({
          all: Type.Optional(Type.Boolean()),
          applianceId: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: { 200: AlarmListResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (req) => {
      await ctx.fleetAlarms.sweepStaleIfDue();
      return {
        alarms: await ctx.alarms.list({
          ...(req.query.applianceId ? { applianceId: req.query.applianceId } : {}),
          includeAcknowledged: req.query.all === true,
        }),
      };
    },
  );

  app.get<{ Querystring: { actor?: string; action?: string } }>(
    '/operator-audit',
    {
      schema: {
        summary:
          'The operator audit, newest first (at most 200): logins and failed logins, and every operator request that changed something (alarm acknowledged, appliance approved …) by its route, with who made it (an operator, or admin-token)',
        tags: ['admin'],
        security: ADMIN,
        querystring: Type.Object(
          {
            actor: Type.Optional(Type.String({ maxLength: 64 })),
            action: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            entries: Type.Array(
              Type.Object({
                id: Type.Integer(),
                at: Type.String({ format: 'date-time' }),
                actor: Type.String(),
                action: Type.String(),
                subject: Type.String(),
                details: Type.Record(Type.String(), Type.Unknown()),
              }),
            ),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (req) => ({
      entries: await ctx.operators.auditLog({
        ...(req.query.actor ? { actor: req.query.actor } : {}),
        ...(req.query.action ? { action: req.query.action } : {}),
      }),
    }),
  );

  app.post<{ Params: { alarmId: number } }>(
    '/alarms/:alarmId/acknowledge',
    {
      schema: {
        summary:
          'Acknowledge an alarm; for an audit alarm the appliance’s current audit head becomes the new baseline',
        tags: ['admin'],
        security: ADMIN,
        params: Type.Object({ alarmId: Type.Integer({ minimum: 1 }) }),
        response: { 200: AlarmSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => ctx.alarms.acknowledge(req.params.alarmId),
  );

  app.get<{ Params: { orderId: string } }>(
    '/orders/:orderId/certificates',
    {
      schema: {
        summary:
          'The certificates of an order, newest first: issuing appliance, key evidence, the signed identity statement, revocation and void',
        tags: ['admin', 'ca'],
        security: ADMIN,
        params: OrderParams,
        response: { 200: AdminCertificateListResponseSchema, ...errorResponses(401, 404) },
      },
    },
    async (req) => ({ certificates: await ctx.issuer.certificatesOfOrder(req.params.orderId) }),
  );

  app.post<{ Params: { orderId: string }; Body: WorkshopIssueRequest }>(
    '/orders/:orderId/certificates',
    {
      schema: {
        summary:
          'The CA’s key workshop: certify a CSR made on a key to be couriered (approved courier order), recording the key’s token serial; then ship the order',
        tags: ['admin', 'ca'],
        security: ADMIN,
        params: OrderParams,
        body: WorkshopIssueRequestSchema,
        response: { 200: IssuedCertificateSchema, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (req) => ctx.issuer.workshopIssue(req.params.orderId, req.body.csrPem, req.body.tokenSerial),
  );

  app.post<{ Params: { serial: string }; Body: TokenBindingRequest }>(
    '/certificates/:serial/token',
    {
      schema: {
        summary:
          'Record the key (token serial) a CA-issued certificate is on — a couriered key, or the demo’s SoftHSM token holding a seeded certificate',
        tags: ['admin', 'ca'],
        security: ADMIN,
        params: Type.Object({ serial: Type.String({ pattern: '^[0-9a-fA-F]{1,42}$' }) }),
        body: TokenBindingRequestSchema,
        response: { 200: AdminCertificateSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => ctx.issuer.bindToken(req.params.serial, req.body.tokenSerial),
  );

  app.get(
    '/unlocks',
    {
      schema: {
        summary: 'PIN unlocks kiosks asked for (granted, wrong ID card, over the daily limit), newest first',
        tags: ['admin', 'after-sales'],
        security: ADMIN,
        response: { 200: AdminUnlockListResponseSchema, ...errorResponses(401) },
      },
    },
    async () => ({ unlocks: await ctx.afterSales.unlocks() }),
  );

  app.get<{ Params: { serial: string } }>(
    '/certificates/:serial',
    {
      schema: {
        summary: 'One certificate as operators see it (issuing appliance, key evidence, identity statement)',
        tags: ['admin', 'ca'],
        security: ADMIN,
        params: Type.Object({ serial: Type.String({ pattern: '^[0-9a-fA-F]{1,42}$' }) }),
        response: { 200: AdminCertificateSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => ctx.issuer.adminCertificate(req.params.serial),
  );

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
