// What every request to the appliance must be, and what every answer carries. Pure (no Node, no Fastify): the
// server (server.ts) and the UI's fake appliance (kiosk-ui/e2e/fake-appliance.ts) apply the same rules.
//
// - Host must be one of the allowed hosts (by default the loopback names with the listening port): a page on
//   another name that resolves to 127.0.0.1 (DNS rebinding) sends its own name and is refused (421).
// - A request whose Origin is not an allowed origin is refused (403), and so is a browser's cross-site
//   subresource request (Sec-Fetch-Site other than same-origin/none, outside a top-level navigation).
// - POST/PUT/PATCH/DELETE must carry `content-type: application/json` (415): a cross-site form or `text/plain`
//   fetch (a "simple" request, sent without a CORS preflight) cannot change anything. Bodiless ones send `{}`.
// - Every answer carries the CSP below (frame-ancestors 'none'), nosniff, no-referrer and same-origin CORP.
import type { ApplianceErrorCode } from './contract.js';

/** The names the kiosk answers on: it listens on 127.0.0.1 only. */
export const LOOPBACK_HOSTNAMES = ['127.0.0.1', 'localhost', '[::1]'] as const;

/** `127.0.0.1:<port>`, `localhost:<port>`, `[::1]:<port>` (also without the port when it is 80). */
export function loopbackHosts(port: number): string[] {
  const hosts = LOOPBACK_HOSTNAMES.map((h) => `${h}:${port}`);
  return port === 80 ? [...hosts, ...LOOPBACK_HOSTNAMES] : hosts;
}

/** The origins a page served from these hosts has (`http://127.0.0.1:<port>`, …). */
export function originsOf(hosts: readonly string[]): string[] {
  return hosts.map((h) => `http://${h.toLowerCase()}`);
}

export interface HttpPolicy {
  /** Accepted Host header values, `name:port`. */
  hosts: readonly string[];
  /** Accepted Origin header values; a request without Origin passes this check. */
  origins: readonly string[];
}

export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `application/json`, with or without parameters (`; charset=utf-8`). */
export function isJsonContentType(value: string | undefined): boolean {
  return (value ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

export interface RequestFacts {
  method: string;
  host: string | undefined;
  origin: string | undefined;
  contentType: string | undefined;
  /** Sec-Fetch-Site and Sec-Fetch-Mode, sent by browsers. */
  fetchSite?: string | undefined;
  fetchMode?: string | undefined;
}

export type PolicyRefusal = Extract<
  ApplianceErrorCode,
  'HOST_NOT_ALLOWED' | 'ORIGIN_NOT_ALLOWED' | 'UNSUPPORTED_MEDIA_TYPE'
>;

/** The first rule a request breaks, or null. Order: Host, then Origin, then the content type. */
export function checkRequest(req: RequestFacts, policy: HttpPolicy): PolicyRefusal | null {
  const host = req.host?.toLowerCase();
  if (!host || !policy.hosts.some((h) => h.toLowerCase() === host)) return 'HOST_NOT_ALLOWED';
  if (req.origin !== undefined && !policy.origins.some((o) => o.toLowerCase() === req.origin!.toLowerCase()))
    return 'ORIGIN_NOT_ALLOWED';
  const site = req.fetchSite?.toLowerCase();
  if (site && site !== 'same-origin' && site !== 'none' && req.fetchMode?.toLowerCase() !== 'navigate')
    return 'ORIGIN_NOT_ALLOWED';
  if (STATE_CHANGING_METHODS.has(req.method.toUpperCase()) && !isJsonContentType(req.contentType))
    return 'UNSUPPORTED_MEDIA_TYPE';
  return null;
}

/** The kiosk UI is one origin with no inline script or style (Vite build, Svelte with external CSS). */
export function contentSecurityPolicy(inline: { scripts?: string[]; styles?: string[] } = {}): string {
  const hashes = (list: string[] | undefined) => (list ?? []).map((h) => ` '${h}'`).join('');
  return [
    "default-src 'self'",
    `script-src 'self'${hashes(inline.scripts)}`,
    `style-src 'self'${hashes(inline.styles)}`,
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** On every answer (a route with inline content replaces the CSP with one naming its hashes). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};
