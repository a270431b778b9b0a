// The one typed client of the appliance API, for the kiosk UI, the tests and the UI's fake appliance. A method
// per route of routes.ts, typed with Static<> of its schemas. Pure at run time (fetch only): routes.ts and its
// TypeBox schemas are imported as types, so a browser bundle carries neither TypeBox nor Fastify. The route
// list below is checked against the table at compile time (same names, methods, URLs, kinds, auth).
import type { Static, TSchema } from '@sinclair/typebox';
import { APPLIANCE_ERROR_CODES, type ApplianceErrorCode, type ErrorBody } from './contract.js';
import type { RouteName, Routes } from './routes.js';

export type { RouteName } from './routes.js';

type Empty = Record<never, never>;

/** Each route's path parameters, body and 2xx JSON answer as TypeScript types (Static<> of its schemas). */
export type RouteTypes = {
  [K in RouteName]: {
    params: Routes[K] extends { params: infer P extends TSchema } ? Static<P> : undefined;
    body: Routes[K] extends { body: infer B extends TSchema } ? Static<B> : undefined;
    query: Routes[K] extends { query: infer Q extends TSchema } ? Static<Q> : undefined;
    ok: Routes[K]['ok']['status'] extends 204 ? undefined : Static<Routes[K]['ok']['schema']>;
  };
};
/** Path parameters of a route (undefined when it has none). */
export type RouteParams<K extends RouteName> = RouteTypes[K]['params'];
/** Request body of a route (undefined for GET). */
export type RouteBody<K extends RouteName> = RouteTypes[K]['body'];
/** What a 2xx answer gives: the JSON body, undefined for 204, the Response itself for HTML/PNG/SSE. */
export type RouteOk<K extends RouteName> = Routes[K]['kind'] extends 'json' ? RouteTypes[K]['ok'] : Response;

type BodyInput<K extends RouteName> = Routes[K] extends { body: TSchema }
  ? Empty extends RouteBody<K>
    ? { body?: RouteBody<K> }
    : { body: RouteBody<K> }
  : Empty;
type ParamsInput<K extends RouteName> = Routes[K] extends { params: TSchema }
  ? { params: RouteParams<K> }
  : Empty;
type QueryInput<K extends RouteName> = Routes[K] extends { query: TSchema }
  ? { query?: RouteTypes[K]['query'] }
  : Empty;
type AuthInput<K extends RouteName> = Routes[K]['auth'] extends 'none' ? Empty : { token: string };
/** What a call takes: `body` (optional when nothing in it is required), `params`, `query` (optional), `token` for
 *  staff and administrator routes. */
export type RouteInput<K extends RouteName> = BodyInput<K> & ParamsInput<K> & QueryInput<K> & AuthInput<K>;
type Args<K extends RouteName> =
  Empty extends RouteInput<K> ? [input?: RouteInput<K>] : [input: RouteInput<K>];

/** Method, URL, answer kind and auth of every route: what the client (and the fake appliance) need at run time. */
export const ROUTE_LIST = {
  kiosk: ['GET', '/api/kiosk', 'json', 'none'],
  state: ['GET', '/api/state', 'json', 'none'],
  events: ['GET', '/api/events', 'event-stream', 'none'],
  startJourney: ['POST', '/api/journeys', 'json', 'none'],
  scan: ['POST', '/api/journeys/current/scan', 'json', 'none'],
  confirm: ['POST', '/api/journeys/current/confirm', 'json', 'none'],
  setPin: ['POST', '/api/journeys/current/pin', 'json', 'none'],
  touch: ['POST', '/api/journeys/current/touch', 'json', 'none'],
  retry: ['POST', '/api/journeys/current/retry', 'json', 'none'],
  endJourney: ['DELETE', '/api/journeys/current', 'json', 'none'],
  requestInvoice: ['POST', '/api/journeys/current/invoice-request', 'json', 'none'],
  invoice: ['GET', '/api/journeys/current/invoice', 'json', 'none'],
  callStaff: ['POST', '/api/help', 'json', 'none'],
  startService: ['POST', '/api/services', 'json', 'none'],
  serviceCode: ['POST', '/api/services/current/code', 'json', 'none'],
  serviceScan: ['POST', '/api/services/current/scan', 'json', 'none'],
  servicePin: ['POST', '/api/services/current/pin', 'json', 'none'],
  servicePayment: ['GET', '/api/services/current/payment', 'json', 'none'],
  servicePayAgain: ['POST', '/api/services/current/payment', 'json', 'none'],
  payServiceOrder: ['POST', '/api/services/current/orders/:position/payment', 'json', 'none'],
  serviceOrderPayment: ['GET', '/api/services/current/orders/:position/payment', 'json', 'none'],
  leaveServiceOrderPayment: ['DELETE', '/api/services/current/orders/:position/payment', 'json', 'none'],
  serviceRetry: ['POST', '/api/services/current/retry', 'json', 'none'],
  endService: ['DELETE', '/api/services/current', 'json', 'none'],
  printInvoiceSlip: ['POST', '/api/journeys/current/invoice-slip', 'json', 'none'],
  requestServiceInvoice: ['POST', '/api/services/current/orders/:position/invoice-request', 'json', 'none'],
  serviceInvoice: ['GET', '/api/services/current/orders/:position/invoice', 'json', 'none'],
  printServiceInvoiceSlip: ['POST', '/api/services/current/orders/:position/invoice-slip', 'json', 'none'],
  staffLogin: ['POST', '/api/staff/login', 'json', 'none'],
  staffLogout: ['POST', '/api/staff/logout', 'json', 'staff'],
  changeOwnStaffPin: ['POST', '/api/staff/me/pin', 'json', 'staff'],
  staffAccounts: ['GET', '/api/staff/accounts', 'json', 'administrator'],
  addStaffAccount: ['POST', '/api/staff/accounts', 'json', 'administrator'],
  resetStaffPin: ['POST', '/api/staff/accounts/:id/pin', 'json', 'administrator'],
  setStaffRole: ['POST', '/api/staff/accounts/:id/role', 'json', 'administrator'],
  setStaffActive: ['POST', '/api/staff/accounts/:id/active', 'json', 'administrator'],
  unlockStaff: ['POST', '/api/staff/accounts/:id/unlock', 'json', 'administrator'],
  staffOverview: ['GET', '/api/staff/overview', 'json', 'staff'],
  resolveInDoubt: ['POST', '/api/staff/in-doubt/:id/resolve', 'json', 'staff'],
  endSession: ['POST', '/api/staff/session/end', 'json', 'staff'],
  reprint: ['POST', '/api/staff/reprints/:id', 'json', 'staff'],
  ackStaffCall: ['POST', '/api/staff/calls/:id/ack', 'json', 'staff'],
  lookupJourney: ['GET', '/api/staff/journeys/:ref', 'json', 'staff'],
  verifyAudit: ['GET', '/api/staff/audit/verify', 'json', 'staff'],
  deviceSelfTest: ['POST', '/api/staff/devices/:kind/self-test', 'json', 'staff'],
  refillBlankKeys: ['POST', '/api/staff/consumables/blank-keys', 'json', 'staff'],
  staffDiagnostics: ['GET', '/api/staff/diagnostics', 'json', 'staff'],
  runReconciliation: ['POST', '/api/staff/reconciliation', 'json', 'staff'],
  reconciliationReport: ['GET', '/api/staff/reconciliation', 'json', 'staff'],
  syncStatus: ['GET', '/api/staff/sync', 'json', 'staff'],
  syncNow: ['POST', '/api/staff/sync/now', 'json', 'staff'],
  retryParkedEvent: ['POST', '/api/staff/sync/parked/:id/retry', 'json', 'staff'],
  discardParkedEvent: ['POST', '/api/staff/sync/parked/:id/discard', 'json', 'staff'],
  searchAudit: ['GET', '/api/staff/audit', 'json', 'staff'],
  kioskService: ['GET', '/api/staff/kiosk/service', 'json', 'staff'],
  setKioskService: ['POST', '/api/staff/kiosk/service', 'json', 'staff'],
  restartDaemon: ['POST', '/api/staff/kiosk/restart', 'json', 'administrator'],
  simPage: ['GET', '/sim', 'html', 'none'],
  simMemory: ['GET', '/sim/memory', 'json', 'none'],
  simScan: ['POST', '/sim/scan', 'json', 'none'],
  simIdCard: ['POST', '/sim/id-card', 'json', 'none'],
  simToken: ['POST', '/sim/token', 'json', 'none'],
  simPrinter: ['POST', '/sim/printer', 'json', 'none'],
  simReceipts: ['GET', '/sim/receipts', 'json', 'none'],
  simLatestReceipt: ['GET', '/sim/receipts/latest.png', 'png', 'none'],
} as const satisfies {
  readonly [K in RouteName]: readonly [
    Routes[K]['method'],
    Routes[K]['url'],
    Routes[K]['kind'],
    Routes[K]['auth'],
  ];
};

/** Every failure is an ErrorBody: the appliance's own when well-formed, else INTERNAL (call staff). */
export type ApiResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; error: ErrorBody };

const ACTIONS: ReadonlyArray<ErrorBody['action']> = ['retry', 'call-staff', 'come-back-later', 'none'];

/** Accepts what the appliance sent when it is a well-formed ErrorBody; anything else becomes INTERNAL. */
export function toErrorBody(body: unknown, status: number): ErrorBody {
  if (typeof body === 'object' && body !== null) {
    const b = body as Partial<ErrorBody>;
    if (APPLIANCE_ERROR_CODES.includes(b.code as ApplianceErrorCode)) {
      return {
        code: b.code as ApplianceErrorCode,
        message: typeof b.message === 'string' ? b.message : '',
        action: ACTIONS.includes(b.action as ErrorBody['action'])
          ? (b.action as ErrorBody['action'])
          : 'call-staff',
        retryable: b.retryable === true,
        ...(b.params && typeof b.params === 'object' ? { params: b.params } : {}),
      };
    }
  }
  return { code: 'INTERNAL', message: `HTTP ${status}`, action: 'call-staff', retryable: false };
}

/** What a call gives when the appliance did not answer at all. */
export const unreachable = (): ErrorBody => ({
  code: 'DEVICE_UNAVAILABLE',
  message: 'the appliance did not answer',
  action: 'call-staff',
  retryable: true,
});

/** A route's URL with its `:name` parameters filled in (encoded). */
export function routePath(name: RouteName, params?: Record<string, string>): string {
  return ROUTE_LIST[name][1].replace(/:([A-Za-z]+)/g, (_, key: string) => {
    const value = params?.[key];
    if (value === undefined) throw new Error(`${name}: missing path parameter ${key}`);
    return encodeURIComponent(value);
  });
}

/** The route a method and path name, with its decoded parameters (the fake appliance dispatches with it). */
export function matchRoute(
  method: string,
  pathname: string,
): { name: RouteName; params: Record<string, string> } | null {
  for (const name of Object.keys(ROUTE_LIST) as RouteName[]) {
    const [m, url] = ROUTE_LIST[name];
    if (m !== method) continue;
    const keys: string[] = [];
    const pattern = url.replace(/[.]/g, '\\.').replace(/:([A-Za-z]+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    const found = new RegExp(`^${pattern}$`).exec(pathname);
    if (!found) continue;
    const params: Record<string, string> = {};
    keys.forEach((k, i) => {
      params[k] = decodeURIComponent(found[i + 1]!);
    });
    return { name, params };
  }
  return null;
}

export type ApplianceClient = {
  readonly [K in RouteName]: (...args: Args<K>) => Promise<ApiResult<RouteOk<K>>>;
} & {
  /** The absolute (or base-relative) URL of a route, e.g. for EventSource(client.url('events')). */
  url(name: RouteName, params?: Record<string, string>): string;
};

type AnyInput = {
  body?: unknown;
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  token?: string;
};

/** `?a=1&b=2` of the fields given (none: ''). */
function queryString(query: AnyInput['query']): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) q.set(k, v);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/**
 * `baseUrl` is '' in the browser (same origin) or `http://127.0.0.1:PORT`. Every POST/DELETE is sent as
 * application/json (a bodiless one as `{}`), as the appliance requires.
 */
export function createApplianceClient(
  baseUrl = '',
  fetchImpl: typeof fetch = (input, init) => fetch(input, init),
): ApplianceClient {
  const base = baseUrl.replace(/\/$/, '');
  const call = async (name: RouteName, input: AnyInput = {}): Promise<ApiResult<unknown>> => {
    const [method, , kind] = ROUTE_LIST[name];
    const headers: Record<string, string> = { accept: kind === 'json' ? 'application/json' : '*/*' };
    if (input.token) headers['authorization'] = `Bearer ${input.token}`;
    // `cache` is a browser option (Node's fetch types lack it; undici accepts it).
    const init = { method, headers, cache: 'no-store' } as RequestInit;
    if (method !== 'GET') {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(input.body ?? {});
    }
    let res: Response;
    try {
      res = await fetchImpl(`${base}${routePath(name, input.params)}${queryString(input.query)}`, init);
    } catch {
      return { ok: false, status: 0, error: unreachable() };
    }
    if (res.ok && kind !== 'json') return { ok: true, status: res.status, data: res };
    const text = await res.text().catch(() => '');
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) return { ok: false, status: res.status, error: toErrorBody(parsed, res.status) };
    return { ok: true, status: res.status, data: res.status === 204 ? undefined : parsed };
  };
  const client: Record<string, unknown> = {
    url: (name: RouteName, params?: Record<string, string>) => `${base}${routePath(name, params)}`,
  };
  for (const name of Object.keys(ROUTE_LIST) as RouteName[]) {
    client[name] = (input?: AnyInput) => call(name, input);
  }
  return client as ApplianceClient;
}
