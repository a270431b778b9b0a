// Who may collect an order, per certificate type, and what makes a card unacceptable: a table over
// allowedCollectors / checkIdentity with cards shaped as the ID reader driver returns them.

import { idNumberMatchHmac, personNameMatchHmac } from '@certkiosk/sync';
import { describe, expect, it } from 'vitest';
import type { CertificateType } from '../api/contract.js';
import { allowedCollectors, checkIdentity, type IdentityRole, maskName } from './identity.js';
import { orderSnapshot } from './personal-data.js';
import type { OrderSnapshot } from './record.js';
import { applianceOrderOf, idNumber, kioskOrder, residentCard } from './testing-fakes.js';

/** The order's identity salt (central's, per order; base64 of 32 bytes). */
const SALT = Buffer.alloc(32, 0x3c).toString('base64');
/** Noon, local time: validateCard compares the kiosk's local calendar date. */
const TODAY = new Date(2025, 5, 16, 12, 0, 0);

const PEOPLE = {
  holder: { name: '张伟', idNumber: idNumber('44030519900101123') },
  handler: { name: '李娜', idNumber: idNumber('11010519851224002') },
  legal: { name: '王建国', idNumber: idNumber('31011519700315001') },
  stranger: { name: '赵六', idNumber: idNumber('44010619920202003') },
};
type Who = keyof typeof PEOPLE;

function order(certificateType: CertificateType, holderVerifiedOnline: boolean): OrderSnapshot {
  return orderSnapshot(
    applianceOrderOf(
      kioskOrder({
        certificateType,
        holderVerifiedOnline,
        holder: { ...PEOPLE.holder },
        handler: { ...PEOPLE.handler },
        legalRepresentative: { ...PEOPLE.legal },
        ...(certificateType === 'natural-person'
          ? {}
          : {
              organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5FXXXX1X' },
            }),
      }),
      SALT,
    ),
  );
}

function cardOf(who: Who) {
  return residentCard(PEOPLE[who].name, PEOPLE[who].idNumber);
}

describe('allowedCollectors', () => {
  it.each<[CertificateType, boolean, IdentityRole[]]>([
    ['natural-person', false, ['holder']],
    ['natural-person', true, ['holder']],
    ['organisation-individual', false, ['holder']],
    ['organisation-individual', true, ['holder', 'handler']],
    ['organisation', false, ['handler', 'legal-representative']],
    ['organisation', true, ['handler', 'legal-representative']],
  ])('%s, holder verified online %s → %j', (type, online, roles) => {
    const allowed = allowedCollectors(order(type, online));
    expect(allowed.map((c) => c.role)).toEqual(roles);
    // Each with the person the order names in that role.
    for (const c of allowed) {
      const who: Who = c.role === 'legal-representative' ? 'legal' : c.role;
      expect(c.person.nameMasked).toBe(maskName(PEOPLE[who].name));
      expect(c.person.idHmac).toBe(idNumberMatchHmac(SALT, PEOPLE[who].idNumber));
      expect(c.person.nameHmac).toBe(personNameMatchHmac(SALT, PEOPLE[who].name));
    }
  });

  it('a role the order does not name is nobody', () => {
    const o = order('organisation', false);
    delete o.legalRepresentative;
    expect(allowedCollectors(o).map((c) => c.role)).toEqual(['handler']);
    const p = order('organisation-individual', true);
    delete p.handler;
    expect(allowedCollectors(p).map((c) => c.role)).toEqual(['holder']);
  });

  it('the order snapshot keeps ID numbers only as salted hashes', () => {
    const json = JSON.stringify(order('organisation', true));
    for (const p of Object.values(PEOPLE)) expect(json).not.toContain(p.idNumber);
  });
});

describe('checkIdentity: who may collect', () => {
  const M = 'ID_MISMATCH_PERSON';
  it.each<[CertificateType, boolean, Who, IdentityRole | typeof M]>([
    // natural person: the holder only
    ['natural-person', false, 'holder', 'holder'],
    ['natural-person', false, 'handler', M],
    ['natural-person', false, 'legal', M],
    ['natural-person', false, 'stranger', M],
    ['natural-person', true, 'handler', M],
    // organisation-individual: the holder; the handler only when the holder verified online
    ['organisation-individual', false, 'holder', 'holder'],
    ['organisation-individual', false, 'handler', M],
    ['organisation-individual', false, 'legal', M],
    ['organisation-individual', true, 'holder', 'holder'],
    ['organisation-individual', true, 'handler', 'handler'],
    ['organisation-individual', true, 'legal', M],
    ['organisation-individual', true, 'stranger', M],
    // organisation: the handler or the legal representative
    ['organisation', false, 'handler', 'handler'],
    ['organisation', false, 'legal', 'legal-representative'],
    ['organisation', false, 'holder', M],
    ['organisation', false, 'stranger', M],
    ['organisation', true, 'holder', M],
  ])('%s (verified online: %s), card of the %s → %s', (type, online, who, expected) => {
    const r = checkIdentity(cardOf(who), order(type, online), TODAY);
    if (expected === M) {
      expect(r).toMatchObject({ ok: false, code: M });
      if (!r.ok) {
        for (const c of allowedCollectors(order(type, online))) expect(r.detail).toContain(c.role);
      }
    } else {
      expect(r).toEqual({ ok: true, role: expected });
    }
  });

  it('the right ID number under another name, or the right name with another ID number, is not the person', () => {
    const o = order('natural-person', false);
    expect(checkIdentity(residentCard('张卫', PEOPLE.holder.idNumber), o, TODAY)).toMatchObject({
      ok: false,
      code: 'ID_MISMATCH_PERSON',
    });
    expect(checkIdentity(residentCard('张伟', PEOPLE.stranger.idNumber), o, TODAY)).toMatchObject({
      ok: false,
      code: 'ID_MISMATCH_PERSON',
    });
  });

  it("HMACs under another order's salt do not match (the HMAC is what is compared)", () => {
    const o = { ...order('natural-person', false), identitySalt: Buffer.alloc(32, 1).toString('base64') };
    expect(checkIdentity(cardOf('holder'), o, TODAY).ok).toBe(false);
  });
});

describe('checkIdentity: the card itself', () => {
  const o = order('natural-person', false);
  const id = PEOPLE.holder.idNumber;
  const yesterday = '2025-06-15';
  const today = '2025-06-16';
  const tomorrow = '2025-06-17';

  it.each([
    ['expired yesterday', { validTo: yesterday }, 'ID_CARD_EXPIRED'],
    ['not valid before tomorrow', { validFrom: tomorrow }, 'ID_CARD_EXPIRED'],
    ['valid through today (inclusive)', { validTo: today }, null],
    ['valid from today', { validFrom: today }, null],
    ['no expiry (长期)', { validTo: null }, null],
  ] as const)('%s → %s', (_what, over, code) => {
    const r = checkIdentity(residentCard(PEOPLE.holder.name, id, over), o, TODAY);
    if (code) expect(r).toMatchObject({ ok: false, code });
    else expect(r).toEqual({ ok: true, role: 'holder' });
  });

  it('a wrong check character → ID_CARD_INVALID', () => {
    const last = id[17] === '0' ? '1' : '0';
    const bad = id.slice(0, 17) + last;
    expect(checkIdentity(residentCard(PEOPLE.holder.name, bad), o, TODAY)).toMatchObject({
      ok: false,
      code: 'ID_CARD_INVALID',
    });
  });

  it('an expired card with a wrong check character is reported as expired', () => {
    const bad = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    const card = residentCard(PEOPLE.holder.name, bad, { validTo: yesterday });
    expect(checkIdentity(card, o, TODAY)).toMatchObject({ ok: false, code: 'ID_CARD_EXPIRED' });
  });

  it('a check character X matches whether the card reads it as X or x', () => {
    let first17 = '44030519880808000';
    for (let n = 0; !idNumber(first17).endsWith('X'); n++)
      first17 = `4403051988080${String(n).padStart(4, '0')}`;
    const withX = idNumber(first17);
    const ox = orderSnapshot(
      applianceOrderOf(kioskOrder({ holder: { name: '陈晓', idNumber: withX } }), SALT),
    );
    expect(checkIdentity(residentCard('陈晓', withX), ox, TODAY)).toEqual({ ok: true, role: 'holder' });
    expect(checkIdentity(residentCard('陈晓', withX.toLowerCase()), ox, TODAY)).toEqual({
      ok: true,
      role: 'holder',
    });
  });
});

describe('checkIdentity: names are compared normalised', () => {
  it.each([
    ['阿依古丽·买买提', '阿依古丽买买提'],
    ['阿依古丽买买提', '阿依古丽·买买提'],
    ['阿依古丽·买买提', '阿依古丽•买买提'],
    ['阿依古丽·买买提', '阿依古丽・买买提'],
    ['阿依古丽·买买提', '阿依古丽 买买提'],
    ['阿依古丽·买买提', '阿依古丽.买买提'],
    ['张伟', ' 张 伟 '],
    ['ZHANG Wei', 'zhang wei'],
  ])('order %j, card %j → the same person', (onOrder, onCard) => {
    const o = orderSnapshot(
      applianceOrderOf(kioskOrder({ holder: { name: onOrder, idNumber: PEOPLE.holder.idNumber } }), SALT),
    );
    expect(checkIdentity(residentCard(onCard, PEOPLE.holder.idNumber), o, TODAY)).toEqual({
      ok: true,
      role: 'holder',
    });
  });

  it('but a different name stays different', () => {
    const o = orderSnapshot(
      applianceOrderOf(
        kioskOrder({ holder: { name: '阿依古丽·买买提', idNumber: PEOPLE.holder.idNumber } }),
        SALT,
      ),
    );
    expect(checkIdentity(residentCard('阿依古丽·买提', PEOPLE.holder.idNumber), o, TODAY).ok).toBe(false);
  });
});

describe('maskName', () => {
  it.each([
    ['张', '*'],
    ['张伟', '张*'],
    ['李小娜', '李*娜'],
    ['阿依古丽·买买提', '阿******提'],
  ])('%s → %s', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });
});
