// buildCentral: the reference central service as a Fastify instance (tests drive it with inject()).

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Logger, lazyRequestLogger } from '@certkiosk/config';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { closePromptly } from '../http/close-promptly.js';
import { ActivationCodes } from './activation-codes.js';
import {
  ADMIN_SESSION_COOKIE,
  AdminSessions,
  adminTokenProblem,
  autoApproveProblem,
  isLoopbackHost,
  readAdminTokenFile,
} from './admin-auth.js';
import { AfterSales } from './after-sales.js';
import { ApplianceRegistry } from './appliances.js';
import { Alarms, AuditHeads } from './audit-heads.js';
import { openAuthority } from './ca/authority.js';
import { CertificateIssuer } from './ca/issuer.js';
import { ChangeFeed } from './change-feed.js';
import type { CentralContext } from './context.js';
import { CentralError } from './errors.js';
import { EventInbox } from './events.js';
import { type FleetAlarmOptions, FleetAlarms, STALE_SWEEP_MS } from './fleet-alarms.js';
import { type FeedOptions, FleetFeed } from './fleet-feed.js';
import { changedAppliance } from './fleet-poke.js';
import { HeartbeatHistory } from './heartbeat-history.js';
import { DEFAULT_MAX_ID_ATTEMPTS, IdentityAttempts } from './identity-attempts.js';
import { InvoiceRequests } from './invoice-requests.js';
import { type CjkFont, findCjkFont } from './invoices/cjk-font.js';
import { Invoices } from './invoices/invoices.js';
import { registerInvoiceRoutes } from './invoices/routes.js';
import { Leases } from './leases.js';
import { centralMetrics, registerMetrics } from './metrics.js';
import { openCentralStore } from './open-store.js';
import { Operators, registerOperatorAudit } from './operators.js';
import { OrderService } from './orders.js';
import { registerConsolePages } from './pages/console-routes.js';
import { FleetLiveView } from './pages/fleet-live-view.js';
import { registerPages } from './pages/routes.js';
import { registerStatementPages } from './pages/statement-routes.js';
import { type PaymentOptions, setupPayments } from './payments/index.js';
import { loadOrCreatePersonIndexKey, PersonIndex } from './person-index.js';
import { loadOrCreatePickupKey, PickupCodeSigner } from './pickup-codes.js';
import { dbRateLimitStore } from './rate-limit-store.js';
import { type ReconciliationOptions, setupReconciliation } from './reconciliation/index.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAdminLogin } from './routes/admin-login.js';
import { registerApplianceRoutes } from './routes/appliance.js';
import { registerPublicRoutes } from './routes/public.js';
import { loadOrCreateSessionTicketKey, SessionTickets } from './session-tickets.js';
import { StatementImporter } from './statement.js';
import { StatementQueue } from './statement-queue.js';

export interface CentralOptions {
  /** Directory for the SQLite store (unless `database`) and the CA, pickup and person-index keys. */
  dataDir: string;
  /** A postgres:// URL: the store is PostgreSQL instead of SQLite in dataDir (open-store.ts). */
  database?: string;
  /** PostgreSQL only: a schema of its own instead of `public`. */
  databaseSchema?: string;
  /** Condition alarms: an approved appliance without a heartbeat this long is stale (default 120 s), fewer
   *  blank keys than this is low stock (default 10). */
  fleetAlarms?: FleetAlarmOptions;
  /** The console's live stream: how often it compares without a change request, how much a reader may lag. */
  fleetFeed?: FeedOptions;
  /** Ed25519 private key (PEM) for pickup codes; default: <dataDir>/pickup-signing.key.pem, created once. */
  pickupKeyPem?: string;
  /**
   * The operator token (Bearer for /admin, login for the fleet page); a random one when neither this nor
   * adminTokenFile is given (read it from `central.adminToken`). Listening on an address other than loopback
   * needs at least 128 bits (see adminTokenBits); `listen` fails otherwise.
   */
  adminToken?: string;
  /** A file holding the operator token (surrounding whitespace ignored); instead of adminToken. */
  adminTokenFile?: string;
  /**
   * Central's public base URL (http/https, no query), put into issued certificates as the CRL distribution
   * point (`<base>/v1/ca/crl`) and CA-issuer link (`<base>/v1/ca/issuing-ca.cer`). Default: the address central
   * listens on (the host name for a wildcard address; http://127.0.0.1 before it listens).
   */
  publicBaseUrl?: string;
  /**
   * Per-IP limit of each unauthenticated endpoint (CA, pickup key, prices, phone page, enrolment, pickup-code
   * check, login, OpenAPI): at most `max` requests per `timeWindowMs`; false turns it off. Default
   * DEFAULT_PUBLIC_RATE_LIMIT. Answers 429 RATE_LIMITED past it. Admin routes are not limited by it.
   */
  publicRateLimit?: { max: number; timeWindowMs: number } | false;
  /**
   * Demo and tests only: approve appliances as soon as they enrol, without an enrolment code. Central then
   * listens on loopback only: `listen` on any other address fails with one line (autoApproveProblem).
   */
  autoApproveAppliances?: boolean;
  /** Wrong ID cards an order may see (over all scans and kiosks) before its code is refused (default 3). */
  maxIdAttempts?: number;
  /**
   * Kiosk payments: `wechatpay` points central at WeChat Pay (API v3); without it the reference central mounts
   * its simulator at /wechatpay-sim (keys made once in <dataDir>/wechatpay-sim). See payments/README.md.
   */
  payments?: PaymentOptions;
  /** The daily reconciliation's timer (reconciliation/README.md): its Beijing time, or false for none. */
  reconciliation?: ReconciliationOptions;
  /** Clock in ms (tests move time). */
  now?: () => number;
  /** The daemon's logger (config/src/logging.ts: JSON on stdout, personal data redacted); none: no logs. */
  logger?: Logger;
}

/** Generous: the demo and the test suites stay far below it; a scraper or a guessing loop does not. */
export const DEFAULT_PUBLIC_RATE_LIMIT = { max: 1000, timeWindowMs: 60_000 } as const;

declare module 'fastify' {
  interface FastifyInstance {
    central: CentralContext;
  }
}

/** The base URL as given, checked: http(s), no query or fragment, no trailing slash. */
function checkPublicBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`the public base URL "${raw}" is not a URL.`);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.search || u.hash || u.username)
    throw new Error(`the public base URL "${raw}" must be http(s)://host[:port][/path], without query.`);
  return u.href.replace(/\/+$/, '');
}

/** The host a `server.listen(...)` call binds: undefined for a local socket path; '::' when none is given. */
function listenHostOf(args: unknown[]): string | undefined {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: string; path?: string };
    if (o.host !== undefined) return o.host;
    return o.path !== undefined ? undefined : '::';
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a pipe or socket path
  return typeof second === 'string' ? second : '::';
}

export async function buildCentral(opts: CentralOptions): Promise<FastifyInstance> {
  const now = opts.now ?? Date.now;
  if (opts.adminToken !== undefined && opts.adminTokenFile !== undefined)
    throw new Error('give the admin token or the admin token file, not both.');
  const token =
    opts.adminToken ??
    (opts.adminTokenFile !== undefined
      ? readAdminTokenFile(opts.adminTokenFile)
      : randomBytes(32).toString('base64url'));
  if (token.length === 0) throw new Error('the admin token is empty.');
  const fixedBaseUrl = opts.publicBaseUrl === undefined ? null : checkPublicBaseUrl(opts.publicBaseUrl);
  const limit = opts.publicRateLimit ?? DEFAULT_PUBLIC_RATE_LIMIT;
  if (limit !== false && !(Number.isInteger(limit.max) && limit.max > 0 && limit.timeWindowMs > 0))
    throw new Error('publicRateLimit needs a positive integer max and a positive timeWindowMs.');
  const db = await openCentralStore({
    dataDir: opts.dataDir,
    ...(opts.database ? { database: opts.database } : {}),
    ...(opts.databaseSchema ? { databaseSchema: opts.databaseSchema } : {}),
  });
  const ca = await openAuthority(opts.dataDir, now());
  const pickup = new PickupCodeSigner(opts.pickupKeyPem ?? loadOrCreatePickupKey(opts.dataDir));
  const changes = new ChangeFeed(db, now);
  const activation = new ActivationCodes(db, now);
  const personIndex = new PersonIndex(db, loadOrCreatePersonIndexKey(opts.dataDir));
  const orders = new OrderService(
    db,
    now,
    pickup,
    activation,
    changes,
    () => ctx.publicBaseUrl(),
    personIndex,
  );
  await personIndex.ensure(async (id) => orders.people(await orders.row(id)));
  const issuer = new CertificateIssuer(db, now, ca, orders, changes, pickup.publicKeyPem, () => ({
    crl: `${ctx.publicBaseUrl()}/v1/ca/crl`,
    caIssuers: `${ctx.publicBaseUrl()}/v1/ca/issuing-ca.cer`,
  }));
  const alarms = new Alarms(db, now);
  const fleetAlarms = new FleetAlarms(db, now, alarms, opts.fleetAlarms);
  const leases = new Leases(db, now);
  const payments = setupPayments({
    db,
    now,
    leases,
    orders,
    dataDir: opts.dataDir,
    ...(opts.payments ? { options: opts.payments } : {}),
    publicBaseUrl: () => ctx.publicBaseUrl(),
    server: () => app.server,
  });
  const invoiceRequests = new InvoiceRequests(db, now);
  const reconciliation = setupReconciliation({
    db,
    now,
    leases,
    tradeBill: (day) => payments.service.tradeBill(day),
    ...(opts.reconciliation ? { options: opts.reconciliation } : {}),
  });
  const statementQueue = new StatementQueue(db, now, orders);
  // Looked up on the first invoice, not at start: without the font everything but invoicing still runs.
  let invoiceFont: CjkFont | undefined;
  const autoApprove = opts.autoApproveAppliances ?? false;
  const ctx: CentralContext = {
    db,
    now,
    pickup,
    changes,
    orders,
    activation,
    issuer,
    personIndex,
    afterSales: new AfterSales(db, now, orders, issuer, activation, personIndex, pickup.publicKeyPem),
    appliances: new ApplianceRegistry(db, now),
    autoApproveAppliances: () => {
      if (!autoApprove) return false;
      // Not listening (inject() in tests) or bound to loopback; anything else never gets here (listen refuses).
      const a = app.server.address();
      return a === null || (typeof a !== 'string' && isLoopbackHost(a.address));
    },
    alarms,
    fleetAlarms,
    fleetFeed: new FleetFeed(new FleetLiveView(() => ctx), opts.fleetFeed),
    heartbeatHistory: new HeartbeatHistory(db, now),
    identityAttempts: new IdentityAttempts(db, now, opts.maxIdAttempts ?? DEFAULT_MAX_ID_ATTEMPTS),
    auditHeads: new AuditHeads(db, now, alarms),
    events: new EventInbox(db, now, orders),
    statements: new StatementImporter(db, now, orders, statementQueue),
    statementQueue,
    payments: payments.service,
    ...(payments.demoPay ? { demoPay: payments.demoPay } : {}),
    invoices: invoiceRequests,
    invoicing: new Invoices(
      db,
      now,
      orders,
      invoiceRequests,
      changes,
      () => ctx.publicBaseUrl(),
      () => {
        invoiceFont ??= findCjkFont();
        return invoiceFont;
      },
    ),
    reconciliations: reconciliation.service,
    adminToken: token,
    sessions: new AdminSessions(db, now),
    sessionTickets: new SessionTickets(loadOrCreateSessionTicketKey(opts.dataDir)),
    operators: new Operators(db, now),
    publicBaseUrl: () => {
      if (fixedBaseUrl) return fixedBaseUrl;
      const a = app.server.address();
      if (!a || typeof a === 'string') return 'http://127.0.0.1';
      const host = a.address === '0.0.0.0' || a.address === '::' ? hostname() : a.address;
      return `http://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
    },
    publicRateLimit:
      limit === false ? false : { max: limit.max, timeWindow: limit.timeWindowMs, hook: 'onRequest' },
  };

  const app = Fastify({
    ...(opts.logger
      ? {
          loggerInstance: opts.logger as FastifyBaseLogger,
          childLoggerFactory: (parent, bindings, childOpts) =>
            lazyRequestLogger(parent as Logger, bindings, childOpts) as FastifyBaseLogger,
        }
      : { logger: false }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.decorate('central', ctx);
  // Stale heartbeats are found on this sweep (and whenever operators look at alarms or metrics).
  const staleSweep = setInterval(async () => {
    try {
      await fleetAlarms.sweepStale();
    } catch (err) {
      app.log.error(err, 'stale-heartbeat sweep failed');
    }
  }, STALE_SWEEP_MS);
  staleSweep.unref();
  // A change request that succeeded (heartbeat, events, acknowledgement, approval, logout …) may change the
  // console: its live stream compares at once the row of the appliance it concerned (fleet-poke.ts), or every
  // row when it may concern many, or nothing when the fleet table cannot show it. Streams end before the server
  // closes.
  app.addHook('onResponse', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || reply.statusCode >= 400) return;
    if (ctx.fleetFeed.size === 0) return;
    const changed = await changedAppliance(req, alarms);
    if (changed === 'all') ctx.fleetFeed.poke();
    else if (changed !== null) ctx.fleetFeed.poke(changed);
  });
  app.addHook('preClose', async () => ctx.fleetFeed.closeAll());
  closePromptly(app);
  app.addHook('onClose', async () => {
    clearInterval(staleSweep);
    await db.close();
  });

  // Whoever calls listen (the CLI, a test, the appliance harness): an address beyond loopback needs a strong
  // admin token and no auto-approve, checked before the socket is bound; listen() rejects with the one-line
  // reason.
  const server = app.server;
  const bind = server.listen.bind(server) as (...args: unknown[]) => typeof server;
  (server as unknown as { listen: (...args: unknown[]) => typeof server }).listen = (...args) => {
    const host = listenHostOf(args);
    const problem =
      adminTokenProblem(host, ctx.adminToken) ?? (autoApprove ? autoApproveProblem(host) : null);
    if (!problem) return bind(...args);
    process.nextTick(() => server.emit('error', new Error(problem)));
    return server;
  };

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
      const attemptsLeft = err.details.attemptsLeft;
      return reply.code(err.statusCode).send({
        statusCode: err.statusCode,
        code: err.code,
        error: err.name,
        message: err.message,
        ...(typeof attemptsLeft === 'number' ? { attemptsLeft } : {}),
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
          adminSession: {
            type: 'apiKey',
            in: 'cookie',
            name: ADMIN_SESSION_COOKIE,
            description: 'Login session from POST /admin/login (HttpOnly, SameSite=Strict).',
          },
        },
      },
    },
  });
  await app.register(cookie);
  // Only routes that opt in (config.rateLimit = ctx.publicRateLimit) are limited, each per client IP.
  await app.register(rateLimit, {
    global: false,
    // Counted in the store: central processes sharing a database limit a client together.
    store: dbRateLimitStore(db) as never,
    errorResponseBuilder: (_req, c) =>
      new CentralError('RATE_LIMITED', `Too many requests from this address; retry in ${c.after}.`),
  });
  // First: its hook counts every route registered after it.
  registerMetrics(app, centralMetrics({ db, now, fleet: fleetAlarms }), ctx);
  registerOperatorAudit(app, ctx);
  registerPublicRoutes(app);
  await app.register(registerApplianceRoutes);
  await app.register(registerAdminRoutes, { prefix: '/admin/v1' });
  await app.register(registerAdminLogin);
  await app.register(registerPages);
  await app.register(registerConsolePages);
  await app.register(registerStatementPages);
  await app.register(payments.plugin);
  await app.register(registerInvoiceRoutes);
  await app.register(reconciliation.plugin);
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: ctx.publicRateLimit } }, async () =>
    app.swagger(),
  );
  await app.ready();
  return app;
}
