import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Order,
  OrderHistoryEntry,
  QueuedStatementLine,
  StatementImportResponse,
} from '../contract/schemas.js';
import { decodeStatementFile, matchStatement, parseStatementCsv } from './statement.js';
import { type Harness, startHarness } from './testing.js';

describe('statement matching (pure)', () => {
  const open = [
    { orderId: 'A', remittanceCode: '111111', priceFen: 10_000 },
    { orderId: 'B', remittanceCode: '222222', priceFen: 18_000 },
    { orderId: 'C', remittanceCode: '333333', priceFen: 10_000 },
    { orderId: 'D', remittanceCode: '444444', priceFen: 10_000 },
  ];
  const csv = [
    'date,amount,payer,remark,reference',
    '2026-03-01,100.00,甲公司,证书费 111111,R1', // A
    '2026-03-01,"+180",乙公司,汇款码222222,R2', // B (a sign on a credit, as some banks write it)
    '2026-03-01,100.00,丙公司,333333 444444,R3', // two codes, both 100 yuan: ambiguous
    '2026-03-01,100.00,丁公司,no code here,R4', // unmatched: no code
    '2026-03-01,99.00,戊公司,111111,R5', // code A but wrong amount
    '2026-03-01,100.00,己公司,555555,R6', // no order with that code
    '2026-03-01,-100.00,本公司,退款 111111,R7', // money paid out: not a payment for an order
  ].join('\n');

  it('matches only lines where exactly one order fits by code and amount, lists the rest, skips debits', () => {
    const r = matchStatement(parseStatementCsv(csv), open);
    expect(r.matched.map((m) => [m.line, m.orderId])).toEqual([
      [2, 'A'],
      [3, 'B'],
    ]);
    expect(r.ambiguous).toEqual([expect.objectContaining({ line: 4, candidates: ['C', 'D'] })]);
    expect(r.unmatched.map((u) => u.line)).toEqual([5, 6, 7]);
    expect(r.unmatched.find((u) => u.line === 6)?.reason).toMatch(/amount differs/);
    expect(r.ignored).toEqual([
      expect.objectContaining({ line: 8, reason: expect.stringMatching(/Not a credit/) }),
    ]);
  });

  it('two lines paying the same order are both ambiguous, never guessed', () => {
    const lines = parseStatementCsv('date,amount,remark\n2026-03-01,100,111111\n2026-03-02,100,ref 111111\n');
    const r = matchStatement(lines, open);
    expect(r.matched).toEqual([]);
    expect(r.ambiguous.map((a) => [a.line, a.candidates, a.reason])).toEqual([
      [2, ['A'], 'Several statement lines pay the same order.'],
      [3, ['A'], 'Several statement lines pay the same order.'],
    ]);
  });

  it('a line for an order a queued line may already pay is not taken; a code no open order has names who had it', () => {
    const lines = parseStatementCsv('date,amount,remark\n2026-03-01,100,111111\n2026-03-01,100,777777\n');
    const r = matchStatement(lines, open, {
      contested: new Set(['A']),
      settled: [{ orderId: 'Z', remittanceCode: '777777', status: 'paid' }],
    });
    expect(r.matched).toEqual([]);
    expect(r.ambiguous).toEqual([expect.objectContaining({ line: 2, candidates: ['A'] })]);
    expect(r.ambiguous[0]?.reason).toMatch(/operator queue/);
    expect(r.unmatched[0]?.reason).toMatch(/Z \(paid\) had it — a second payment\?/);
  });

  it('a 7-digit number is not a remittance code; a header without amount is refused', () => {
    const lines = parseStatementCsv('date,amount,remark\n2026-03-01,100,1111111\n');
    expect(matchStatement(lines, open).unmatched[0]?.reason).toMatch(/No 6-digit/);
    expect(() => parseStatementCsv('date,remark\n')).toThrow(/no "amount" column/);
  });

  it('refuses a file with any unreadable line, naming every such line (line numbers of the file)', () => {
    const bad = [
      'date,amount,payer,remark,reference',
      '2026-03-01,100.00,甲,"two-line', // a quoted remark over two lines: the next row starts on line 4
      'remark 111111",R1',
      '2026-03-01,abc,乙,111111,R2',
      '2026-03-01,100.00,丙,111111',
      ',100.00,丁,111111,R4',
      '2026-03-01,1.005,戊,111111,R5',
    ].join('\r\n');
    const refusal = (() => {
      try {
        parseStatementCsv(bad);
      } catch (err) {
        return err as Error & { code: string };
      }
      throw new Error('not refused');
    })();
    expect(refusal.code).toBe('STATEMENT_MALFORMED');
    expect(refusal.message).toContain('nothing was stored');
    expect(refusal.message).toContain('Line 4: the amount "abc" cannot be read');
    expect(refusal.message).toContain('Line 5 has 4 fields; the header has 5.');
    expect(refusal.message).toContain('Line 6 has no date.');
    expect(refusal.message).toContain('Line 7: the amount "1.005" cannot be read');
    expect(() => parseStatementCsv('date,amount,remark\n2026-03-01,100,111111\n2026-03-02,"100,x\n')).toThrow(
      /Line 3: a quoted field is not closed/,
    );
    expect(() => parseStatementCsv('')).toThrow(/empty/);
    expect(() => parseStatementCsv('date,amount,remark,amount\n')).toThrow(/names "amount" twice/);
  });

  it('identical lines in one file are distinct lines; the first keeps the content-only key of older imports', () => {
    const [first, second] = parseStatementCsv(
      'date,amount,payer,remark\n2026-03-01,100,甲,111111\n2026-03-01,100,甲,111111\n',
    );
    const content = JSON.stringify(['2026-03-01', 10_000, '甲', '111111', '']);
    expect(first!.key).toBe(createHash('sha256').update(content).digest('hex'));
    expect(second!.key).not.toBe(first!.key);
    const again = parseStatementCsv(
      'date,amount,payer,remark\n2026-03-01,100,甲,111111\n2026-03-01,100,甲,111111\n',
    );
    expect(again.map((l) => l.key)).toEqual([first!.key, second!.key]);
  });

  it('reads a GBK export as well as UTF-8 (with or without BOM)', () => {
    const head = Buffer.from('date,amount,payer,remark\n2026-03-01,100,');
    const gbkPayer = Buffer.from([0xbc, 0xd7, 0xb9, 0xab, 0xcb, 0xbe]); // 甲公司 in GBK
    const gbk = decodeStatementFile(Buffer.concat([head, gbkPayer, Buffer.from(',111111\n')]));
    expect(parseStatementCsv(gbk)[0]?.payer).toBe('甲公司');
    const bom = decodeStatementFile(
      Buffer.from('\uFEFFdate,amount,payer,remark\n2026-03-01,100,乙公司,111111\n'),
    );
    expect(parseStatementCsv(bom)[0]?.payer).toBe('乙公司');
  });
});

describe('POST /admin/v1/statements and the statement queue API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  const post = (csv: string, auth = true) =>
    h.app.inject({
      method: 'POST',
      url: '/admin/v1/statements',
      headers: { 'content-type': 'text/csv', ...(auth ? { authorization: 'Bearer test-admin-token' } : {}) },
      payload: csv,
    });
  const transferOrder = async () => (await h.order(['request-payment', 'choose-transfer'])).order;
  const yuan = (o: Order) => (o.priceFen / 100).toFixed(2);
  const history = async (o: Order) =>
    ((await h.admin('GET', `/admin/v1/orders/${o.id}/history`)).json() as { history: OrderHistoryEntry[] })
      .history;
  const queue = async (state = 'open') =>
    (
      (await h.admin('GET', `/admin/v1/statement-queue?state=${state}`)).json() as {
        lines: QueuedStatementLine[];
      }
    ).lines;

  it('confirms matched transfers, queues ambiguous and unmatched lines, and ignores a re-import', async () => {
    const a = await transferOrder();
    const b = await transferOrder();
    const c = await transferOrder();
    const csv = [
      'date,amount,payer,remark,reference',
      `2026-03-01,${yuan(a)},甲,"证书费, 码 ${a.remittanceCode}",R1`,
      `2026-03-01,${yuan(b)},乙,${b.remittanceCode} ${c.remittanceCode},R2`,
      `2026-03-01,1.00,丙,${c.remittanceCode},R3`,
    ].join('\r\n');
    const r = await post(csv);
    expect(r.statusCode, r.body).toBe(200);
    const out = r.json() as StatementImportResponse;
    expect(out.matched).toEqual([expect.objectContaining({ line: 2, orderId: a.id })]);
    expect(out.ambiguous).toEqual([
      expect.objectContaining({
        line: 3,
        candidates: expect.arrayContaining([b.id, c.id]),
        queueId: expect.any(Number),
      }),
    ]);
    expect(out.unmatched).toEqual([expect.objectContaining({ line: 4, queueId: expect.any(Number) })]);
    expect((await h.admin('GET', `/admin/v1/orders/${a.id}`)).json()).toMatchObject({ status: 'paid' });
    expect((await history(a)).at(-1)).toMatchObject({
      action: 'confirm-transfer',
      note: expect.stringContaining('Bank statement line 2026-03-01'),
    });
    for (const o of [b, c])
      expect((await h.admin('GET', `/admin/v1/orders/${o.id}`)).json()).toMatchObject({
        status: 'transfer-pending',
      });
    expect((await queue()).map((q) => [q.line, q.kind])).toEqual([
      [3, 'ambiguous'],
      [4, 'unmatched'],
    ]);

    const again = (await post(csv)).json() as StatementImportResponse;
    expect(again.matched).toEqual([]);
    expect(again.ambiguous).toEqual([]);
    expect(again.unmatched).toEqual([]);
    expect(again.alreadyImported.map((l) => [l.line, l.orderId ?? l.queueId])).toEqual([
      [2, a.id],
      [3, out.ambiguous[0]!.queueId],
      [4, out.unmatched[0]!.queueId],
    ]);
    expect(await queue()).toHaveLength(2);
    expect((await history(a)).filter((e) => e.action === 'confirm-transfer')).toHaveLength(1);
  });

  it('assign: only an open line, a named operator, an order awaiting a transfer of the line’s amount', async () => {
    const d = await transferOrder();
    const r = (
      await post(
        `date,amount,payer,remark\n2026-03-05,${yuan(d)},丁,no code\n2026-03-05,${yuan(d)},丁,no code again\n`,
      )
    ).json() as StatementImportResponse;
    const [first, second] = r.unmatched.map((u) => u.queueId!);
    const assign = (id: number, body: object) =>
      h.admin('POST', `/admin/v1/statement-queue/${id}/assign`, body);
    expect((await assign(first!, { orderId: d.id, operator: '  ' })).json()).toMatchObject({
      code: 'STATEMENT_RESOLUTION_INCOMPLETE',
    });
    expect((await assign(999_999, { orderId: d.id, operator: '王芳' })).json()).toMatchObject({
      statusCode: 404,
      code: 'STATEMENT_LINE_NOT_FOUND',
    });
    const cheap = (
      await post(`date,amount,remark\n2026-03-05,1.00,no code\n`)
    ).json() as StatementImportResponse;
    expect(
      (await assign(cheap.unmatched[0]!.queueId!, { orderId: d.id, operator: '王芳' })).json(),
    ).toMatchObject({ statusCode: 409, code: 'STATEMENT_AMOUNT_MISMATCH' });
    const ok = await assign(first!, {
      orderId: d.id,
      operator: '王芳',
      note: 'remark had no code; payer confirmed',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({
      line: { id: first, state: 'assigned', orderId: d.id, resolvedBy: '王芳' },
      order: { id: d.id, status: 'paid' },
    });
    expect((await history(d)).at(-1)?.note).toMatch(
      /assigned from the operator queue \(#\d+\) by operator 王芳: remark had no code/,
    );
    expect((await assign(first!, { orderId: d.id, operator: '王芳' })).json()).toMatchObject({
      code: 'STATEMENT_LINE_RESOLVED',
    });
    expect((await assign(second!, { orderId: d.id, operator: '王芳' })).json()).toMatchObject({
      code: 'TRANSFER_NOT_PENDING',
      message: expect.stringContaining('(it is paid)'),
    });
    const dismiss = (id: number, body: object) =>
      h.admin('POST', `/admin/v1/statement-queue/${id}/dismiss`, body);
    expect((await dismiss(second!, { operator: '王芳', reason: '' })).json()).toMatchObject({
      code: 'STATEMENT_RESOLUTION_INCOMPLETE',
    });
    expect((await dismiss(second!, { operator: '王芳', reason: 'paid twice: refund' })).json()).toMatchObject(
      {
        state: 'dismissed',
        resolvedBy: '王芳',
        resolutionNote: 'paid twice: refund',
      },
    );
    expect((await queue('resolved')).map((q) => q.id)).toEqual(expect.arrayContaining([first, second]));
    // Re-imported, an assigned line is known by the order it paid: it is never taken again.
    const re = (
      await post(`date,amount,payer,remark\n2026-03-05,${yuan(d)},丁,no code\n`)
    ).json() as StatementImportResponse;
    expect(re.alreadyImported).toEqual([expect.objectContaining({ orderId: d.id })]);
  });

  it('refuses a malformed CSV and an unauthorised caller', async () => {
    expect((await post('date,remark\n')).json()).toMatchObject({
      statusCode: 400,
      code: 'STATEMENT_MALFORMED',
    });
    expect((await post('date,amount,remark\n', false)).json()).toMatchObject({
      statusCode: 401,
      code: 'ADMIN_UNAUTHORISED',
    });
    for (const [method, url] of [
      ['GET', '/admin/v1/statement-queue'],
      ['POST', '/admin/v1/statement-queue/1/assign'],
      ['POST', '/admin/v1/statement-queue/1/dismiss'],
    ] as const) {
      const r = await h.app.inject({
        method,
        url,
        payload: method === 'POST' ? { operator: 'x', reason: 'x' } : undefined,
      });
      expect(r.json(), url).toMatchObject({ statusCode: 401, code: 'ADMIN_UNAUTHORISED' });
    }
  });
});
