import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cardFixturePaths, cardFromFixture, loadCardFixture } from './card-fixture.js';
import { NATIONS, nationCode, nationName } from './nations.js';

describe('card fixtures', () => {
  it('cover the people the issue asks for', async () => {
    const cards = await Promise.all(cardFixturePaths().map((p) => loadCardFixture(p)));
    expect(cards.length).toBeGreaterThanOrEqual(7);
    expect(cards.some((c) => c.cardType === 'resident' && c.nationCode !== '01')).toBe(true);
    expect(cards.some((c) => c.validTo === null)).toBe(true);
    expect(cards.some((c) => c.name.includes('·'))).toBe(true);
    expect(cards.some((c) => c.cardType === 'foreign-permanent')).toBe(true);
    expect(cards.some((c) => c.cardType === 'hmt-residence')).toBe(true);
    expect(cards.some((c) => c.fingerprint !== undefined)).toBe(true);
  });

  it('accept a nation as a name, a name with 族, or a code', () => {
    const base = {
      cardType: 'resident',
      name: '甲',
      sex: 'male',
      birthDate: '2000-01-01',
      address: '',
      idNumber: '1',
      authority: '',
      validFrom: '2020-01-01',
      validTo: null,
      photo: '',
    };
    expect(cardFromFixture({ ...base, nation: '蒙古族' })).toMatchObject({
      nation: '蒙古',
      nationCode: '02',
    });
    expect(cardFromFixture({ ...base, nation: '05' })).toMatchObject({ nation: '维吾尔', nationCode: '05' });
    expect(() => cardFromFixture({ ...base, nation: '火星' })).toThrow(
      expect.objectContaining({ code: 'ID_READER_BAD_FIXTURE' }),
    );
  });

  it('name the bad field of a broken fixture', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'card-'));
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({ cardType: 'resident', name: 'x', birthDate: '2000/01/01' }),
    );
    writeFileSync(join(dir, 'notjson.json'), '{');
    await expect(loadCardFixture(join(dir, 'bad.json'))).rejects.toMatchObject({
      code: 'ID_READER_BAD_FIXTURE',
    });
    await expect(loadCardFixture(join(dir, 'notjson.json'))).rejects.toMatchObject({
      code: 'ID_READER_BAD_FIXTURE',
    });
    await expect(loadCardFixture(join(dir, 'missing.json'))).rejects.toMatchObject({
      code: 'ID_READER_BAD_FIXTURE',
    });
  });
});

describe('nation table (GB 3304)', () => {
  it('has the 56 nations plus 其他 and 外国血统中国籍人士', () => {
    expect(Object.keys(NATIONS)).toHaveLength(58);
    expect(nationName('01')).toBe('汉');
    expect(nationName('56')).toBe('基诺');
    expect(nationName('98')).toBe('外国血统中国籍人士');
    expect(nationName('57')).toBeUndefined();
    expect(nationName('toString')).toBeUndefined();
    expect(nationCode('柯尔克孜族')).toBe('29');
  });
});
