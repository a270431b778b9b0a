// Prometheus metrics at GET /metrics (prom-client), for the Grafana operations already run: the fleet (appliances
// by status, approved ones whose heartbeat is stale (fleet-alarms.ts's threshold), open alarms by kind), read from the store when scraped, and
// central's own HTTP requests (count and duration by method, route pattern and status). The page is not public:
// Prometheus scrapes it with the admin token (`authorization: { credentials: <token> }` in its scrape config).
// Each app has its own registry, so several centrals in one process (tests) never share a series.
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ALARM_KINDS } from '../contract/schemas.js';
import { isAdminRequest } from './admin-auth.js';
import { OPEN } from './audit-heads.js';
import { CentralError } from './errors.js';
import type { FleetAlarms } from './fleet-alarms.js';
import type { Db } from './store.js';

export const APPLIANCE_STATUSES = ['pending', 'approved', 'revoked'] as const;

export interface MetricsOptions {
  db: Db;
  now: () => number;
  /** Stale appliances are found by its sweep, run before each scrape. */
  fleet: FleetAlarms;
}

/** The registry with every central metric; the fleet gauges are computed from the store on each scrape. */
export function centralMetrics(opts: MetricsOptions): {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status_code'>;
  durations: Histogram<'method' | 'route' | 'status_code'>;
  fleet: FleetAlarms;
} {
  const registry = new Registry();

  new Gauge({
    name: 'certkiosk_appliances',
    help: 'Appliances registered at central, by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = (await opts.db.all('SELECT status, COUNT(*) AS n FROM appliances GROUP BY status')) as {
        status: string;
        n: number;
      }[];
      for (const s of APPLIANCE_STATUSES) this.set({ status: s }, rows.find((r) => r.status === s)?.n ?? 0);
    },
  });

  new Gauge({
    name: 'certkiosk_appliances_heartbeat_stale',
    help: 'Approved appliances not heard from within the stale threshold (their heartbeat-stale alarm not cleared)',
    registers: [registry],
    async collect() {
      const row =
        (await opts.db.get(`SELECT COUNT(DISTINCT x.appliance_id) AS n FROM alarms x JOIN appliances a ON a.id = x.appliance_id
           WHERE x.kind = 'heartbeat-stale' AND x.cleared_at IS NULL AND a.status = 'approved'`)) as {
          n: number;
        };
      this.set(row.n);
    },
  });

  new Gauge({
    name: 'certkiosk_alarms_open',
    help: 'Open (unacknowledged) alarms, by kind',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const rows = (await opts.db.all(
        `SELECT kind, COUNT(*) AS n FROM alarms WHERE ${OPEN} GROUP BY kind`,
      )) as { kind: string; n: number }[];
      for (const k of ALARM_KINDS) this.set({ kind: k }, rows.find((r) => r.kind === k)?.n ?? 0);
    },
  });

  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: 'certkiosk_central_http_requests_total',
    help: 'HTTP requests central answered, by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'certkiosk_central_http_request_duration_seconds',
    help: 'Time central took to answer, by method, route pattern and status',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, requests, durations, fleet: opts.fleet };
}

/** Count and time every answered request (by route pattern: ids never become labels), and serve /metrics. */
export function registerMetrics(
  app: FastifyInstance,
  metrics: ReturnType<typeof centralMetrics>,
  auth: Parameters<typeof isAdminRequest>[1],
): void {
  app.addHook('onResponse', async (req, reply) => {
    const labels = {
      method: req.method,
      // Unmatched paths (404s, scans) share one label, so a scanner cannot grow the series without bound.
      route: req.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    metrics.requests.inc(labels);
    metrics.durations.observe(labels, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (!(await isAdminRequest(req, auth)))
      throw new CentralError('ADMIN_UNAUTHORISED', 'The metrics are scraped with the admin token.');
    await metrics.fleet.sweepStaleIfDue();
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
