// The trade bill parser against the provider's documented layout: backtick-prefixed fields, yuan amounts, the
// summary rows at the end; ALL and SUCCESS headers; what it refuses.
import { describe, expect, it } from 'vitest';
import { CentralError } from '../errors.js';
import { billYuanToFen, formatTradeBill, parseTradeBill } from './trade-bill.js';

const ALL_HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const ALL_SUMMARY_HEADER =
  '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
// The documentation's example detail row (a JSAPI payment of 0.01 yuan) and one of ours with a comma in its name.
const PAID_ROW =
  '`2022-03-21 13:51:31,`wxfdc955f7104ad557,`180023671,`176531292,`,`420000612032130748613220688,`2021WERUN1647840687637,`oZWaCKXip5njeEiloC4oeOV1TTsk,`JSAPI,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,`,`,`微信云托管支付测试,`,`0.00000,`0.90%,`0.01,`0.00,`';
const OUR_ROW =
  '`2026-03-01 16:02:10,`wxd678efh567hg6787,`1900000109,`0,`,`4200000000000000000000000001,`CK20260301ABCDEF12,`oSimPayer,`NATIVE,`SUCCESS,`OTHERS,`CNY,`300.00,`0.00,`0,`0,`0.00,`0.00,`,`,`数字证书服务, 续期,`CK20260301ABCDEF12,`1.80000,`0.60%,`300.00,`0.00,`';

const bill = (...lines: string[]) => lines.join('\r\n');

describe('parseTradeBill', () => {
  it('reads an ALL bill: fields without their backticks, amounts in fen, the summary', () => {
    const b = parseTradeBill(
      bill(
        ALL_HEADER,
        PAID_ROW,
        OUR_ROW,
        ALL_SUMMARY_HEADER,
        '`2,`300.01,`0.00,`0.00,`1.80000,`300.01,`0.00',
        '',
      ),
    );
    expect(b.unreadable).toEqual([]);
    expect(b.complete).toBe(true);
    expect(b.rows).toHaveLength(2);
    expect(b.rows[0]).toMatchObject({
      line: 2,
      tradeTime: '2022-03-21 13:51:31',
      appid: 'wxfdc955f7104ad557',
      mchid: '180023671',
      subMchid: '176531292',
      transactionId: '420000612032130748613220688',
      outTradeNo: '2021WERUN1647840687637',
      tradeType: 'JSAPI',
      tradeState: 'SUCCESS',
      currency: 'CNY',
      settlementTotalFen: 1,
      couponFen: 0,
      refundFen: 0,
      orderTotalFen: 1,
      fee: '0.00000',
      rate: '0.90%',
      description: '微信云托管支付测试',
    });
    expect(b.rows[0]).not.toHaveProperty('deviceInfo');
    // A comma inside a field is not a separator: only ",`" is.
    expect(b.rows[1]).toMatchObject({
      outTradeNo: 'CK20260301ABCDEF12',
      settlementTotalFen: 30000,
      description: '数字证书服务, 续期',
      attach: 'CK20260301ABCDEF12',
    });
    expect(b.summary).toEqual({
      count: 2,
      settlementTotalFen: 30001,
      refundTotalFen: 0,
      rechargeCouponRefundTotalFen: 0,
      feeTotal: '1.80000',
      orderTotalFen: 30001,
      requestedRefundTotalFen: 0,
    });
  });

  it('reads a SUCCESS bill by its own header (fewer columns), with a BOM and LF line ends', () => {
    const header =
      '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注';
    const row =
      '`2026-03-01 16:02:10,`wxd678efh567hg6787,`1900000109,`0,`,`4200000000000000000000000002,`CK20260301000000AA,`oX,`NATIVE,`SUCCESS,`OTHERS,`CNY,`12.5,`0.00,`补办,`,`0.07500,`0.60%,`12.5,`';
    const b = parseTradeBill(
      `\uFEFF${[header, row, '总交易单数,应结订单总金额,手续费总金额,订单总金额', '`1,`12.50,`0.07500,`12.50'].join('\n')}`,
    );
    expect(b.rows).toEqual([
      expect.objectContaining({
        outTradeNo: 'CK20260301000000AA',
        settlementTotalFen: 1250,
        orderTotalFen: 1250,
      }),
    ]);
    expect(b.rows[0]).not.toHaveProperty('refundFen');
    expect(b.summary).toEqual({
      count: 1,
      settlementTotalFen: 1250,
      feeTotal: '0.07500',
      orderTotalFen: 1250,
    });
  });

  it('lists rows it cannot read with the reason, never guesses; a count that disagrees is incomplete', () => {
    const shortRow = '`2026-03-01 16:00:00,`wx,`1900000109';
    const badAmount = OUR_ROW.replace('`300.00,`0.00,`0,', '`300.0.0,`0.00,`0,');
    const noTick = OUR_ROW.slice(1);
    const b = parseTradeBill(
      bill(
        ALL_HEADER,
        shortRow,
        badAmount,
        noTick,
        PAID_ROW,
        ALL_SUMMARY_HEADER,
        '`5,`0.01,`0,`0,`0,`0.01,`0',
      ),
    );
    expect(b.rows.map((r) => r.line)).toEqual([5]);
    expect(b.unreadable).toEqual([
      { line: 2, reason: '3 fields where the header has 27.' },
      { line: 3, reason: '应结订单金额 "300.0.0" is not an amount.' },
      { line: 4, reason: 'The line does not start with a backtick.' },
    ]);
    expect(b.complete).toBe(false);
  });

  it('refuses a file that is not a trade bill (no header, no summary) with TRADE_BILL_MALFORMED', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err instanceof CentralError ? err.code : String(err);
      }
      return 'no error';
    };
    expect(code(() => parseTradeBill('date,amount,payer,remark\n2026-03-01,1.00,x,y'))).toBe(
      'TRADE_BILL_MALFORMED',
    );
    expect(code(() => parseTradeBill(bill(ALL_HEADER, PAID_ROW)))).toBe('TRADE_BILL_MALFORMED');
    expect(code(() => parseTradeBill(bill(ALL_HEADER, PAID_ROW, ALL_SUMMARY_HEADER)))).toBe(
      'TRADE_BILL_MALFORMED',
    );
  });

  it('reads back what the simulator writes (the ALL layout, CRLF, summary totals)', () => {
    const text = formatTradeBill([
      {
        tradeTime: '2026-03-01 16:02:10',
        appid: 'wxd678efh567hg6787',
        mchid: '1900000109',
        transactionId: '4200000000000000000000000003',
        outTradeNo: 'CK20260301ABCDEF12',
        openid: 'oSim',
        totalFen: 30000,
        description: '数字证书服务 CK20260301ABCDEF12',
        attach: 'CK20260301ABCDEF12',
      },
      {
        tradeTime: '2026-03-01 17:00:00',
        appid: 'wxd678efh567hg6787',
        mchid: '1900000109',
        transactionId: '4200000000000000000000000004',
        outTradeNo: 'CK20260301ABCDEF13_2',
        openid: 'oSim2',
        totalFen: 5,
        description: 'x',
      },
    ]);
    expect(text.split('\r\n')[0]).toBe(ALL_HEADER);
    expect(text.split('\r\n')[3]).toBe(ALL_SUMMARY_HEADER);
    const b = parseTradeBill(text);
    expect(b.complete).toBe(true);
    expect(b.rows.map((r) => [r.outTradeNo, r.settlementTotalFen, r.tradeState, r.fee])).toEqual([
      ['CK20260301ABCDEF12', 30000, 'SUCCESS', '1.80000'],
      ['CK20260301ABCDEF13_2', 5, 'SUCCESS', '0.00030'],
    ]);
    expect(b.summary).toMatchObject({ count: 2, settlementTotalFen: 30005, orderTotalFen: 30005 });
  });

  it('billYuanToFen: yuan with up to two decimals, nothing else', () => {
    expect([billYuanToFen('0.01'), billYuanToFen('0.0'), billYuanToFen('12'), billYuanToFen('-3.5')]).toEqual(
      [1, 0, 1200, -350],
    );
    expect([billYuanToFen(''), billYuanToFen('1.005'), billYuanToFen('1,00')]).toEqual([null, null, null]);
  });
});
