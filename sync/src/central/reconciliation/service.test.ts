// The service over a store: what it makes of the provider's bill (none for the day, unreachable, unreadable lines),
// a wrong day refused before anything is kept, a subject at midnight that is no difference on either day, and the
// daily timer's run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentralError } from '../errors.js';
import { Leases } from '../leases.js';
import { openCentralStore } from '../open-store.js';
import type { SimulatorKeys } from '../payments/sim-keys.js';
import { testWechatPayKeys } from '../payments/testing.js';
import { parseTradeBill } from '../payments/trade-bill.js';
import { Reconciliations, type TradeBillSource } from './service.js';
import { openWorld, type World } from './testing.js';

const NOW = Date.parse('2026-03-02T03:00:00Z');
const HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';

async function service(tradeBill: TradeBillSource) {
  const db = await openCentralStore({ dataDir: ':memory:' });
  return { db, s: new Reconciliations(db, () => NOW, tradeBill, 120, new Leases(db, () => NOW)) };
}

describe('the provider’s bill as a source', () => {
  it('no bill because no payment was taken that day: the provider’s side is complete and empty', async () => {
    const { s } = await service(async () => {
      throw new CentralError('PAYMENT_PROVIDER_FAILED', 'no bill', { providerCode: 'NO_STATEMENT_EXIST' });
    });
    const r = await s.run('2026-03-01', { trigger: 'operator' });
    expect(r.run).toMatchObject({
      providerBill: 'complete',
      providerNote: expect.stringMatching(/no payment/),
    });
  });

  it('the bill not generated yet or the provider unreachable: unavailable, with the reason', async () => {
    const { s } = await service(async () => {
      throw new CentralError(
        'PAYMENT_PROVIDER_FAILED',
        'WeChat Pay refused the trade bill (400 STATEMENT_CREATING).',
        {
          providerCode: 'STATEMENT_CREATING',
        },
      );
    });
    const r = await s.run('2026-03-01', { trigger: 'operator' });
    expect(r.run).toMatchObject({
      providerBill: 'unavailable',
      providerNote: expect.stringContaining('STATEMENT_CREATING'),
    });
  });

  it('a bill with a line the parser cannot read: incomplete, the line named', async () => {
    const text = [HEADER, '`2026-03-01 10:00:00,`broken', '总交易单数,应结订单总金额', '`1,`0.00', ''].join(
      '\r\n',
    );
    const { s } = await service(async () => parseTradeBill(text));
    const r = await s.run('2026-03-01', { trigger: 'operator' });
    expect(r.run).toMatchObject({
      providerBill: 'incomplete',
      providerNote: expect.stringContaining('line 2'),
    });
  });

  it('a wrong day is refused before anything is fetched or kept', async () => {
    let asked = 0;
    const { db, s } = await service(async () => {
      asked++;
      return parseTradeBill(`${HEADER}\r\n总交易单数\r\n\`0\r\n`);
    });
    for (const day of ['2026-02-30', '2026-03-03', 'yesterday']) {
      await expect(s.run(day, { trigger: 'operator' })).rejects.toMatchObject({
        code: 'RECONCILIATION_DAY_INVALID',
      });
      await expect(
        s.runForAppliance(day, 'K1', [
          { eventId: 'journey-1:certificate.issued:1', type: 'certificate.issued' },
        ]),
      ).rejects.toMatchObject({ code: 'RECONCILIATION_DAY_INVALID' });
      await expect(s.report(day)).rejects.toThrow(
        expect.objectContaining({ code: 'RECONCILIATION_DAY_INVALID' }),
      );
    }
    expect(asked).toBe(0);
    expect(await s.runCount()).toBe(0);
    expect(await db.get('SELECT COUNT(*) AS n FROM reconciliation_kiosk_records')).toEqual({ n: 0 });
    await expect(s.report('2026-03-01')).rejects.toThrow(
      expect.objectContaining({ code: 'RECONCILIATION_NOT_FOUND' }),
    );
  });
});

describe('days and the timer', () => {
  let keys: SimulatorKeys;
  let w: World;
  beforeAll(async () => {
    keys = testWechatPayKeys();
    w = await openWorld(keys, Date.parse('2026-03-01T23:50:00+08:00'));
  });
  afterAll(() => w.close());

  it('issued at 23:59:30, reported by the kiosk at 00:00:30: no difference on either day', async () => {
    const id = await w.order({ delivery: 'kiosk' }, ['request-payment', 'pay-wechat']);
    // Paid by hand: that one difference is the day's only line.
    await w.act(id, ['request-identity', 'verify-identity', 'approve']);
    w.clock.ms = Date.parse('2026-03-01T23:59:30+08:00');
    const serial = await w.certificate(id, 'K1', 'TOKEN-1');
    await w.orders.act(id, { action: 'issue-at-kiosk' });
    w.clock.ms = Date.parse('2026-03-02T00:00:29+08:00');
    await w.ingest('K1', [
      {
        id: `journey-${id}:certificate.issued:1`,
        type: 'certificate.issued',
        occurredAt: new Date(w.clock.ms).toISOString(),
        orderId: id,
        payload: { applianceId: 'K1', journeyId: `journey-${id}`, serialNumber: serial },
      },
    ]);
    w.clock.ms = Date.parse('2026-03-02T09:00:00+08:00');
    const first = await w.reconciliations.run('2026-03-01', { trigger: 'operator' });
    expect(first.lines.map((l) => [l.kind, l.subject])).toEqual([['missing-on-a-side', 'order']]);
    expect((await w.reconciliations.run('2026-03-02', { trigger: 'operator' })).lines).toEqual([]);
  });

  it('the timer runs the previous day once its time has come, and not again once it had the bill', async () => {
    w.clock.ms = Date.parse('2026-03-03T01:59:00+08:00');
    expect(await w.reconciliations.runDue()).toBeNull();
    w.clock.ms = Date.parse('2026-03-03T02:00:00+08:00');
    const r = await w.reconciliations.runDue();
    expect(r?.run).toMatchObject({ day: '2026-03-02', trigger: 'schedule', providerBill: 'complete' });
    w.clock.ms += 2 * 3_600_000;
    expect(await w.reconciliations.runDue()).toBeNull();
  });
});
