// Which row a change request pokes the live stream for: the signing appliance, the appliance a route names, the
// appliance of the alarm a route names; an operator's
// other request: every row; an applicant's: none.
import type { FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplianceRow } from './appliances.js';
import { changedAppliance } from './fleet-poke.js';
import { type Harness, startHarness } from './testing.js';

let h: Harness;
afterEach(() => h.close());

const req = (r: { appliance?: Partial<ApplianceRow>; params?: Record<string, unknown>; url?: string }) =>
  ({ url: '/admin/v1/something', ...r }) as unknown as FastifyRequest;

describe('changedAppliance', () => {
  it('names the signing appliance, a route’s appliance, an alarm’s appliance, else none', async () => {
    h = await startHarness();
    const alarms = h.app.central.alarms;
    const alarm = await alarms.raise('KIOSK-T-009', 'audit-forked', 'forked', {});
    expect(await changedAppliance(req({ appliance: { id: 'KIOSK-T-001' } }), alarms)).toBe('KIOSK-T-001');
    expect(await changedAppliance(req({ params: { applianceId: 'KIOSK-T-002' } }), alarms)).toBe(
      'KIOSK-T-002',
    );
    expect(await changedAppliance(req({ params: { alarmId: alarm.id } }), alarms)).toBe('KIOSK-T-009');
    expect(await changedAppliance(req({ params: { alarmId: alarm.id + 1000 } }), alarms)).toBe('all');
    // A registration, an enrolment, the console's requests, an operator's login or logout: any row.
    for (const url of [
      '/admin/v1/appliances',
      '/admin/login',
      '/admin/logout',
      '/fleet/x',
      '/v1/appliances/enrol',
    ]) {
      expect(await changedAppliance(req({ url }), alarms), url).toBe('all');
    }
    // Orders, payments, statements and their pages: no fleet row.
    for (const url of [
      '/admin/v1/orders',
      '/admin/v1/orders/ORD-1/actions',
      '/admin/v1/statements',
      '/p/tok/demo-pay',
      '/demo/pay',
      '/v3/pay/transactions/native',
      '/fleetish',
      '/admin/v1/appliancesX',
    ]) {
      expect(await changedAppliance(req({ url, params: { orderId: 'ORD-1' } }), alarms), url).toBeNull();
    }
  });
});
