// The invoice slip's content: the order id masked, the amount, 已申请 until issued and the number after, the
// order's invoice link as the QR code (the PDF's link when central gave no order link, none at all: no QR code and
// a line saying the invoice comes by e-mail), the hall's local time, and 补打 on a reprint.
import type { Receipt } from '@certkiosk/firmware-bridge';
import { describe, expect, it } from 'vitest';
import type { InvoiceView } from '../api/contract.js';
import { invoiceSlipData, invoiceSlipDocument } from './invoice-slip.js';

const ORDER_ID = 'CK20260301A1B12489';
const KIOSK = {
  kioskId: 'KIOSK-SZ-001',
  hall: 'SZ-FUTIAN',
  hallName: '福田政务服务中心',
  timeZone: 'Asia/Shanghai',
};
const NOW = new Date('2026-03-01T11:41:07.000Z');
const LINK = `http://central.test/lookup/${ORDER_ID}/tok/invoice`;
const PDF = 'http://central.test/v1/invoices/2026-000042/pdftok.pdf';
const REQUESTED: Extract<InvoiceView, { state: 'requested' }> = {
  state: 'requested',
  title: 'person',
  requestedAt: '2026-03-01T11:40:00.000Z',
  amountFen: 18_000,
  link: LINK,
};
const ISSUED: Extract<InvoiceView, { state: 'issued' }> = {
  state: 'issued',
  title: 'person',
  requestedAt: REQUESTED.requestedAt,
  number: '2026-000042',
  amountFen: 18_000,
  issuedAt: '2026-03-02T02:00:00.000Z',
  url: PDF,
  link: LINK,
};

const texts = (r: Receipt) => r.items.flatMap((i) => (i.kind === 'text' ? [i.text] : []));
const qrs = (r: Receipt) => r.items.flatMap((i) => (i.kind === 'qr' ? [i.payload] : []));

describe('the invoice slip', () => {
  it('requested: the order masked, the amount, 已申请, the hall’s time, the order’s invoice link as QR code', () => {
    const doc = invoiceSlipDocument(invoiceSlipData(ORDER_ID, REQUESTED, KIOSK, NOW));
    expect(texts(doc)).toEqual(
      expect.arrayContaining([
        '发票凭条 Invoice Slip',
        '订单号 Order: CK2026********2489',
        '发票金额 Amount: ¥180.00',
        '已申请，待开具 Requested',
        '办理大厅 Hall: 福田政务服务中心',
        '打印时间 Printed: 2026-03-01 19:41:07 UTC+8',
        '扫码获取电子发票 Scan for the invoice PDF',
      ]),
    );
    expect(texts(doc).join('\n')).not.toContain(ORDER_ID);
    expect(texts(doc).some((t) => t.startsWith('发票号码'))).toBe(false);
    expect(qrs(doc)).toEqual([LINK]);
  });

  it('issued: the number instead of 已申请; the link stays the order’s (else the PDF’s); a reprint says 补打', () => {
    const data = invoiceSlipData(ORDER_ID, ISSUED, KIOSK, NOW);
    const doc = invoiceSlipDocument(data);
    expect(texts(doc)).toContain('发票号码 Invoice No.: 2026-000042');
    expect(texts(doc)).not.toContain('已申请，待开具 Requested');
    expect(qrs(doc)).toEqual([LINK]);
    const { link: _l, ...noLink } = ISSUED;
    expect(qrs(invoiceSlipDocument(invoiceSlipData(ORDER_ID, noLink, KIOSK, NOW)))).toEqual([PDF]);
    const again = invoiceSlipDocument(data, { reprint: true });
    expect(again.items[1]).toMatchObject({ kind: 'text', text: '补打 REPRINT', bold: true });
    expect(again.items.filter((_, i) => i !== 1)).toEqual(doc.items);
  });

  it('no link from central: no QR code, the invoice comes by e-mail; no amount said: no amount line', () => {
    const { link: _l, amountFen: _a, ...bare } = REQUESTED;
    const doc = invoiceSlipDocument(invoiceSlipData(ORDER_ID, bare, { kioskId: 'K', hall: 'H' }, NOW));
    expect(qrs(doc)).toEqual([]);
    expect(texts(doc)).toContain('发票将发送至您的邮箱 The invoice is sent by e-mail');
    expect(texts(doc).some((t) => t.startsWith('发票金额'))).toBe(false);
    expect(texts(doc)).toContain('办理大厅 Hall: H');
  });
});
