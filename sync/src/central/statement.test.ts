import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order, StatementImportResponse } from '../contract/schemas.js';
import { matchStatement, parseStatementCsv } from './statement.js';
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
    '2026-03-01,"180",乙公司,汇款码222222,R2', // B
    '2026-03-01,100.00,丙公司,333333 444444,R3', // two codes, both 100 yuan: ambiguous
    '2026-03-01,100.00,丁公司,no code here,R4', // unmatched: no code
    '2026-03-01,99.00,戊公司,111111,R5', // code A but wrong amount... and A is matched above
    '2026-03-01,100.00,己公司,555555,R6', // no order with that code
    '2026-03-01,abc,庚公司,111111,R7', // unreadable amount
  ].join('\n');

  it('matches only lines where exactly one order fits by code and amount, and lists the rest', () => {
    const { lines, unreadable } = parseStatementCsv(csv);
    expect(unreadable).toEqual([expect.objectContaining({ line: 8 })]);
    const r = matchStatement(lines, open);
    expect(r.matched.map((m) => [m.line, m.orderId])).toEqual([
      [2, 'A'],
      [3, 'B'],
    ]);
    expect(r.ambiguous).toEqual([expect.objectContaining({ line: 4, candidates: ['C', 'D'] })]);
    expect(r.unmatched.map((u) => u.line)).toEqual([5, 6, 7]);
    expect(r.unmatched.find((u) => u.line === 6)?.reason).toMatch(/amount differs/);
  });

  it('two lines paying the same order are both ambiguous, never guessed', () => {
    const { lines } = parseStatementCsv(
      'date,amount,remark\n2026-03-01,100,111111\n2026-03-02,100,ref 111111\n',
    );
    const r = matchStatement(lines, open);
    expect(r.matched).toEqual([]);
    expect(r.ambiguous.map((a) => [a.line, a.candidates])).toEqual([
      [2, ['A']],
      [3, ['A']],
    ]);
  });

  it('a 7-digit number is not a remittance code; a header without amount is refused', () => {
    const { lines } = parseStatementCsv('date,amount,remark\n2026-03-01,100,1111111\n');
    expect(matchStatement(lines, open).unmatched[0]?.reason).toMatch(/No 6-digit/);
    expect(() => parseStatementCsv('date,remark\n')).toThrow(/amount/);
  });
});

describe('POST /admin/v1/statements', () => {
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

  it('confirms matched transfers, lists ambiguous and unmatched lines, and ignores a re-import', async () => {
    const a = (await h.order(['request-payment', 'choose-transfer'])).order;
    const b = (await h.order(['request-payment', 'choose-transfer'])).order;
    const c = (await h.order(['request-payment', 'choose-transfer'])).order;
    const yuan = (o: Order) => (o.priceFen / 100).toFixed(2);
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
      expect.objectContaining({ line: 3, candidates: expect.arrayContaining([b.id, c.id]) }),
    ]);
    expect(out.unmatched).toEqual([expect.objectContaining({ line: 4 })]);
    expect((await h.admin('GET', `/admin/v1/orders/${a.id}`)).json()).toMatchObject({ status: 'paid' });
    expect((await h.admin('GET', `/admin/v1/orders/${b.id}`)).json()).toMatchObject({
      status: 'transfer-pending',
    });

    const again = (await post(csv)).json() as StatementImportResponse;
    expect(again.matched).toEqual([]);
    expect(again.alreadyImported).toEqual([expect.objectContaining({ line: 2, orderId: a.id })]);
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
  });
});
