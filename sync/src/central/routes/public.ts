// Public endpoints: CA chain and CRL, the pickup-code public key, prices, liveness.
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
  const { issuer, pickup } = app.central;

  app.get(
    '/v1/ca/chain',
    {
      schema: {
        summary: 'CA chain in PEM: issuing CA, then root (public)',
        tags: ['ca'],
        response: { 200: { type: 'string', description: 'application/pem-certificate-chain' } },
      },
    },
    async (_req, reply) => reply.type('application/pem-certificate-chain').send(issuer.chainPem().join('')),
  );

  app.get<{ Querystring: { format?: 'der' | 'pem' } }>(
    '/v1/ca/crl',
    {
      schema: {
        summary: 'Current CRL of the issuing CA: DER (application/pkix-crl) by default, PEM with ?format=pem',
        tags: ['ca'],
        querystring: Type.Object({
          format: Type.Optional(Type.Union([Type.Literal('der'), Type.Literal('pem')])),
        }),
      },
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
    },
    async () => priceTable(),
  );

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
}
