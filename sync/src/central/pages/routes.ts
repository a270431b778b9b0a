// Page routes: the applicant's phone page (by its unguessable view token) and the fleet view (admin token).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PickupCodeResponseSchema } from '../../contract/schemas.js';
import { CentralError } from '../errors.js';
import type { OrderRow } from '../orders.js';
import { hasAdminToken } from '../routes/admin.js';
import { renderFleetPage } from './fleet-page.js';
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

  app.get<{ Params: { viewToken: string } }>(
    '/p/:viewToken',
    { schema: { summary: 'Applicant phone page (HTML)', tags: ['pages'], params: ViewParams } },
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
      schema: { summary: 'Operations fleet view (HTML; admin token as Bearer or ?token=)', tags: ['pages'] },
    },
    async (req, reply) => {
      if (!hasAdminToken(req, ctx.adminToken)) throw new CentralError('ADMIN_UNAUTHORISED');
      const today = new Date(ctx.now()).toISOString().slice(0, 10);
      const count = ctx.db.prepare(
        'SELECT COUNT(*) AS n FROM certificates WHERE appliance_id = ? AND issued_at >= ?',
      );
      const rows = ctx.appliances.list().map((a) => ({
        appliance: a,
        issuedToday: (count.get(a.id, today) as { n: number }).n,
      }));
      return reply.type('text/html; charset=utf-8').send(renderFleetPage(rows, ctx.now()));
    },
  );
}
