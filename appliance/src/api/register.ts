// Attaching handlers to the route table: each handler is registered under its entry's method, URL and schemas
// (routes.ts), with the staff check on routes whose auth is 'staff' or 'administrator'. Nothing else may be
// registered under /api or /sim (guardRouteTable).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteBody, RouteParams, RouteTypes } from './client.js';
import { fastifySchema, ROUTES, type RouteDef, type RouteName, type Routes } from './routes.js';

export type RouteRequest<K extends RouteName> = FastifyRequest<{
  Body: RouteBody<K>;
  Params: RouteParams<K> extends undefined ? unknown : RouteParams<K>;
  Querystring: RouteTypes[K]['query'] extends undefined ? unknown : RouteTypes[K]['query'];
}>;

/** What a handler gives: the JSON answer; for a 204 or a non-JSON answer, the reply it sent. */
type ServerOk<K extends RouteName> = Routes[K]['kind'] extends 'json'
  ? Routes[K]['ok']['status'] extends 204
    ? FastifyReply
    : RouteTypes[K]['ok']
  : FastifyReply;

export type RouteHandler<K extends RouteName> = (
  req: RouteRequest<K>,
  reply: FastifyReply,
) => Promise<ServerOk<K> | FastifyReply> | undefined;

/** The check run before the handler of every route with auth 'staff' or 'administrator' (throws to refuse). */
export type StaffPreHandler = (
  req: FastifyRequest,
  reply: FastifyReply,
  need: Exclude<RouteDef['auth'], 'none'>,
) => Promise<void>;

export interface RouteAttacher {
  attach<K extends RouteName>(name: K, handler: RouteHandler<K>): void;
  /** Names attached so far. */
  readonly attached: ReadonlySet<RouteName>;
}

export function routeAttacher(app: FastifyInstance, opts: { staffPreHandler?: StaffPreHandler } = {}) {
  const attached = new Set<RouteName>();
  const attacher: RouteAttacher = {
    attached,
    attach(name, handler) {
      const def: RouteDef = ROUTES[name];
      const need = def.auth;
      const check = opts.staffPreHandler;
      if (need !== 'none' && !check)
        throw new Error(`route ${name} needs staff auth, and no staff check was given`);
      app.route({
        method: def.method,
        url: def.url,
        schema: fastifySchema(def),
        ...(need !== 'none' && check
          ? { preHandler: (req: FastifyRequest, reply: FastifyReply) => check(req, reply, need) }
          : {}),
        // A PIN must never reach a log line, even on a validation error.
        ...(def.secret ? { logLevel: 'warn' as const } : {}),
        handler: handler as (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
      });
      attached.add(name);
    },
  };
  return attacher;
}

const TABLE = new Set(Object.values(ROUTES).map((r) => `${r.method} ${r.url}`));

/** Refuses (throws at registration) a route under /api or /sim that is not an entry of the table. */
export function guardRouteTable(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const url = route.url ?? '';
    if (url !== '/sim' && !url.startsWith('/api/') && !url.startsWith('/sim/')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const key = `${method === 'HEAD' ? 'GET' : method} ${url}`;
      if (!TABLE.has(key))
        throw new Error(`${method} ${url} is not in the route table (appliance/src/api/routes.ts)`);
    }
  });
}
