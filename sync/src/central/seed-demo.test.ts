import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysLeft, renewalOffered } from '../contract/after-sales.js';
import { verifyPickupCode } from '../contract/pickup-code.js';
import type {
  ActivationPreview,
  CertificateStatus,
  OrderLookupResponse,
  RenewalOrderResponse,
} from '../contract/schemas.js';
import { isValidIdNumber } from './id-number.js';
import {
  DEMO_ACTIVATION_CODE,
  DEMO_COURIER_HOLDER,
  DEMO_HOLDER,
  DEMO_REISSUE_HOLDER,
  DEMO_RENEWAL_DAYS_LEFT,
  seedDemo,
} from './seed-demo.js';
import { type Harness, startHarness, writeTemp } from './testing.js';

const simProfile = JSON.parse(
  readFileSync(new URL('../../../config/profiles/sim.json', import.meta.url), 'utf8'),
) as {
  appliance: { hall: string };
  central: { publicKey: string };
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    pickupKeyPem: readFileSync(new URL('../../fixtures/sim-pickup-signing.key.pem', import.meta.url), 'utf8'),
  });
});
afterAll(() => h.close());

describe('demo seed', () => {
  it('creates an approved order for the ID-card holder whose pickup code the sim kiosk accepts', async () => {
    expect(isValidIdNumber(DEMO_HOLDER.idNumber)).toBe(true);
    const seeded = await seedDemo(h.app.central, simProfile.appliance.hall, {
      tokenDir: join(h.dir, 'tokens'),
    });
    expect(seeded.created).toBe(true);
    const approved = seeded.orders.filter((o) => o.status === 'approved' && o.kind === 'new');
    expect(approved).toHaveLength(1);
    const order = await h.app.central.orders.get(approved[0]!.id);
    expect(order.holder).toEqual(DEMO_HOLDER);
    const page = (await h.app.inject({ url: `${approved[0]!.phonePath}/pickup-code` })).json() as {
      token: string;
    };
    expect(
      verifyPickupCode(page.token, simProfile.central.publicKey, {
        hall: simProfile.appliance.hall,
        now: h.clock.ms,
      }),
    ).toMatchObject({ ok: true, payload: { orderId: approved[0]!.id } });
    const newOrders = seeded.orders.filter((o) => o.kind === 'new' && o.label.includes('·'));
    expect(new Set(newOrders.map((o) => o.status))).toEqual(
      new Set(['approved', 'transfer-pending', 'under-review', 'rejected', 'shipped', 'activated']),
    );
    const again = await seedDemo(h.app.central, simProfile.appliance.hall, {
      tokenDir: join(h.dir, 'tokens'),
    });
    expect(again.created).toBe(false);
    expect(again.orders).toHaveLength(seeded.orders.length);
    expect(again.afterSales).toEqual(seeded.afterSales);
  });

  it('seeds the after-sales demo: a couriered key with its code, a key due for renewal with its renewal to pay at the kiosk, a lost key with its reissue', async () => {
    for (const p of [DEMO_COURIER_HOLDER, DEMO_REISSUE_HOLDER])
      expect(isValidIdNumber(p.idNumber)).toBe(true);
    const seeded = await seedDemo(h.app.central, simProfile.appliance.hall, {
      tokenDir: join(h.dir, 'tokens'),
    });
    const a = seeded.afterSales!;
    expect(a.activation.code).toBe(DEMO_ACTIVATION_CODE);

    // The couriered key: the kiosk finds its shipped order by the certificate and the key's serial.
    const kiosk = (serial: string, token: string, path = 'certificates') =>
      h.signed('GET', `/v1/${path}/${serial}?tokenSerial=${token}`);
    const preview = await kiosk(a.activation.certificateSerial, a.activation.tokenSerial, 'activations');
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json() as ActivationPreview).toMatchObject({ holderNameMasked: '王*芬', attemptsLeft: 5 });

    // The key due for renewal: good, within the window, a renewal order to be paid at the kiosk.
    const status = (
      await kiosk(a.renewal.certificateSerial, a.renewal.tokenSerial)
    ).json() as CertificateStatus;
    expect(status).toMatchObject({ status: 'good', holderNameMasked: '张*', renewal: { offered: true } });
    expect(status.renewal.order).toMatchObject({ status: 'awaiting-payment', ready: false });
    expect(daysLeft(status.notAfter, h.clock.ms)).toBeLessThanOrEqual(DEMO_RENEWAL_DAYS_LEFT);
    expect(daysLeft(status.notAfter, h.clock.ms)).toBeGreaterThan(30);
    expect(renewalOffered({ notAfter: status.notAfter, revoked: false }, h.clock.ms)).toBe(true);
    const renewal = await h.signed(
      'GET',
      `/v1/renewals?certificateSerial=${a.renewal.certificateSerial}&tokenSerial=${a.renewal.tokenSerial}`,
    );
    expect(renewal.statusCode, renewal.body).toBe(200);
    expect(renewal.json() as RenewalOrderResponse).toMatchObject({
      order: {
        id: a.renewal.renewalOrderId,
        businessType: 'renewal',
        status: 'awaiting-payment',
        previousCertificateSerial: a.renewal.certificateSerial,
      },
      payment: { due: true, amountFen: (await h.app.central.orders.get(a.renewal.renewalOrderId)).priceFen },
    });

    // The lost key: an approved reissue order with a pickup code on its phone page.
    const reissue = await h.app.central.orders.get(a.reissue.orderId);
    expect(reissue).toMatchObject({
      businessType: 'reissue',
      status: 'approved',
      holder: DEMO_REISSUE_HOLDER,
      previousCertificateSerial: a.reissue.lostCertificateSerial,
    });
    const page = await h.app.inject({ url: `${a.reissue.phonePath}/pickup-code` });
    expect(page.statusCode, page.body).toBe(200);

    // Another lost key: 王淑芬's reissue awaiting payment at the kiosk, listed with its amount by a look-up of her
    // card at a kiosk of the hall (paid there: lookup-payment.softhsm.test.ts).
    expect(await h.app.central.orders.get(a.payAtKiosk.orderId)).toMatchObject({
      businessType: 'reissue',
      status: 'awaiting-payment',
      delivery: 'kiosk',
      hall: simProfile.appliance.hall,
      holder: DEMO_COURIER_HOLDER,
      previousCertificateSerial: a.payAtKiosk.lostCertificateSerial,
      priceFen: a.payAtKiosk.amountFen,
    });
    const found = await h.signed('POST', '/v1/lookups/by-id-card', { card: { ...DEMO_COURIER_HOLDER } });
    expect(found.statusCode, found.body).toBe(200);
    const listed = (found.json() as OrderLookupResponse).orders;
    // Only an order awaiting payment carries the amount due.
    expect(listed.filter((o) => o.amountFen !== undefined).map((o) => o.status)).toEqual([
      'awaiting-payment',
    ]);
    expect(listed).toContainEqual(
      expect.objectContaining({
        id: a.payAtKiosk.orderId,
        status: 'awaiting-payment',
        amountFen: a.payAtKiosk.amountFen,
      }),
    );

    // The key files: the private key (0600) matches the certificate, and the chain verifies.
    for (const k of [a.activation, a.renewal]) {
      expect(statSync(k.keyFile!).mode & 0o077).toBe(0);
      const pub = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
      expect(pub(['pkey', '-in', k.keyFile!, '-pubout'])).toBe(
        pub(['x509', '-in', k.certFile!, '-noout', '-pubkey']),
      );
      const chain = writeTemp(h.dir, 'seed-chain.pem', h.app.central.issuer.chainPem().join(''));
      const at = String(Math.floor(h.clock.ms / 1000));
      expect(pub(['verify', '-attime', at, '-CAfile', chain, k.certFile!])).toContain('OK');
    }
  });
});
