// An appliance gets order data only by presenting the order's pickup code, and then only as an ApplianceOrder:
// people masked, with HMACs under the order's identity salt — never an ID number, a full name or a phone.
// Each test is named after the attack it stops and fails if the attack works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cardMatchesPerson,
  idNumberMatchHmac,
  personMatchHmac,
  personNameMatchHmac,
} from '../contract/identity.js';
import type { ApplianceOrder, CreateOrderRequest, IssuedCertificate } from '../contract/schemas.js';
import { type Harness, NATURAL_PERSON, opensslCsr, startHarness, TO_APPROVED } from './testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const ORGANISATION: Partial<CreateOrderRequest> = {
  certificateType: 'organisation',
  holder: undefined,
  applicant: { name: '陈强', phone: '13700137000' },
  organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
  legalRepresentative: { name: '王芳', idNumber: '310101197805200023', phone: '13912345678' },
  handler: { name: '陈强', idNumber: '440305199203040012', phone: '13700137000' },
};

/** Every piece of personal data an order carries that must never reach an appliance. */
const SECRETS = [
  NATURAL_PERSON.holder!.idNumber,
  NATURAL_PERSON.holder!.name,
  NATURAL_PERSON.applicant.phone,
  '310101197805200023',
  '王芳',
  '13912345678',
  '440305199203040012',
  '陈强',
  '13700137000',
];
const leaks = (json: string) => SECRETS.filter((s) => json.includes(s));

describe('no holder data without the pickup code', () => {
  it('an order requested without its pickup code gives no holder data: GET /v1/orders/:id, the change feed, events, certificate look-ups', async () => {
    const a = await h.order(TO_APPROVED);
    const b = await h.order(TO_APPROVED, ORGANISATION);
    const answers: string[] = [];
    for (const id of [a.order.id, b.order.id]) {
      const r = await h.signed('GET', `/v1/orders/${id}`);
      expect(r.statusCode).toBe(200);
      answers.push(r.body);
      expect(Object.keys(r.json() as object).sort()).toEqual(
        ['certificateType', 'delivery', 'hall', 'id', 'status', 'updatedAt'].sort(),
      );
      expect(r.body).not.toContain('identitySalt');
      expect(r.body).not.toContain('Hmac');
    }
    answers.push((await h.signed('GET', '/v1/changes?limit=1000')).body);
    answers.push(
      (
        await h.signed('POST', '/v1/events', {
          events: [
            {
              id: `evt-privacy-${a.order.id}`,
              type: 'journey.failed',
              occurredAt: new Date(h.clock.ms).toISOString(),
              orderId: a.order.id,
              payload: {},
            },
          ],
        })
      ).body,
    );
    answers.push((await h.signed('GET', `/v1/certificates/by-idempotency-key/${a.order.id}:attempt-1`)).body);
    answers.push(
      (
        await h.signed('POST', '/v1/heartbeat', {
          softwareVersion: '1',
          devices: [],
          consumables: { paper: 'ok' },
          queueDepth: 0,
          parkedEvents: 0,
        })
      ).body,
    );
    for (const body of answers) expect(leaks(body), body).toEqual([]);
  });

  it('the ApplianceOrder has no ID number, full name or phone anywhere in its JSON, but the HMACs match for the right person (and only for them)', async () => {
    for (const patch of [{}, ORGANISATION]) {
      const { order, pickupCode } = await h.order(TO_APPROVED, patch);
      const r = await h.signed('POST', '/v1/pickup-codes/check', { pickupCode });
      expect(r.statusCode, r.body).toBe(200);
      expect(leaks(r.body), r.body).toEqual([]);
      expect(r.body).not.toContain('applicant');
      expect(r.body).not.toContain('phone');
      const ao = r.json() as ApplianceOrder;
      expect(Buffer.from(ao.identitySalt, 'base64')).toHaveLength(32);
      const people = h.app.central.orders.people(await h.app.central.orders.row(order.id));
      for (const field of ['holder', 'legalRepresentative', 'handler'] as const) {
        const person = people[field];
        const shown = ao[field];
        if (!person) {
          expect(shown).toBeUndefined();
          continue;
        }
        expect(shown).toBeDefined();
        expect(shown!.idNumberMasked).toBe(
          `${person.idNumber.slice(0, 4)}**********${person.idNumber.slice(-4)}`,
        );
        expect(shown!.nameMasked).not.toBe(person.name);
        // the kiosk computes the same HMACs from the card it reads
        expect(shown!.idHmac).toBe(idNumberMatchHmac(ao.identitySalt, person.idNumber));
        expect(shown!.nameHmac).toBe(personNameMatchHmac(ao.identitySalt, person.name));
        expect(shown!.idHmac).toBe(personMatchHmac(ao.identitySalt, person.idNumber.toUpperCase()));
        expect(cardMatchesPerson(ao.identitySalt, person, shown!)).toBe(true);
        // a card read with a lower-case x, spaces or a middle dot is the same person
        expect(
          cardMatchesPerson(
            ao.identitySalt,
            { idNumber: ` ${person.idNumber.toLowerCase()} `, name: ` ${person.name} ` },
            shown!,
          ),
        ).toBe(true);
        // somebody else is not
        expect(
          cardMatchesPerson(ao.identitySalt, { idNumber: '110105198503150027', name: person.name }, shown!),
        ).toBe(false);
        expect(cardMatchesPerson(ao.identitySalt, { idNumber: person.idNumber, name: '李娜' }, shown!)).toBe(
          false,
        );
      }
      if (patch === ORGANISATION) expect(ao.organisationName).toBe('深圳市示例科技有限公司');
      // the salt is stable for the order (a second scan gives the same HMACs) …
      const again = (
        await h.signed('POST', '/v1/pickup-codes/check', { pickupCode })
      ).json() as ApplianceOrder;
      expect(again).toEqual(ao);
    }
    // … and differs between orders, so an HMAC from one order says nothing about another
    const x = (
      await h.signed('POST', '/v1/pickup-codes/check', {
        pickupCode: (await h.order(TO_APPROVED)).pickupCode,
      })
    ).json() as ApplianceOrder;
    const y = (
      await h.signed('POST', '/v1/pickup-codes/check', {
        pickupCode: (await h.order(TO_APPROVED)).pickupCode,
      })
    ).json() as ApplianceOrder;
    expect(x.identitySalt).not.toBe(y.identitySalt);
    expect(x.holder!.idHmac).not.toBe(y.holder!.idHmac);
  });

  it('a void answers an ApplianceOrder (no holder data); an activation answers no order at all', async () => {
    const { order, pickupCode } = await h.order(TO_APPROVED);
    const issued = await h.issue({
      orderId: order.id,
      idempotencyKey: `${order.id}:1`,
      pickupCode: pickupCode!,
      csrPem: opensslCsr(h.dir, 'ec', 'privacy-void'),
    });
    expect(issued.statusCode, issued.body).toBe(200);
    const serial = (issued.json() as IssuedCertificate).serialNumber;
    const v = await h.signed('POST', `/v1/certificates/${serial}/void`, {
      journeyId: 'J-privacy',
      reason: 'test',
    });
    expect(v.statusCode, v.body).toBe(200);
    expect(leaks(v.body)).toEqual([]);
    expect((v.json() as { order: ApplianceOrder }).order.holder?.idHmac).toMatch(/^[0-9a-f]{64}$/);

    const key = await h.courierKey('PRIVACY-COURIER-1');
    const preview = await h.signed(
      'GET',
      `/v1/activations/${key.serialNumber}?tokenSerial=${key.tokenSerial}`,
    );
    expect(preview.statusCode, preview.body).toBe(200);
    expect(leaks(preview.body)).toEqual([]);
    const act = await h.signed('POST', '/v1/activations', {
      certificateSerial: key.serialNumber,
      tokenSerial: key.tokenSerial,
      code: key.code,
    });
    expect(act.statusCode, act.body).toBe(200);
    expect(leaks(act.body)).toEqual([]);
    // Activation answers what the journey shows: no people, no identity salt.
    expect(act.json()).not.toHaveProperty('order');
  });
});
