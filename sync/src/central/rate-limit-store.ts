// The public rate limit's counters in the store (table rate_limits), so central processes sharing a PostgreSQL
// database count one client together. A fixed window per (route, client): one upsert per request, atomic in
// both dialects. Plugged into @fastify/rate-limit as its `store` (the plugin calls `child` once per limited
// route, then `incr` per request).
import type { Db } from './store.js';

type Callback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/** Rows of windows long over are deleted every this many counts (per process). */
const PRUNE_EVERY = 500;

interface RouteParams {
  routeInfo?: { method?: string | string[]; url?: string };
}

export function dbRateLimitStore(db: Db, now: () => number = Date.now) {
  let counted = 0;
  let longestWindowMs = 60_000;

  async function increment(bucket: string, timeWindow: number): Promise<{ current: number; ttl: number }> {
    const at = now();
    longestWindowMs = Math.max(longestWindowMs, timeWindow);
    const row = (await db.get<{ hits: number; window_start: number }>(
      `INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1)
       ON CONFLICT (bucket) DO UPDATE SET
         hits = CASE WHEN rate_limits.window_start + ? <= ? THEN 1 ELSE rate_limits.hits + 1 END,
         window_start = CASE WHEN rate_limits.window_start + ? <= ? THEN ? ELSE rate_limits.window_start END
       RETURNING hits, window_start`,
      bucket,
      at,
      timeWindow,
      at,
      timeWindow,
      at,
      at,
    ))!;
    if (++counted % PRUNE_EVERY === 0)
      await db.run('DELETE FROM rate_limits WHERE window_start < ?', at - longestWindowMs);
    return { current: row.hits, ttl: Math.max(0, row.window_start + timeWindow - at) };
  }

  async function peek(bucket: string, timeWindow: number): Promise<{ current: number; ttl: number }> {
    const at = now();
    const row = await db.get<{ hits: number; window_start: number }>(
      'SELECT hits, window_start FROM rate_limits WHERE bucket = ?',
      bucket,
    );
    if (!row || row.window_start + timeWindow <= at) return { current: 0, ttl: 0 };
    return { current: row.hits, ttl: row.window_start + timeWindow - at };
  }

  class Store {
    constructor(readonly route = '*') {}
    incr(key: string, cb: Callback, timeWindow: number): void {
      increment(`${this.route} ${key}`, timeWindow).then(
        (r) => cb(null, r),
        (err: Error) => cb(err),
      );
    }
    read(key: string, cb: Callback, timeWindow: number): void {
      peek(`${this.route} ${key}`, timeWindow).then(
        (r) => cb(null, r),
        (err: Error) => cb(err),
      );
    }
    child(params: RouteParams): Store {
      const method = params.routeInfo?.method;
      const url = params.routeInfo?.url ?? '*';
      return new Store(`${Array.isArray(method) ? method.join(',') : (method ?? '*')} ${url}`);
    }
  }
  return Store;
}
