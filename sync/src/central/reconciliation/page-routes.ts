// The reconciliation page's routes: the page (GET) and its run button (a form POST, sent back to the page with 303).
// Operators only (Bearer token or login session); without one, the login form with 401, like /fleet.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAdminRequest } from '../admin-auth.js';
import { CentralError } from '../errors.js';
import { renderLoginPage } from '../pages/login-page.js';
import { beijingDay, previousDay } from './day.js';
import { RECONCILIATION_PAGE, type ReconciliationPageInput, renderReconciliationPage } from './ops-page.js';
import { PageQuerySchema, type ReconciliationReport, RunRequestSchema } from './schemas.js';

const FORM = 'application/x-www-form-urlencoded';

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}

export async function registerReconciliationPage(app: FastifyInstance): Promise<void> {
  const ctx = app.central;
  // Only this plugin's form reads urlencoded bodies.
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  /** Before the body is looked at: the login form (401) unless the request is an operator's. */
  const operatorsOnly = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!(await isAdminRequest(req, ctx))) return html(reply, 401, renderLoginPage());
  };
  /** The page of a day, with its newest report; a CentralError about the day becomes the page's error. */
  const page = async (day: string, error?: string): Promise<ReconciliationPageInput> => {
    let report: ReconciliationReport | undefined;
    if (!error) {
      try {
        report = await ctx.reconciliations.report(day);
      } catch (err) {
        if (!(err instanceof CentralError)) throw err;
        if (err.code !== 'RECONCILIATION_NOT_FOUND') error = err.message;
      }
    }
    return {
      day,
      recent: await ctx.reconciliations.recent(),
      ...(report ? { report } : {}),
      ...(error ? { error } : {}),
    };
  };

  app.get<{ Querystring: { day?: string } }>(
    RECONCILIATION_PAGE,
    {
      schema: {
        summary: 'Operations reconciliation page (HTML): a day’s report, the run button, the CSV link',
        tags: ['pages'],
        querystring: PageQuerySchema,
      },
      preValidation: operatorsOnly,
    },
    async (req, reply) => {
      const day = req.query.day ?? previousDay(beijingDay(ctx.now()));
      const p = await page(day);
      return html(reply, p.error ? 400 : 200, renderReconciliationPage(p));
    },
  );

  app.post<{ Body: { day: string } }>(
    RECONCILIATION_PAGE,
    {
      schema: {
        summary: 'The page’s run button (form: day): reconcile the day, then back to its page (303)',
        tags: ['pages'],
        consumes: [FORM],
        body: RunRequestSchema,
      },
      preValidation: operatorsOnly,
    },
    async (req, reply) => {
      try {
        await ctx.reconciliations.run(req.body.day, { trigger: 'operator' });
      } catch (err) {
        if (!(err instanceof CentralError) || err.code !== 'RECONCILIATION_DAY_INVALID') throw err;
        return html(reply, err.statusCode, renderReconciliationPage(await page(req.body.day, err.message)));
      }
      return reply
        .header('cache-control', 'no-store')
        .redirect(`${RECONCILIATION_PAGE}?day=${encodeURIComponent(req.body.day)}`, 303);
    },
  );
}
