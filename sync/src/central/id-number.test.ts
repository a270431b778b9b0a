// The ID numbers a person may order with: each kind has its own case, and an order can be placed with each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idCheckCharacter, idNumberKind } from './id-number.js';
import { type Harness, NATURAL_PERSON, startHarness } from './testing.js';

const withCheck = (first17: string) => first17 + idCheckCharacter(first17);

const VALID = [
  { what: 'resident ID card', id: withCheck('44030419900101123'), kind: 'resident' },
  { what: 'Hong Kong residence permit (81)', id: '810000198806180010', kind: 'hmt-residence-permit' },
  { what: 'Macao residence permit (82)', id: withCheck('82000019900203004'), kind: 'hmt-residence-permit' },
  { what: 'Taiwan residence permit (83)', id: withCheck('83000019750612001'), kind: 'hmt-residence-permit' },
  {
    what: 'foreign permanent residence card, 2023 (18 digits, begins with 9)',
    id: withCheck('93184019811005001'),
    kind: 'foreign-permanent-2023',
  },
  {
    what: 'foreign permanent residence card, old 15 characters',
    id: 'USA440081100512',
    kind: 'foreign-permanent-15',
  },
] as const;

describe('ID numbers', () => {
  it.each(VALID)('$what is valid ($kind)', ({ id, kind }) => {
    expect(idNumberKind(id)).toBe(kind);
  });

  it.each([
    [
      'a wrong check character',
      `${withCheck('44030419900101123').slice(0, 17)}${withCheck('44030419900101123').endsWith('0') ? '1' : '0'}`,
    ],
    ['a birth date that does not exist', withCheck('44030419900230123')],
    ['17 digits', '44030419900101123'],
    ['15 digits without the nationality letters', '440304900101123'],
    ['a 15-character number with a month 13', 'USA440081130512'],
    ['lower-case nationality letters', 'usa440081100512'],
  ])('%s is refused', (_what, id) => {
    expect(idNumberKind(id)).toBeNull();
  });
});

describe('orders with each kind of number', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it.each(VALID)('an order for a holder with a $what is accepted', async ({ id }) => {
    const r = await h.admin('POST', '/admin/v1/orders', {
      ...NATURAL_PERSON,
      holder: { name: 'SMITH JOHN', idNumber: id },
    });
    expect(r.statusCode, r.body).toBe(201);
  });

  it('an order with a number of no kind is refused with what is wrong', async () => {
    const r = await h.admin('POST', '/admin/v1/orders', {
      ...NATURAL_PERSON,
      holder: { name: '张伟', idNumber: withCheck('44030419900230123') },
    });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('not a valid ID card, residence permit or permanent residence number');
  });
});
