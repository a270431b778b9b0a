// The bank statement page of the operations console, driven as a browser would: log in, upload the CSV with the
// page's file input (multipart), decide queued lines with its forms. And the attacks: without the operator login
// nobody sees the queue, uploads, assigns or dismisses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order, OrderHistoryEntry, QueuedStatementLine } from '../../contract/schemas.js';
import { ADMIN_SESSION_COOKIE, ADMIN_SESSION_TTL_MS } from '../admin-auth.js';
import { STATEMENT_MAX_BYTES } from '../statement.js';
import { type Harness, startHarness, TEST_ADMIN_TOKEN } from '../testing.js';
import { STATEMENTS_PAGE } from './statement-page.js';

let h: Harness;
let cookie: string;
beforeAll(async () => {
  h = await startHarness();
  cookie = await login();
});
afterAll(() => h.close());

async function login(): Promise<string> {
  const r = await h.app.inject({ method: 'POST', url: '/admin/login', payload: { token: TEST_ADMIN_TOKEN } });
  const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
  const c = set.find((s) => s.startsWith(`${ADMIN_SESSION_COOKIE}=`));
  if (!c) throw new Error(`no session cookie: ${r.body}`);
  return c.split(';')[0]!;
}

/** What the page's file input sends: multipart/form-data with the file in the field `statement`. */
function fileForm(content: string | Buffer, filename = 'statement.csv') {
  const boundary = `----certkiosk${Math.random().toString(16).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="statement"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n`,
    ),
    Buffer.isBuffer(content) ? content : Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

type Auth = Record<string, string>;
const asOperator = (): Auth => ({ cookie });

const upload = (
  csv: string | Buffer,
  auth: Auth = asOperator(),
  url = STATEMENTS_PAGE,
  filename?: string,
) => {
  const { payload, contentType } = fileForm(csv, filename);
  return h.app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': contentType }, payload });
};
const decide = (
  id: number,
  what: 'assign' | 'dismiss',
  fields: Record<string, string>,
  auth = asOperator(),
) =>
  h.app.inject({
    method: 'POST',
    url: `${STATEMENTS_PAGE}/queue/${id}/${what}`,
    headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
const viewPage = (auth: Auth = asOperator(), url = STATEMENTS_PAGE) => h.app.inject({ url, headers: auth });

const transferOrder = async () => (await h.order(['request-payment', 'choose-transfer'])).order;
const yuan = (o: Order) => (o.priceFen / 100).toFixed(2);
const orderNow = async (o: Order) => (await h.admin('GET', `/admin/v1/orders/${o.id}`)).json() as Order;
const history = async (o: Order) =>
  ((await h.admin('GET', `/admin/v1/orders/${o.id}/history`)).json() as { history: OrderHistoryEntry[] })
    .history;
const openQueue = async () => h.app.central.statementQueue.list('open');
const paidLines = async () =>
  ((await h.app.central.db.get('SELECT COUNT(*) AS n FROM statement_lines')) as { n: number }).n;
const queueRows = async () =>
  ((await h.app.central.db.get('SELECT COUNT(*) AS n FROM statement_queue')) as { n: number }).n;
const attr = (body: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(body)?.[1];

describe('uploading a statement on the ops page', () => {
  let a: Order;
  let b: Order;
  let c: Order;
  let csv: string;

  it('links from the fleet page; the page has the file input', async () => {
    const fleet = await viewPage(asOperator(), '/fleet');
    expect(fleet.body).toContain(`href="${STATEMENTS_PAGE}"`);
    const r = await viewPage();
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toMatch(/<form method="post" action="\/fleet\/statements" enctype="multipart\/form-data"/);
    expect(r.body).toMatch(/<input type="file" name="statement"/);
  });

  it('a clean match pays its order; an ambiguous and an unmatched line wait in the queue with their reasons, their orders unchanged', async () => {
    [a, b, c] = [await transferOrder(), await transferOrder(), await transferOrder()];
    csv = [
      'date,amount,payer,remark,reference',
      `2026-03-02,${yuan(a)},甲公司,证书费 ${a.remittanceCode},B001`,
      `2026-03-02,${yuan(b)},乙公司,${b.remittanceCode}/${c.remittanceCode},B002`,
      `2026-03-02,${yuan(c)},丙公司,数字证书费,B003`,
      '2026-03-02,-12.00,本公司,手续费,B004',
    ].join('\r\n');
    const r = await upload(csv);
    expect(r.statusCode, r.body).toBe(200);
    expect(attr(r.body, 'data-matched')).toBe('1');
    expect(attr(r.body, 'data-queued')).toBe('2');
    expect(attr(r.body, 'data-ignored')).toBe('1');
    expect(attr(r.body, 'data-already')).toBe('0');
    expect(await orderNow(a)).toMatchObject({ status: 'paid' });
    expect((await history(a)).at(-1)).toMatchObject({
      action: 'confirm-transfer',
      note: expect.stringContaining('(ref B001), matched by remittance code and amount'),
    });
    for (const o of [b, c]) {
      expect(await orderNow(o)).toMatchObject({ status: 'transfer-pending' });
      expect((await history(o)).map((e) => e.action)).toEqual(['request-payment', 'choose-transfer']);
    }
    const queue = await openQueue();
    expect(queue.map((q) => [q.line, q.kind, q.reference, q.reason])).toEqual([
      [3, 'ambiguous', 'B002', 'Several orders fit this line.'],
      [4, 'unmatched', 'B003', 'No 6-digit remittance code in the remark.'],
    ]);
    expect(queue[0]!.candidates.sort()).toEqual([b.id, c.id].sort());
    // The queue is on the page, each line with its reason and its forms.
    for (const q of queue) {
      expect(r.body).toContain(`data-queue-line="${q.id}" data-kind="${q.kind}"`);
      expect(r.body).toContain(`action="${STATEMENTS_PAGE}/queue/${q.id}/assign"`);
      expect(r.body).toContain(`action="${STATEMENTS_PAGE}/queue/${q.id}/dismiss"`);
    }
    expect(r.body).toContain('No 6-digit remittance code in the remark.');
  });

  it('uploading the same file again imports nothing twice', async () => {
    const before = { paid: await paidLines(), queued: await queueRows(), history: (await history(a)).length };
    const r = await upload(csv);
    expect(r.statusCode, r.body).toBe(200);
    expect(attr(r.body, 'data-matched')).toBe('0');
    expect(attr(r.body, 'data-queued')).toBe('0');
    expect(attr(r.body, 'data-already')).toBe('3');
    expect({
      paid: await paidLines(),
      queued: await queueRows(),
      history: (await history(a)).length,
    }).toEqual(before);
  });

  it('two lines paying one order both wait in the queue; the order is unchanged', async () => {
    const d = await transferOrder();
    const r = await upload(
      `date,amount,payer,remark\n2026-03-03,${yuan(d)},丁公司,${d.remittanceCode}\n2026-03-04,${yuan(d)},丁公司,${d.remittanceCode} 补\n`,
    );
    expect(attr(r.body, 'data-queued')).toBe('2');
    expect(await orderNow(d)).toMatchObject({ status: 'transfer-pending' });
    expect((await openQueue()).filter((q) => q.candidates.includes(d.id)).map((q) => q.reason)).toEqual([
      'Several statement lines pay the same order.',
      'Several statement lines pay the same order.',
    ]);
  });

  it('assigning a queued line pays the order, its history naming the operator; dismissing one keeps the reason', async () => {
    const [ambiguous, unmatched] = await openQueue();
    const assigned = await decide(ambiguous!.id, 'assign', {
      orderId: b.id,
      operator: '李娜',
      note: '乙公司 phoned: the transfer is for their order',
    });
    expect(assigned.statusCode, assigned.body).toBe(303);
    expect(assigned.headers.location).toBe(STATEMENTS_PAGE);
    expect(await orderNow(b)).toMatchObject({ status: 'paid' });
    const note = (await history(b)).at(-1);
    expect(note).toMatchObject({ action: 'confirm-transfer', from: 'transfer-pending', to: 'paid' });
    expect(note?.note).toContain(`assigned from the operator queue (#${ambiguous!.id}) by operator 李娜`);
    expect(note?.note).toContain('乙公司 phoned');
    expect(await orderNow(c)).toMatchObject({ status: 'transfer-pending' });

    const dismissed = await decide(unmatched!.id, 'dismiss', {
      operator: '李娜',
      reason: 'Not ours: refunded',
    });
    expect(dismissed.statusCode, dismissed.body).toBe(303);
    expect(await orderNow(c)).toMatchObject({ status: 'transfer-pending' });
    const line = (await h.app.central.statementQueue.get(unmatched!.id)) as QueuedStatementLine;
    expect(line).toMatchObject({
      state: 'dismissed',
      resolvedBy: '李娜',
      resolutionNote: 'Not ours: refunded',
    });

    const page = await viewPage();
    expect(page.body).not.toContain(`data-queue-line="${ambiguous!.id}"`);
    expect(page.body).toContain(`data-resolved-line="${ambiguous!.id}" data-state="assigned"`);
    expect(page.body).toContain(`data-resolved-line="${unmatched!.id}" data-state="dismissed"`);
    expect(page.body).toContain('Not ours: refunded');

    // Decided is final: the page says so with the code, nothing changes.
    const again = await decide(unmatched!.id, 'assign', { orderId: c.id, operator: '李娜', note: '' });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('data-error-code="STATEMENT_LINE_RESOLVED"');
    expect(await orderNow(c)).toMatchObject({ status: 'transfer-pending' });
    const noName = await decide((await openQueue())[0]!.id, 'dismiss', { operator: ' ', reason: 'x' });
    expect(noName.statusCode).toBe(400);
    expect(noName.body).toContain('data-error-code="STATEMENT_RESOLUTION_INCOMPLETE"');
  });

  it('a malformed CSV is refused with the lines named, and nothing is stored', async () => {
    const e = await transferOrder();
    const before = { paid: await paidLines(), queued: await queueRows() };
    const r = await upload(
      [
        'date,amount,payer,remark,reference',
        `2026-03-05,${yuan(e)},戊公司,${e.remittanceCode},E1`, // fine on its own: not taken either
        '2026-03-05,三百元,己公司,123456,E2',
        '2026-03-05,300.00,庚公司,123456',
      ].join('\n'),
    );
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('data-error-code="STATEMENT_MALFORMED"');
    expect(r.body).toContain('nothing was stored');
    expect(r.body).toContain('Line 3: the amount &quot;三百元&quot; cannot be read');
    expect(r.body).toContain('Line 4 has 4 fields; the header has 5.');
    expect(r.body).not.toContain('data-import-result');
    expect(await orderNow(e)).toMatchObject({ status: 'transfer-pending' });
    expect({ paid: await paidLines(), queued: await queueRows() }).toEqual(before);

    const quote = await upload('date,amount,remark\n2026-03-05,1.00,"never closed\n');
    expect(quote.statusCode).toBe(400);
    expect(quote.body).toContain('Line 2: a quoted field is not closed.');
    const huge = await upload(Buffer.alloc(STATEMENT_MAX_BYTES + 1, 'x'));
    expect(huge.statusCode).toBe(413);
    expect(huge.body).toContain('data-error-code="STATEMENT_TOO_LARGE"');
    const empty = await upload(Buffer.alloc(0));
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('The file is empty');
    // The form sent without choosing a file: a part with no file name and no content.
    const none = await upload(Buffer.alloc(0), asOperator(), STATEMENTS_PAGE, '');
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('data-error-code="STATEMENT_FILE_MISSING"');
    const notFile = await h.app.inject({
      method: 'POST',
      url: STATEMENTS_PAGE,
      headers: { cookie, 'content-type': 'text/csv' },
      payload: `date,amount,remark\n2026-03-05,${yuan(e)},${e.remittanceCode}\n`,
    });
    expect(notFile.statusCode).toBe(400);
    expect(notFile.body).toContain('data-error-code="STATEMENT_FILE_MISSING"');
    expect(await orderNow(e)).toMatchObject({ status: 'transfer-pending' });
    expect({ paid: await paidLines(), queued: await queueRows() }).toEqual(before);
  });

  it('a GBK export from online banking is read like UTF-8', async () => {
    const f = await transferOrder();
    const gbk = Buffer.concat([
      Buffer.from(`date,amount,payer,remark\n2026-03-06,${yuan(f)},`),
      Buffer.from([0xbc, 0xd7, 0xb9, 0xab, 0xcb, 0xbe]), // 甲公司
      Buffer.from(`,${f.remittanceCode}\n`),
    ]);
    expect(attr((await upload(gbk)).body, 'data-matched')).toBe('1');
    expect((await history(f)).at(-1)?.note).toContain('from 甲公司');
  });
});

describe('without the operator login nobody sees the queue or uploads', () => {
  let g: Order;
  let line: QueuedStatementLine;
  beforeAll(async () => {
    g = await transferOrder();
    await upload(`date,amount,payer,remark\n2026-03-07,${yuan(g)},辛公司,汇款 no code\n`);
    line = (await openQueue()).at(-1)!;
  });

  const strangers: Array<[string, Auth, string]> = [
    ['no cookie', {}, STATEMENTS_PAGE],
    ['a forged session cookie', { cookie: `${ADMIN_SESSION_COOKIE}=${'A'.repeat(43)}` }, STATEMENTS_PAGE],
    ['a wrong Bearer token', { authorization: 'Bearer not-the-token' }, STATEMENTS_PAGE],
    ['the right token in the URL', {}, `${STATEMENTS_PAGE}?token=${TEST_ADMIN_TOKEN}`],
  ];

  it.each(strangers)('%s: the login form (401), no queue, no statement data', async (_who, auth, url) => {
    const r = await viewPage(auth, url);
    expect(r.statusCode).toBe(401);
    expect(r.body).toContain('data-login-form');
    expect(r.body).not.toContain('data-queue');
    expect(r.body).not.toContain('辛公司');
    expect(r.body).not.toContain(g.id);
  });

  it.each(strangers)(
    '%s: an upload, an assignment and a dismissal change nothing',
    async (_who, auth, url) => {
      const before = { paid: await paidLines(), queued: await queueRows() };
      const up = await upload(`date,amount,remark\n2026-03-08,${yuan(g)},${g.remittanceCode}\n`, auth, url);
      expect(up.statusCode).toBe(401);
      expect(up.body).not.toContain('data-import-result');
      const assign = await decide(line.id, 'assign', { orderId: g.id, operator: 'mallory', note: '' }, auth);
      expect(assign.statusCode).toBe(401);
      const dismiss = await decide(line.id, 'dismiss', { operator: 'mallory', reason: 'gone' }, auth);
      expect(dismiss.statusCode).toBe(401);
      expect(await orderNow(g)).toMatchObject({ status: 'transfer-pending' });
      expect(await h.app.central.statementQueue.get(line.id)).toMatchObject({ state: 'open' });
      expect({ paid: await paidLines(), queued: await queueRows() }).toEqual(before);
    },
  );

  it('the admin token as Bearer opens the page as the login does', async () => {
    const r = await viewPage({ authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain(`data-queue-line="${line.id}"`);
  });

  it('a logged-out session and an expired one open nothing', async () => {
    const out = await login();
    expect((await viewPage({ cookie: out })).statusCode).toBe(200);
    await h.app.inject({ method: 'POST', url: '/admin/logout', headers: { cookie: out } });
    expect((await viewPage({ cookie: out })).statusCode).toBe(401);
    expect(
      (await upload(`date,amount,remark\n2026-03-09,${yuan(g)},${g.remittanceCode}\n`, { cookie: out }))
        .statusCode,
    ).toBe(401);

    const stale = await login();
    h.clock.ms += ADMIN_SESSION_TTL_MS + 1000;
    expect((await viewPage({ cookie: stale })).statusCode).toBe(401);
    expect(
      (await decide(line.id, 'dismiss', { operator: 'x', reason: 'y' }, { cookie: stale })).statusCode,
    ).toBe(401);
    expect(await h.app.central.statementQueue.get(line.id)).toMatchObject({ state: 'open' });
    expect(await orderNow(g)).toMatchObject({ status: 'transfer-pending' });
  });
});
