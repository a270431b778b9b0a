// Page routes: the applicant's phone page (by its unguessable view token) and the fleet view (operator: Bearer
// admin token or login session; without one it answers 401 with the login form).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PickupCodeResponseSchema } from '../../contract/schemas.js';
import { isAdminRequest } from '../admin-auth.js';
import { CentralError } from '../errors.js';
import type { OrderRow } from '../orders.js';
import { tokenInUrl } from '../routes/admin.js';
import { renderFleetPage } from './fleet-page.js';
import { renderLoginPage } from './login-page.js';
import { renderPhonePage } from './phone-page.js';

export async function registerPages(app: FastifyInstance): Promise<void> {
  const ctx = app.central;

  /** The order's pickup code, renewed (new nonce) when the shown one has expired. */
  const currentPickup = (row: OrderRow) => {
    if (row.status !== 'approved' || row.delivery !== 'kiosk') return null;
    if (row.pickup_exp !== null && row.pickup_exp * 1000 <= ctx.now())
      return ctx.orders.refreshPickupCode(row.id);
    return ctx.orders.pickupCode(row.id);
  };
  const rowOr404 = (token: string): OrderRow => {
    const row = ctx.orders.byViewToken(token);
    if (!row) throw new CentralError('ORDER_NOT_FOUND', 'No order behind this link.');
    return row;
  };
  const ViewParams = Type.Object({ viewToken: Type.String({ maxLength: 64 }) });
  const rateLimit = ctx.publicRateLimit;

  app.get<{ Params: { viewToken: string } }>(
    '/p/:viewToken',
    {
      schema: { summary: 'Applicant phone page (HTML)', tags: ['pages'], params: ViewParams },
      config: { rateLimit },
    },
    async (req, reply) => {
      const row = rowOr404(req.params.viewToken);
      const pickup = currentPickup(row);
      return reply
        .type('text/html; charset=utf-8')
        .send(await renderPhonePage(ctx.orders.toOrder(row), pickup));
    },
  );

  app.get<{ Params: { viewToken: string } }>(
    '/p/:viewToken/pickup-code',
    {
      schema: {
        summary: 'The pickup code shown on the phone page, as JSON (what a QR scan of the page yields)',
        tags: ['pages'],
        params: ViewParams,
        response: { 200: PickupCodeResponseSchema },
      },
      config: { rateLimit },
    },
    async (req) => {
      const code = currentPickup(rowOr404(req.params.viewToken));
      if (!code)
        throw new CentralError(
          'ORDER_NOT_APPROVED',
          'This order has no pickup code (not approved for kiosk pickup).',
        );
      return code;
    },
  );

  app.get(
    '/fleet',
    {
      schema: {
        summary:
          'Operations fleet view (HTML; Bearer admin token or login session, else 401 with the login form)',
        tags: ['pages'],
      },
    },
    async (req, reply) => {
      if (!isAdminRequest(req, ctx)) {
        const notice = tokenInUrl(req)
          ? 'A token in the address is not accepted (it would stay in browser history and server logs); log in here.'
          : undefined;
        return reply
          .code(401)
          .header('cache-control', 'no-store')
          .type('text/html; charset=utf-8')
          .send(renderLoginPage(notice ? { notice } : {}));
      }
      const today = new Date(ctx.now()).toISOString().slice(0, 10);
      const count = ctx.db.prepare(
        'SELECT COUNT(*) AS n FROM certificates WHERE appliance_id = ? AND issued_at >= ?',
      );
      const rows = ctx.appliances.list().map((a) => ({
        appliance: a,
        issuedToday: (count.get(a.id, today) as { n: number }).n,
        alarms: ctx.alarms.list({ applianceId: a.id }),
      }));
      return reply
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(renderFleetPage(rows, ctx.now()));
    },
  );
}
