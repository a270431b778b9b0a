import { describe, expect, it } from 'vitest';
import { cardFixturePaths, loadCardFixture } from './card-fixture.js';
import { validateCard } from './card-validation.js';

const fixture = (name: string) =>
  loadCardFixture(cardFixturePaths().find((p) => p.endsWith(`/${name}.json`))!);
const TODAY = '2026-11-25';

describe('validateCard', () => {
  it('flags the expired card and no other fixture as expired', async () => {
    const expired = [];
    for (const path of cardFixturePaths()) {
      const problems = validateCard(await loadCardFixture(path), TODAY);
      if (problems.some((p) => p.kind === 'expired')) expired.push(path.split('/').pop());
    }
    expect(expired).toEqual(['expired-li-na.json']);
  });

  it('treats the end date as the last valid day and 长期 as never expiring', async () => {
    const card = await fixture('han-zhang-wei');
    expect(validateCard(card, '2035-06-01')).toEqual([]);
    expect(validateCard(card, '2035-06-02').map((p) => p.kind)).toEqual(['expired']);
    expect(validateCard(await fixture('long-term-wang-shufen'), '2099-01-01')).toEqual([]);
  });

  it('accepts a Date for today (local calendar day)', async () => {
    const problems = validateCard(await fixture('expired-li-na'), new Date(2020, 2, 16, 10));
    expect(problems).toMatchObject([
      { kind: 'expired', code: 'ID_READER_CARD_EXPIRED', validTo: '2020-03-15' },
    ]);
  });

  it('reports the bad check character with the one it should have been', async () => {
    const card = await fixture('bad-check-zhao-lei');
    expect(validateCard(card, TODAY)).toMatchObject([
      { kind: 'bad-check-character', code: 'ID_READER_BAD_CHECK_CHARACTER', expected: '3' },
    ]);
  });

  it('finds exactly one fixture with a bad check character', async () => {
    const bad = [];
    for (const path of cardFixturePaths()) {
      const problems = validateCard(await loadCardFixture(path), TODAY);
      if (problems.some((p) => p.kind === 'bad-check-character')) bad.push(path.split('/').pop());
    }
    expect(bad).toEqual(['bad-check-zhao-lei.json']);
  });

  it('reports a card not valid yet and an unknown nation code', async () => {
    const card = { ...(await fixture('han-zhang-wei')), nationCode: '77', nation: '77' };
    expect(validateCard(card, '2015-05-31').map((p) => p.kind)).toEqual(['not-yet-valid', 'unknown-nation']);
  });

  it('does not apply the citizen check character to a 2017 foreigner card number', async () => {
    expect(validateCard(await fixture('foreign-permanent-smith'), TODAY)).toEqual([]);
  });
});
