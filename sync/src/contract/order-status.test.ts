import { BUSINESS_TYPES, type BusinessType } from '@certkiosk/config';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyOrderAction,
  legalActions,
  legalEdges,
  ORDER_ACTION_NAMES,
  ORDER_ACTIONS,
  ORDER_KINDS,
  ORDER_STATUSES,
  type OrderAction,
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

  it('kinds of order: a renewal is paid, then issued at a kiosk (no review, no courier); a reissue is reviewed and collected', () => {
    const walk = (kind: BusinessType, actions: OrderAction[]) =>
      actions.reduce<OrderStatus>((s, a) => {
        const r = applyOrderAction(s, a, kind);
        if (!r.ok) throw new Error(r.message);
        return r.to;
      }, 'submitted');
    expect(walk('renewal', ['request-payment', 'pay-wechat', 'issue-renewal', 'activate', 'invoice'])).toBe(
      'invoiced',
    );
    expect(walk('renewal', ['request-payment', 'pay-wechat', 'issue-renewal', 'void-renewal'])).toBe('paid');
    expect(
      walk('reissue', ['request-payment', 'pay-wechat', 'request-identity', 'verify-identity', 'approve']),
    ).toBe('approved');
    expect(applyOrderAction('paid', 'request-identity', 'renewal')).toMatchObject({ ok: false });
    expect(applyOrderAction('paid', 'issue-renewal', 'new')).toMatchObject({
      ok: false,
      message: expect.stringContaining('not for new orders'),
    });
    expect(applyOrderAction('approved', 'ship', 'reissue')).toMatchObject({ ok: false });
    expect(legalActions('paid', 'renewal')).toEqual(['issue-renewal']);
    expect(legalActions('paid')).toEqual(['request-identity']);
  });

  it('every kind’s rules are consistent with the action table', () => {
    for (const kind of BUSINESS_TYPES) {
      const k = ORDER_KINDS[kind];
      const rules = (a: OrderAction) => ORDER_ACTIONS[a] as { kinds?: readonly BusinessType[] };
      for (const a of [k.issueAction, k.voidAction]) expect(rules(a).kinds ?? [kind]).toContain(kind);
      if (k.admission === 'previous-certificate' || k.sameToken || k.revocationReasons.length > 0)
        expect(k.previousCertificate).toBe(true);
      if (k.revocationAtIssuance) expect(k.revocationReasons).toContain(k.revocationAtIssuance);
      expect(k.previousCertificateFate === 'none').toBe(!k.previousCertificate);
      // Every status a kind can reach has a way on (but the last).
      const reached = new Set<OrderStatus>(['submitted']);
      for (let grew = true; grew; ) {
        grew = false;
        for (const [from, to] of legalEdges(kind))
          if (reached.has(from) && !reached.has(to)) grew = Boolean(reached.add(to));
      }
      for (const s of reached) if (s !== 'invoiced') expect(legalActions(s, kind).length).toBeGreaterThan(0);
      expect(reached.has('activated')).toBe(true);
    }
  });
});
