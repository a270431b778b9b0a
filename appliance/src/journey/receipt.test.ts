// The receipt's content: local time in the configured zone (print time and validity dates), the hall's name,
// the price paid, the hotline, Chinese-then-English labels on every line, the reprint mark and the QR link, and
// a reissue's line saying the lost key's certificate is revoked.
import { printer } from '@certkiosk/firmware-bridge';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RECEIPT_TIME_ZONE,
  RECEIPT_LABELS,
  type ReceiptData,
  type ReceiptSettings,
  receiptData,
  receiptDocument,
} from './receipt.js';
import type { IssuedJourney, OrderSnapshot } from './record.js';
import { maskCertificateSerial } from './replaced-certificate.js';

const RECEIPT_URL = 'https://central.example.cn/lookup/CK20260301A1B2C3D4/q8Zp3vXk1RmT0sYb2LcN4w';

/** An issued journey as the engine holds it when it prints (only what the receipt reads is meaningful). */
function journey(order: Partial<OrderSnapshot> = {}, cert: { notBefore?: string; notAfter?: string } = {}) {
  return {
    id: 'J-1',
    kind: 'pickup',
    step: 'verified',
    status: 'active',
    startedAt: '2026-03-01T11:30:00.000Z',
    updatedAt: '2026-03-01T11:40:00.000Z',
    awaiting: 'none',
    attempt: 1,
    idempotencyKey: 'CK20260301A1B2C3D4:J-1:1',
    pickupCode: 'code',
    pickupNonce: 'nonce',
    pickupExpiresAt: '2026-03-31T00:00:00.000Z',
    order: {
      orderId: 'CK20260301A1B2C3D4',
      certificateType: 'natural-person',
      businessType: 'new',
      serviceYears: 2,
      holderVerifiedOnline: false,
      identitySalt: 'salt',
      pricePaidFen: 18_000,
      receiptUrl: RECEIPT_URL,
      ...order,
    },
    identity: {
      attempts: 1,
      role: 'holder',
      nameMasked: '张*',
      idNumberMasked: '4403**********1238',
      idNumberHash: 'h',
      statement: {} as never,
    },
    token: {
      serial: 'SIM0000000000007',
      label: 'CK-CK20260301A1B2C3D4',
      keyIdHex: '01',
      algorithm: 'ec-p256',
      spkiSha256: 'ab',
      evidence: {} as never,
    },
    certificate: {
      serialNumber: '5F3A9C0E1B2D4F6A8C0E1B2D4F6A8C0E',
      pem: '',
      chainPem: [],
      // Issued 00:30 Beijing time on 2 March: still 1 March in UTC.
      notBefore: cert.notBefore ?? '2026-03-01T16:30:00.000Z',
      notAfter: cert.notAfter ?? '2028-03-01T16:29:59.000Z',
      subjectCommonName: '张伟',
      publicKeySha256: 'cd',
    },
  } as IssuedJourney;
}

const KIOSK: ReceiptSettings = {
  kioskId: 'KIOSK-FT-001',
  hall: 'SZ-FUTIAN',
  hallName: '深圳市福田区政务服务中心',
  timeZone: 'Asia/Shanghai',
  serviceHotline: '0755-8888 6666 (9:00–17:00)',
};

/** 11:41 UTC is 19:41 in Beijing. */
const NOW = new Date('2026-03-01T11:41:07.000Z');

const texts = (d: ReceiptData, reprint = false) =>
  receiptDocument(d, { reprint }).items.flatMap((i) => (i.kind === 'text' ? [i.text] : []));
const HAN = /\p{Script=Han}/u;
const LATIN = /[A-Za-z]/;
/** Printer cells of a line (ASCII one, anything else two), as the 80 mm head lays it out. */
const cells = (s: string) => [...s].reduce((n, ch) => n + ((ch.codePointAt(0) ?? 0) < 0x80 ? 1 : 2), 0);

describe('receipt time zone', () => {
  it('prints a fixed UTC instant as Beijing local time, with its offset', () => {
    const d = receiptData(journey(), KIOSK, NOW);
    expect(d.time).toBe('2026-03-01 19:41:07 UTC+8');
    expect(texts(d)).toContain('办理时间 Time: 2026-03-01 19:41:07 UTC+8');
  });

  it('defaults to Asia/Shanghai when no time zone is configured', () => {
    expect(DEFAULT_RECEIPT_TIME_ZONE).toBe('Asia/Shanghai');
    const { timeZone: _, ...noZone } = KIOSK;
    expect(receiptData(journey(), noZone, NOW).time).toBe('2026-03-01 19:41:07 UTC+8');
  });

  it('gives the validity dates as local dates (not UTC slices of the instants)', () => {
    const d = receiptData(journey(), KIOSK, NOW);
    expect(d.validFrom).toBe('2026-03-02');
    expect(d.validTo).toBe('2028-03-02');
    expect(texts(d)).toContain('有效期 Valid: 2026-03-02 ~ 2028-03-02');
  });

  it('follows the configured zone elsewhere too', () => {
    const utc = receiptData(journey(), { ...KIOSK, timeZone: 'UTC' }, NOW);
    expect(utc.time).toBe('2026-03-01 11:41:07 UTC+0');
    expect(utc.validFrom).toBe('2026-03-01');
    const urumqi = receiptData(journey(), { ...KIOSK, timeZone: 'Asia/Urumqi' }, NOW);
    expect(urumqi.time).toBe('2026-03-01 17:41:07 UTC+6');
  });

  it('prints in Beijing time rather than not at all when the zone is unknown (config refuses it anyway)', () => {
    expect(receiptData(journey(), { ...KIOSK, timeZone: 'Mars/Olympus' }, NOW).time).toBe(
      '2026-03-01 19:41:07 UTC+8',
    );
  });
});

describe('receipt content', () => {
  it('names the hall, the price paid and the service hotline', () => {
    const lines = texts(receiptData(journey(), KIOSK, NOW));
    expect(lines).toContain('办理大厅 Hall: 深圳市福田区政务服务中心');
    expect(lines).toContain('支付金额 Paid: ¥180.00');
    expect(lines).toContain('服务热线 Hotline: 0755-8888 6666 (9:00–17:00)');
    expect(lines).toContain('自助终端 Kiosk: KIOSK-FT-001');
    expect(lines).toContain('订单号 Order: CK20260301A1B2C3D4');
    expect(lines).toContain('证件号码 ID No.: 4403**********1238');
    expect(lines).toContain('证书主题 Subject: 张*');
  });

  it('falls back to the hall code when no hall name is configured', () => {
    const { hallName: _, ...noName } = KIOSK;
    expect(texts(receiptData(journey(), noName, NOW))).toContain('办理大厅 Hall: SZ-FUTIAN');
  });

  it('carries masked personal data only', () => {
    const all = texts(receiptData(journey(), KIOSK, NOW)).join('\n');
    expect(all).not.toContain('张伟');
    expect(all).not.toMatch(/\d{17}[\dX]/);
  });

  it('labels every line Chinese first, English second — no half-bilingual line', () => {
    for (const type of ['natural-person', 'organisation', 'organisation-individual'] as const) {
      for (const reprint of [false, true]) {
        const d = receiptData(journey({ certificateType: type, businessType: 'renewal' }), KIOSK, NOW);
        for (const text of texts(d, reprint).filter((t) => t !== '')) {
          // Chinese, then a space, then English, on the same line.
          expect(text, text).toMatch(/^[\p{Script=Han}、]+ [A-Z]/u);
          const colon = text.indexOf(': ');
          const labelPart = colon >= 0 ? text.slice(0, colon) : text;
          const [zh, ...en] = labelPart.split(' ');
          expect(HAN.test(zh!) && !LATIN.test(zh!), text).toBe(true);
          expect(en.join(' '), text).toMatch(/^[A-Za-z]/);
          expect(HAN.test(en.join(' ')), text).toBe(false);
          // Values that are words are bilingual too (type, business type).
          if (/^(证书类型|业务类型)/.test(text))
            expect(text.slice(colon + 2), text).toMatch(/^\p{Script=Han}+ [A-Z]/u);
        }
      }
    }
    for (const [zh, en] of Object.values(RECEIPT_LABELS)) {
      expect(HAN.test(zh) && !LATIN.test(zh)).toBe(true);
      expect(HAN.test(en)).toBe(false);
    }
  });

  it('fits every line on the 48 columns of the paper', () => {
    for (const type of ['natural-person', 'organisation', 'organisation-individual'] as const) {
      const d = receiptData(journey({ certificateType: type }), KIOSK, NOW);
      const doc = receiptDocument(d, { reprint: true });
      for (const item of doc.items) {
        if (item.kind !== 'text') continue;
        const width = cells(item.text) * (item.doubleWidth ? 2 : 1);
        expect(width, item.text).toBeLessThanOrEqual(48);
      }
    }
  });

  it('marks a reprint 补打 REPRINT at the top, and only a reprint', () => {
    const d = receiptData(journey(), KIOSK, NOW);
    const first = receiptDocument(d);
    const again = receiptDocument(d, { reprint: true });
    expect(texts(d)).not.toContain('补打 REPRINT');
    expect(again.items[1]).toMatchObject({ kind: 'text', text: '补打 REPRINT', bold: true, align: 'center' });
    // Everything else is the same receipt.
    expect(again.items.filter((_, i) => i !== 1)).toEqual(first.items);
  });

  it('puts the receipt page central gave (order id and receipt token) into the QR code', () => {
    const doc = receiptDocument(receiptData(journey(), KIOSK, NOW));
    const qrs = doc.items.filter((i) => i.kind === 'qr');
    expect(qrs).toEqual([expect.objectContaining({ payload: RECEIPT_URL })]);
    const scan = doc.items.findIndex(
      (i) => i.kind === 'text' && i.text.startsWith('扫码查询订单与发票 Scan: order & invoice'),
    );
    expect(doc.items[scan + 1]?.kind).toBe('qr');
  });

  it('prints no QR code when central gave no receipt page (an order id alone opens nothing)', () => {
    const { receiptUrl: _, ...order } = journey().order;
    const j = { ...journey(), order } as IssuedJourney;
    const d = receiptData(j, KIOSK, NOW);
    expect(d.lookupUrl).toBe('');
    const doc = receiptDocument(d);
    expect(doc.items.some((i) => i.kind === 'qr')).toBe(false);
    expect(texts(d)).toContain('查询订单请致电热线 Call the hotline for status');
  });

  it('still prints a receipt queued by the previous version (no hall, price or hotline fields)', () => {
    const old: ReceiptData = {
      orderId: 'CK1',
      certificateType: 'natural-person',
      businessType: 'new',
      subject: '张*',
      certificateSerial: 'AB',
      validFrom: '2026-03-01',
      validTo: '2028-03-01',
      keySerial: 'K1',
      time: '2026-03-01 11:41:00',
      kioskId: 'KIOSK-1',
      idNumberMasked: '4403**********1238',
      lookupUrl: 'http://central/lookup/CK1/token',
    };
    const lines = texts(old, true);
    expect(lines).toContain('补打 REPRINT');
    expect(lines.some((l) => l.startsWith('办理大厅') || l.startsWith('支付金额'))).toBe(false);
  });

  it('encodes as ESC/POS (GB18030) and decodes back to the same lines and QR payload', () => {
    const doc = receiptDocument(receiptData(journey(), KIOSK, NOW), { reprint: true });
    const printed = printer.decodeEscPos(printer.encodeReceipt(doc));
    expect(printed.lines.map((l) => l.text)).toEqual(
      doc.items.flatMap((i) => (i.kind === 'text' ? [i.text] : [])),
    );
    expect(printed.qrCodes.map((q) => q.payload)).toEqual([RECEIPT_URL]);
  });
});

describe('reissue (补办) receipt', () => {
  /** The lost key's certificate as central stores it (32 hex digits: the longest serial central makes). */
  const LOST = '7e41c09b55d2a8f3e6b1c04d9a2f7b3e';
  const reissue = (type: OrderSnapshot['certificateType'] = 'natural-person') =>
    journey({
      certificateType: type,
      businessType: 'reissue',
      previousCertificateMasked: maskCertificateSerial(LOST),
    });

  it('says the old certificate is revoked, Chinese first, by the last 8 hex digits of its serial only', () => {
    const d = receiptData(reissue(), KIOSK, NOW);
    expect(d.previousCertificateRevoked).toBe('…9a2f7b3e');
    const lines = texts(d);
    expect(lines).toContain('原证书已吊销 Old certificate revoked: …9a2f7b3e');
    expect(lines).toContain('业务类型 Business: 补办 Reissue');
    // The new certificate's serial is printed in full; the old one never.
    expect(lines).toContain('证书序列号 SN: 5F3A9C0E1B2D4F6A8C0E1B2D4F6A8C0E');
    expect(lines.join('\n')).not.toContain(LOST.slice(0, 24));
  });

  it('fits the 48 columns and keeps every line bilingual, reprint included', () => {
    for (const type of ['natural-person', 'organisation', 'organisation-individual'] as const) {
      const doc = receiptDocument(receiptData(reissue(type), KIOSK, NOW), { reprint: true });
      for (const item of doc.items) {
        if (item.kind !== 'text' || item.text === '') continue;
        expect(cells(item.text) * (item.doubleWidth ? 2 : 1), item.text).toBeLessThanOrEqual(48);
        expect(item.text, item.text).toMatch(/^[\p{Script=Han}、]+ [A-Z]/u);
      }
    }
  });

  it('prints no revoked line for an order that replaces nothing, and a reprint keeps the line', () => {
    expect(texts(receiptData(journey(), KIOSK, NOW)).some((l) => l.startsWith('原证书已吊销'))).toBe(false);
    const queued = receiptData(reissue(), KIOSK, NOW);
    expect(texts(queued, true)).toContain('原证书已吊销 Old certificate revoked: …9a2f7b3e');
  });
});
