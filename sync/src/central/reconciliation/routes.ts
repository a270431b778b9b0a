// The reconciliation endpoints: operators run a day and read or export its report (admin routes); a kiosk runs a day
// and reads its own lines for its maintenance screen (signed appliance routes), never another kiosk's.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../contract/schemas.js';
import { operatorOnly } from '../admin-auth.js';
import { applianceAuth } from '../routes/appliance-auth.js';
import {
  DayParamsSchema,
  type KioskRunRequest,
  KioskRunRequestSchema,
  ReconciliationReportSchema,
  type RunRequest,
  RunRequestSchema,
} from './schemas.js';

const SIGNED = [{ applianceSignature: [] }];
const ADMIN: Array<Record<string, string[]>> = [{ adminToken: [] }, { adminSession: [] }];
type DayRoute = { Params: { day: string } };

export async function registerReconciliationRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.central;

  await app.register(async (signed) => {
    signed.addHook('preValidation', applianceAuth(ctx));

    signed.post<{ Body: KioskRunRequest }>(
      '/v1/reconciliations',
      {
        schema: {
          summary:
            'Reconcile a Beijing day for this kiosk: its events and (optionally sent) records against central and the WeChat Pay bill; answers and keeps this kiosk’s lines only (400 RECONCILIATION_DAY_INVALID for a wrong day, nothing kept)',
          tags: ['appliance', 'reconciliation'],
          security: SIGNED,
          body: KioskRunRequestSchema,
          response: { 200: ReconciliationReportSchema, ...errorResponses(400, 401) },
        },
      },
      async (req) => ctx.reconciliations.runForAppliance(req.body.day, req.appliance!.id, req.body.records),
    );

    signed.get<DayRoute>(
      '/v1/reconciliations/:day',
      {
        schema: {
          summary:
            'The newest reconciliation of a day that covered this kiosk, with this kiosk’s lines only (404 RECONCILIATION_NOT_FOUND before any)',
          tags: ['appliance', 'reconciliation'],
          security: SIGNED,
          params: DayParamsSchema,
          response: { 200: ReconciliationReportSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => ctx.reconciliations.report(req.params.day, req.appliance!.id),
    );
  });

  await app.register(
    async (admin) => {
      admin.addHook('preValidation', operatorOnly(ctx));

      admin.post<{ Body: RunRequest }>(
        '/reconciliations',
        {
          schema: {
            summary:
              'Reconcile a Beijing day over the fleet now (kiosks’ events, central’s orders, payments, certificates and invoices, the WeChat Pay trade bill) and keep the report; one line per difference, no fix guessed',
            tags: ['admin', 'reconciliation'],
            security: ADMIN,
            body: RunRequestSchema,
            response: { 200: ReconciliationReportSchema, ...errorResponses(400, 401) },
          },
        },
        async (req) => ctx.reconciliations.run(req.body.day, { trigger: 'operator' }),
      );

      admin.get<DayRoute>(
        '/reconciliations/:day.csv',
        {
          schema: {
            summary:
              'The newest report of a day as CSV (UTF-8 with BOM, header row, one row per difference) for finance',
            tags: ['admin', 'reconciliation'],
            security: ADMIN,
            params: DayParamsSchema,
            response: { 200: Type.String({ description: 'text/csv' }), ...errorResponses(400, 401, 404) },
          },
        },
        async (req, reply) => {
          const csv = await ctx.reconciliations.csv(req.params.day);
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="reconciliation-${req.params.day}.csv"`)
            .header('cache-control', 'no-store')
            .send(csv);
        },
      );

      admin.get<DayRoute>(
        '/reconciliations/:day',
        {
          schema: {
            summary:
              'The newest report of a day over the fleet (404 RECONCILIATION_NOT_FOUND before any run)',
            tags: ['admin', 'reconciliation'],
            security: ADMIN,
            params: DayParamsSchema,
            response: { 200: ReconciliationReportSchema, ...errorResponses(400, 401, 404) },
          },
        },
        async (req) => ctx.reconciliations.report(req.params.day),
      );
    },
    { prefix: '/admin/v1' },
  );
}
