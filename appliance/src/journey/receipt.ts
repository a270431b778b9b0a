// The receipt of a completed pickup: only masked personal data. Turned into printer items here, printed by
// the receipt printer driver; kept in the reprint queue when the printer cannot print.

import {
  BUSINESS_TYPE_LABELS,
  type BusinessType,
  CERTIFICATE_TYPE_LABELS,
  type CertificateType,
} from '@certkiosk/config';
import { line, qrCode, type Receipt } from '@certkiosk/firmware-bridge';
import { maskName } from './identity.js';
import type { IssuedJourney } from './record.js';

export interface ReceiptData {
  orderId: string;
  certificateType: CertificateType;
  businessType: BusinessType;
  subject: string;
  certificateSerial: string;
  validFrom: string;
  validTo: string;
  keySerial: string;
  time: string;
  kioskId: string;
  idNumberMasked: string;
  lookupUrl: string;
}

export function receiptData(j: IssuedJourney, kioskId: string, centralUrl: string, now: Date): ReceiptData {
  return {
    orderId: j.order.orderId,
    certificateType: j.order.certificateType,
    businessType: j.order.businessType,
    subject: maskName(j.certificate.subjectCommonName),
    certificateSerial: j.certificate.serialNumber,
    validFrom: j.certificate.notBefore.slice(0, 10),
    validTo: j.certificate.notAfter.slice(0, 10),
    keySerial: j.token.serial,
    time: now.toISOString().replace('T', ' ').slice(0, 19),
    kioskId,
    idNumberMasked: j.identity?.idNumberMasked ?? '',
    lookupUrl: `${centralUrl.replace(/\/$/, '')}/lookup/${encodeURIComponent(j.order.orderId)}`,
  };
}

export function receiptDocument(d: ReceiptData): Receipt {
  return {
    items: [
      line('数字证书领取凭证', { align: 'center', bold: true, doubleWidth: true, doubleHeight: true }),
      line('Certificate collection receipt', { align: 'center' }),
      line(''),
      line(`订单号 Order: ${d.orderId}`),
      line(`证书类型: ${CERTIFICATE_TYPE_LABELS[d.certificateType]?.zh ?? d.certificateType}`),
      line(`业务类型: ${BUSINESS_TYPE_LABELS[d.businessType]?.zh ?? d.businessType}`),
      line(`证书主题: ${d.subject}`),
      line(`证书序列号: ${d.certificateSerial}`),
      line(`有效期: ${d.validFrom} 至 ${d.validTo}`),
      line(`介质序列号 Key: ${d.keySerial}`),
      line(`证件号码: ${d.idNumberMasked}`),
      line(`时间: ${d.time}`),
      line(`自助终端: ${d.kioskId}`),
      line(''),
      line('扫码查询订单、申请发票', { align: 'center' }),
      qrCode(d.lookupUrl, { align: 'center' }),
      line('请妥善保管您的USB Key和证书密码', { align: 'center' }),
    ],
    cut: 'full',
  };
}
