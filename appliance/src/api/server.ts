// The appliance API on 127.0.0.1: REST for actions, server-sent events for journey and device changes,
// the built kiosk-ui, staff routes and (sim profile only) the emulator control routes.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApplianceError } from '../errors.js';
import type { PickupEngine } from '../journey/engine.js';
import {
  type DeviceStatusView,
  IN_DOUBT_RESOLUTIONS,
  type InDoubtResolution,
  type JourneyView,
  type KioskSettings,
  type ServerEvents,
} from './contract.js';
import { IdleTimer } from './idle-timer.js';

export interface DeviceStatusSource {
  status(): DeviceStatusView[];
  on(event: 'status', listener: (s: DeviceStatusView) => void): unknown;
  off(event: 'status', listener: (s: DeviceStatusView) => void): unknown;
}

export interface StaffServices {
  pin: string;
  overview(): Promise<Record<string, unknown>> | Record<string, unknown>;
  reprint(id: string): Promise<{ state: string }>;
  verifyAudit(): Promise<{ ok: boolean; records: number; firstBadSeq?: number; reason?: string }>;
  /** Record a staff action in the audit log. */
  audit(actor: string, action: string, details: Record<string, unknown>): Promise<void>;
}

export interface ApiOptions {
  engine: PickupEngine;
  devices: DeviceStatusSource;
  settings: KioskSettings;
  staff: StaffServices;
  /** Built kiosk-ui (index.html + assets); skipped when missing. */
  uiDir?: string;
  /** Extra routes (the sim control) registered on the same server. */
  plugins?: Array<(app: FastifyInstance) => Promise<void> | void>;
  logger?: boolean;
}

const STAFF_SESSION_MS = 15 * 60_000;

function send(reply: FastifyReply, err: unknown) {
  const e = err instanceof ApplianceError ? err : new ApplianceError('INTERNAL', (err as Error)?.message);
  return reply.code(e.status).send(e.toBody());
}

export async function buildApplianceApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 64 * 1024 });
  const { engine, devices, settings } = opts;
  const idle = new IdleTimer(settings.idleWarningMs, settings.idleWipeMs);
  const clients = new Set<FastifyReply>();
  const staffTokens = new Map<string, number>();

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
  const onDevice = (s: DeviceStatusView) => broadcast('device', s);
  devices.on('status', onDevice);
  idle.on('warning', (wipeAt) => broadcast('idle-warning', { wipeAt }));
  idle.on('expired', () => {
    const j = engine.current();
    if (!j) return;
    if (engine.isBusy) return idle.touch(); // the machine is working; the applicant is waiting for it
    const done = j.status !== 'active' ? engine.close() : engine.wipe('idle');
    done.catch((err) => app.log.error(err));
  });
  app.addHook('onClose', async () => {
    idle.stop();
    engine.off('journey', onJourney);
    devices.off('status', onDevice);
    for (const c of clients) c.raw.end();
  });

  // The contract as OpenAPI, from the route schemas (tags: applicant, staff, sim).
  await app.register(swagger, {
    openapi: {
      info: { title: 'certkiosk appliance API (127.0.0.1 only)', version: '1.0.0' },
      components: { securitySchemes: { staffToken: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ApplianceError) return send(reply, err);
    if ((err as { validation?: unknown }).validation) {
      return send(reply, new ApplianceError('BAD_REQUEST', (err as Error).message));
    }
    app.log.error(err);
    return send(reply, err);
  });

  // ---------- applicant ----------
  const applicant = (fn: (req: FastifyRequest) => Promise<unknown>) => async (req: FastifyRequest) => {
    idle.touch();
    return fn(req);
  };

  app.get('/api/kiosk', async () => settings);
  app.get('/api/state', async () => ({ journey: engine.view(), devices: devices.status() }));
  app.post(
    '/api/journeys',
    applicant(() => engine.start()),
  );
  app.post<{ Body: { code: string } }>(
    '/api/journeys/current/scan',
    {
      schema: {
        body: {
          type: 'object',
          required: ['code'],
          properties: { code: { type: 'string', minLength: 1, maxLength: 4096 } },
        },
      },
    },
    applicant((req) => engine.scan((req.body as { code: string }).code)),
  );
  app.post(
    '/api/journeys/current/confirm',
    applicant(() => engine.confirm()),
  );
  app.post(
    '/api/journeys/current/pin',
    {
      schema: {
        body: {
          type: 'object',
          required: ['pin'],
          additionalProperties: false,
          properties: { pin: { type: 'string', minLength: 1, maxLength: 64 } },
        },
      },
      // The PIN must never reach a log line, even on a validation error.
      logLevel: 'warn',
    },
    applicant((req) => engine.setPin((req.body as { pin: string }).pin)),
  );
  app.post('/api/journeys/current/touch', async () => {
    if (!engine.current()) throw new ApplianceError('NO_ACTIVE_JOURNEY');
    return { idleWipeAt: new Date(idle.touch()).toISOString() };
  });
  app.post(
    '/api/journeys/current/retry',
    applicant(() => engine.retry()),
  );
  app.delete('/api/journeys/current', async (_req, reply) => {
    const j = engine.current();
    if (j && j.status === 'active') await engine.wipe('cancelled');
    else if (j) await engine.close();
    idle.stop();
    return reply.code(204).send();
  });

  app.get('/api/events', (req, reply) => {
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    reply.raw.write(`event: journey\ndata: ${JSON.stringify(engine.view())}\n\n`);
    for (const s of devices.status()) reply.raw.write(`event: device\ndata: ${JSON.stringify(s)}\n\n`);
    clients.add(reply);
    const keepAlive = setInterval(() => reply.raw.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(keepAlive);
      clients.delete(reply);
    });
  });

  // ---------- staff ----------
  const staffAuth = async (req: FastifyRequest) => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const until = token ? staffTokens.get(token) : undefined;
    if (!token || !until || until < Date.now()) throw new ApplianceError('STAFF_AUTH_REQUIRED');
  };
  app.post<{ Body: { pin: string } }>(
    '/api/staff/login',
    {
      schema: {
        body: { type: 'object', required: ['pin'], properties: { pin: { type: 'string', maxLength: 64 } } },
      },
      logLevel: 'warn',
    },
    async (req) => {
      const given = Buffer.from(req.body.pin);
      const want = Buffer.from(opts.staff.pin);
      if (given.length !== want.length || !timingSafeEqual(given, want)) {
        await opts.staff.audit('staff:unknown', 'staff.login.failed', {});
        throw new ApplianceError('STAFF_PIN_WRONG');
      }
      const token = randomBytes(24).toString('base64url');
      const expiresAt = Date.now() + STAFF_SESSION_MS;
      staffTokens.set(token, expiresAt);
      await opts.staff.audit('staff', 'staff.login', {});
      return { token, expiresAt: new Date(expiresAt).toISOString() };
    },
  );
  app.get('/api/staff/overview', { preHandler: staffAuth }, async () => ({
    ...(await opts.staff.overview()),
    devices: devices.status(),
    inDoubt: engine.inDoubt().map((j) => ({
      id: j.id,
      step: j.step,
      note: j.note,
      orderId: j.order?.orderId,
      tokenSerial: j.token?.serial,
      certificateSerial: j.certificate?.serialNumber,
      updatedAt: j.updatedAt,
    })),
  }));
  app.post<{ Params: { id: string }; Body: { action: InDoubtResolution; note?: string } }>(
    '/api/staff/in-doubt/:id/resolve',
    {
      preHandler: staffAuth,
      schema: {
        body: {
          type: 'object',
          required: ['action'],
          additionalProperties: false,
          properties: {
            action: { enum: [...IN_DOUBT_RESOLUTIONS] },
            note: { type: 'string', maxLength: 500 },
          },
        },
      },
    },
    async (req) => {
      const { action, note } = req.body;
      const details = { journeyId: req.params.id, action };
      try {
        let journey: JourneyView | null = null;
        if (action === 'retry-write') journey = await engine.resolveRetryWrite(req.params.id);
        else if (action === 'revoke-void')
          journey = await engine.resolveRevokeVoid(req.params.id, note ?? 'revoked and voided by staff');
        else await engine.markResolved(req.params.id, note ?? 'resolved by staff');
        await opts.staff.audit('staff', 'in-doubt.resolve', {
          ...details,
          outcome: journey?.status ?? 'failed',
        });
        return { journey };
      } catch (err) {
        await opts.staff.audit('staff', 'in-doubt.resolve.failed', {
          ...details,
          error: err instanceof ApplianceError ? err.code : 'INTERNAL',
        });
        throw err;
      }
    },
  );
  app.post('/api/staff/session/end', { preHandler: staffAuth }, async (_req, reply) => {
    const j = engine.current();
    await opts.staff.audit('staff', 'session.end', {
      ...(j ? { journeyId: j.id, step: j.step, status: j.status } : {}),
    });
    if (j && j.status === 'active') await engine.endSession();
    else if (j) await engine.close();
    idle.stop();
    return reply.code(204).send();
  });
  app.post<{ Params: { id: string } }>('/api/staff/reprints/:id', { preHandler: staffAuth }, async (req) => {
    await opts.staff.audit('staff', 'receipt.reprint', { reprintId: req.params.id });
    return opts.staff.reprint(req.params.id);
  });
  app.get('/api/staff/audit/verify', { preHandler: staffAuth }, async () => opts.staff.verifyAudit());

  for (const plugin of opts.plugins ?? []) await plugin(app);

  if (opts.uiDir && existsSync(opts.uiDir)) {
    await app.register(fastifyStatic, { root: opts.uiDir, prefix: '/', wildcard: false });
    app.setNotFoundHandler((req, reply) => {
      if (req.url.startsWith('/api/') || req.url.startsWith('/sim/'))
        return send(reply.code(404), new ApplianceError('BAD_REQUEST', 'No such route.'));
      return reply.sendFile('index.html');
    });
  }
  return app;
}
