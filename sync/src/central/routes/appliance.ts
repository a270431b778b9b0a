// Endpoints an appliance calls. Enrolment is signed with the key being enrolled; every other one needs an
// approved appliance's signature (see appliance-auth.ts).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { readSignatureHeaders } from '../../contract/request-signing.js';
import {
  type ActivationRequest,
  ActivationRequestSchema,
  ActivationResponseSchema,
  ApplianceSchema,
  ChangeFeedQuerySchema,
  ChangeFeedResponseSchema,
  type EnrolRequest,
  EnrolRequestSchema,
  type EventBatch,
  EventBatchResponseSchema,
  EventBatchSchema,
  errorResponses,
  type HeartbeatRequest,
  HeartbeatRequestSchema,
  HeartbeatResponseSchema,
  type IssueCertificateRequest,
  IssueCertificateRequestSchema,
  IssuedCertificateSchema,
  OrderSchema,
  type PickupCodeCheckRequest,
  PickupCodeCheckRequestSchema,
  SealSignRequestSchema,
  type VoidCertificateRequest,
  VoidCertificateRequestSchema,
  VoidCertificateResponseSchema,
} from '../../contract/schemas.js';
import { CentralError } from '../errors.js';
import { admitPickupCode } from '../pickup-admission.js';
import { applianceAuth, checkSignedRequest } from './appliance-auth.js';

const SIGNED = [{ applianceSignature: [] }];
/** A certificate serial as hex (a leading 00 sign byte is accepted). */
const SerialParams = Type.Object({ serialNumber: Type.String({ pattern: '^[0-9a-fA-F]{1,42}$' }) });

export async function registerApplianceRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.central;

  app.post<{ Body: EnrolRequest }>(
    '/v1/appliances/enrol',
    {
      schema: {
        summary: 'Enrol an appliance (signed with the key being enrolled); an operator then approves it',
        tags: ['appliance'],
        security: SIGNED,
        body: EnrolRequestSchema,
        response: { 200: ApplianceSchema, ...errorResponses(400, 401, 409) },
      },
      preValidation: async (req) => {
        if (!readSignatureHeaders(req.headers)) throw new CentralError('AUTH_UNSIGNED');
      },
    },
    async (req) => {
      const signedBy = checkSignedRequest(ctx, req, req.body.publicKeyPem);
      if (signedBy !== req.body.applianceId) {
        throw new CentralError('AUTH_BAD_SIGNATURE', 'The appliance header does not match the enrolled id.');
      }
      return ctx.appliances.enrol(req.body);
    },
  );

  await app.register(async (signed) => {
    signed.addHook('preValidation', applianceAuth(ctx));

    signed.get<{ Params: { orderId: string } }>(
      '/v1/orders/:orderId',
      {
        schema: {
          summary:
            'An order as the kiosk needs it (identity matching, status) — only for this appliance’s hall',
          tags: ['appliance'],
          security: SIGNED,
          params: Type.Object({ orderId: Type.String({ maxLength: 64 }) }),
          response: { 200: OrderSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => {
        const order = ctx.orders.get(req.params.orderId);
        if (order.hall !== req.appliance!.hall) throw new CentralError('ORDER_WRONG_HALL');
        return order;
      },
    );

    signed.post<{ Body: IssueCertificateRequest }>(
      '/v1/certificates',
      {
        schema: {
          summary: 'Issue a certificate for an approved order from a CSR (idempotent by idempotencyKey)',
          tags: ['appliance', 'ca'],
          security: SIGNED,
          body: IssueCertificateRequestSchema,
          response: { 200: IssuedCertificateSchema, ...errorResponses(400, 401, 403, 404, 409, 410) },
        },
      },
      async (req) => ctx.issuer.issue(req.body, req.appliance!.id, req.appliance!.hall),
    );

    signed.post<{ Body: PickupCodeCheckRequest }>(
      '/v1/pickup-codes/check',
      {
        schema: {
          summary:
            'Scan-time check: the order when central would accept this pickup code for issuance now, else the refusal issuance would give',
          tags: ['appliance'],
          security: SIGNED,
          body: PickupCodeCheckRequestSchema,
          response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 409, 410) },
        },
      },
      async (req) => {
        const row = admitPickupCode(ctx.orders, ctx.pickup.publicKeyPem, {
          pickupCode: req.body.pickupCode,
          hall: req.appliance!.hall,
          now: ctx.now(),
        });
        return ctx.orders.toOrder(row);
      },
    );

    signed.post<{ Params: { serialNumber: string }; Body: VoidCertificateRequest }>(
      '/v1/certificates/:serialNumber/void',
      {
        schema: {
          summary:
            'Void an in-doubt issuance (only the issuing appliance): revoke the certificate, order back to approved; idempotent',
          tags: ['appliance', 'ca'],
          security: SIGNED,
          params: SerialParams,
          body: VoidCertificateRequestSchema,
          response: { 200: VoidCertificateResponseSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => ctx.issuer.voidIssuance(req.params.serialNumber, req.appliance!.id, req.body),
    );

    signed.get<{ Params: { key: string } }>(
      '/v1/certificates/by-idempotency-key/:key',
      {
        schema: {
          summary:
            'Recover an issued certificate by its idempotency key (after a crash); 410 CERTIFICATE_VOIDED when it was voided',
          tags: ['appliance', 'ca'],
          security: SIGNED,
          params: Type.Object({ key: Type.String({ maxLength: 128 }) }),
          response: { 200: IssuedCertificateSchema, ...errorResponses(401, 404, 410) },
        },
      },
      async (req) => {
        const c = ctx.issuer.byIdempotencyKey(req.params.key);
        if (!c)
          throw new CentralError(
            'CERTIFICATE_NOT_FOUND',
            'No certificate was issued with this idempotency key.',
          );
        return c;
      },
    );

    signed.post<{ Body: ActivationRequest }>(
      '/v1/activations',
      {
        schema: {
          summary: 'Activate a couriered key with its 6-digit code (limited wrong attempts)',
          tags: ['appliance'],
          security: SIGNED,
          body: ActivationRequestSchema,
          response: { 200: ActivationResponseSchema, ...errorResponses(400, 401, 403, 404, 409, 410, 423) },
        },
      },
      async (req) => {
        const row = ctx.orders.row(req.body.orderId);
        if (row.status !== 'shipped') throw new CentralError('ACTIVATION_NOT_AVAILABLE');
        ctx.activation.consume(req.body.orderId, req.body.code);
        return { order: ctx.orders.act(req.body.orderId, { action: 'activate' }).order };
      },
    );

    signed.post<{ Body: EventBatch }>(
      '/v1/events',
      {
        schema: {
          summary: 'Deliver a batch of outbox events (deduplicated by event id)',
          tags: ['sync'],
          security: SIGNED,
          body: EventBatchSchema,
          response: { 200: EventBatchResponseSchema, ...errorResponses(400, 401) },
        },
      },
      async (req) => ctx.events.ingest(req.appliance!.id, req.body.events),
    );

    signed.get<{ Querystring: { cursor?: string; limit?: number } }>(
      '/v1/changes',
      {
        schema: {
          summary: 'Change feed for this appliance’s hall (plus global changes) after a cursor',
          tags: ['sync'],
          security: SIGNED,
          querystring: ChangeFeedQuerySchema,
          response: { 200: ChangeFeedResponseSchema, ...errorResponses(400, 401) },
        },
      },
      async (req) =>
        ctx.changes.read(req.appliance!.hall, Number(req.query.cursor ?? '0'), req.query.limit ?? 100),
    );

    signed.post<{ Body: HeartbeatRequest }>(
      '/v1/heartbeat',
      {
        schema: {
          summary: 'Heartbeat: device health, consumables, queue depth, version',
          tags: ['sync'],
          security: SIGNED,
          body: HeartbeatRequestSchema,
          response: { 200: HeartbeatResponseSchema, ...errorResponses(400, 401) },
        },
      },
      async (req) => {
        ctx.appliances.recordHeartbeat(req.appliance!.id, req.body);
        return {
          serverTime: new Date(ctx.now()).toISOString(),
          latestCursor: ctx.changes.latest(req.appliance!.hall),
        };
      },
    );

    signed.post(
      '/v1/seals/sign',
      {
        schema: {
          summary: 'Electronic seal signing (reserved; answers 501 for now)',
          tags: ['appliance'],
          security: SIGNED,
          body: SealSignRequestSchema,
          response: errorResponses(401, 501),
        },
      },
      async () => {
        throw new CentralError('NOT_IMPLEMENTED', 'Electronic seal signing is not implemented yet.');
      },
    );
  });
}
