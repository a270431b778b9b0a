// The WeChat Pay trade bill (交易账单, GET /v3/bill/tradebill → download_url): a detail header, detail rows, a
// summary header, a summary row; comma-separated, every detail and summary field prefixed with a backtick (`)
// so spreadsheets keep long numbers; amounts in yuan. The parser reads ALL, SUCCESS and REFUND bills by their
// header names (for reconciliation); the writer makes the ALL layout (for the simulator). Pure: text in, rows out.
import { CentralError } from '../errors.js';

/** Our field name → the provider's column name. */
const COLUMNS = {
  tradeTime: '交易时间',
  appid: '公众账号ID',
  mchid: '商户号',
  subMchid: '特约商户号',
  deviceInfo: '设备号',
  transactionId: '微信订单号',
  outTradeNo: '商户订单号',
  openid: '用户标识',
  tradeType: '交易类型',
  tradeState: '交易状态',
  bankType: '付款银行',
  currency: '货币种类',
  settlementTotal: '应结订单金额',
  coupon: '代金券金额',
  refundRequestedAt: '退款申请时间',
  refundSucceededAt: '退款成功时间',
  refundId: '微信退款单号',
  outRefundNo: '商户退款单号',
  refund: '退款金额',
  rechargeCouponRefund: '充值券退款金额',
  refundType: '退款类型',
  refundStatus: '退款状态',
  description: '商品名称',
  attach: '商户数据包',
  fee: '手续费',
  rate: '费率',
  orderTotal: '订单金额',
  requestedRefund: '申请退款金额',
  rateNote: '费率备注',
} as const;
type Field = keyof typeof COLUMNS;

/** The ALL bill's detail columns, in the provider's order. */
export const ALL_BILL_COLUMNS: readonly Field[] = [
  'tradeTime',
  'appid',
  'mchid',
  'subMchid',
  'deviceInfo',
  'transactionId',
  'outTradeNo',
  'openid',
  'tradeType',
  'tradeState',
  'bankType',
  'currency',
  'settlementTotal',
  'coupon',
  'refundId',
  'outRefundNo',
  'refund',
  'rechargeCouponRefund',
  'refundType',
  'refundStatus',
  'description',
  'attach',
  'fee',
  'rate',
  'orderTotal',
  'requestedRefund',
  'rateNote',
];

const SUMMARY_COLUMNS = {
  count: '总交易单数',
  settlementTotal: '应结订单总金额',
  refundTotal: '退款总金额',
  rechargeCouponRefundTotal: '充值券退款总金额',
  feeTotal: '手续费总金额',
  orderTotal: '订单总金额',
  requestedRefundTotal: '申请退款总金额',
} as const;
type SummaryField = keyof typeof SUMMARY_COLUMNS;
const ALL_SUMMARY_COLUMNS: readonly SummaryField[] = [
  'count',
  'settlementTotal',
  'refundTotal',
  'rechargeCouponRefundTotal',
  'feeTotal',
  'orderTotal',
  'requestedRefundTotal',
];

/** One detail row. Money in fen; the fee as written (yuan, more than two decimals); absent columns absent. */
export interface TradeBillRow {
  line: number;
  /** As written: `yyyy-MM-dd HH:mm:ss`, China Standard Time. */
  tradeTime: string;
  outTradeNo: string;
  /** SUCCESS (paid), REFUND (a refund row), REVOKED … */
  tradeState: string;
  transactionId?: string;
  appid?: string;
  mchid?: string;
  subMchid?: string;
  deviceInfo?: string;
  openid?: string;
  tradeType?: string;
  bankType?: string;
  currency?: string;
  settlementTotalFen?: number;
  couponFen?: number;
  refundRequestedAt?: string;
  refundSucceededAt?: string;
  refundId?: string;
  outRefundNo?: string;
  refundFen?: number;
  rechargeCouponRefundFen?: number;
  refundType?: string;
  refundStatus?: string;
  description?: string;
  attach?: string;
  fee?: string;
  rate?: string;
  orderTotalFen?: number;
  requestedRefundFen?: number;
  rateNote?: string;
}

export interface TradeBillSummary {
  count: number;
  settlementTotalFen?: number;
  refundTotalFen?: number;
  rechargeCouponRefundTotalFen?: number;
  feeTotal?: string;
  orderTotalFen?: number;
  requestedRefundTotalFen?: number;
}

export interface TradeBill {
  rows: TradeBillRow[];
  /** Detail lines that could not be read, with the reason; never guessed. */
  unreadable: Array<{ line: number; reason: string }>;
  summary: TradeBillSummary;
  /** The summary's 总交易单数 equals the detail lines found (a truncated download does not). */
  complete: boolean;
}

const MONEY_FIELDS = new Set<Field>([
  'settlementTotal',
  'coupon',
  'refund',
  'rechargeCouponRefund',
  'orderTotal',
  'requestedRefund',
]);
const REQUIRED: readonly Field[] = ['tradeTime', 'outTradeNo', 'tradeState'];

/** Yuan as written in the bill (`0.01`, `0.0`, `12`) to fen; null when it is not an amount. */
export function billYuanToFen(s: string): number | null {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(s.trim());
  if (!m) return null;
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

/** A detail or summary line's fields: each starts with a backtick, so `,`` separates them (commas may not). */
function backtickFields(line: string): string[] | null {
  if (!line.startsWith('`')) return null;
  return line.slice(1).split(',`');
}

const fail = (message: string): never => {
  throw new CentralError('TRADE_BILL_MALFORMED', message);
};

export function parseTradeBill(text: string): TradeBill {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const byName = new Map(Object.entries(COLUMNS).map(([f, name]) => [name as string, f as Field]));
  const fields = header.map((h) => byName.get(h));
  for (const need of REQUIRED)
    if (!fields.includes(need)) fail(`The bill's header has no ${COLUMNS[need]} column.`);
  const summaryAt = lines.findIndex((l, i) => i > 0 && l.startsWith(SUMMARY_COLUMNS.count));
  if (summaryAt < 0) fail(`The bill has no summary (${SUMMARY_COLUMNS.count}, …).`);

  const rows: TradeBillRow[] = [];
  const unreadable: TradeBill['unreadable'] = [];
  for (let i = 1; i < summaryAt; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const line = i + 1;
    const cells = backtickFields(raw);
    if (!cells || cells.length !== header.length) {
      unreadable.push({
        line,
        reason: cells
          ? `${cells.length} fields where the header has ${header.length}.`
          : 'The line does not start with a backtick.',
      });
      continue;
    }
    const row: Record<string, string | number> = { line };
    let bad: string | null = null;
    fields.forEach((f, c) => {
      if (!f) return;
      const v = cells[c]!;
      if (MONEY_FIELDS.has(f)) {
        if (v === '') return;
        const fen = billYuanToFen(v);
        if (fen === null) bad ??= `${COLUMNS[f]} "${v}" is not an amount.`;
        else row[`${f}Fen`] = fen;
      } else if (v !== '') row[f] = v;
    });
    if (!bad && (!row.tradeTime || !row.outTradeNo || !row.tradeState))
      bad = `${COLUMNS.tradeTime}, ${COLUMNS.outTradeNo} and ${COLUMNS.tradeState} are required.`;
    if (bad) unreadable.push({ line, reason: bad });
    else rows.push(row as unknown as TradeBillRow);
  }

  const sHeader = lines[summaryAt]!.split(',').map((h) => h.trim());
  const sCells = backtickFields(lines[summaryAt + 1] ?? '');
  if (!sCells || sCells.length !== sHeader.length)
    return fail('The bill summary row does not fit its header.');
  const sByName = new Map(
    Object.entries(SUMMARY_COLUMNS).map(([f, name]) => [name as string, f as SummaryField]),
  );
  const summary: Record<string, string | number> = {};
  sHeader.forEach((h, c) => {
    const f = sByName.get(h);
    const v = sCells[c]!.trim();
    if (!f) return;
    if (f === 'count') {
      if (!/^\d+$/.test(v)) fail(`${SUMMARY_COLUMNS.count} "${v}" is not a number.`);
      summary.count = Number(v);
    } else if (f === 'feeTotal') summary.feeTotal = v;
    else {
      const fen = billYuanToFen(v);
      if (fen === null) fail(`${SUMMARY_COLUMNS[f]} "${v}" is not an amount.`);
      summary[`${f}Fen`] = fen!;
    }
  });
  if (summary.count === undefined) fail(`The bill summary has no ${SUMMARY_COLUMNS.count}.`);
  const s = summary as unknown as TradeBillSummary;
  return { rows, unreadable, summary: s, complete: s.count === rows.length + unreadable.length };
}

const yuan = (fen: number) => (fen / 100).toFixed(2);

/** One paid transaction as the simulator bills it. */
export interface BilledPayment {
  tradeTime: string;
  appid: string;
  mchid: string;
  transactionId: string;
  outTradeNo: string;
  openid: string;
  totalFen: number;
  description: string;
  attach?: string;
}

/** The simulator's fee rate (0.60%, the usual rate shown in the provider's examples). */
const FEE_RATE = 0.006;

/** An ALL bill of paid transactions in the provider's layout (CRLF lines, backtick-prefixed fields). */
export function formatTradeBill(payments: readonly BilledPayment[]): string {
  const tick = (cells: readonly string[]) => cells.map((c) => `\`${c}`).join(',');
  const fee = (fen: number) => ((fen * FEE_RATE) / 100).toFixed(5);
  const detail = payments.map((p) => {
    const v: Record<Field, string> = {
      tradeTime: p.tradeTime,
      appid: p.appid,
      mchid: p.mchid,
      subMchid: '0',
      deviceInfo: '',
      transactionId: p.transactionId,
      outTradeNo: p.outTradeNo,
      openid: p.openid,
      tradeType: 'NATIVE',
      tradeState: 'SUCCESS',
      bankType: 'OTHERS',
      currency: 'CNY',
      settlementTotal: yuan(p.totalFen),
      coupon: '0.00',
      refundRequestedAt: '',
      refundSucceededAt: '',
      refundId: '0',
      outRefundNo: '0',
      refund: '0.00',
      rechargeCouponRefund: '0.00',
      refundType: '',
      refundStatus: '',
      description: p.description,
      attach: p.attach ?? '',
      fee: fee(p.totalFen),
      rate: '0.60%',
      orderTotal: yuan(p.totalFen),
      requestedRefund: '0.00',
      rateNote: '',
    };
    return tick(ALL_BILL_COLUMNS.map((f) => v[f]));
  });
  const total = payments.reduce((n, p) => n + p.totalFen, 0);
  const sum: Record<SummaryField, string> = {
    count: String(payments.length),
    settlementTotal: yuan(total),
    refundTotal: '0.00',
    rechargeCouponRefundTotal: '0.00',
    feeTotal: payments.reduce((n, p) => n + (p.totalFen * FEE_RATE) / 100, 0).toFixed(5),
    orderTotal: yuan(total),
    requestedRefundTotal: '0.00',
  };
  return [
    ALL_BILL_COLUMNS.map((f) => COLUMNS[f]).join(','),
    ...detail,
    ALL_SUMMARY_COLUMNS.map((f) => SUMMARY_COLUMNS[f]).join(','),
    tick(ALL_SUMMARY_COLUMNS.map((f) => sum[f])),
    '',
  ].join('\r\n');
}
