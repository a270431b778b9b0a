// The maintenance screen's reconciliation routes over HTTP (fake central behind the real desk): staff only; a wrong
// day is refused before anything is built, sent or audited; yesterday by default; central's absence and its refusals
// keep their codes; every run, and every failed one, is audited with the staff id and the day.
import { CentralClientError, type KioskRecord, type ReconciliationReport } from '@certkiosk/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReconciliationDesk } from '../reconciliation/desk.js';
import { type ApplianceClient, createApplianceClient } from './client.js';
import { startTestApi, TEST_STAFF, type TestApi } from './testing-fakes.js';

const NOW = Date.parse('2026-03-02T09:00:00+08:00');
const RECORDS: KioskRecord[] = [
  { eventId: 'j-1:certificate.activated:1', type: 'certificate.activated', orderId: 'ORD-1' },
];

const report = (day: string): ReconciliationReport => ({
  run: {
    id: 7,
    day,
    trigger: 'appliance',
    applianceId: 'KIOSK-TEST',
    providerBill: 'unavailable',
    startedAt: new Date(NOW).toISOString(),
    finishedAt: new Date(NOW).toISOString(),
    lineCount: 0,
  },
  lines: [],
});

let api: TestApi;
let c: ApplianceClient;
let sent: Array<{ day: string; records?: KioskRecord[] }>;
let built: string[];
let central: { down: boolean; refuse?: string };
beforeEach(async () => {
  sent = [];
  built = [];
  central = { down: false };
  const fail = () => {
    if (central.down) throw new CentralClientError('CENTRAL_UNAVAILABLE', 'connect ECONNREFUSED');
    if (central.refuse)
      throw new CentralClientError('CENTRAL_REFUSED', 'refused', {
        status: 404,
        centralCode: central.refuse,
      });
  };
  const reconciliation = new ReconciliationDesk({
    central: {
      runReconciliation: async (day, records) => {
        fail();
        sent.push({ day, ...(records ? { records } : {}) });
        return report(day);
      },
      reconciliation: async (day) => {
        fail();
        return report(day);
      },
    },
    records: async (day) => {
      built.push(day);
      return RECORDS;
    },
    now: () => NOW,
  });
  api = await startTestApi({ reconciliation });
  c = createApplianceClient(api.url);
});
afterEach(async () => {
  await api.close();
});

async function token(): Promise<string> {
  const { staffId, pin } = TEST_STAFF.operator;
  const login = await c.staffLogin({ body: { staffId, pin } });
  if (!login.ok) throw new Error('staff login refused');
  return login.data.token;
}
const audited = () => api.audit.filter((a) => a.action.startsWith('reconciliation'));

describe('staff reconciliation routes', () => {
  it('refuse a caller without a staff session (401), sending nothing', async () => {
    for (const t of [undefined, 'forged-token']) {
      const run = await c.runReconciliation({ body: {}, token: t as string });
      expect(run).toMatchObject({ ok: false, status: 401, error: { code: 'STAFF_AUTH_REQUIRED' } });
      const read = await c.reconciliationReport({ token: t as string });
      expect(read).toMatchObject({ ok: false, status: 401, error: { code: 'STAFF_AUTH_REQUIRED' } });
    }
    expect([sent, built, audited()]).toEqual([[], [], []]);
  });

  it('runs yesterday (Beijing) by default with the kiosk’s records, and audits it with the staff id', async () => {
    const t = await token();
    const r = await c.runReconciliation({ body: {}, token: t });
    expect(r).toMatchObject({ ok: true, data: { run: { day: '2026-03-01', id: 7 } } });
    expect(sent).toEqual([{ day: '2026-03-01', records: RECORDS }]);
    expect(audited()).toEqual([
      {
        actor: 'staff:S002',
        action: 'reconciliation.run',
        details: { day: '2026-03-01', runId: 7, lines: 0 },
      },
    ]);
    const picked = await c.runReconciliation({ body: { day: '2026-02-14' }, token: t });
    expect(picked).toMatchObject({ ok: true, data: { run: { day: '2026-02-14' } } });
    expect(await c.reconciliationReport({ query: { day: '2026-02-20' }, token: t })).toMatchObject({
      ok: true,
      data: { run: { day: '2026-02-20' } },
    });
  });

  it('refuses a wrong day (400 RECONCILIATION_DAY_INVALID) before anything is built, sent or audited', async () => {
    const t = await token();
    for (const day of [
      '2026-02-30',
      '02/03/2026',
      '2026-03-03',
      '',
      '2026-3-1',
      `2026-03-01${'x'.repeat(500)}`,
    ]) {
      const run = await c.runReconciliation({ body: { day }, token: t });
      expect(run, day).toMatchObject({
        ok: false,
        status: 400,
        error: { code: 'RECONCILIATION_DAY_INVALID' },
      });
      const read = await c.reconciliationReport({ query: { day }, token: t });
      if (day !== '') expect(read, day).toMatchObject({ ok: false, status: 400 });
    }
    expect([sent, built, audited()]).toEqual([[], [], []]);
    // Not a string at all: the schema refuses it.
    const odd = await c.runReconciliation({ body: { day: 20260301 } as never, token: t });
    expect(odd).toMatchObject({ ok: false, status: 400 });
    expect(sent).toEqual([]);
  });

  it('central unreachable: 503 CENTRAL_UNAVAILABLE, the failed run audited; a day never run: 404', async () => {
    const t = await token();
    central.down = true;
    const run = await c.runReconciliation({ body: { day: '2026-03-01' }, token: t });
    expect(run).toMatchObject({ ok: false, status: 503, error: { code: 'CENTRAL_UNAVAILABLE' } });
    expect(await c.reconciliationReport({ token: t })).toMatchObject({
      ok: false,
      status: 503,
      error: { code: 'CENTRAL_UNAVAILABLE' },
    });
    expect(audited()).toEqual([
      {
        actor: 'staff:S002',
        action: 'reconciliation.run.failed',
        details: { day: '2026-03-01', error: 'CENTRAL_UNAVAILABLE' },
      },
    ]);
    central = { down: false, refuse: 'RECONCILIATION_NOT_FOUND' };
    expect(await c.reconciliationReport({ query: { day: '2026-02-01' }, token: t })).toMatchObject({
      ok: false,
      status: 404,
      error: { code: 'RECONCILIATION_NOT_FOUND' },
    });
  });
});
