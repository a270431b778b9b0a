// Endpoints an appliance calls. Enrolment is signed with the key being enrolled and needs the operator's
// one-time enrolment code (except the loopback auto-approve demo); every other one needs an approved
// appliance's signature (see appliance-auth.ts). Order data reaches an appliance only through its pickup code
// (POST /v1/pickup-codes/check) and only as an ApplianceOrder: no ID number, full name or phone. After-sales
// (certificate status, activation, renewal, unlock) names the key in the writer by its certificate serial and
// its token serial; a renewal's ApplianceOrder comes with that key, as a pickup's comes with its code.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { spkiSha256 } from '../../contract/public-keys.js';
import {
  acceptSessionOffer,
  SESSION_LIFETIME_MS,
  SESSION_OPEN_PATH,
  type SessionOpenRequest,
  SessionOpenRequestSchema,
  SessionOpenResponseSchema,
} from '../../contract/request-sessions.js';
import { readSignatureHeaders } from '../../contract/request-signing.js';
import {
  ActivationPreviewSchema,
  type ActivationRequest,
  ActivationRequestSchema,
  ActivationResponseSchema,
  type AnyIssueRequest,
  AnyIssueRequestSchema,
  ApplianceOrderSchema,
  ApplianceOrderStatusSchema,
  type ApplianceRevokeRequest,
  ApplianceRevokeRequestSchema,
  ApplianceSchema,
  CertificateSerialSchema,
  CertificateStatusSchema,
  ChangeFeedQuerySchema,
  ChangeFeedResponseSchema,
  type CodeLookupRequest,
  CodeLookupRequestSchema,
  type EnrolRequest,
  EnrolRequestSchema,
  type EventBatch,
  EventBatchResponseSchema,
  EventBatchSchema,
  errorResponses,
  type HeartbeatRequest,
  HeartbeatRequestSchema,
  HeartbeatResponseSchema,
  type IdCardLookupRequest,
  IdCardLookupRequestSchema,
  type IdentityFailureRequest,
  IdentityFailureRequestSchema,
  IdentityFailureResponseSchema,
  IssuedCertificateSchema,
  type KeyQuery,
  KeyQuerySchema,
  OrderLookupResponseSchema,
  type PickupCodeCheckRequest,
  PickupCodeCheckRequestSchema,
  RenewalOrderResponseSchema,
  type RenewalQuery,
  RenewalQuerySchema,
  RevocationSchema,
  SealSignRequestSchema,
  type UnlockRequest,
  UnlockRequestSchema,
  UnlockResponseSchema,
  type VoidCertificateRequest,
  VoidCertificateRequestSchema,
  VoidCertificateResponseSchema,
} from '../../contract/schemas.js';
import { CentralError } from '../errors.js';
import { keepHeartbeat } from '../heartbeat-keeping.js';
import { admitPickupCode } from '../pickup-admission.js';
import { applianceAuth, checkSignedRequest } from './appliance-auth.js';

const SIGNED = [{ applianceSignature: [] }];
/** A certificate serial as hex (a leading 00 sign byte is accepted). */
const SerialParams = Type.Object({ serialNumber: CertificateSerialSchema });

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
      const signedBy = await checkSignedRequest(ctx, req, req.body.publicKeyPem);
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
        const row = await ctx.orders.row(req.params.orderId);
        if (row.hall !== req.appliance!.hall) throw new CentralError('ORDER_WRONG_HALL');
        return ctx.orders.toApplianceOrderStatus(row);
      },
    );

    signed.post<{ Body: AnyIssueRequest }>(
      '/v1/certificates',
      {
        schema: {
          summary:
            'Issue a certificate from a CSR, with key evidence and the kiosk’s signed identity statement, for an approved order with its pickup code (new, reissue: the replaced certificate is revoked first) or a paid renewal with the certificate it renews on the same key (idempotent by idempotencyKey)',
          tags: ['appliance', 'ca'],
          security: SIGNED,
          body: AnyIssueRequestSchema,
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
        const row = await admitPickupCode(ctx.orders, ctx.pickup.publicKeyPem, {
          pickupCode: req.body.pickupCode,
          hall: req.appliance!.hall,
          now: ctx.now(),
        });
        // A code whose order used up its ID-card tries (at any kiosk) gives no fresh ones.
        await ctx.identityAttempts.assertLeft(row.id);
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
        const row = await admitPickupCode(ctx.orders, ctx.pickup.publicKeyPem, {
          pickupCode: req.body.pickupCode,
          hall: req.appliance!.hall,
          now: ctx.now(),
        });
        await ctx.identityAttempts.assertLeft(row.id);
        const attemptsLeft = await ctx.identityAttempts.recordFailure(
          row.id,
          req.appliance!.id,
          req.body.reason,
        );
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
        const c = await ctx.issuer.byIdempotencyKey(req.params.key, req.appliance!.id);
        if (!c)
          throw new CentralError(
            'CERTIFICATE_NOT_FOUND',
            'No certificate was issued with this idempotency key.',
          );
        return c;
      },
    );

    // ---- after-sales: the key in the writer (certificate serial + token serial), look-up, unlock ----

    const asking = (req: { appliance?: { id: string; hall: string } }) => ({
      id: req.appliance!.id,
      hall: req.appliance!.hall,
    });

    signed.get<{ Params: { serialNumber: string }; Querystring: KeyQuery }>(
      '/v1/certificates/:serialNumber',
      {
        schema: {
          summary:
            'My certificates: a certificate of ours on the key in the writer (its serial and the key’s token serial) — good or revoked, masked owner and order, the profile’s renewal rule, whether renewal is offered and a renewal order exists; 404 CERTIFICATE_NOT_OURS otherwise',
          tags: ['appliance', 'after-sales'],
          security: SIGNED,
          params: SerialParams,
          querystring: KeyQuerySchema,
          response: { 200: CertificateStatusSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => ctx.afterSales.certificateStatus(req.params.serialNumber, req.query.tokenSerial),
    );

    signed.get<{ Params: { serialNumber: string }; Querystring: KeyQuery }>(
      '/v1/activations/:serialNumber',
      {
        schema: {
          summary:
            'Activation preview for a couriered key in the writer: masked holder and order, code expiry, tries left; refused when its certificate belongs to no shipped order (ACTIVATION_NOT_AVAILABLE, ACTIVATION_ALREADY_DONE) or its code is locked or expired',
          tags: ['appliance', 'after-sales'],
          security: SIGNED,
          params: SerialParams,
          querystring: KeyQuerySchema,
          response: { 200: ActivationPreviewSchema, ...errorResponses(400, 401, 404, 409, 410, 423) },
        },
      },
      async (req) => ctx.afterSales.activationPreview(req.params.serialNumber, req.query.tokenSerial),
    );

    signed.post<{ Body: ActivationRequest }>(
      '/v1/activations',
      {
        schema: {
          summary:
            'Activate a couriered key with its 6-digit code: wrong → 403 ACTIVATION_CODE_WRONG with attemptsLeft, the 5th wrong → 423 ACTIVATION_LOCKED, after 30 days → 410 ACTIVATION_CODE_EXPIRED; the order goes activated (the same kiosk retrying gets the same answer)',
          tags: ['appliance', 'after-sales'],
          security: SIGNED,
          body: ActivationRequestSchema,
          response: { 200: ActivationResponseSchema, ...errorResponses(400, 401, 403, 404, 409, 410, 423) },
        },
      },
      async (req) => ctx.afterSales.activate(req.body, asking(req)),
    );

    signed.get<{ Querystring: RenewalQuery }>(
      '/v1/renewals',
      {
        schema: {
          summary:
            'The paid renewal order of the certificate on the key in the writer (as an ApplianceOrder, to match the ID card), at a kiosk of its hall; RENEWAL_ORDER_NOT_FOUND / RENEWAL_NOT_PAID otherwise',
          tags: ['appliance', 'after-sales'],
          security: SIGNED,
          querystring: RenewalQuerySchema,
          response: { 200: RenewalOrderResponseSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) =>
        ctx.afterSales.renewalFor(req.query.certificateSerial, req.query.tokenSerial, asking(req)),
    );

    signed.post<{ Params: { serialNumber: string }; Body: ApplianceRevokeRequest }>(
      '/v1/certificates/:serialNumber/revoke',
      {
        schema: {
          summary:
            'Revoke the certificate a renewal (after its replacement was issued here, when the profile revokes) or reissue order names, with a reason its kind allows; idempotent; it is then in the CRL',
          tags: ['appliance', 'after-sales', 'ca'],
          security: SIGNED,
          params: SerialParams,
          body: ApplianceRevokeRequestSchema,
          response: { 200: RevocationSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => ctx.issuer.revokeForOrder(req.params.serialNumber, asking(req), req.body),
    );

    signed.post<{ Body: UnlockRequest }>(
      '/v1/unlocks',
      {
        schema: {
          summary:
            'Ask before resetting a locked PIN: the key must be ours and the ID card a person of its certificate; at most UNLOCKS_PER_KEY_PER_DAY a day (429 UNLOCK_LIMIT_REACHED); audited; idempotent by unlockId',
          tags: ['appliance', 'after-sales'],
          security: SIGNED,
          body: UnlockRequestSchema,
          response: { 200: UnlockResponseSchema, ...errorResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (req) => ctx.afterSales.unlock(req.body, asking(req)),
    );

    signed.post<{ Body: IdCardLookupRequest }>(
      '/v1/lookups/by-id-card',
      {
        schema: {
          summary:
            'The orders of the person whose ID card is in the reader (ID number and name both match a person allowed to collect), with their status history, reject reason and remittance code; nothing of anyone else; nothing kept of the card',
          tags: ['appliance', 'after-sales'],
          security: SIGNED,
          body: IdCardLookupRequestSchema,
          response: { 200: OrderLookupResponseSchema, ...errorResponses(400, 401) },
        },
      },
      async (req) => ctx.afterSales.lookupByCard(req.body.card, asking(req)),
    );

    signed.post<{ Body: CodeLookupRequest }>(
      '/v1/lookups/by-code',
      {
        schema: {
          summary:
            'One order by the code scanned: its pickup code (this hall; an expired one still shows its status) or its receipt link; the same shape as the look-up by ID card',
          tags: ['appliance', 'after-sales'],
          security: SIGNED,
          body: CodeLookupRequestSchema,
          response: { 200: OrderLookupResponseSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => ctx.afterSales.lookupByCode(req.body.code, asking(req)),
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
        // Every kiosk every 30 s (1,700 a second at 50,000 kiosks): no request lines; failures still log.
        logLevel: 'warn',
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
        const { openAlarms } = await keepHeartbeat(ctx, req.appliance!, req.body);
        await ctx.heartbeatHistory.record(req.appliance!.id, req.body);
        await ctx.fleetAlarms.onHeartbeat(req.appliance!.id, req.body, openAlarms);
        return {
          serverTime: new Date(ctx.now()).toISOString(),
          latestCursor: await ctx.changes.latest(req.appliance!.hall),
        };
      },
    );

    signed.post<{ Body: SessionOpenRequest }>(
      SESSION_OPEN_PATH,
      {
        schema: {
          summary:
            'Open a request session: signed with the appliance key (never a session MAC), with an ephemeral ECDH key; answers a ticket and central’s ephemeral key (400 SESSION_KEY_INVALID)',
          tags: ['sync'],
          security: SIGNED,
          body: SessionOpenRequestSchema,
          response: { 200: SessionOpenResponseSchema, ...errorResponses(400, 401) },
        },
      },
      async (req) => {
        const accepted = acceptSessionOffer(req.body.ephemeralPublicKey);
        if (!accepted) throw new CentralError('SESSION_KEY_INVALID');
        const expiresAtMs = ctx.now() + SESSION_LIFETIME_MS;
        const ticket = ctx.sessionTickets.seal({
          applianceId: req.appliance!.id,
          key: accepted.key,
          applianceKeySha256: spkiSha256(req.appliance!.public_key_pem),
          expiresAtMs,
        });
        return {
          ticket,
          centralPublicKey: accepted.centralPublicKey,
          expiresAt: new Date(expiresAtMs).toISOString(),
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
