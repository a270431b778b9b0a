// Two central instances on one PostgreSQL database (the PostgreSQL run only, see vitest.config.ts), asked the
// same thing at the same moment, as two central processes behind a load balancer would be: the issuance of one
// order signs one certificate (the second waits on the order's lock and gets the same one), a kiosk's "pay with
// WeChat" makes one payment attempt, the daily reconciliation and the payment-expiry sweep run once, and a timed
// job's lease is held by one of them at a time.

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKeySigner, signRequest } from '../contract/request-signing.js';
import { buildCentral } from './app.js';
import { x509 } from './ca/x509.js';
import { Leases } from './leases.js';
import { type Harness, opensslCsr, startHarness, TEST_ADMIN_TOKEN, TO_APPROVED } from './testing.js';

let h: Harness;
let other: FastifyInstance;

beforeAll(async () => {
  h = await startHarness({ central: { payments: { sweepIntervalMs: false } } });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  other = await buildCentral({
    dataDir: h.dir,
    adminToken: TEST_ADMIN_TOKEN,
    now: () => h.clock.ms,
    payments: { sweepIntervalMs: false },
  });
  await other.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await other?.close();
  await h?.close();
});

/** A signed appliance request (the harness appliance) to the other instance. */
async function signedToOther(url: string, body: unknown) {
  const payload = JSON.stringify(body);
  const headers = await signRequest(
    { applianceId: h.appliance.id, method: 'POST', path: url, body: payload },
    createKeySigner(h.appliance.privateKey),
    { now: h.clock.ms },
  );
  return other.inject({
    method: 'POST',
    url,
    headers: { ...headers, 'content-type': 'application/json' },
    payload,
  });
}

describe('two central instances on one database', () => {
  it('one order issued at both at once: one certificate signed and recorded, both answer it', async () => {
    const sign = vi.spyOn(x509.X509CertificateGenerator, 'create');
    try {
      for (let i = 0; i < 4; i++) {
        const { order, pickupCode } = await h.order(TO_APPROVED);
        const body = await h.issueBody({
          orderId: order.id,
          pickupCode: pickupCode!,
          csrPem: opensslCsr(h.dir, 'ec', `two-writers-${i}`),
        });
        sign.mockClear();
        const [a, b] = await Promise.all([
          h.signed('POST', '/v1/certificates', body),
          signedToOther('/v1/certificates', body),
        ]);
        expect(a.statusCode, a.body).toBe(200);
        expect(b.statusCode, b.body).toBe(200);
        const serial = (a.json() as { serialNumber: string }).serialNumber;
        expect((b.json() as { serialNumber: string }).serialNumber).toBe(serial);
        // No certificate was signed that central did not record.
        expect(sign).toHaveBeenCalledTimes(1);
        const rows = await h.app.central.db.all(
          'SELECT serial FROM certificates WHERE order_id = ?',
          order.id,
        );
        expect(rows).toEqual([{ serial }]);
        const history = await h.admin('GET', `/admin/v1/orders/${order.id}/history`);
        const issued = (history.json() as { history: { action: string }[] }).history.filter(
          (e) => e.action === 'issue-at-kiosk',
        );
        expect(issued).toHaveLength(1);
      }
    } finally {
      sign.mockRestore();
    }
  });

  it('"pay with WeChat" at both at once: one payment attempt, both answer it', async () => {
    for (let i = 0; i < 4; i++) {
      const { order } = await h.order(['request-payment']);
      const [a, b] = await Promise.all([
        h.signed('POST', '/v1/payments/native', { orderId: order.id }),
        signedToOther('/v1/payments/native', { orderId: order.id }),
      ]);
      expect(a.statusCode, a.body).toBe(200);
      expect(b.statusCode, b.body).toBe(200);
      const rows = await h.app.central.db.all(
        'SELECT out_trade_no FROM payments WHERE order_id = ?',
        order.id,
      );
      expect(rows).toEqual([{ out_trade_no: order.id }]);
    }
  });

  it('the daily reconciliation due at both at once: the day is reconciled once', async () => {
    // 16:00 Beijing on 1 March: 28 February is due (from 02:00), and nothing ran it yet.
    const runs = await Promise.all([
      h.app.central.reconciliations.runDue(),
      other.central.reconciliations.runDue(),
    ]);
    expect(runs.filter((r) => r !== null)).toHaveLength(1);
    const kept = await h.app.central.db.all(
      "SELECT day FROM reconciliation_runs WHERE started_by = 'schedule'",
    );
    expect(kept).toEqual([{ day: '2026-02-28' }]);
    // Asked again later, by either: the day was done.
    expect(await other.central.reconciliations.runDue()).toBeNull();
    expect(await h.app.central.reconciliations.runDue()).toBeNull();
  });

  it('the payment-expiry sweep due at both at once: one of them sweeps, and the attempt is closed once', async () => {
    const { order } = await h.order(['request-payment']);
    const started = await h.signed('POST', '/v1/payments/native', { orderId: order.id });
    expect(started.statusCode, started.body).toBe(200);
    h.clock.ms += 5 * 60_000 + 1000; // past the QR code's time_expire, no notification
    const swept = await Promise.all([h.app.central.payments.sweep(), other.central.payments.sweep()]);
    expect(swept.filter((n) => n !== null)).toHaveLength(1);
    expect(swept.find((n) => n !== null)).toBeGreaterThanOrEqual(1);
    const rows = await h.app.central.db.all(
      'SELECT state, close_reason FROM payments WHERE order_id = ?',
      order.id,
    );
    expect(rows).toEqual([{ state: 'closed', close_reason: 'expired' }]);
    // Once released, either may sweep again (nothing is due now).
    expect(await other.central.payments.sweep()).toBe(0);
  });

  it('a lease is held by one instance at a time, and by the other once released or run out', async () => {
    const now = () => h.clock.ms;
    const one = new Leases(h.app.central.db, now);
    const two = new Leases(other.central.db, now);
    const took = await Promise.all([one.take('two-writers', 60_000), two.take('two-writers', 60_000)]);
    expect(took.filter(Boolean)).toHaveLength(1);
    const [holder, waiter] = took[0] ? [one, two] : [two, one];
    expect(await holder.take('two-writers', 60_000)).toBe(true);
    expect(await waiter.take('two-writers', 60_000)).toBe(false);
    await holder.release('two-writers');
    expect(await waiter.take('two-writers', 60_000)).toBe(true);
    expect(await holder.take('two-writers', 60_000)).toBe(false);
    // A holder that died keeps it only until it runs out.
    h.clock.ms += 60_001;
    expect(await holder.take('two-writers', 60_000)).toBe(true);
  });
});
