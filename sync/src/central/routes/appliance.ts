// Endpoints an appliance calls. Enrolment is signed with the key being enrolled and needs the operator's
// one-time enrolment code (except the loopback auto-approve demo); every other one needs an approved
// appliance's signature (see appliance-auth.ts). Order data reaches an appliance only through its pickup code
// (POST /v1/pickup-codes/check) and only as an ApplianceOrder: no ID number, full name or phone.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { readSignatureHeaders } from '../../contract/request-signing.js';
import {
  type ActivationRequest,
  ActivationRequestSchema,
  ActivationResponseSchema,
  ApplianceOrderSchema,
  ApplianceOrderStatusSchema,
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
  type IdentityFailureRequest,
  IdentityFailureRequestSchema,
  IdentityFailureResponseSchema,
  type IssueCertificateRequest,
  IssueCertificateRequestSchema,
  IssuedCertificateSchema,
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
        summary:
          'Enrol an appliance (signed with the key being enrolled, with its one-time enrolment code); an operator then approves it',
        tags: ['appliance'],
        security: SIGNED,
        body: EnrolRequestSchema,
        response: { 200: ApplianceSchema, ...errorResponses(400, 401, 403, 409, 410, 429) },
      },
      config: { rateLimit: ctx.publicRateLimit },
      preValidation: async (req) => {
        if (!readSignatureHeaders(req.headers)) throw new CentralError('AUTH_UNSIGNED');
      },
    },
    async (req) => {
      const signedBy = checkSignedRequest(ctx, req, req.body.publicKeyPem);
      if (signedBy !== req.body.applianceId) {
        throw new CentralError('AUTH_BAD_SIGNATURE', 'The appliance header does not match the enrolled id.');
      }
      return ctx.appliances.enrol(req.body, { autoApprove: ctx.autoApproveAppliances() });
    },
  );

  await app.register(async (signed) => {
    signed.addHook('preValidation', applianceAuth(ctx));

    signed.get<{ Params: { orderId: string } }>(
      '/v1/orders/:orderId',
      {
        schema: {
          summary:
            'An order’s state (no people, no identity salt) — only for this appliance’s hall; the order itself comes with its pickup code (POST /v1/pickup-codes/check)',
          tags: ['appliance'],
          security: SIGNED,
          params: Type.Object({ orderId: Type.String({ maxLength: 64 }) }),
          response: { 200: ApplianceOrderStatusSchema, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => {
        const row = ctx.orders.row(req.params.orderId);
        if (row.hall !== req.appliance!.hall) throw new CentralError('ORDER_WRONG_HALL');
        return ctx.orders.toApplianceOrderStatus(row);
      },
    );

    signed.post<{ Body: IssueCertificateRequest }>(
      '/v1/certificates',
      {
        schema: {
          summary:
            'Issue a certificate for an approved order from a CSR, with its pickup code, key evidence and the kiosk’s signed identity statement (idempotent by idempotencyKey)',
          tags: ['appliance', 'ca'],
          security: SIGNED,
          body: IssueCertificateRequestSchema,
          response: { 200: IssuedCertificateSchema, ...errorResponses(400, 401, 403, 404, 409, 410) },
        },
      },
      async (req) =>
        ctx.issuer.issue(req.body, {
          id: req.appliance!.id,
          hall: req.appliance!.hall,
          publicKeyPem: req.appliance!.public_key_pem,
        }),
    );

    signed.post<{ Body: PickupCodeCheckRequest }>(
      '/v1/pickup-codes/check',
      {
        schema: {
          summary:
            'Scan-time check: the order as an appliance may see it (ApplianceOrder) when central would accept this pickup code for issuance now, else the refusal issuance would give',
          tags: ['appliance'],
          security: SIGNED,
          body: PickupCodeCheckRequestSchema,
          response: { 200: ApplianceOrderSchema, ...errorResponses(400, 401, 403, 404, 409, 410, 429) },
        },
        // Rate-limited like the public endpoints: it runs before the signature check (onRequest).
        config: { rateLimit: ctx.publicRateLimit },
      },
      async (req) => {
        const row = admitPickupCode(ctx.orders, ctx.pickup.publicKeyPem, {
          pickupCode: req.body.pickupCode,
          hall: req.appliance!.hall,
          now: ctx.now(),
        });
        // A code whose order used up its ID-card tries (at any kiosk) gives no fresh ones.
        ctx.identityAttempts.assertLeft(row.id);
        return ctx.orders.toApplianceOrder(row);
      },
    );

    signed.post<{ Body: IdentityFailureRequest }>(
      '/v1/pickup-codes/identity-failure',
      {
        schema: {
          summary:
            'A wrong ID card for the order behind this pickup code: counted per order (not per scan or kiosk); answers the tries left',
          tags: ['appliance'],
          security: SIGNED,
          body: IdentityFailureRequestSchema,
          response: { 200: IdentityFailureResponseSchema, ...errorResponses(400, 401, 403, 404, 409, 410) },
        },
      },
      async (req) => {
        const row = admitPickupCode(ctx.orders, ctx.pickup.publicKeyPem, {
          pickupCode: req.body.pickupCode,
          hall: req.appliance!.hall,
          now: ctx.now(),
        });
        ctx.identityAttempts.assertLeft(row.id);
        const attemptsLeft = ctx.identityAttempts.recordFailure(row.id, req.appliance!.id, req.body.reason);
        return { orderId: row.id, attemptsLeft };
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
            'Recover a certificate this appliance issued by its idempotency key (after a crash); 404 for none (or another appliance’s), 410 CERTIFICATE_VOIDED when it was voided',
          tags: ['appliance', 'ca'],
          security: SIGNED,
          params: Type.Object({ key: Type.String({ maxLength: 128 }) }),
          response: { 200: IssuedCertificateSchema, ...errorResponses(401, 404, 410) },
        },
      },
      async (req) => {
        const c = ctx.issuer.byIdempotencyKey(req.params.key, req.appliance!.id);
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
        ctx.orders.act(req.body.orderId, { action: 'activate' });
        return { order: ctx.orders.toApplianceOrder(ctx.orders.row(req.body.orderId)) };
      },
    );

    signed.post<{ Body: EventBatch }>(
      '/v1/events',
      {
        schema: {
          summary:
            'Deliver a batch of outbox events (deduplicated by event id; all or nothing: 403 EVENT_WRONG_APPLIANCE for an event about an order another appliance issued)',
          tags: ['sync'],
          security: SIGNED,
          body: EventBatchSchema,
          response: { 200: EventBatchResponseSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (req) => ctx.events.ingest(req.appliance!.id, req.appliance!.hall, req.body.events),
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
          summary:
            'Heartbeat: device health, consumables, queue depth, version, signed audit head (400 AUDIT_HEAD_BAD_SIGNATURE, alarmed)',
          tags: ['sync'],
          security: SIGNED,
          body: HeartbeatRequestSchema,
          response: { 200: HeartbeatResponseSchema, ...errorResponses(400, 401) },
        },
      },
      async (req) => {
        if (req.body.auditHead) ctx.auditHeads.accept(req.appliance!, req.body.auditHead);
        for (const a of req.body.alarms ?? []) {
          ctx.alarms.raise(req.appliance!.id, a.kind, `reported by the appliance: ${a.kind}`, {
            ...(a.subject ? { subject: a.subject } : {}),
            since: a.since,
          });
        }
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
