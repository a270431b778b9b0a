// The reconciliation endpoints on a central listening on loopback with its WeChat Pay simulator (the bill fetched,
// hash-checked and parsed as from the provider): an operator's run and its CSV (parsed back), each kiosk seeing only
// its own lines (never another kiosk's, never operations-only ones), a wrong day refused with its own code and
// nothing kept, and the ops page with its run button.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsvRows } from '../csv-rows.js';
import {
  type Harness,
  newApplianceKey,
  opensslCsr,
  startHarness,
  TEST_ADMIN_TOKEN,
  type TestAppliance,
  TO_APPROVED,
} from '../testing.js';
import { CSV_COLUMNS, type CsvField } from './csv.js';
import { LINE_KIND_LABELS, type ReconciliationLine, type ReconciliationReport } from './schemas.js';

const DAY = '2026-03-01'; // the harness clock: 2026-03-01 16:00 in Beijing
let h: Harness;
let k1: TestAppliance;
let k2: TestAppliance;
const ids = { wrongAmount: '', afterCancel: '', byHand: '', serial: '' };

const simPay = (body: Record<string, unknown>) => h.admin('POST', '/wechatpay-sim/demo/pay', body);
const kioskCount = async () =>
  (
    (await h.app.central.db.get('SELECT COUNT(*) AS n FROM reconciliation_kiosk_records')) as {
      n: number;
    }
  ).n;

beforeAll(async () => {
  h = await startHarness({
    central: { payments: { sweepIntervalMs: false }, reconciliation: { dailyAt: false } },
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  k1 = h.appliance;
  k2 = newApplianceKey('KIOSK-T-002');
  await h.enrol(k2);
  await h.admin('POST', `/admin/v1/appliances/${k2.id}/approve`);

  // Kiosk 1: the payer paid 0.01 元 for an order of 180 元.
  const o1 = (await h.order(['request-payment'])).order;
  expect((await h.signed('POST', '/v1/payments/native', { orderId: o1.id }, k1)).statusCode).toBe(200);
  expect((await simPay({ out_trade_no: o1.id, amount_total: 1 })).json()).toMatchObject({
    notified: { status: 200 },
  });
  // Kiosk 2: the session was cancelled, then the payment got through.
  const o2 = (await h.order(['request-payment'])).order;
  expect((await h.signed('POST', '/v1/payments/native', { orderId: o2.id }, k2)).statusCode).toBe(200);
  expect((await h.signed('POST', `/v1/payments/${o2.id}/cancel`, undefined, k2)).statusCode).toBe(200);
  expect((await simPay({ out_trade_no: o2.id, late: true })).json()).toMatchObject({
    notified: { status: 200 },
  });
  // Kiosk 1 issued a certificate and has not reported it; its order was marked paid by hand (operations only).
  const { order: o3, pickupCode } = await h.order(TO_APPROVED);
  const issued = await h.issue({
    orderId: o3.id,
    idempotencyKey: `${o3.id}:1`,
    pickupCode: pickupCode!,
    csrPem: opensslCsr(h.dir, 'ec', 'reconciliation'),
  });
  expect(issued.statusCode, issued.body).toBe(200);
  Object.assign(ids, {
    wrongAmount: o1.id,
    afterCancel: o2.id,
    byHand: o3.id,
    serial: (issued.json() as { serialNumber: string }).serialNumber,
  });
});
afterAll(() => h.close());

/** kind | side | subject | key | kiosk */
const summary = (l: ReconciliationLine) =>
  [
    l.kind,
    l.kind === 'missing-on-a-side' ? l.side : '',
    l.subject,
    l.outTradeNo ?? l.certificateSerial ?? l.orderId,
    l.applianceId ?? '',
  ].join(' | ');
const summaries = (r: ReconciliationReport) => r.lines.map(summary).sort();

function expectedLines() {
  return [
    `amount-differs |  | payment | ${ids.wrongAmount} | ${k1.id}`,
    `missing-on-a-side | kiosk | certificate | ${ids.serial} | ${k1.id}`,
    `missing-on-a-side | provider | order | ${ids.byHand} | `,
    `refund-pending |  | payment | ${ids.afterCancel} | ${k2.id}`,
  ].sort();
}

const parseCsv = (text: string): string[][] => parseCsvRows(text).map((r) => r.cells);

describe('operators', () => {
  it('run a day: every difference as a typed line, kept and answered again; the bill was read in full', async () => {
    const r = await h.admin('POST', '/admin/v1/reconciliations', { day: DAY });
    expect(r.statusCode, r.body).toBe(200);
    const report = r.json() as ReconciliationReport;
    expect(report.run).toMatchObject({
      day: DAY,
      trigger: 'operator',
      providerBill: 'complete',
      lineCount: 4,
    });
    expect(report.run).not.toHaveProperty('applianceId');
    expect(summaries(report)).toEqual(expectedLines());
    const wrong = report.lines.find((l) => l.outTradeNo === ids.wrongAmount)!;
    expect(wrong.provider).toMatch(/^SUCCESS 0\.01 元 at 2026-03-01 /);
    expect(wrong.central).toMatch(
      /^refund-pending \(amount-mismatch\): 0\.01 元 paid at .*, 180\.00 元 asked$/,
    );

    const again = await h.admin('GET', `/admin/v1/reconciliations/${DAY}`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(report);
  });

  it('export the day as CSV: UTF-8 with BOM, the header row, one row per line, parsed back to the same lines', async () => {
    const report = (await h.admin('GET', `/admin/v1/reconciliations/${DAY}`)).json() as ReconciliationReport;
    const r = await h.admin('GET', `/admin/v1/reconciliations/${DAY}.csv`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toBe(`attachment; filename="reconciliation-${DAY}.csv"`);
    expect([...r.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = parseCsv(r.rawPayload.toString('utf8').slice(1));
    const fields = Object.keys(CSV_COLUMNS) as CsvField[];
    expect(header).toEqual(fields.map((f) => CSV_COLUMNS[f]));
    expect(rows).toHaveLength(report.lines.length);
    const back = rows.map((cells) => Object.fromEntries(fields.map((f, i) => [f, cells[i]])));
    // Each row is its line: the codes, the Chinese name of the kind, the ids, the message (empty when absent).
    report.lines.forEach((l, i) => {
      const side = l.kind === 'missing-on-a-side' ? l.side : '';
      const ids = { applianceId: l.applianceId ?? '', orderId: l.orderId ?? '', kiosk: l.kiosk ?? '' };
      expect(back[i]).toMatchObject({ day: DAY, kind: l.kind, side, subject: l.subject, ...ids });
      expect(back[i]).toMatchObject({ kindName: LINE_KIND_LABELS[l.kind].zh, message: l.message });
    });
    expect(back.map((b) => b.kindName)).toContain('金额不符');
  });

  it('the API needs the operator token', async () => {
    const r = await h.app.inject({ method: 'POST', url: '/admin/v1/reconciliations', payload: { day: DAY } });
    expect(r.statusCode).toBe(401);
    expect((await h.app.inject({ url: `/admin/v1/reconciliations/${DAY}.csv` })).statusCode).toBe(401);
  });
});

describe('kiosks', () => {
  it('a kiosk’s run answers and keeps its own lines only', async () => {
    const r = await h.signed('POST', '/v1/reconciliations', { day: DAY }, k1);
    expect(r.statusCode, r.body).toBe(200);
    const own = r.json() as ReconciliationReport;
    expect(own.run).toMatchObject({ trigger: 'appliance', applianceId: k1.id, lineCount: 2 });
    expect(summaries(own)).toEqual(expectedLines().filter((l) => l.endsWith(`| ${k1.id}`)));
    const kept = await h.app.central.db.all(
      'SELECT DISTINCT appliance_id FROM reconciliation_lines WHERE run_id = ?',
      own.run.id,
    );
    expect(kept).toEqual([{ appliance_id: k1.id }]);
  });

  it('another kiosk sees only its lines, with the records it sends, and never the first kiosk’s', async () => {
    const before = (
      await h.signed('GET', `/v1/reconciliations/${DAY}`, undefined, k2)
    ).json() as ReconciliationReport;
    expect(summaries(before)).toEqual([`refund-pending |  | payment | ${ids.afterCancel} | ${k2.id}`]);
    expect(before.run.lineCount).toBe(1);

    // Its outbox holds an activation of a certificate central never issued.
    const records = [
      {
        eventId: 'journey-k2-1:certificate.activated:1',
        type: 'certificate.activated',
        serialNumber: '7a7a7a',
      },
    ];
    const r = await h.signed('POST', '/v1/reconciliations', { day: DAY, records }, k2);
    expect(r.statusCode, r.body).toBe(200);
    expect(summaries(r.json() as ReconciliationReport)).toEqual([
      `missing-on-a-side | central | certificate | 7a7a7a | ${k2.id}`,
      `refund-pending |  | payment | ${ids.afterCancel} | ${k2.id}`,
    ]);

    // The first kiosk, asking after that, still sees its own two lines and none of these.
    const k1View = (
      await h.signed('GET', `/v1/reconciliations/${DAY}`, undefined, k1)
    ).json() as ReconciliationReport;
    expect(summaries(k1View)).toEqual(expectedLines().filter((l) => l.endsWith(`| ${k1.id}`)));
    const text = JSON.stringify(k1View);
    for (const other of [ids.afterCancel, '7a7a7a', k2.id]) expect(text).not.toContain(other);
    // The order marked paid by hand is operations' to look at, not a kiosk's.
    expect(k1View.lines.filter((l) => l.subject === 'order')).toEqual([]);

    // Operators see the kiosk's record in the next fleet run.
    const fleet = (
      await h.admin('POST', '/admin/v1/reconciliations', { day: DAY })
    ).json() as ReconciliationReport;
    expect(summaries(fleet)).toContain(`missing-on-a-side | central | certificate | 7a7a7a | ${k2.id}`);
  });

  it('needs a signed request, and a day before any run is not found', async () => {
    const unsigned = await h.app.inject({
      method: 'POST',
      url: '/v1/reconciliations',
      payload: { day: DAY },
    });
    expect(unsigned.json()).toMatchObject({ statusCode: 401, code: 'AUTH_UNSIGNED' });
    const none = await h.signed('GET', '/v1/reconciliations/2026-02-27', undefined, k1);
    expect(none.json()).toMatchObject({ statusCode: 404, code: 'RECONCILIATION_NOT_FOUND' });
    const fleet = await h.admin('GET', '/admin/v1/reconciliations/2026-02-27');
    expect(fleet.json()).toMatchObject({ statusCode: 404, code: 'RECONCILIATION_NOT_FOUND' });
  });
});

describe('a wrong day', () => {
  it.each(['2026-02-30', '2026-3-1', '2026-03-02', '01/03/2026', '2026-03-01T00:00'])(
    '%j is refused everywhere with RECONCILIATION_DAY_INVALID, and nothing is kept',
    async (day) => {
      const runs = await h.app.central.reconciliations.runCount();
      const records = await kioskCount();
      const refused = (r: { statusCode: number; json(): unknown }) => {
        expect(r.statusCode).toBe(400);
        expect(r.json()).toMatchObject({ code: 'RECONCILIATION_DAY_INVALID' });
      };
      refused(await h.admin('POST', '/admin/v1/reconciliations', { day }));
      const record = { eventId: 'journey-x:certificate.issued:1', type: 'certificate.issued' };
      refused(await h.signed('POST', '/v1/reconciliations', { day, records: [record] }, k1));
      const inPath = encodeURIComponent(day);
      refused(await h.signed('GET', `/v1/reconciliations/${inPath}`, undefined, k1));
      refused(await h.admin('GET', `/admin/v1/reconciliations/${inPath}`));
      refused(await h.admin('GET', `/admin/v1/reconciliations/${inPath}.csv`));
      expect(await h.app.central.reconciliations.runCount()).toBe(runs);
      expect(await kioskCount()).toBe(records);
    },
  );

  it('a body without a day or with more than a day is refused by the schema, nothing kept', async () => {
    const runs = await h.app.central.reconciliations.runCount();
    expect((await h.admin('POST', '/admin/v1/reconciliations', {})).statusCode).toBe(400);
    expect((await h.admin('POST', '/admin/v1/reconciliations', { day: DAY, fix: true })).statusCode).toBe(
      400,
    );
    expect((await h.signed('POST', '/v1/reconciliations', { day: 20260301 }, k1)).statusCode).toBe(400);
    expect(await h.app.central.reconciliations.runCount()).toBe(runs);
  });
});

describe('the ops page', () => {
  const bearer = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  const form = (day: string) =>
    h.app.inject({
      method: 'POST',
      url: '/fleet/reconciliation',
      headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `day=${encodeURIComponent(day)}`,
    });

  it('shows the day’s lines, the CSV link and the run button; the fleet page links to it', async () => {
    const page = await h.app.inject({ url: `/fleet/reconciliation?day=${DAY}`, headers: bearer });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-run-form');
    expect(page.body).toContain(`href="/admin/v1/reconciliations/${DAY}.csv"`);
    expect(page.body).toContain(`data-kind="amount-differs" data-appliance="${k1.id}"`);
    expect(page.body).toContain('金额不符');
    expect(page.body).toContain('data-provider-bill="complete"');
    const fleet = await h.app.inject({ url: '/fleet', headers: bearer });
    expect(fleet.body).toContain('href="/fleet/reconciliation"');
    const notRun = await h.app.inject({ url: '/fleet/reconciliation?day=2026-02-20', headers: bearer });
    expect(notRun.body).toContain('data-not-run');
  });

  it('the button runs the day and comes back to it; a wrong day is shown as the page’s error, nothing kept', async () => {
    const runs = await h.app.central.reconciliations.runCount();
    const ran = await form(DAY);
    expect(ran.statusCode).toBe(303);
    expect(ran.headers.location).toBe(`/fleet/reconciliation?day=${DAY}`);
    expect(await h.app.central.reconciliations.runCount()).toBe(runs + 1);
    const wrong = await form('2026-02-30');
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('data-error');
    expect(wrong.body).toContain('is not a day of the calendar');
    expect(await h.app.central.reconciliations.runCount()).toBe(runs + 1);
  });

  it('without an operator session: the login form (401), and the button runs nothing', async () => {
    const runs = await h.app.central.reconciliations.runCount();
    const page = await h.app.inject({ url: '/fleet/reconciliation' });
    expect(page.statusCode).toBe(401);
    expect(page.body).toContain('data-login-form');
    const post = await h.app.inject({
      method: 'POST',
      url: '/fleet/reconciliation',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `day=${DAY}`,
    });
    expect(post.statusCode).toBe(401);
    expect(await h.app.central.reconciliations.runCount()).toBe(runs);
  });

  it('the OpenAPI document describes the endpoints', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    for (const p of ['/v1/reconciliations', '/v1/reconciliations/{day}', '/admin/v1/reconciliations/{day}'])
      expect(doc.paths).toHaveProperty([p]);
  });
});
