// The receipt of a completed pickup: only masked personal data. Turned into printer items here, printed by
// the receipt printer driver; kept in the reprint queue when the printer cannot print.
//
// Every label line reads "中文 English: value" (Chinese first); times and dates are the hall's local time
// (config kiosk.timeZone); the QR code opens the order's receipt page on central (masked status, invoice
// request), whose address — with the order's random receipt token — central gives with the order. A reissue's
// receipt says the lost key's certificate is revoked (masked serial; replaced-certificate.ts).

import {
  BUSINESS_TYPE_LABELS,
  type BusinessType,
  CERTIFICATE_TYPE_LABELS,
  type CertificateType,
} from '@certkiosk/config';
import { line, qrCode, type Receipt } from '@certkiosk/firmware-bridge';
import { maskName } from './identity.js';
import type { IssuedJourney } from './record.js';
import { replacedCertificate } from './replaced-certificate.js';

/** The receipt's times and dates when no time zone is configured. */
export const DEFAULT_RECEIPT_TIME_ZONE = 'Asia/Shanghai';

/** What the receipt shows of the kiosk's configuration (config `kiosk.hallName`, `timeZone`, `serviceHotline`). */
export interface ReceiptOptions {
  /** The hall's name (e.g. 深圳市福田区政务服务中心); default: the hall code. */
  hallName?: string;
  /** IANA time zone of the printed times and dates; default Asia/Shanghai. */
  timeZone?: string;
  serviceHotline?: string;
}

export interface ReceiptSettings extends ReceiptOptions {
  kioskId: string;
  /** The hall code (config appliance.hall). */
  hall: string;
}

/**
 * The receipt as data (kept in the reprint queue, so it prints the same later). Fields added after the first
 * version are optional: a receipt queued by an older version still prints (without them).
 */
export interface ReceiptData {
  orderId: string;
  certificateType: CertificateType;
  businessType: BusinessType;
  subject: string;
  certificateSerial: string;
  /** Local dates (YYYY-MM-DD) in the receipt's time zone. */
  validFrom: string;
  validTo: string;
  keySerial: string;
  /** Local time with its UTC offset: `2026-03-01 19:41:00 UTC+8`. */
  time: string;
  kioskId: string;
  idNumberMasked: string;
  /** The receipt page on central (order id + receipt token); empty when central gave none (no QR code). */
  lookupUrl: string;
  hallName?: string;
  /** What the applicant paid, in fen. */
  pricePaidFen?: number;
  serviceHotline?: string;
  /** Reissue: the replaced certificate (masked serial), revoked at central before this one was issued. */
  previousCertificateRevoked?: string;
}

/** Labels of the receipt lines: Chinese first, English second, on every line. */
export const RECEIPT_LABELS = {
  title: ['数字证书领取凭证', 'Certificate Receipt'],
  reprint: ['补打', 'REPRINT'],
  orderId: ['订单号', 'Order'],
  certificateType: ['证书类型', 'Type'],
  businessType: ['业务类型', 'Business'],
  subject: ['证书主题', 'Subject'],
  certificateSerial: ['证书序列号', 'SN'],
  validity: ['有效期', 'Valid'],
  keySerial: ['介质序列号', 'Key'],
  // Not "Previous certificate revoked": with the masked serial that would not fit the 48 columns.
  previousRevoked: ['原证书已吊销', 'Old certificate revoked'],
  idNumber: ['证件号码', 'ID No.'],
  pricePaid: ['支付金额', 'Paid'],
  hall: ['办理大厅', 'Hall'],
  kiosk: ['自助终端', 'Kiosk'],
  time: ['办理时间', 'Time'],
  hotline: ['服务热线', 'Hotline'],
  scan: ['扫码查询订单与发票', 'Scan: order & invoice'],
  noQr: ['查询订单请致电热线', 'Call the hotline for status'],
  keepSafe: ['请妥善保管介质和密码', 'Keep your key and PIN safe'],
} as const satisfies Record<string, readonly [zh: string, en: string]>;

/** Short English names of the certificate types, so a type line fits the 48 columns of the paper. */
const TYPE_EN_SHORT: Record<CertificateType, string> = {
  organisation: 'Organisation',
  'organisation-individual': 'Org. individual',
  'natural-person': 'Natural person',
};

/** Local calendar date, time and UTC offset of an instant in an IANA time zone. */
export function localDateTime(at: Date, timeZone: string): { date: string; time: string; offset: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  // shortOffset gives "GMT+8", "GMT-3:30" or "GMT" for UTC itself.
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, 'UTC');
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}:${parts.second}`,
    offset: offset === 'UTC' ? 'UTC+0' : offset,
  };
}

/** The configured zone when this Node knows it (config checks it), else the default: a receipt always prints. */
export function receiptZone(tz: string | undefined): string {
  if (!tz) return DEFAULT_RECEIPT_TIME_ZONE;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    return DEFAULT_RECEIPT_TIME_ZONE;
  }
}

export function receiptData(j: IssuedJourney, kiosk: ReceiptSettings, now: Date): ReceiptData {
  const tz = receiptZone(kiosk.timeZone);
  const printed = localDateTime(now, tz);
  const d: ReceiptData = {
    orderId: j.order.orderId,
    certificateType: j.order.certificateType,
    businessType: j.order.businessType,
    subject: maskName(j.certificate.subjectCommonName),
    certificateSerial: j.certificate.serialNumber,
    validFrom: localDateTime(new Date(j.certificate.notBefore), tz).date,
    validTo: localDateTime(new Date(j.certificate.notAfter), tz).date,
    keySerial: j.token.serial,
    time: `${printed.date} ${printed.time} ${printed.offset}`,
    kioskId: kiosk.kioskId,
    idNumberMasked: j.identity?.idNumberMasked ?? '',
    lookupUrl: j.order.receiptUrl ?? '',
    hallName: kiosk.hallName ?? kiosk.hall,
  };
  if (j.order.pricePaidFen !== undefined) d.pricePaidFen = j.order.pricePaidFen;
  if (kiosk.serviceHotline) d.serviceHotline = kiosk.serviceHotline;
  const replaced = replacedCertificate(j);
  if (replaced?.revoked) d.previousCertificateRevoked = replaced.serialMasked;
  return d;
}

const label = (l: readonly [string, string], value: string) => line(`${l[0]} ${l[1]}: ${value}`);
const both = (l: readonly [string, string]) => `${l[0]} ${l[1]}`;

export function yuan(fen: number): string {
  return `¥${(fen / 100).toFixed(2)}`;
}

export interface ReceiptDocumentOptions {
  /** Printed again from the reprint queue (staff): marked 补打 REPRINT at the top. */
  reprint?: boolean;
}

export function receiptDocument(d: ReceiptData, opts: ReceiptDocumentOptions = {}): Receipt {
  const L = RECEIPT_LABELS;
  const type = CERTIFICATE_TYPE_LABELS[d.certificateType];
  const business = BUSINESS_TYPE_LABELS[d.businessType];
  const items: Receipt['items'] = [line(both(L.title), { align: 'center', bold: true, doubleHeight: true })];
  if (opts.reprint) {
    items.push(line(both(L.reprint), { align: 'center', bold: true, doubleWidth: true, doubleHeight: true }));
  }
  items.push(
    line(''),
    label(L.orderId, d.orderId),
    label(
      L.certificateType,
      type ? `${type.zh} ${TYPE_EN_SHORT[d.certificateType] ?? type.en}` : d.certificateType,
    ),
    label(L.businessType, business ? `${business.zh} ${business.en}` : d.businessType),
    label(L.subject, d.subject),
    label(L.certificateSerial, d.certificateSerial),
    label(L.validity, `${d.validFrom} ~ ${d.validTo}`),
    label(L.keySerial, d.keySerial),
  );
  if (d.previousCertificateRevoked) items.push(label(L.previousRevoked, d.previousCertificateRevoked));
  if (d.idNumberMasked) items.push(label(L.idNumber, d.idNumberMasked));
  if (d.pricePaidFen !== undefined) items.push(label(L.pricePaid, yuan(d.pricePaidFen)));
  if (d.hallName) items.push(label(L.hall, d.hallName));
  items.push(label(L.kiosk, d.kioskId), label(L.time, d.time));
  if (d.serviceHotline) items.push(label(L.hotline, d.serviceHotline));
  items.push(line(''));
  if (d.lookupUrl) {
    items.push(line(both(L.scan), { align: 'center' }), qrCode(d.lookupUrl, { align: 'center' }));
  } else {
    items.push(line(both(L.noQr), { align: 'center' }));
  }
  items.push(line(both(L.keepSafe), { align: 'center' }));
  return { items, cut: 'full' };
}
