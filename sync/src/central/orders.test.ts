import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  legalEdges,
  ORDER_ACTION_NAMES,
  ORDER_STATUSES,
  type OrderAction,
} from '../contract/order-status.js';
import { ActivationCodes } from './activation-codes.js';
import { mapSeq } from './async-list.js';
import { ChangeFeed } from './change-feed.js';
import { CentralError } from './errors.js';
import { openCentralStore } from './open-store.js';
import { OrderService } from './orders.js';
import { PickupCodeSigner } from './pickup-codes.js';
import { NATURAL_PERSON } from './testing.js';

async function service() {
  const db = await openCentralStore({ dataDir: ':memory:' });
  const now = () => Date.parse('2026-03-01T08:00:00Z');
  const changes = new ChangeFeed(db, now);
  return {
    db,
    orders: new OrderService(db, now, new PickupCodeSigner(), new ActivationCodes(db, now), changes),
  };
}

const EDGES = new Set(legalEdges().map(([a, b]) => `${a}>${b}`));

describe('order life cycle (store)', () => {
  it('property: random actions on kiosk and courier orders never reach an illegal state', async () => {
    const { db, orders } = await service();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('kiosk' as const, 'courier' as const),
        fc.array(fc.tuple(fc.constantFrom(...ORDER_ACTION_NAMES), fc.boolean()), { maxLength: 40 }),
        async (delivery, steps) => {
          const { id } = await orders.create({ ...NATURAL_PERSON, delivery });
          for (const [action, withReason] of steps) {
            const before = await orders.row(id);
            try {
              await orders.act(id, {
                action: action as OrderAction,
                ...(withReason ? { reason: 'fix the scan' } : {}),
              });
            } catch (err) {
              expect(err).toBeInstanceOf(CentralError);
              expect(await orders.row(id)).toEqual(before); // a refused action changes nothing
              continue;
            }
            const r = await orders.row(id);
            expect(ORDER_STATUSES).toContain(r.status);
            expect(EDGES.has(`${before.status}>${r.status}`)).toBe(true);
            if (r.status === 'transfer-pending') expect(r.remittance_code).toMatch(/^\d{6}$/);
            if (r.status === 'rejected') expect(r.reject_reason).toBeTruthy();
            if (r.status === 'approved' && delivery === 'kiosk')
              expect((await orders.pickupCode(id))?.token).toBeTruthy();
            if (r.status === 'shipped') {
              expect(delivery).toBe('courier');
              expect(await db.get('SELECT 1 FROM activation_codes WHERE order_id = ?', id)).toBeTruthy();
            }
            if (r.status === 'issued') expect(delivery).toBe('kiosk');
          }
          // history replays exactly the legal edges taken
          const history = (await db.all(
            'SELECT from_status, to_status FROM order_history WHERE order_id = ? ORDER BY seq',
            id,
          )) as Array<{ from_status: string; to_status: string }>;
          let s = 'submitted';
          for (const h of history) {
            expect(h.from_status).toBe(s);
            expect(EDGES.has(`${h.from_status}>${h.to_status}`)).toBe(true);
            s = h.to_status;
          }
          expect((await orders.row(id)).status).toBe(s);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses orders whose details do not fit the certificate type', async () => {
    const { orders } = await service();
    const bad = (patch: object) => expect(orders.create({ ...NATURAL_PERSON, ...patch })).rejects;
    await bad({ handler: { name: '代办', idNumber: '440305199203040012' } }).toThrow(/proxy/);
    await bad({ holder: { name: '张伟', idNumber: '440304199001011234' } }).toThrow(/check character/);
    await bad({ certificateType: 'organisation' }).toThrow(/organisation/);
  });

  it('the review queue is first come first served by submission time; a resubmission queues again', async () => {
    let t = Date.parse('2026-03-01T08:00:00Z');
    const db = await openCentralStore({ dataDir: ':memory:' });
    const now = () => t;
    const orders = new OrderService(
      db,
      now,
      new PickupCodeSigner(),
      new ActivationCodes(db, now),
      new ChangeFeed(db, now),
    );
    const toReview: OrderAction[] = ['request-payment', 'pay-wechat', 'request-identity', 'verify-identity'];
    const ids = await mapSeq([0, 1, 2], async () => {
      t += 60_000;
      const { id } = await orders.create(NATURAL_PERSON);
      return id;
    });
    for (const id of [...ids].reverse()) for (const a of toReview) await orders.act(id, { action: a });
    expect((await orders.list('under-review')).map((o) => o.id)).toEqual(ids);
    await orders.act(ids[0]!, { action: 'reject', reason: 'blurred scan' });
    t += 60_000;
    await orders.act(ids[0]!, { action: 'resubmit' });
    expect((await orders.list('under-review')).map((o) => o.id)).toEqual([ids[1], ids[2], ids[0]]);
  });
});
