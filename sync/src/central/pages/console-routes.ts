// The operations console's routes (operators only: Bearer admin token or login session, else 401 with the login
// form): the fleet page, its live stream (GET /fleet/events, fleet-feed.ts), the per-appliance page, the alarm
// acknowledgement form (same origin only) and the console's scripts (console-assets.ts).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAdminRequest } from '../admin-auth.js';
import type { CentralContext } from '../context.js';
import { CentralError } from '../errors.js';
import { beijingDay, consoleAlarms, consoleRow, consoleRowsOf } from '../fleet-console.js';
import { type ApplianceEvent, renderApplianceNotFound, renderAppliancePage } from './appliance-page.js';
import { ASSET_PREFIX, CONSOLE_ASSETS, CONSOLE_CSP } from './console-assets.js';
import { renderFleetPage } from './fleet-page.js';
import { operatorPagesOnly } from './operator-gate.js';

const FORM = 'application/x-www-form-urlencoded';
/** Recent events shown on the per-appliance page. */
export const RECENT_EVENTS = 50;

/**
 * A console form must come from the console: the browser's Origin names this host, or (no Origin) its
 * Sec-Fetch-Site says same-origin. With the SameSite=Strict session cookie, a page elsewhere cannot act for an
 * operator. Refused: 403 ADMIN_CROSS_ORIGIN, nothing done.
 */
export function checkSameOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (origin !== undefined) {
    let sameHost = false;
    try {
      const o = new URL(origin);
      // Host as the URL parser normalises it (a default port dropped), under the Origin's scheme.
      sameHost = host !== undefined && o.host === new URL(`${o.protocol}//${host}`).host;
    } catch {
      sameHost = false;
    }
    if (sameHost) return;
  } else if (req.headers['sec-fetch-site'] === 'same-origin') return;
  throw new CentralError('ADMIN_CROSS_ORIGIN');
}

const html = (reply: FastifyReply, status: number, body: string) =>
  reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('content-security-policy', CONSOLE_CSP)
    .header('referrer-policy', 'same-origin')
    .type('text/html; charset=utf-8')
    .send(body);

export async function registerConsolePages(app: FastifyInstance): Promise<void> {
  const ctx = app.central;
  const onRequest = operatorPagesOnly(ctx);
  const staleS = () => ctx.fleetAlarms.staleMs / 1000;
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get(
    '/fleet',
    {
      schema: {
        summary:
          'Operations console: open alarms (acknowledge buttons) and the fleet table, live over GET /fleet/events (HTML; Bearer admin token or login session, else 401 with the login form)',
        tags: ['pages'],
      },
      onRequest,
    },
    async (_req, reply) => {
      await ctx.fleetAlarms.sweepStale();
      const open = await ctx.alarms.list();
      const rows = await consoleRowsOf(ctx, undefined, open);
      return html(reply, 200, renderFleetPage(rows, await consoleAlarms(ctx, open), staleS()));
    },
  );

  app.get(
    '/fleet/events',
    {
      schema: {
        summary:
          'The fleet page’s live stream (text/event-stream): `snapshot` on connect, then `row` and `alarms` as they change; `end` and closed when the session ends',
        tags: ['pages'],
      },
      onRequest,
    },
    async (req, reply) => {
      reply.hijack();
      await ctx.fleetFeed.attach(reply.raw, async () => isAdminRequest(req, ctx));
    },
  );

  app.get<{ Params: { name: string } }>(
    `${ASSET_PREFIX}:name`,
    {
      schema: {
        summary: 'The console’s scripts and uPlot (served from node_modules)',
        tags: ['pages'],
        params: Type.Object({ name: Type.String({ maxLength: 64 }) }),
      },
      onRequest,
    },
    async (req, reply) => {
      const asset = CONSOLE_ASSETS[`${ASSET_PREFIX}${req.params.name}`];
      if (!asset) return reply.code(404).type('text/plain').send('No such asset.');
      return reply
        .header('cache-control', 'private, max-age=300')
        .header('x-content-type-options', 'nosniff')
        .type(asset.type)
        .send(asset.body());
    },
  );

  app.get<{ Params: { applianceId: string } }>(
    '/fleet/:applianceId',
    {
      schema: {
        summary:
          'Per-appliance console page: enrolment, key fingerprint, heartbeat history chart, in doubt, recent events (HTML; 404 page for an unknown id)',
        tags: ['pages'],
        params: Type.Object({ applianceId: Type.String({ maxLength: 64 }) }),
      },
      onRequest,
    },
    async (req, reply) => {
      const a = await ctx.appliances.row(req.params.applianceId);
      if (!a) return html(reply, 404, renderApplianceNotFound(req.params.applianceId));
      await ctx.fleetAlarms.sweepStale();
      return html(reply, 200, renderAppliancePage(await appliancePageData(ctx, a.id), staleS()));
    },
  );

  app.post<{ Params: { alarmId: number } }>(
    '/fleet/alarms/:alarmId/acknowledge',
    {
      schema: {
        summary:
          'Acknowledge an alarm from the console (form post from the console page only: 403 ADMIN_CROSS_ORIGIN otherwise); back to the fleet page (303). Audited with the operator',
        tags: ['pages'],
        consumes: [FORM],
        params: Type.Object({ alarmId: Type.Integer({ minimum: 1 }) }),
      },
      onRequest,
      preValidation: async (req) => checkSameOrigin(req),
    },
    async (req, reply) => {
      await ctx.alarms.acknowledge(req.params.alarmId);
      return reply.header('cache-control', 'no-store').redirect('/fleet', 303);
    },
  );
}

async function appliancePageData(ctx: CentralContext, id: string) {
  const a = (await ctx.appliances.row(id))!;
  const row = await consoleRow(ctx, a);
  const history = await ctx.heartbeatHistory.list(id);
  const issued = (await ctx.db.all(
    `SELECT substr(received_at, 1, 13) AS hour, COUNT(*) AS n FROM events
       WHERE appliance_id = ? AND type = 'certificate.issued' AND received_at >= ? GROUP BY substr(received_at, 1, 13)`,
    id,
    history[0]?.at ?? beijingDay(ctx.now()).from,
  )) as { hour: string; n: number }[];
  const perHour = new Map(issued.map((r) => [r.hour, r.n]));
  const events = async (where: string, ...args: unknown[]) =>
    (
      (await ctx.db.all(
        `SELECT type, order_id, occurred_at, received_at FROM events WHERE appliance_id = ? ${where}
           ORDER BY received_at DESC, rowid DESC LIMIT ?`,
        id,
        ...args,
        RECENT_EVENTS,
      )) as {
        type: string;
        order_id: string | null;
        occurred_at: string;
        received_at: string;
      }[]
    ).map(
      (e): ApplianceEvent => ({
        type: e.type,
        orderId: e.order_id,
        occurredAt: e.occurred_at,
        receivedAt: e.received_at,
      }),
    );
  const inDoubtCount = row.heartbeat?.inDoubt ?? 0;
  return {
    row,
    history: history.map((p) => {
      const hour = p.at.slice(0, 13);
      return { ...p, hour, issuedInHour: perHour.get(hour) ?? 0 };
    }),
    recentEvents: await events(''),
    inDoubt: inDoubtCount > 0 ? (await events("AND type = 'journey.in-doubt'")).slice(0, inDoubtCount) : [],
  };
}
