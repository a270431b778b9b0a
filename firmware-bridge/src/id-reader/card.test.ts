import { describe, expect, it } from 'vitest';
import {
  CARD_TEXT_SIZE,
  cardLayoutMark,
  encodeCardText,
  type ForeignPermanentCard,
  type IdCard,
  parseCardText,
} from './card.js';
import { cardFixturePaths, loadCardFixture } from './card-fixture.js';

const ucs2 = (s: string) => Buffer.from(s, 'utf16le');
const field = (text: Uint8Array, offset: number, bytes: number) =>
  Buffer.from(text.subarray(offset, offset + bytes))
    .toString('utf16le')
    .trimEnd();

const resident: IdCard = {
  cardType: 'resident',
  name: '阿依古丽·买买提',
  sex: 'female',
  nation: '维吾尔',
  nationCode: '05',
  birthDate: '1992-08-15',
  address: '新疆维吾尔自治区乌鲁木齐市天山区解放南路88号',
  idNumber: '650102199208150025',
  authority: '乌鲁木齐市公安局天山区分局',
  validFrom: '2019-01-10',
  validTo: null,
  photo: new Uint8Array([1, 2, 3]),
};

describe('resident card text block', () => {
  it('puts every field at the offset the spec gives, UCS-2LE, space padded', () => {
    const text = encodeCardText(resident);
    expect(text.length).toBe(CARD_TEXT_SIZE);
    expect(field(text, 0, 30)).toBe('阿依古丽·买买提');
    expect(field(text, 30, 2)).toBe('2');
    expect(field(text, 32, 4)).toBe('05');
    expect(field(text, 36, 16)).toBe('19920815');
    expect(field(text, 52, 70)).toBe(resident.address);
    expect(field(text, 122, 36)).toBe('650102199208150025');
    expect(field(text, 158, 30)).toBe(resident.authority);
    expect(field(text, 188, 16)).toBe('20190110');
    expect(field(text, 204, 16)).toBe('长期');
    expect([text[28], text[29]]).toEqual([0x20, 0x00]);
    expect(cardLayoutMark(text)).toBe('');
  });

  it('parses back what it encoded: middle dot kept, 长期 → null, nation code → name', () => {
    const card = parseCardText(encodeCardText(resident), { photo: resident.photo });
    expect(card).toEqual(resident);
  });

  it('reads a space or a zero at offset 248 as a resident card', () => {
    const text = encodeCardText(resident);
    text.set([0, 0], 248);
    expect(parseCardText(text).cardType).toBe('resident');
  });

  it('keeps an unknown nation code rather than failing', () => {
    const text = encodeCardText({ ...resident, nationCode: '77', nation: '77' });
    expect(parseCardText(text)).toMatchObject({ nation: '77', nationCode: '77' });
  });
});

describe('other layouts', () => {
  it('reads the foreigner permanent residence card (I) at its offsets', () => {
    const card: ForeignPermanentCard = {
      cardType: 'foreign-permanent',
      layoutMark: 'I',
      name: '史密斯',
      chineseName: '史密斯',
      englishName: 'SMITH, JOHN ALEXANDER',
      sex: 'male',
      nation: '',
      nationCode: '',
      nationality: 'USA',
      birthDate: '1981-10-05',
      address: '',
      idNumber: 'USA440081100512',
      authority: '1500',
      validFrom: '2020-07-01',
      validTo: '2030-07-01',
      cardVersion: '01',
      photo: new Uint8Array(0),
    };
    const text = encodeCardText(card);
    expect(field(text, 0, 120)).toBe('SMITH, JOHN ALEXANDER');
    expect(field(text, 122, 30)).toBe('USA440081100512');
    expect(field(text, 152, 6)).toBe('USA');
    expect(field(text, 158, 30)).toBe('史密斯');
    expect(field(text, 220, 16)).toBe('19811005');
    expect(field(text, 248, 2)).toBe('I');
    expect(parseCardText(text)).toEqual(card);
  });

  it('uses the English name when a foreigner has no Chinese name', () => {
    const text = Buffer.alloc(256);
    ucs2('DOE, JANE'.padEnd(60)).copy(text, 0);
    ucs2('2').copy(text, 120);
    ucs2('CAN'.padEnd(3)).copy(text, 152);
    ucs2('20200101').copy(text, 188);
    ucs2('20300101').copy(text, 204);
    ucs2('19900101').copy(text, 220);
    ucs2('I').copy(text, 248);
    expect(parseCardText(text)).toMatchObject({
      cardType: 'foreign-permanent',
      name: 'DOE, JANE',
      sex: 'female',
    });
  });

  it('treats the 2023 layout (Y) as foreign permanent and reports its raw fields', () => {
    // Built by hand with the I offsets, which is how the parser reads Y.
    const y = Buffer.alloc(256, 0);
    ucs2('MÜLLER, ANNA'.padEnd(60)).copy(y, 0);
    ucs2('2').copy(y, 120);
    ucs2('DEU110085082102').copy(y, 122);
    ucs2('DEU').copy(y, 152);
    ucs2('20230901').copy(y, 188);
    ucs2('20330901').copy(y, 204);
    ucs2('19850821').copy(y, 220);
    ucs2('Y').copy(y, 248);
    const card = parseCardText(y);
    expect(card).toMatchObject({ cardType: 'foreign-permanent', layoutMark: 'Y', nationality: 'DEU' });
    expect((card as ForeignPermanentCard).rawFields).toMatchObject({
      englishName: 'MÜLLER, ANNA',
      cardType: 'Y',
    });
  });

  it('reads the HK/Macao/Taiwan residence permit (J) with pass number and issue count', () => {
    const text = encodeCardText({
      cardType: 'hmt-residence',
      name: '陈大文',
      sex: 'male',
      nation: '',
      nationCode: '',
      birthDate: '1988-06-18',
      address: '广东省深圳市福田区福华一路1号',
      idNumber: '810000198806180010',
      authority: '深圳市公安局',
      validFrom: '2024-02-01',
      validTo: '2029-02-01',
      passNumber: 'H12345678',
      issueCount: '01',
      photo: new Uint8Array(0),
    });
    expect(field(text, 220, 18)).toBe('H12345678');
    expect(field(text, 238, 4)).toBe('01');
    expect(field(text, 248, 2)).toBe('J');
    expect(parseCardText(text)).toMatchObject({
      cardType: 'hmt-residence',
      passNumber: 'H12345678',
      issueCount: '01',
    });
  });
});

describe('bad card text is a typed error, not a crash', () => {
  it('reports an unknown layout mark', () => {
    const text = encodeCardText(resident);
    text.set(ucs2('Z'), 248);
    expect(() => parseCardText(text)).toThrow(expect.objectContaining({ code: 'ID_READER_UNKNOWN_LAYOUT' }));
  });

  it('reports a damaged date, a bad sex code and a short block', () => {
    const badDate = encodeCardText(resident);
    badDate.set(ucs2('1992'), 36 + 8);
    badDate.set(ucs2('13'), 36 + 8);
    expect(() => parseCardText(badDate)).toThrow(
      expect.objectContaining({ code: 'ID_READER_BAD_CARD_DATA' }),
    );
    const badSex = encodeCardText(resident);
    badSex.set(ucs2('7'), 30);
    expect(() => parseCardText(badSex)).toThrow(expect.objectContaining({ code: 'ID_READER_BAD_CARD_DATA' }));
    expect(() => parseCardText(new Uint8Array(100))).toThrow(
      expect.objectContaining({ code: 'ID_READER_BAD_CARD_DATA' }),
    );
  });

  it('refuses to encode a name longer than the card holds', () => {
    expect(() => encodeCardText({ ...resident, name: '很'.repeat(16) })).toThrow(
      expect.objectContaining({ code: 'ID_READER_BAD_CARD_DATA' }),
    );
  });
});

describe('every fixture survives encode → parse', () => {
  it.each(cardFixturePaths())('%s', async (path) => {
    const card = await loadCardFixture(path);
    const parsed = parseCardText(encodeCardText(card), card);
    expect(parsed).toEqual(card);
  });
});
