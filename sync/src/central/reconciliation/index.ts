// Wiring: the reconciliation service over central's store and the payment provider's trade bill, its routes and page,
// and the daily timer (checks every minute whether the previous day is due; see schedule.ts).
import type { FastifyInstance } from 'fastify';
import type { Leases } from '../leases.js';
import type { Db } from '../store.js';
import { registerReconciliationPage } from './page-routes.js';
import { registerReconciliationRoutes } from './routes.js';
import { DEFAULT_CHECK_EVERY_MS, DEFAULT_DAILY_AT, dailyAtMinutes } from './schedule.js';
import { Reconciliations, type TradeBillSource } from './service.js';

export { Reconciliations } from './service.js';

export interface ReconciliationOptions {
  /** Beijing time (HH:mm) from which the previous day is reconciled by itself (default 02:00); false: no timer. */
  dailyAt?: string | false;
  /** How often the timer looks whether a run is due (default 60 s). */
  checkEveryMs?: number;
}

export interface ReconciliationSetup {
  service: Reconciliations;
  /** Fastify plugin: the API, the ops page and the timer. */
  plugin: (app: FastifyInstance) => Promise<void>;
}

export function setupReconciliation(input: {
  db: Db;
  now: () => number;
  /** Several central processes on one database: the day is reconciled by the one holding the lease. */
  leases: Leases;
  tradeBill: TradeBillSource;
  options?: ReconciliationOptions;
}): ReconciliationSetup {
  const dailyAt = input.options?.dailyAt ?? DEFAULT_DAILY_AT;
  // Checked now, so a wrong time stops central at start.
  const atMinutes = dailyAt === false ? 0 : dailyAtMinutes(dailyAt);
  const every = input.options?.checkEveryMs ?? DEFAULT_CHECK_EVERY_MS;
  if (!(Number.isInteger(every) && every >= 1000))
    throw new Error('the reconciliation timer checks at most once a second (checkEveryMs ≥ 1000).');
  const service = new Reconciliations(input.db, input.now, input.tradeBill, atMinutes, input.leases);
  return {
    service,
    async plugin(app) {
      await registerReconciliationRoutes(app);
      await app.register(registerReconciliationPage);
      if (dailyAt === false) return;
      const timer = setInterval(() => {
        void service.runDue().catch((err) => app.log.error(err, 'the daily reconciliation failed'));
      }, every);
      timer.unref();
      app.addHook('onClose', async () => clearInterval(timer));
    },
  };
}
