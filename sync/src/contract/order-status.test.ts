import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyOrderAction,
  legalActions,
  legalEdges,
  ORDER_ACTION_NAMES,
  ORDER_STATUSES,
  type OrderStatus,
} from './order-status.js';

describe('order life cycle rules', () => {
  it('follows the CA process on the happy paths', () => {
    const walk = (actions: Parameters<typeof applyOrderAction>[1][]) =>
      actions.reduce<OrderStatus>((s, a) => {
        const r = applyOrderAction(s, a);
        if (!r.ok) throw new Error(r.message);
        return r.to;
      }, 'submitted');
    expect(walk(['request-payment', 'pay-wechat', 'request-identity', 'verify-identity', 'approve'])).toBe(
      'approved',
    );
    expect(
      walk([
        'request-payment',
        'choose-transfer',
        'declare-transfer-paid',
        'confirm-transfer',
        'request-identity',
        'verify-identity',
        'reject',
        'resubmit',
        'approve',
        'ship',
        'activate',
        'invoice',
      ]),
    ).toBe('invoiced');
  });

  it('refuses an illegal transition with a sentence naming the action and status', () => {
    const r = applyOrderAction('submitted', 'approve');
    expect(r).toMatchObject({ ok: false, code: 'ORDER_ILLEGAL_TRANSITION' });
    expect(!r.ok && r.message).toContain('"approve"');
  });

  it('every status but the last is reachable and has a way on', () => {
    const reached = new Set<OrderStatus>(['submitted']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [from, to] of legalEdges()) {
        if (reached.has(from) && !reached.has(to)) {
          reached.add(to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...ORDER_STATUSES].sort());
    for (const s of ORDER_STATUSES) if (s !== 'invoiced') expect(legalActions(s).length).toBeGreaterThan(0);
    expect(legalActions('invoiced')).toEqual([]);
  });

  it('property: random action sequences only ever move along legal edges', () => {
    const edges = new Set(legalEdges().map(([a, b]) => `${a}>${b}`));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ORDER_ACTION_NAMES), { maxLength: 60 }), (actions) => {
        let s: OrderStatus = 'submitted';
        for (const a of actions) {
          const r = applyOrderAction(s, a);
          if (r.ok) {
            expect(edges.has(`${s}>${r.to}`)).toBe(true);
            s = r.to;
          } else {
            expect(legalActions(s)).not.toContain(a);
          }
          expect(ORDER_STATUSES).toContain(s);
        }
      }),
      { numRuns: 500 },
    );
  });
});
