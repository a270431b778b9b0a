// The invoice PDF, read back the way a person's PDF reader would see its text (poppler's pdftotext): the
// Chinese title, the credit code, the amount in figures and in capitals, the number. And the font it needs:
// found at run time, or a clear INVOICE_FONT_MISSING.
import { beforeAll, describe, expect, it } from 'vitest';
import { CentralError } from '../errors.js';
import { amountInWords, yuan } from './amount-in-words.js';
import { findCjkFont } from './cjk-font.js';
import { hallDate, hallYear } from './hall-time.js';
import { formatInvoiceNumber } from './invoice-number.js';
import { type InvoiceContent, renderInvoicePdf } from './invoice-pdf.js';
import { pdfText, requirePdftotext } from './testing.js';

beforeAll(requirePdftotext);

const ORGANISATION: InvoiceContent = {
  number: '2026-000123',
  issuedAt: '2026-03-01T08:00:00.000Z',
  titleType: 'organisation',
  title: '深圳市腾讯计算机系统有限公司',
  taxId: '91440300708461136T',
  amountFen: 30_000,
  item: '数字证书服务（新办，机构证书，1 年）',
  orderId: 'CK20260301ABCDEF01',
  seller: 'CertKiosk Reference CA',
};

describe('invoice PDF', () => {
  it('embeds its Chinese text: pdftotext reads the title, credit code, item, amount and number', async () => {
    const pdf = await renderInvoicePdf(ORGANISATION, findCjkFont());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(pdf);
    for (const s of [
      '深圳市腾讯计算机系统有限公司',
      '91440300708461136T',
      '数字证书服务（新办，机构证书，1 年）',
      '300.00',
      '叁佰圆整',
      '2026-000123',
      '2026-03-01',
      '电子发票（普通发票）',
      'CK20260301ABCDEF01',
    ])
      expect(text, s).toContain(s);
    // The font is embedded (a subset), not referred to by name.
    expect(pdf.toString('latin1')).toMatch(/\/FontFile[23]?\b/);
  });

  it('a person’s invoice has no credit code', async () => {
    const pdf = await renderInvoicePdf(
      { ...ORGANISATION, titleType: 'person', title: '张伟', taxId: undefined, amountFen: 18_050 },
      findCjkFont(),
    );
    const text = pdfText(pdf);
    expect(text).toContain('张伟');
    expect(text).toContain('180.50');
    expect(text).toContain('壹佰捌拾圆伍角整');
    expect(text).not.toContain('统一社会信用代码');
  });
});

describe('amounts, dates and numbers on the invoice', () => {
  it.each([
    [30_000, '叁佰圆整'],
    [18_000, '壹佰捌拾圆整'],
    [100_550, '壹仟零伍圆伍角整'],
    [10_005, '壹佰圆零伍分'],
    [5, '伍分'],
    [0, '零圆整'],
    [10_001_000_00, '壹仟万零壹仟圆整'],
    [10_001_000, '壹拾万零壹拾圆整'],
    [1_000_000_000_00, '壹拾亿圆整'],
    [1_234_567_89, '壹佰贰拾叁万肆仟伍佰陆拾柒圆捌角玖分'],
  ])('%i fen in capitals: %s', (fen, words) => {
    expect(amountInWords(fen)).toBe(words);
  });

  it('yuan with two decimals; numbers of six digits at least; the year and date of Beijing', () => {
    expect(yuan(30_000)).toBe('300.00');
    expect(yuan(5)).toBe('0.05');
    expect(formatInvoiceNumber(2026, 123)).toBe('2026-000123');
    expect(formatInvoiceNumber(2026, 1_234_567)).toBe('2026-1234567');
    expect(hallYear('2025-12-31T16:30:00Z')).toBe(2026); // 00:30 on 1 January in Beijing
    expect(hallDate('2025-12-31T15:59:00Z')).toBe('2025-12-31');
  });
});

describe('the CJK font', () => {
  it('is found at run time (fontconfig, or Debian’s paths), a collection naming its face', () => {
    const font = findCjkFont();
    expect(font.path).toMatch(/\.(ttc|otc|ttf|otf)$/i);
    if (/\.(ttc|otc)$/i.test(font.path)) expect(font.postscriptName).toBeTruthy();
    const fixed = findCjkFont({ fontconfig: false });
    expect(fixed.path).toBe('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc');
    expect(fixed.postscriptName).toBe('NotoSansCJKsc-Regular');
  });

  it('missing: INVOICE_FONT_MISSING naming what was looked for and the package to install', () => {
    let caught: unknown;
    try {
      findCjkFont({ fontconfig: false, candidates: [{ path: '/nonexistent/NotoSansCJK-Regular.ttc' }] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CentralError);
    expect(caught).toMatchObject({ code: 'INVOICE_FONT_MISSING', statusCode: 500 });
    expect((caught as Error).message).toContain('/nonexistent/NotoSansCJK-Regular.ttc');
    expect((caught as Error).message).toContain('fonts-noto-cjk');
  });
});
