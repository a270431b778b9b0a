// buildCentral: the reference central service as a Fastify instance (tests drive it with inject()).
import { randomBytes } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { ActivationCodes } from './activation-codes.js';
import { ApplianceRegistry } from './appliances.js';
import { openAuthority } from './ca/authority.js';
import { CertificateIssuer } from './ca/issuer.js';
import { ChangeFeed } from './change-feed.js';
import type { CentralContext } from './context.js';
import { CentralError } from './errors.js';
import { EventInbox } from './events.js';
import { OrderService } from './orders.js';
import { registerPages } from './pages/routes.js';
import { loadOrCreatePickupKey, PickupCodeSigner } from './pickup-codes.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerApplianceRoutes } from './routes/appliance.js';
import { registerPublicRoutes } from './routes/public.js';
import { StatementImporter } from './statement.js';
import { openStore } from './store.js';

export interface CentralOptions {
  /** Directory for the SQLite store and the CA keys. */
  dataDir: string;
  /** Ed25519 private key (PEM) for pickup codes; default: <dataDir>/pickup-signing.key.pem, created once. */
  pickupKeyPem?: string;
  /** Bearer token for /admin and the fleet page; a random one when absent (read it from `central.adminToken`). */
  adminToken?: string;
  /** Demo only: approve appliances as soon as they enrol. */
  autoApproveAppliances?: boolean;
  /** Clock in ms (tests move time). */
  now?: () => number;
  logger?: FastifyServerOptions['logger'];
}

declare module 'fastify' {
  interface FastifyInstance {
    central: CentralContext;
  }
}

export async function buildCentral(opts: CentralOptions): Promise<FastifyInstance> {
  const now = opts.now ?? Date.now;
  const db = openStore(opts.dataDir);
  const ca = await openAuthority(opts.dataDir, now());
  const pickup = new PickupCodeSigner(opts.pickupKeyPem ?? loadOrCreatePickupKey(opts.dataDir));
  const changes = new ChangeFeed(db, now);
  const activation = new ActivationCodes(db, now);
  const orders = new OrderService(db, now, pickup, activation, changes);
  const ctx: CentralContext = {
    db,
    now,
    pickup,
    changes,
    orders,
    activation,
    issuer: new CertificateIssuer(db, now, ca, orders, changes, pickup.publicKeyPem),
    appliances: new ApplianceRegistry(db, now, opts.autoApproveAppliances ?? false),
    events: new EventInbox(db, now, orders),
    statements: new StatementImporter(db, now, orders),
    adminToken: opts.adminToken ?? randomBytes(18).toString('base64url'),
  };

  const app = Fastify({
    logger: opts.logger ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.decorate('central', ctx);
  app.addHook('onClose', async () => db.close());

  // Keep the exact body bytes: request signatures cover their SHA-256.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = Buffer.from(body as string, 'utf8');
    parseJson(req, body as string, done);
  });
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = Buffer.from(body as string, 'utf8');
    done(null, body);
  });

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof CentralError) {
      return reply.code(err.statusCode).send({
        statusCode: err.statusCode,
        code: err.code,
        error: err.name,
        message: err.message,
      });
    }
    const e = err as { statusCode?: number; code?: string; message: string };
    const status = e.statusCode && e.statusCode >= 400 ? e.statusCode : 500;
    if (status >= 500) reply.log.error(err);
    return reply.code(status).send({
      statusCode: status,
      code: e.code ?? 'INTERNAL',
      error: status >= 500 ? 'Internal Server Error' : 'Bad Request',
      message: status >= 500 ? 'Central failed to handle the request.' : e.message,
    });
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'certkiosk central API', version: '1.0.0' },
      components: {
        securitySchemes: {
          applianceSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'x-certkiosk-signature',
            description:
              'ECDSA P-256/SHA-256 over canonicalRequest(); also x-certkiosk-appliance, -timestamp, -nonce.',
          },
          adminToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  registerPublicRoutes(app);
  await app.register(registerApplianceRoutes);
  await app.register(registerAdminRoutes, { prefix: '/admin/v1' });
  await app.register(registerPages);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
