// The typed client against the real API listening on 127.0.0.1 (fake engine, devices and simulation): every
// route is called through it, and every JSON answer is checked against the route table's response schema.
import type { Receipt } from '@certkiosk/firmware-bridge';
import { CentralClientError, type InvoiceState } from '@certkiosk/sync';
import type { TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { InvoiceDesk } from '../invoices/invoice-desk.js';
import { ReconciliationDesk } from '../reconciliation/desk.js';
import { type ApiResult, createApplianceClient, matchRoute, routePath } from './client.js';
import { ROUTES, type RouteName } from './routes.js';
import { ErrorBodySchema } from './schemas.js';
import { SETTINGS, startTestApi, TEST_STAFF, type TestApi } from './testing-fakes.js';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

// The validator Fastify itself uses (TypeBox's Value does not know the Unsafe enums of the schemas).
const ajv = new Ajv({ strict: false, allErrors: true });
const problems = (schema: TSchema, value: unknown): string[] => {
  const validate = ajv.compile(schema);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
};

/** The answer is what the table says the route answers (2xx: its schema; else an ErrorBody). */
function conforms<T>(name: RouteName, r: ApiResult<T>): ApiResult<T> {
  const def = ROUTES[name];
  if (!r.ok) {
    expect(problems(ErrorBodySchema, r.error), `${name}: ErrorBody`).toEqual([]);
    return r;
  }
  expect(r.status, name).toBe(def.ok.status);
  if (def.kind === 'json' && def.ok.status !== 204) {
    expect(problems(def.ok.schema, r.data), `${name}: ${JSON.stringify(r.data)}`).toEqual([]);
  }
  return r;
}

describe('typed client', () => {
  it('round-trips every route against a real listening API', async () => {
    // Central's invoice of the done screen's order: recorded as asked, read back.
    let invoiceRequested: string | null = null;
    let requested: InvoiceState | null = null;
    const slips: Receipt[] = [];
    const invoices = new InvoiceDesk(
      {
        requestInvoice: async (orderId, body) => {
          invoiceRequested = orderId;
          requested = {
            state: 'requested',
            orderId,
            titleType: body.titleType,
            title: '个*',
            requestedAt: new Date().toISOString(),
          };
          return requested;
        },
        invoice: async () => {
          if (requested) return requested;
          throw new CentralClientError('CENTRAL_REFUSED', 'none', {
            status: 404,
            centralCode: 'INVOICE_NOT_REQUESTED',
          });
        },
      },
      {
        kiosk: { kioskId: 'KIOSK-T', hall: 'HALL-T' },
        print: async (slip) => {
          slips.push(slip);
        },
        queue: async () => undefined,
      },
    );
    // Central's reconciliation of a day: the kiosk's run answers its lines, the report reads them again.
    const report = (day: string) => ({
      run: {
        id: 1,
        day,
        trigger: 'appliance' as const,
        applianceId: SETTINGS.applianceId,
        providerBill: 'complete' as const,
        startedAt: '2026-03-02T02:30:00.000Z',
        finishedAt: '2026-03-02T02:30:01.000Z',
        lineCount: 1,
      },
      lines: [
        {
          kind: 'activation-differs' as const,
          subject: 'certificate' as const,
          orderId: 'ORD-1',
          applianceId: SETTINGS.applianceId,
          kiosk: 'activated: certificate.activated (listed by the kiosk, not received)',
          central: 'not activated (order issued)',
          message: 'Kiosk activated the certificate of order ORD-1; central has not activated the order.',
        },
      ],
    });
    const reconciliation = new ReconciliationDesk({
      central: { runReconciliation: async (day) => report(day), reconciliation: async (day) => report(day) },
      records: async () => [],
      now: () => Date.parse('2026-03-02T10:00:00+08:00'),
    });
    api = await startTestApi({ invoices, reconciliation });
    const c = createApplianceClient(api.url);
    const seen = new Set<RouteName>();
    const call = async <K extends RouteName, T>(name: K, pending: Promise<ApiResult<T>>) => {
      seen.add(name);
      return conforms(name, await pending);
    };

    expect(await call('kiosk', c.kiosk())).toMatchObject({ ok: true, data: SETTINGS });
    expect(await call('state', c.state())).toMatchObject({ ok: true, data: { journey: null } });
    const events = await call('events', c.events());
    expect(events.ok && events.data.headers.get('content-type')).toContain('text/event-stream');
    if (events.ok) await events.data.body?.cancel();

    const started = await call('startJourney', c.startJourney());
    expect(started.ok && started.data.need).toBe('scan');
    const scanned = await call('scan', c.scan({ body: { code: 'CK1-DEMO' } }));
    expect(scanned.ok && scanned.data.order?.orderId).toBe('ORD-1');
    expect((await call('confirm', c.confirm())).ok).toBe(true);
    const touched = await call('touch', c.touch());
    expect(touched.ok && Date.parse(touched.data.idleWipeAt)).toBeGreaterThan(Date.now());
    expect((await call('retry', c.retry())).ok).toBe(true);
    const pinned = await call('setPin', c.setPin({ body: { pin: '385172' } }));
    expect(pinned.ok && pinned.data.status).toBe('completed');
    expect(await call('invoice', c.invoice())).toMatchObject({ ok: true, data: { state: 'none' } });
    const invoiced = await call(
      'requestInvoice',
      c.requestInvoice({ body: { title: 'person', email: 'zw@example.cn' } }),
    );
    expect(invoiced).toMatchObject({ ok: true, data: { state: 'requested', title: 'person' } });
    expect(invoiceRequested).toBe('ORD-1');
    expect(await call('printInvoiceSlip', c.printInvoiceSlip())).toMatchObject({
      ok: true,
      data: { state: 'printed' },
    });
    expect(slips).toHaveLength(1);
    const help = await call('callStaff', c.callStaff());
    expect(help.ok && help.data.journeyRef).toBe(pinned.ok ? pinned.data.ref : '');
    expect(await call('endJourney', c.endJourney())).toEqual({ ok: true, status: 204, data: undefined });
    expect(api.engine.calls).toEqual(['start', 'scan:CK1-DEMO', 'confirm', 'retry', 'pin', 'close']);

    // The after-sales services.
    const service = await call('startService', c.startService({ body: { kind: 'activate' } }));
    expect(service.ok && service.data).toMatchObject({ kind: 'activate', need: 'token' });
    const state = await c.state();
    expect(state.ok && state.data.service?.kind).toBe('activate');
    const coded = await call('serviceCode', c.serviceCode({ body: { code: '246810' } }));
    expect(coded.ok && coded.data.need).toBe('pin');
    expect((await call('serviceRetry', c.serviceRetry())).ok).toBe(true);
    expect((await call('servicePayment', c.servicePayment())).ok).toBe(true);
    expect((await call('servicePayAgain', c.servicePayAgain({ body: {} }))).ok).toBe(true);
    const listed = { params: { position: '1' } };
    expect((await call('payServiceOrder', c.payServiceOrder({ ...listed, body: {} }))).ok).toBe(true);
    expect((await call('serviceOrderPayment', c.serviceOrderPayment(listed))).ok).toBe(true);
    expect(
      (await call('leaveServiceOrderPayment', c.leaveServiceOrderPayment({ ...listed, body: {} }))).ok,
    ).toBe(true);
    // An activation has no order to invoice: refused before central is asked.
    const position = { params: { position: '0' } };
    for (const refusedInvoice of [
      await call('serviceInvoice', c.serviceInvoice(position)),
      await call(
        'requestServiceInvoice',
        c.requestServiceInvoice({ ...position, body: { title: 'person', email: 'zw@example.cn' } }),
      ),
      await call('printServiceInvoiceSlip', c.printServiceInvoiceSlip(position)),
    ])
      expect(refusedInvoice).toMatchObject({ ok: false, status: 409, error: { code: 'WRONG_STEP' } });
    expect(slips).toHaveLength(1);
    expect((await call('serviceScan', c.serviceScan({ body: { code: 'CK1-LOOKUP' } }))).ok).toBe(true);
    const unlocked = await call('servicePin', c.servicePin({ body: { pin: '385172' } }));
    expect(unlocked.ok && unlocked.data.status).toBe('completed');
    expect(await call('endService', c.endService())).toEqual({ ok: true, status: 204, data: undefined });
    expect(api.services.calls).toEqual([
      'start:activate',
      'code:246810',
      'retry',
      'payment',
      'pay-again',
      'pay-order:1',
      'order-payment:1',
      'leave-order-payment:1',
      'scan:CK1-LOOKUP',
      'pin',
      'close',
    ]);

    // An error comes back as the appliance's ErrorBody.
    const refused = await call('touch', c.touch());
    expect(refused).toMatchObject({ ok: false, status: 409, error: { code: 'NO_ACTIVE_JOURNEY' } });

    // Staff.
    const admin = TEST_STAFF.administrator;
    const wrong = await call('staffLogin', c.staffLogin({ body: { staffId: admin.staffId, pin: '916273' } }));
    expect(wrong).toMatchObject({
      ok: false,
      status: 401,
      error: { code: 'STAFF_PIN_WRONG', params: { attemptsLeft: 4 } },
    });
    const noToken = await call('staffOverview', c.staffOverview({ token: 'forged' }));
    expect(noToken).toMatchObject({ ok: false, status: 401, error: { code: 'STAFF_AUTH_REQUIRED' } });
    const login = await call(
      'staffLogin',
      c.staffLogin({ body: { staffId: admin.staffId, pin: admin.pin } }),
    );
    if (!login.ok) throw new Error('staff login refused');
    expect(login.data).toMatchObject({ staffId: 'S001', name: admin.name, role: 'administrator' });
    const token = login.data.token;
    api.engine.inDoubt.push({ id: 'J-9' });
    const overview = await call('staffOverview', c.staffOverview({ token }));
    expect(overview.ok && overview.data.inDoubt.map((j) => j.id)).toEqual(['J-9']);
    expect(overview.ok && overview.data['version']).toBe('test');
    const resolved = await call(
      'resolveInDoubt',
      c.resolveInDoubt({ params: { id: 'J 9/x' }, body: { action: 'mark-resolved' }, token }),
    );
    expect(resolved).toMatchObject({ ok: true, data: { journey: null } });
    expect(api.engine.calls.at(-1)).toBe('mark-resolved:J 9/x');
    const badAction = await c.resolveInDoubt({
      params: { id: 'J-9' },
      body: { action: 'dance' as 'mark-resolved' },
      token,
    });
    expect(badAction).toMatchObject({ ok: false, status: 400, error: { code: 'BAD_REQUEST' } });
    expect(await call('reprint', c.reprint({ params: { id: 'R-1' }, token }))).toMatchObject({
      ok: true,
      data: { state: 'printed' },
    });
    expect((await call('endSession', c.endSession({ token }))).status).toBe(204);
    const ref = pinned.ok ? pinned.data.ref : '';
    expect(await call('lookupJourney', c.lookupJourney({ params: { ref }, token }))).toMatchObject({
      ok: true,
      data: { ref, status: 'completed', active: false },
    });
    const staffCalls = overview.ok ? (overview.data.staffCalls ?? []) : [];
    expect(staffCalls.map((x) => x.id)).toEqual([help.ok ? help.data.ref : '']);
    expect(
      await call('ackStaffCall', c.ackStaffCall({ params: { id: staffCalls[0]!.id }, token })),
    ).toMatchObject({ ok: true, data: { acknowledgedBy: 'S001' } });
    expect(await call('verifyAudit', c.verifyAudit({ token }))).toMatchObject({
      ok: true,
      data: { ok: true, records: 3 },
    });
    expect(await call('runReconciliation', c.runReconciliation({ body: {}, token }))).toMatchObject({
      ok: true,
      data: { run: { day: '2026-03-01' }, lines: [{ kind: 'activation-differs' }] },
    });
    expect(
      await call('reconciliationReport', c.reconciliationReport({ query: { day: '2026-02-27' }, token })),
    ).toMatchObject({ ok: true, data: { run: { day: '2026-02-27' } } });
    const diagnostics = await call('staffDiagnostics', c.staffDiagnostics({ token }));
    expect(diagnostics).toMatchObject({
      ok: true,
      data: { kind: 'certkiosk-diagnostics', generatedBy: 'staff:S001', softwareVersion: 'test' },
    });
    expect(
      await call('deviceSelfTest', c.deviceSelfTest({ params: { kind: 'printer' }, token })),
    ).toMatchObject({ ok: true, data: { device: 'printer', ok: true, printed: true } });
    expect(await call('refillBlankKeys', c.refillBlankKeys({ body: { count: 30 }, token }))).toMatchObject({
      ok: true,
      data: { count: 32, low: false },
    });

    // Sync, audit search, kiosk control: this API has no sync agent, audit log or restart behind them.
    expect(await call('syncStatus', c.syncStatus({ token }))).toMatchObject({
      ok: true,
      data: { queueDepth: 0, parked: [], lastSyncAt: null },
    });
    expect(await call('syncNow', c.syncNow({ token }))).toMatchObject({ ok: false, status: 503 });
    const parked = { params: { id: 'evt-00000001' }, token };
    expect(await call('retryParkedEvent', c.retryParkedEvent(parked))).toMatchObject({
      ok: false,
      status: 503,
    });
    expect(await call('discardParkedEvent', c.discardParkedEvent(parked))).toMatchObject({
      ok: false,
      status: 503,
    });
    expect(await call('searchAudit', c.searchAudit({ query: { actor: 'S001' }, token }))).toMatchObject({
      ok: true,
      data: { records: [] },
    });
    expect(await call('kioskService', c.kioskService({ token }))).toMatchObject({
      ok: true,
      data: { outOfService: false },
    });
    expect(
      await call('setKioskService', c.setKioskService({ body: { outOfService: false }, token })),
    ).toMatchObject({ ok: true, data: { outOfService: false } });
    expect(await call('restartDaemon', c.restartDaemon({ body: {}, token }))).toMatchObject({
      ok: false,
      status: 500,
    });

    // Staff accounts (administrator).
    const accounts = await call('staffAccounts', c.staffAccounts({ token }));
    expect(accounts.ok && accounts.data.accounts.map((a) => [a.id, a.role])).toEqual([
      ['S001', 'administrator'],
      ['S002', 'operator'],
    ]);
    const added = await call(
      'addStaffAccount',
      c.addStaffAccount({ body: { id: 'S003', name: '赵敏', role: 'operator', pin: '381946' }, token }),
    );
    expect(added).toMatchObject({ ok: true, data: { action: 'staff.account.add', staffId: 'S003' } });
    expect(
      await call(
        'resetStaffPin',
        c.resetStaffPin({ params: { id: 'S003' }, body: { pin: '472691' }, token }),
      ),
    ).toMatchObject({ ok: true, data: { action: 'staff.account.credential-reset' } });
    expect(
      await call(
        'setStaffRole',
        c.setStaffRole({ params: { id: 'S003' }, body: { role: 'administrator' }, token }),
      ),
    ).toMatchObject({ ok: true, data: { details: { from: 'operator', to: 'administrator' } } });
    expect(
      await call(
        'setStaffActive',
        c.setStaffActive({ params: { id: 'S003' }, body: { active: false }, token }),
      ),
    ).toMatchObject({ ok: true, data: { action: 'staff.account.disable' } });
    // A wrong PIN for S002 raises the counter over all sign-ins, which "*" clears.
    await c.staffLogin({ body: { staffId: 'S002', pin: '916273' } });
    expect(await call('unlockStaff', c.unlockStaff({ params: { id: '*' }, token }))).toMatchObject({
      ok: true,
      data: { action: 'staff.lockout.cleared', staffId: '*' },
    });
    expect(
      await call(
        'changeOwnStaffPin',
        c.changeOwnStaffPin({ body: { currentPin: admin.pin, newPin: '529163' }, token }),
      ),
    ).toMatchObject({ ok: true, data: { action: 'staff.account.credential-change', staffId: 'S001' } });
    expect((await call('staffLogout', c.staffLogout({ token }))).status).toBe(204);
    expect(await c.staffOverview({ token })).toMatchObject({ ok: false, status: 401 });

    expect(api.audit.map((a) => `${a.actor} ${a.action}`)).toEqual([
      'system staff.accounts.seeded',
      'applicant staff.called',
      'staff:S001 staff.login.failed',
      'staff:S001 staff.login',
      'staff:S001 in-doubt.resolve',
      'staff:S001 receipt.reprint',
      'staff:S001 session.end',
      'staff:S001 journey.lookup',
      'staff:S001 staff.call.ack',
      'staff:S001 reconciliation.run',
      'staff:S001 diagnostics.export',
      'staff:S001 device.self-test',
      'staff:S001 consumables.blank-keys.refill',
      'staff:S001 staff.account.add',
      'staff:S001 staff.account.credential-reset',
      'staff:S001 staff.account.role',
      'staff:S001 staff.account.disable',
      'staff:S002 staff.login.failed',
      'staff:S001 staff.lockout.cleared',
      'staff:S001 staff.account.credential-change',
      'staff:S001 staff.logout',
    ]);

    // Sim.
    const page = await call('simPage', c.simPage());
    expect(page.ok && (await page.data.text())).toContain('Emulator control');
    expect((await call('simMemory', c.simMemory())).ok).toBe(true);
    expect(await call('simScan', c.simScan({ body: { code: 'CK1-SIM-CODE' } }))).toMatchObject({ ok: true });
    expect(await call('simIdCard', c.simIdCard({ body: { fixture: 'han-zhang-wei' } }))).toMatchObject({
      ok: true,
      data: { placed: 'han-zhang-wei' },
    });
    expect(await call('simToken', c.simToken({ body: { action: 'insert' } }))).toMatchObject({
      ok: true,
      data: { inserted: 'BLANK-1', blanksLeft: 2 },
    });
    expect(await call('simToken', c.simToken({ body: { action: 'pull' } }))).toMatchObject({
      ok: true,
      data: { pulled: ['BLANK-1'] },
    });
    expect(await call('simPrinter', c.simPrinter({ body: { paper: 'out' } }))).toMatchObject({
      ok: true,
      data: { ok: true },
    });
    expect(await call('simReceipts', c.simReceipts())).toMatchObject({ ok: true, data: { count: 0 } });
    const png = await call('simLatestReceipt', c.simLatestReceipt());
    expect(png.ok && png.data.headers.get('content-type')).toBe('image/png');
    expect(api.sim.calls).toEqual([
      'scan:CK1-SIM-CODE',
      'card:han-zhang-wei',
      'insert',
      'pull',
      'printer:{"paper":"out"}',
    ]);

    expect([...seen].sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('turns an appliance that does not answer into DEVICE_UNAVAILABLE', async () => {
    api = await startTestApi();
    const url = api.url;
    await api.close();
    api = undefined;
    const r = await createApplianceClient(url).state();
    expect(r).toMatchObject({
      ok: false,
      status: 0,
      error: { code: 'DEVICE_UNAVAILABLE', action: 'call-staff' },
    });
  });

  it('sends every POST/DELETE as application/json, bodiless ones as {}', async () => {
    const sent: Array<{ url: string; init: RequestInit }> = [];
    const c = createApplianceClient('http://127.0.0.1:9', async (url, init) => {
      sent.push({ url: String(url), init: init ?? {} });
      return new Response(null, { status: 204 });
    });
    await c.endJourney();
    await c.reprint({ params: { id: 'a/b' }, token: 't' });
    await c.state();
    expect(sent.map((s) => [s.init.method, s.url, s.init.body])).toEqual([
      ['DELETE', 'http://127.0.0.1:9/api/journeys/current', '{}'],
      ['POST', 'http://127.0.0.1:9/api/staff/reprints/a%2Fb', '{}'],
      ['GET', 'http://127.0.0.1:9/api/state', undefined],
    ]);
    const headers = sent.map((s) => s.init.headers as Record<string, string>);
    expect(headers[0]!['content-type']).toBe('application/json');
    expect(headers[1]!['authorization']).toBe('Bearer t');
    expect(headers[2]!['content-type']).toBeUndefined();
  });

  it('matches paths back to routes (what the fake appliance dispatches with)', () => {
    expect(matchRoute('POST', '/api/staff/in-doubt/J%201/resolve')).toEqual({
      name: 'resolveInDoubt',
      params: { id: 'J 1' },
    });
    expect(matchRoute('GET', '/sim/receipts/latest.png')?.name).toBe('simLatestReceipt');
    expect(matchRoute('GET', '/sim/receipts/latestXpng')).toBeNull();
    expect(matchRoute('POST', '/api/kiosk')).toBeNull();
    expect(routePath('resolveInDoubt', { id: 'x' })).toBe('/api/staff/in-doubt/x/resolve');
    for (const name of Object.keys(ROUTES) as RouteName[])
      expect(
        matchRoute(
          ROUTES[name].method,
          routePath(name, { id: 'p', ref: 'p', position: '1', kind: 'printer' }),
        )?.name,
      ).toBe(name);
  });
});
