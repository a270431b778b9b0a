// The appliance API on 127.0.0.1: REST for actions, server-sent events for journey and device changes,
// the built kiosk-ui, staff routes and (sim profile only) the emulator control routes. Every route is an entry
// of the route table (routes.ts) with its request and response schemas; this file attaches the handlers.
// Every request passes http-policy.ts first (Host, Origin, JSON content type); every answer carries its
// security headers (CSP with frame-ancestors 'none', nosniff, no-referrer).
import { existsSync } from 'node:fs';
import type { Logger } from '@certkiosk/config';
import { closePromptly } from '@certkiosk/sync';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { maskIdNumbersInText } from '../audit/redact.js';
import { ApplianceError } from '../errors.js';
import type { InvoiceDesk } from '../invoices/invoice-desk.js';
import { doneScreenOrder, serviceResultOrder } from '../invoices/invoice-orders.js';
import type { PickupEngine } from '../journey/engine.js';
import { cancellable, journeyView } from '../journey/view.js';
import type { ReconciliationDesk } from '../reconciliation/desk.js';
import type { ServiceEngine } from '../services/engine.js';
import { StaffCalls } from '../staff/calls.js';
import { inDoubtEvidence } from '../staff/in-doubt-evidence.js';
import { KioskControl } from '../staff/kiosk-control.js';
import type { StaffOverviewFacts } from '../staff/overview.js';
import type { RouteTypes } from './client.js';
import type { DeviceKind, DeviceStatusView, JourneyView, KioskSettings, ServerEvents } from './contract.js';
import { checkRequest, type HttpPolicy, loopbackHosts, originsOf, SECURITY_HEADERS } from './http-policy.js';
import { IdleTimer } from './idle-timer.js';
import { journeyRef, normaliseJourneyRef } from './journey-ref.js';
import { attachMaintenanceRoutes, type MaintenanceServices } from './maintenance-routes.js';
import { guardRouteTable, routeAttacher } from './register.js';
import { ROUTES, type RouteName } from './routes.js';
import type { ServiceView } from './service-contract.js';
import type { StaffAuth, StaffIdentity } from './staff-auth.js';

export interface DeviceStatusSource {
  status(): DeviceStatusView[];
  on(event: 'status', listener: (s: DeviceStatusView) => void): unknown;
  off(event: 'status', listener: (s: DeviceStatusView) => void): unknown;
}

export interface StaffServices {
  /** The overview's facts beside devices, in-doubt items, alarms and calls (staff/overview.ts). */
  overview(): Promise<StaffOverviewFacts> | StaffOverviewFacts;
  /** Print a queued receipt again; refusals as ApplianceError (PRINTER_OUT_OF_PAPER, REPRINT_UNKNOWN, …). */
  reprint(id: string): Promise<{ state: string }>;
  verifyAudit(): Promise<{
    ok: boolean;
    records: number;
    firstBadSeq?: number;
    reason?: string;
    head?: { seq: number; hash: string };
  }>;
  /** Record a staff action (or an applicant's call for staff, actor 'applicant') in the audit log. */
  audit(actor: string, action: string, details: Record<string, unknown>): Promise<void>;
  /** The diagnostics bundle (diagnostics/diagnostics.ts), exported by this staff member. */
  diagnostics(generatedBy: string): Promise<RouteTypes['staffDiagnostics']['ok']>;
  /** A device's self-test (devices/self-test.ts); without it the route answers DEVICE_UNAVAILABLE. */
  selfTest?(kind: DeviceKind): Promise<RouteTypes['deviceSelfTest']['ok']>;
  /** Record blank keys loaded (staff/blank-key-stock.ts); without it the route answers BAD_REQUEST. */
  refillBlankKeys?(count: unknown): Promise<RouteTypes['refillBlankKeys']['ok']>;
}

export interface ApiOptions {
  engine: PickupEngine;
  /** The after-sales service journeys (activate, certificates, unlock, lookup); without it their routes
   *  answer NO_ACTIVE_JOURNEY. */
  services?: ServiceEngine;
  /** The invoice of the order on the done screen (asked of central); without it the invoice routes answer
   *  INVOICE_NOT_AVAILABLE. */
  invoices?: InvoiceDesk;
  devices: DeviceStatusSource;
  /** The maintenance screen's reconciliation with central; without it its routes answer CENTRAL_UNAVAILABLE. */
  reconciliation?: Pick<ReconciliationDesk, 'day' | 'run' | 'report'>;
  settings: KioskSettings;
  staff: StaffServices;
  /** Who may use the staff routes, and the staff accounts (the staff store: `staffStoreAuth(store)`). */
  staffAuth: StaffAuth;
  /** Applicants' open calls for staff (the daemon shares them with the heartbeat); default: a new, empty one. */
  staffCalls?: StaffCalls;
  /** Accepted Host headers (`name:port`); default: 127.0.0.1, localhost and [::1] with the listening port. */
  allowedHosts?: string[];
  /** Accepted Origin headers; default: `http://` + each allowed host. */
  allowedOrigins?: string[];
  /** Largest accepted request body in bytes (413 BODY_TOO_LARGE above it); default 64 KiB. */
  bodyLimit?: number;
  /** Built kiosk-ui (index.html + assets); skipped when missing. */
  uiDir?: string;
  /** Extra routes (the sim control) registered on the same server: entries of the route table only. */
  plugins?: Array<(app: FastifyInstance) => Promise<void> | void>;
  /** The daemon's logger (JSON records on stdout); none: the API logs nothing (tests). */
  logger?: Logger;
  /** The maintenance screen's sync, audit search, out of service and restart (maintenance-routes.ts). */
  maintenance?: MaintenanceServices;
}

/** Request logs at debug, not info: the kiosk UI polls and streams all day, and a request log at info would
 *  drown the daemon's own records. Errors stay at error. */
class DebugRequestLogs extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }
  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) super.requestCompleted(error, request, reply);
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

function send(reply: FastifyReply, err: unknown) {
  const e = err instanceof ApplianceError ? err : new ApplianceError('INTERNAL', (err as Error)?.message);
  // A locked sign-in says when to come back, as HTTP says it for a 429 too.
  const retryAfter = e.code === 'STAFF_LOCKED' ? Number(e.params?.['retryAfter']) : Number.NaN;
  if (Number.isFinite(retryAfter) && retryAfter > 0)
    reply.header('retry-after', String(Math.ceil(retryAfter)));
  return reply.code(e.status).send(e.toBody());
}

/** Errors Fastify raises before a handler runs (body parsing, limits), as the contract's codes. */
function parserError(err: { statusCode?: number; code?: string }): ApplianceError | null {
  if (err.statusCode === 413) return new ApplianceError('BODY_TOO_LARGE');
  if (err.statusCode === 415) return new ApplianceError('UNSUPPORTED_MEDIA_TYPE');
  // The parser's own message may quote the body (a PIN): a fixed sentence instead.
  if (err.statusCode === 400) return new ApplianceError('BAD_REQUEST', 'The body is not valid JSON.');
  return null;
}

export async function buildApplianceApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger
      ? { loggerInstance: opts.logger as FastifyBaseLogger, logController: new DebugRequestLogs() }
      : { logger: false }),
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
  });
  const { engine, devices, settings, services } = opts;
  const idle = new IdleTimer(settings.idleWarningMs, settings.idleWipeMs);
  const clients = new Set<FastifyReply>();
  const { staffAuth } = opts;
  const calls = opts.staffCalls ?? new StaffCalls();
  // Out of service (staff): no applicant session starts; the UI shows the out-of-service page.
  const control = opts.maintenance?.control ?? (await KioskControl.open());

  // Response schemas document and type the answers; answers are written as they are (JSON.stringify), so
  // a schema never silently drops a field the UI reads.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Only JSON bodies are parsed: a text/plain body (what a cross-site form or simple fetch sends) never is.
  app.removeContentTypeParser('text/plain');

  // ---------- every request: security headers, then Host, Origin and content type ----------
  let policyFor: { port: number; policy: HttpPolicy } | null = null;
  const policy = (): HttpPolicy => {
    if (opts.allowedHosts) {
      return { hosts: opts.allowedHosts, origins: opts.allowedOrigins ?? originsOf(opts.allowedHosts) };
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 80;
    if (policyFor?.port !== port) {
      const hosts = loopbackHosts(port);
      policyFor = { port, policy: { hosts, origins: opts.allowedOrigins ?? originsOf(hosts) } };
    }
    return policyFor.policy;
  };
  app.addHook('onRequest', async (req, reply) => {
    // On the raw response too, so the event stream (written raw) and static files carry them.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(',') : v;
    };
    const refusal = checkRequest(
      {
        method: req.method,
        host: header('host'),
        origin: header('origin'),
        contentType: header('content-type'),
        fetchSite: header('sec-fetch-site'),
        fetchMode: header('sec-fetch-mode'),
      },
      policy(),
    );
    if (refusal) return send(reply, new ApplianceError(refusal));
  });

  const broadcast = <K extends keyof ServerEvents>(event: K, data: ServerEvents[K]) => {
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.raw.write(chunk);
  };
  const onJourney = (v: JourneyView | null) => {
    // The idle clock always runs while there is a session: a change the applicant must act on restarts it;
    // machine work does not (a step that hangs still ends in a wipe, which hands an issuance to staff).
    if (v && v.need !== 'wait' && v.need !== 'none') idle.touch();
    else if (v && !idle.running) idle.touch();
    else if (!v) idle.stop();
    broadcast('journey', v);
  };
  engine.on('journey', onJourney);
  engine.on('wiped', (w) => broadcast('wiped', w));
  // The service journeys follow the same idle rules.
  const onService = (v: ServiceView | null) => {
    if (v && v.need !== 'wait' && v.need !== 'none') idle.touch();
    else if (v && !idle.running) idle.touch();
    else if (!v && !engine.current()) idle.stop();
    broadcast('service', v);
  };
  services?.on('service', onService);
  services?.on('wiped', (w) => broadcast('wiped', w));
  const onDevice = (s: DeviceStatusView) => broadcast('device', s);
  devices.on('status', onDevice);
  idle.on('warning', (wipeAt) => broadcast('idle-warning', { wipeAt }));
  const onKioskService = () => broadcast('kiosk-service', control.state());
  control.on('change', onKioskService);
  idle.on('expired', () => {
    const s = services?.current();
    if (services && s) {
      if (services.isBusy) return idle.touch(); // the machine is working; the holder is waiting for it
      // The QR code is being paid on the holder's phone: it stays until it expires, then idle counts again.
      if (payingUntil(services.view()) > Date.now()) return idle.touch();
      // The result screen stays until the holder takes the key (it must not wait for the next one).
      if (s.status === 'completed' && services.view()?.keyInWriter) return idle.touch();
      const done = s.status !== 'active' ? services.close() : services.wipe('idle');
      done.catch((err) => app.log.error(err));
      return;
    }
    const j = engine.current();
    if (!j) return;
    if (engine.isBusy) return idle.touch(); // the machine is working; the applicant is waiting for it
    // The done screen stays until the holder takes the key (it must not wait for the next applicant).
    if (j.status === 'completed' && engine.view()?.keyInWriter) return idle.touch();
    const done = j.status !== 'active' ? engine.close() : engine.wipe('idle');
    done.catch((err) => app.log.error(err));
  });
  // Open event streams would hold the server's close (a staff restart) open for ever: they end first.
  app.addHook('preClose', async () => {
    for (const c of clients) c.raw.end();
  });
  closePromptly(app);
  app.addHook('onClose', async () => {
    idle.stop();
    engine.off('journey', onJourney);
    services?.off('service', onService);
    devices.off('status', onDevice);
    control.off('change', onKioskService);
    for (const c of clients) c.raw.end();
  });

  // The contract as OpenAPI, from the route table's schemas (tags: applicant, staff, sim).
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'certkiosk appliance API (127.0.0.1 only)', version: '1.0.0' },
      tags: [
        { name: 'applicant', description: 'The kiosk UI: journeys, state, events' },
        { name: 'staff', description: 'The maintenance screen (bearer token from /api/staff/login)' },
        { name: 'sim', description: 'Emulator control (sim profile only, central on loopback)' },
      ],
      components: { securitySchemes: { staffToken: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  guardRouteTable(app);

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ApplianceError) return send(reply, err);
    if ((err as { validation?: unknown }).validation) {
      return send(reply, new ApplianceError('BAD_REQUEST', (err as Error).message));
    }
    const parser = parserError(err as { statusCode?: number });
    if (parser) return send(reply, parser);
    app.log.error(err);
    return send(reply, err);
  });

  // ---------- staff check (StaffAuth: the staff store's sessions and roles) ----------
  const staffOf = new WeakMap<FastifyRequest, StaffIdentity>();
  const staffPreHandler = async (
    req: FastifyRequest,
    _reply: FastifyReply,
    need: 'staff' | 'administrator',
  ) => {
    const who = await staffAuth.verify(req.headers.authorization);
    if (!who) throw new ApplianceError('STAFF_AUTH_REQUIRED');
    if (need === 'administrator' && who.role !== 'administrator') {
      throw new ApplianceError('STAFF_FORBIDDEN', undefined, { need });
    }
    staffOf.set(req, who);
  };
  const actor = (req: FastifyRequest): `staff:${string}` => {
    const who = staffOf.get(req);
    if (!who) throw new ApplianceError('STAFF_AUTH_REQUIRED');
    return who.actor;
  };
  const bearer = (req: FastifyRequest) => req.headers.authorization;
  const routes = routeAttacher(app, { staffPreHandler });

  // ---------- applicant ----------
  const applicant = async <T>(run: () => Promise<T>): Promise<T> => {
    idle.touch();
    return run();
  };

  routes.attach('kiosk', async () => settings);
  routes.attach('state', async () => ({
    journey: engine.view(),
    service: services?.view() ?? null,
    devices: devices.status(),
    kioskService: control.state(),
  }));
  routes.attach('startJourney', () =>
    applicant(async () => {
      control.assertInService();
      // A service's result screen left for a pickup tile: back to the home screen first.
      if (services?.current() && !services.open()) await services.close();
      return engine.start();
    }),
  );
  routes.attach('scan', (req) =>
    applicant(async () => {
      // A scan without a journey starts one.
      if (engine.current()?.status !== 'active') control.assertInService();
      return engine.scan(req.body.code);
    }),
  );
  routes.attach('confirm', () => applicant(() => engine.confirm()));
  routes.attach('setPin', (req) => applicant(() => engine.setPin(req.body.pin)));
  routes.attach('touch', async () => {
    if (!engine.current() && !services?.current()) throw new ApplianceError('NO_ACTIVE_JOURNEY');
    return { idleWipeAt: new Date(idle.touch()).toISOString() };
  });
  routes.attach('retry', () => applicant(() => engine.retry()));
  routes.attach('endJourney', async (_req, reply) => {
    const j = engine.current();
    if (j && j.status === 'active') {
      // The applicant cannot drop a certificate central already issued (the idle wipe and staff still end it).
      if (!cancellable(j)) throw new ApplianceError('CANCEL_NOT_ALLOWED');
      await engine.wipe('cancelled');
    } else if (j) await engine.close();
    idle.stop();
    return reply.code(204).send();
  });

  // ---------- applicant: the invoice of the order just collected (the done screen) ----------
  const invoiceDesk = (): InvoiceDesk => {
    if (!opts.invoices)
      throw new ApplianceError('INVOICE_NOT_AVAILABLE', 'This kiosk takes no invoice requests.');
    return opts.invoices;
  };
  routes.attach('requestInvoice', (req) =>
    applicant(() => invoiceDesk().request(doneScreenOrder(engine.current()), req.body)),
  );
  // Reading is not presence (the invoice screen asks again while it waits): the idle clock is not touched.
  routes.attach('invoice', async () => invoiceDesk().state(doneScreenOrder(engine.current())));
  routes.attach('printInvoiceSlip', () =>
    applicant(async () => {
      const j = engine.current();
      return invoiceDesk().printSlip(doneScreenOrder(j), j!.id);
    }),
  );
  // A renewal's or look-up's result screen: only an order it shows (by position), never one the caller names.
  const resultOrder = (position: string) =>
    serviceResultOrder(services?.current() ?? null, Number.parseInt(position, 10));
  routes.attach('requestServiceInvoice', (req) =>
    applicant(() => invoiceDesk().request(resultOrder(req.params.position), req.body)),
  );
  routes.attach('serviceInvoice', async (req) => invoiceDesk().state(resultOrder(req.params.position)));
  routes.attach('printServiceInvoiceSlip', (req) =>
    applicant(async () => {
      const orderId = resultOrder(req.params.position);
      return invoiceDesk().printSlip(orderId, services!.current()!.id);
    }),
  );

  // ---------- applicant: the after-sales services ----------
  const serviceEngine = (): ServiceEngine => {
    if (!services)
      throw new ApplianceError('NO_ACTIVE_JOURNEY', 'This kiosk offers no after-sales services.');
    return services;
  };
  const serviceView = async (pending: Promise<ServiceView | null>): Promise<ServiceView> => {
    const v = await pending;
    if (!v) throw new ApplianceError('NO_ACTIVE_JOURNEY');
    return v;
  };
  routes.attach('startService', (req) =>
    applicant(async () => {
      control.assertInService();
      const s = serviceEngine();
      // A pickup's done or error screen left for a service tile: back to the home screen first.
      const j = engine.current();
      if (j && j.status !== 'active') await engine.close();
      return serviceView(s.start(req.body.kind));
    }),
  );
  routes.attach('serviceCode', (req) =>
    applicant(() => serviceView(serviceEngine().submitCode(req.body.code))),
  );
  routes.attach('serviceScan', (req) => applicant(() => serviceView(serviceEngine().scan(req.body.code))));
  routes.attach('servicePin', (req) => applicant(() => serviceView(serviceEngine().setPin(req.body.pin))));
  // Polled by the payment screen: not the holder's activity (the idle clock keeps running).
  routes.attach('servicePayment', () => serviceView(serviceEngine().checkPayment()));
  routes.attach('servicePayAgain', () => applicant(() => serviceView(serviceEngine().payAgain())));
  // A look-up's listed order, by its position on the list (never an order the caller names).
  const position = (p: string) => Number.parseInt(p, 10);
  routes.attach('payServiceOrder', (req) =>
    applicant(() => serviceView(serviceEngine().payOrder(position(req.params.position)))),
  );
  routes.attach('serviceOrderPayment', (req) =>
    serviceView(serviceEngine().orderPayment(position(req.params.position))),
  );
  routes.attach('leaveServiceOrderPayment', (req) =>
    applicant(() => serviceView(serviceEngine().leaveOrderPayment(position(req.params.position)))),
  );
  routes.attach('serviceRetry', () => applicant(() => serviceView(serviceEngine().retry())));
  routes.attach('endService', async (_req, reply) => {
    const s = serviceEngine();
    const j = s.current();
    if (j && j.status === 'active') {
      // Not mid side effect, nor once the activation code is used and the PIN not yet set (finish, or staff).
      if (!s.cancellable()) throw new ApplianceError('CANCEL_NOT_ALLOWED');
      await s.wipe('cancelled');
    } else if (j) await s.close();
    if (!engine.current()) idle.stop();
    return reply.code(204).send();
  });

  // "Call staff": never changes the journey. One open call per session; only a new one is audited (masked data
  // only). A failed audit write does not stop the call: the applicant needs staff then more than ever.
  routes.attach('callStaff', async () => {
    const v = engine.view();
    const sv = services?.view();
    const { call, raised } = calls.raise(
      v
        ? {
            journeyId: v.id,
            journeyRef: v.ref,
            step: v.step,
            status: v.status,
            need: v.need,
            ...(v.error ? { error: v.error.code } : {}),
          }
        : sv
          ? {
              journeyId: sv.id,
              journeyRef: sv.ref,
              status: sv.status,
              ...(sv.error ? { error: sv.error.code } : {}),
            }
          : {},
    );
    if (raised) {
      const { id, presses: _presses, ...facts } = call;
      await opts.staff
        .audit('applicant', 'staff.called', { callId: id, ...facts })
        .catch((err: unknown) => app.log.error(err));
    }
    return { ref: call.id, at: call.at, ...(call.journeyRef ? { journeyRef: call.journeyRef } : {}) };
  });

  routes.attach('events', (req, reply) => {
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    reply.raw.write(`event: journey\ndata: ${JSON.stringify(engine.view())}\n\n`);
    reply.raw.write(`event: service\ndata: ${JSON.stringify(services?.view() ?? null)}\n\n`);
    for (const s of devices.status()) reply.raw.write(`event: device\ndata: ${JSON.stringify(s)}\n\n`);
    reply.raw.write(`event: kiosk-service\ndata: ${JSON.stringify(control.state())}\n\n`);
    clients.add(reply);
    const keepAlive = setInterval(() => reply.raw.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(keepAlive);
      clients.delete(reply);
    });
    return undefined;
  });

  // ---------- staff ----------
  // Sign-in, sign-out and account changes are audited by the staff store itself (actor staff:<id>, never a PIN).
  routes.attach('staffLogin', async (req) => {
    const s = await staffAuth.login(req.body);
    return {
      token: s.token,
      staffId: s.staffId,
      name: s.name,
      role: s.role,
      idleExpiresAt: s.idleExpiresAt,
      expiresAt: s.expiresAt,
    };
  });
  routes.attach('staffLogout', async (req, reply) => {
    await staffAuth.logout(bearer(req));
    return reply.code(204).send();
  });
  routes.attach('changeOwnStaffPin', (req) =>
    staffAuth.changeOwnPin(bearer(req), req.body.currentPin, req.body.newPin),
  );
  routes.attach('staffAccounts', async (req) => ({ accounts: await staffAuth.listAccounts(bearer(req)) }));
  routes.attach('addStaffAccount', (req) => staffAuth.addAccount(bearer(req), req.body));
  routes.attach('resetStaffPin', (req) => staffAuth.resetPin(bearer(req), req.params.id, req.body.pin));
  routes.attach('setStaffRole', (req) => staffAuth.setRole(bearer(req), req.params.id, req.body.role));
  routes.attach('setStaffActive', (req) => staffAuth.setActive(bearer(req), req.params.id, req.body.active));
  routes.attach('unlockStaff', (req) => staffAuth.unlock(bearer(req), req.params.id));

  routes.attach('staffOverview', async () => ({
    ...(await opts.staff.overview()),
    staffAlarms: staffAuth.alarms(),
    staffCalls: calls.open(),
    devices: devices.status(),
    inDoubt: engine.inDoubt().map((j) => ({
      id: j.id,
      step: j.step,
      note: j.note,
      orderId: j.order?.orderId,
      tokenSerial: j.token?.serial,
      certificateSerial: j.certificate?.serialNumber,
      updatedAt: j.updatedAt,
      evidence: inDoubtEvidence(j),
    })),
  }));
  routes.attach('resolveInDoubt', async (req) => {
    const { action, note } = req.body;
    const details = { journeyId: req.params.id, action };
    try {
      let journey: JourneyView | null = null;
      if (action === 'retry-write') journey = await engine.resolveRetryWrite(req.params.id);
      else if (action === 'revoke-void')
        journey = await engine.resolveRevokeVoid(req.params.id, note ?? 'revoked and voided by staff');
      else await engine.markResolved(req.params.id, note ?? 'resolved by staff');
      await opts.staff.audit(actor(req), 'in-doubt.resolve', {
        ...details,
        outcome: journey?.status ?? 'failed',
      });
      return { journey };
    } catch (err) {
      await opts.staff.audit(actor(req), 'in-doubt.resolve.failed', {
        ...details,
        error: err instanceof ApplianceError ? err.code : 'INTERNAL',
      });
      throw err;
    }
  });
  routes.attach('endSession', async (req, reply) => {
    const j = engine.current();
    await opts.staff.audit(actor(req), 'session.end', {
      ...(j ? { journeyId: j.id, step: j.step, status: j.status } : {}),
    });
    if (j && j.status === 'active') await engine.endSession();
    else if (j) await engine.close();
    const sj = services?.current();
    if (sj) {
      await opts.staff.audit(actor(req), 'session.end', {
        journeyId: sj.id,
        service: sj.kind,
        status: sj.status,
      });
      if (sj.status === 'active') await services?.wipe('staff');
      else await services?.close();
    }
    idle.stop();
    return reply.code(204).send();
  });
  routes.attach('reprint', async (req) => {
    await opts.staff.audit(actor(req), 'receipt.reprint', { reprintId: req.params.id });
    return opts.staff.reprint(req.params.id);
  });
  routes.attach('ackStaffCall', async (req) => {
    const who = actor(req);
    const call = calls.get(req.params.id);
    await opts.staff.audit(who, 'staff.call.ack', {
      callId: call.id,
      raisedAt: call.at,
      presses: call.presses,
      ...(call.journeyRef ? { journeyRef: call.journeyRef } : {}),
    });
    return calls.acknowledge(call.id, who.slice('staff:'.length));
  });
  routes.attach('lookupJourney', async (req) => {
    const ref = normaliseJourneyRef(req.params.ref);
    // Refs are short: should two kept journeys share one, the newest is the one staff were shown.
    const found = ref
      ? engine
          .journeys()
          .filter((j) => journeyRef(j.id) === ref)
          .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0]
      : undefined;
    await opts.staff.audit(actor(req), 'journey.lookup', {
      ref: ref ?? req.params.ref.slice(0, 32),
      found: !!found,
    });
    if (!found || !ref) throw new ApplianceError('JOURNEY_REF_UNKNOWN', undefined, { ref: ref ?? '' });
    const nameMasked = found.identity?.nameMasked ?? found.order?.holder?.nameMasked;
    return {
      ref,
      id: found.id,
      status: found.status,
      step: found.step,
      need: journeyView(found).need,
      active: engine.current()?.id === found.id,
      ...(found.error ? { errorCode: found.error.code } : {}),
      ...(found.note ? { note: maskIdNumbersInText(found.note) } : {}),
      ...(found.order?.orderId ? { orderId: found.order.orderId } : {}),
      ...(nameMasked ? { nameMasked } : {}),
      startedAt: found.startedAt,
      updatedAt: found.updatedAt,
    };
  });
  routes.attach('verifyAudit', async () => opts.staff.verifyAudit());
  // ---------- staff: device self-tests and the blank-key stock ----------
  // A self-test uses the devices an applicant would: never beside an open session (it could take their card
  // read or their scan). Audited either way, with what came of it (a code, never what the device read).
  routes.attach('deviceSelfTest', async (req) => {
    const device = req.params.kind;
    if (engine.current()?.status === 'active' || services?.open()) {
      await opts.staff.audit(actor(req), 'device.self-test.refused', {
        device,
        error: 'SELF_TEST_SESSION_OPEN',
      });
      throw new ApplianceError('SELF_TEST_SESSION_OPEN');
    }
    if (!opts.staff.selfTest) throw new ApplianceError('DEVICE_UNAVAILABLE');
    try {
      const result = await opts.staff.selfTest(device);
      await opts.staff.audit(actor(req), 'device.self-test', { device, outcome: 'ok' });
      return result;
    } catch (err) {
      const code = err instanceof ApplianceError ? err.code : 'INTERNAL';
      await opts.staff.audit(actor(req), 'device.self-test', { device, outcome: code });
      throw err;
    }
  });
  routes.attach('refillBlankKeys', async (req) => {
    if (!opts.staff.refillBlankKeys)
      throw new ApplianceError('BAD_REQUEST', 'This kiosk does not record blank keys.');
    const stock = await opts.staff.refillBlankKeys(req.body.count);
    await opts.staff.audit(actor(req), 'consumables.blank-keys.refill', {
      added: req.body.count,
      count: stock.count,
    });
    return stock;
  });
  routes.attach('staffDiagnostics', async (req, reply) => {
    const by = actor(req);
    // Audited before it is built, so the bundle's audit tail shows who took it.
    await opts.staff.audit(by, 'diagnostics.export', {});
    const bundle = await opts.staff.diagnostics(by);
    const stamp = bundle.generatedAt.replace(/[:.]/g, '-');
    reply.header(
      'content-disposition',
      `attachment; filename="certkiosk-diagnostics-${bundle.applianceId.replace(/[^A-Za-z0-9_-]/g, '_')}-${stamp}.json"`,
    );
    reply.header('cache-control', 'no-store');
    return bundle;
  });

  // ---------- staff: reconciliation with central (issue 14 §4) ----------
  const reconciliation = () => {
    if (!opts.reconciliation)
      throw new ApplianceError('CENTRAL_UNAVAILABLE', 'This kiosk is not set up to reconcile with central.');
    return opts.reconciliation;
  };
  routes.attach('runReconciliation', async (req) => {
    const desk = reconciliation();
    // A wrong day is refused here, before anything is sent or audited.
    const day = desk.day(req.body.day);
    try {
      const report = await desk.run(day);
      await opts.staff.audit(actor(req), 'reconciliation.run', {
        day,
        runId: report.run.id,
        lines: report.lines.length,
      });
      return report;
    } catch (err) {
      await opts.staff.audit(actor(req), 'reconciliation.run.failed', {
        day,
        error: err instanceof ApplianceError ? err.code : 'INTERNAL',
      });
      throw err;
    }
  });
  routes.attach('reconciliationReport', async (req) => reconciliation().report(req.query.day));

  // ---------- staff: sync, audit log, kiosk control (issue 15) ----------
  attachMaintenanceRoutes(routes, {
    maintenance: opts.maintenance ?? {},
    control,
    sessionRunning: () => engine.current()?.status === 'active' || services?.current()?.status === 'active',
    audit: (who, action, details) => opts.staff.audit(who, action, details),
    actor: (req) => actor(req as FastifyRequest),
  });

  const missing = (Object.keys(ROUTES) as RouteName[]).filter(
    (n) => ROUTES[n].tag !== 'sim' && !routes.attached.has(n),
  );
  if (missing.length) throw new Error(`routes without a handler: ${missing.join(', ')}`);

  for (const plugin of opts.plugins ?? []) await plugin(app);

  const notFound = (reply: FastifyReply) =>
    send(reply.code(404), new ApplianceError('BAD_REQUEST', 'No such route.'));
  if (opts.uiDir && existsSync(opts.uiDir)) {
    await app.register(fastifyStatic, { root: opts.uiDir, prefix: '/', wildcard: false });
    app.setNotFoundHandler((req, reply) => {
      if (req.url.startsWith('/api/') || req.url.startsWith('/sim/')) return notFound(reply);
      return reply.sendFile('index.html');
    });
  } else {
    app.setNotFoundHandler((_req, reply) => notFound(reply));
  }
  return app;
}

/** While a kiosk payment's QR code is shown (need = payment, pending): when it expires; 0 otherwise. */
export function payingUntil(v: ServiceView | null | undefined): number {
  const p = v?.need === 'payment' ? v.payment : undefined;
  return p?.state === 'pending' && p.expiresAt ? Date.parse(p.expiresAt) : 0;
}
