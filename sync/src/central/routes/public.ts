// Public endpoints: CA chain, issuing CA certificate and CRL, the pickup-code public key, prices, liveness.
// All but liveness are rate-limited per client IP (ctx.publicRateLimit); /healthz is left alone so a load
// balancer's probes never see 429.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PriceTableSchema } from '../../contract/schemas.js';
import { priceTable } from '../pricing.js';

function derToPem(der: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END ${label}-----\n`;
}

export function registerPublicRoutes(app: FastifyInstance): void {
  const { issuer, pickup, publicRateLimit: rateLimit } = app.central;
  const config = { rateLimit };

  app.get(
    '/v1/ca/chain',
    {
      schema: {
        summary: 'CA chain in PEM: issuing CA, then root (public)',
        tags: ['ca'],
        response: { 200: { type: 'string', description: 'application/pem-certificate-chain' } },
      },
      config,
    },
    async (_req, reply) => reply.type('application/pem-certificate-chain').send(issuer.chainPem().join('')),
  );

  app.get(
    '/v1/ca/issuing-ca.cer',
    {
      schema: {
        summary:
          'The issuing CA certificate, DER (application/pkix-cert): the caIssuers link of every issued certificate',
        tags: ['ca'],
      },
      config,
    },
    async (_req, reply) => reply.type('application/pkix-cert').send(issuer.issuingCertDer()),
  );

  app.get<{ Querystring: { format?: 'der' | 'pem' } }>(
    '/v1/ca/crl',
    {
      schema: {
        summary:
          'Current CRL of the issuing CA (cached; re-signed after a revocation or near nextUpdate, cRLNumber grows): DER (application/pkix-crl) by default, PEM with ?format=pem',
        tags: ['ca'],
        querystring: Type.Object({
          format: Type.Optional(Type.Union([Type.Literal('der'), Type.Literal('pem')])),
        }),
      },
      config,
    },
    async (req, reply) => {
      const der = await issuer.crlDer();
      if (req.query.format === 'pem')
        return reply.type('application/x-pem-file').send(derToPem(der, 'X509 CRL'));
      return reply.type('application/pkix-crl').send(der);
    },
  );

  app.get(
    '/v1/pickup-key',
    {
      schema: {
        summary: 'Ed25519 public key that verifies pickup codes (SPKI PEM)',
        tags: ['public'],
        response: { 200: Type.Object({ publicKeyPem: Type.String() }) },
      },
      config,
    },
    async () => ({ publicKeyPem: pickup.publicKeyPem }),
  );

  app.get(
    '/v1/prices',
    {
      schema: {
        summary: 'Price table (fen per type and years)',
        tags: ['public'],
        response: { 200: PriceTableSchema },
      },
      config,
    },
    async () => priceTable(),
  );

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
}
