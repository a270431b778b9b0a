// The report as CSV for finance: UTF-8 with a byte-order mark (without it Excel reads Chinese as mojibake), CRLF
// lines (RFC 4180), a header row in Chinese, one row per difference. Kind and side stay codes (filterable, stable);
// the kind's Chinese name is its own column.
import { LINE_KIND_LABELS, type ReconciliationLine, type ReconciliationReport } from './schemas.js';

/** Our field → the column's header. */
export const CSV_COLUMNS = {
  day: '对账日',
  kind: '差异类型',
  kindName: '差异说明',
  side: '缺失方',
  subject: '对象',
  applianceId: '终端',
  orderId: '订单号',
  outTradeNo: '商户订单号',
  certificateSerial: '证书序列号',
  invoiceNumber: '发票号码',
  kiosk: '终端记录',
  central: '中心记录',
  provider: '微信支付记录',
  message: '说明',
} as const;
export type CsvField = keyof typeof CSV_COLUMNS;

const BOM = '\uFEFF';

/** Quoted when needed; a leading = + - @ is defused so a spreadsheet never runs a cell as a formula. */
function cell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function fields(day: string, l: ReconciliationLine): Record<CsvField, string> {
  return {
    day,
    kind: l.kind,
    kindName: LINE_KIND_LABELS[l.kind].zh,
    side: l.kind === 'missing-on-a-side' ? l.side : '',
    subject: l.subject,
    applianceId: l.applianceId ?? '',
    orderId: l.orderId ?? '',
    outTradeNo: l.outTradeNo ?? '',
    certificateSerial: l.certificateSerial ?? '',
    invoiceNumber: l.invoiceNumber ?? '',
    kiosk: l.kiosk ?? '',
    central: l.central ?? '',
    provider: l.provider ?? '',
    message: l.message,
  };
}

export function reportCsv(report: ReconciliationReport): string {
  const order = Object.keys(CSV_COLUMNS) as CsvField[];
  const rows = report.lines.map((l) => {
    const f = fields(report.run.day, l);
    return order.map((k) => cell(f[k])).join(',');
  });
  return `${BOM}${[order.map((k) => CSV_COLUMNS[k]).join(','), ...rows].join('\r\n')}\r\n`;
}
