// After-sales at the kiosk, central's side: what a kiosk may learn and do about a key in its writer (certificate
// status, activation of a couriered key, the paid renewal, PIN unlock) and the look-up of orders by ID card or
// by code. Each answer is scoped to what the asking appliance shows: a key is named by its certificate serial
// AND its token serial (read from the key, not printed anywhere), orders go to a kiosk of their hall, and the
// look-up answers only the card holder's own orders, in status codes.

import { maskName } from '@certkiosk/config';
import {
  maskOrderId,
  RENEWAL_WINDOW_DAYS,
  renewalOffered,
  UNLOCKS_PER_KEY_PER_DAY,
  unlockDay,
} from '../contract/after-sales.js';
import {
  allowedIdentityRoles,
  cardMatchesPerson,
  IDENTITY_ROLE_FIELDS,
  personMatch,
} from '../contract/identity.js';
import { applyOrderAction, CERTIFICATE_EXISTS_STATUSES, ORDER_KINDS } from '../contract/order-status.js';
import { verifyPickupCode } from '../contract/pickup-code.js';
import type {
  ActivationPreview,
  ActivationRequest,
  ActivationResponse,
  AdminUnlock,
  CertificateStatus,
  IdCard,
  IdentityRole,
  OrderLookupResponse,
  RenewalOrderResponse,
  UnlockRequest,
  UnlockResponse,
} from '../contract/schemas.js';
import type { ActivationCodes } from './activation-codes.js';
import { mapSeq } from './async-list.js';
import type { CertificateIssuer, CertRow } from './ca/issuer.js';
import { PROFILES } from './ca/profiles.js';
import { CentralError } from './errors.js';
import { type OrderRow, OrderService } from './orders.js';
import type { PersonIndex } from './person-index.js';
import type { Db } from './store.js';

/** The appliance asking (authenticated by its request signature). */
export interface AskingAppliance {
  id: string;
  hall: string;
}

interface UnlockRow {
  unlock_id: string;
  appliance_id: string;
  certificate_serial: string;
  token_serial: string;
  day: string;
  outcome: AdminUnlock['outcome'];
  at: string;
}

/** Outcomes that spend one of the key's unlocks of the day (a wrong card too: central is no ID-card oracle). */
const COUNTED = ['granted', 'identity-mismatch'] as const;

export class AfterSales {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly orders: OrderService,
    private readonly issuer: CertificateIssuer,
    private readonly activation: ActivationCodes,
    private readonly people: PersonIndex,
    private readonly pickupPublicKeyPem: string,
  ) {}

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Masked people of the order a certificate was issued for (no more than the certificate's subject shows). */
  private async masked(
    order: OrderRow,
  ): Promise<{ holderNameMasked?: string; organisationNameMasked?: string }> {
    const o = await this.orders.toOrder(order);
    return {
      ...(o.holder ? { holderNameMasked: maskName(o.holder.name) } : {}),
      ...(o.organisation ? { organisationNameMasked: maskName(o.organisation.name) } : {}),
    };
  }

  /** The renewal order naming a certificate (the newest not rejected), if any. */
  private async renewalOrderOf(serial: string): Promise<OrderRow | undefined> {
    const r = (await this.db.get(
      `SELECT id FROM orders WHERE previous_certificate_serial = ? AND business_type = 'renewal'
         AND status <> 'rejected' ORDER BY created_at DESC, id DESC LIMIT 1`,
      serial,
    )) as { id: string } | undefined;
    return r ? await this.orders.row(r.id) : undefined;
  }

  private static renewalReady(r: OrderRow): boolean {
    return applyOrderAction(r.status, ORDER_KINDS.renewal.issueAction, 'renewal').ok;
  }

  // ---- my certificates ----

  /** A certificate of ours on the key in the writer: revoked or not, its masked owner, what renewal offers. */
  async certificateStatus(serial: string, tokenSerial: string): Promise<CertificateStatus> {
    const c = await this.issuer.certificateOnKey(serial, tokenSerial);
    const order = await this.orders.row(c.order_id);
    const renewal = await this.renewalOrderOf(c.serial);
    return {
      serialNumber: c.serial,
      status: c.revoked_at ? 'revoked' : 'good',
      ...(c.revoked_at ? { revokedAt: c.revoked_at } : {}),
      ...(c.revocation_reason ? { revocationReason: c.revocation_reason } : {}),
      certificateType: c.profile,
      notBefore: c.not_before,
      notAfter: c.not_after,
      issuer: this.issuer.issuerName(),
      ...(await this.masked(order)),
      orderIdMasked: maskOrderId(order.id),
      renewal: {
        rule: PROFILES[c.profile].renewal,
        windowDays: RENEWAL_WINDOW_DAYS,
        offered: renewalOffered({ notAfter: c.not_after, revoked: c.revoked_at !== null }, this.now()),
        ...(renewal
          ? {
              order: {
                idMasked: maskOrderId(renewal.id),
                status: renewal.status,
                hall: renewal.hall,
                ready: AfterSales.renewalReady(renewal),
              },
            }
          : {}),
      },
    };
  }

  // ---- activation of a couriered key ----

  /** The shipped order of the certificate on the key; throws when it has none waiting for its code. */
  private async shippedOrderOf(c: CertRow, appliance?: AskingAppliance): Promise<OrderRow> {
    const order = await this.orders.row(c.order_id);
    if (c.revoked_at) throw new CentralError('CERTIFICATE_REVOKED');
    if (order.status === 'shipped') return order;
    const state = await this.activation.state(order.id);
    if (CERTIFICATE_EXISTS_STATUSES.includes(order.status) && state?.usedAt) {
      throw new CentralError(
        'ACTIVATION_ALREADY_DONE',
        appliance && state.usedByAppliance === appliance.id
          ? 'This kiosk already activated this key.'
          : undefined,
      );
    }
    throw new CentralError('ACTIVATION_NOT_AVAILABLE');
  }

  /** Before the code is asked for: whose key it is (masked), how long the code is valid and the tries left. */
  async activationPreview(serial: string, tokenSerial: string): Promise<ActivationPreview> {
    const c = await this.issuer.certificateOnKey(serial, tokenSerial);
    const order = await this.shippedOrderOf(c);
    await this.activation.assertUsable(order.id);
    const state = (await this.activation.state(order.id))!;
    return {
      certificateSerial: c.serial,
      orderIdMasked: maskOrderId(order.id),
      certificateType: order.certificate_type,
      ...(await this.masked(order)),
      codeExpiresAt: state.expiresAt,
      attemptsLeft: state.attemptsLeft,
    };
  }

  /**
   * The code for the key in the writer: wrong ones count down (ACTIVATION_CODE_WRONG with attemptsLeft), then
   * lock; an expired one is refused; the right one activates the order. The same appliance sending the right
   * code again (a retry after a lost answer) gets the same answer; another gets ACTIVATION_ALREADY_DONE.
   */
  async activate(req: ActivationRequest, appliance: AskingAppliance): Promise<ActivationResponse> {
    const c = await this.issuer.certificateOnKey(req.certificateSerial, req.tokenSerial);
    const order = await this.orders.row(c.order_id);
    const answer = (activatedAt: string): ActivationResponse => ({
      certificateSerial: c.serial,
      orderIdMasked: maskOrderId(order.id),
      status: 'activated',
      activatedAt,
    });
    const state = await this.activation.state(order.id);
    if (
      order.status !== 'shipped' &&
      state?.usedAt &&
      state.usedByAppliance === appliance.id &&
      (await this.activation.matches(order.id, req.code))
    ) {
      return answer(state.usedAt);
    }
    await this.shippedOrderOf(c, appliance);
    await this.activation.check(order.id, req.code);
    const at = await this.db.transaction(async () => {
      const usedAt = await this.activation.markUsed(order.id, appliance.id);
      await this.orders.act(order.id, {
        action: 'activate',
        reason: `Activated at appliance ${appliance.id}`,
      });
      return usedAt;
    });
    return answer(at);
  }

  // ---- renewal ----

  /** The paid renewal order of the certificate on the key, as an appliance may see it (with the pickup rules). */
  async renewalFor(
    serial: string,
    tokenSerial: string,
    appliance: AskingAppliance,
  ): Promise<RenewalOrderResponse> {
    const c = await this.issuer.certificateOnKey(serial, tokenSerial);
    const order = await this.renewalOrderOf(c.serial);
    if (!order) throw new CentralError('RENEWAL_ORDER_NOT_FOUND');
    if (order.hall !== appliance.hall) {
      throw new CentralError('ORDER_WRONG_HALL', `This renewal is to be collected at hall ${order.hall}.`);
    }
    if (CERTIFICATE_EXISTS_STATUSES.includes(order.status)) throw new CentralError('ORDER_ALREADY_ISSUED');
    // A kiosk renewal awaiting payment is paid here first (WeChat Pay Native); other unpaid ones are refused.
    const payHere = order.delivery === 'kiosk' && order.status === 'awaiting-payment';
    if (!payHere && !AfterSales.renewalReady(order)) {
      throw new CentralError('RENEWAL_NOT_PAID', `The renewal order is "${order.status}", not paid yet.`);
    }
    if (c.revoked_at) throw new CentralError('CERTIFICATE_REVOKED');
    if (Date.parse(c.not_after) <= this.now()) throw new CentralError('CERTIFICATE_EXPIRED');
    return {
      ...(payHere ? { payment: { due: true as const, amountFen: order.price_fen } } : {}),
      order: this.orders.toApplianceOrder(order),
      previousCertificate: {
        serialNumber: c.serial,
        notAfter: c.not_after,
        renewalRule: PROFILES[c.profile].renewal,
      },
    };
  }

  // ---- PIN unlock ----

  private async unlocksCounted(tokenSerial: string, day: string): Promise<number> {
    return (
      (await this.db.get(
        `SELECT COUNT(*) AS n FROM unlocks WHERE token_serial = ? AND day = ? AND outcome IN (${COUNTED.map(() => '?').join(', ')})`,
        tokenSerial,
        day,
        ...COUNTED,
      )) as { n: number }
    ).n;
  }

  private refusalOf(outcome: AdminUnlock['outcome']): CentralError {
    return outcome === 'identity-mismatch'
      ? new CentralError('IDENTITY_MISMATCH', 'The ID card is not of a person this certificate belongs to.')
      : new CentralError('UNLOCK_LIMIT_REACHED');
  }

  /**
   * A kiosk asks before it resets a locked PIN: the key must be ours (certificate and token serial), the card a
   * person allowed to collect the certificate's order, and the key under UNLOCKS_PER_KEY_PER_DAY today (a
   * wrong card spends one too). Every answer is recorded (audit); a retried unlockId is answered again (granted
   * or refused as before) and counts once.
   */
  async unlock(req: UnlockRequest, appliance: AskingAppliance): Promise<UnlockResponse> {
    const c = await this.issuer.certificateOnKey(req.certificateSerial, req.tokenSerial);
    const tokenSerial = c.token_serial!;
    const left = async (day: string) =>
      Math.max(0, UNLOCKS_PER_KEY_PER_DAY - (await this.unlocksCounted(tokenSerial, day)));
    // A refusal is recorded (committed) first, then answered.
    const outcome = await this.db.transaction(async (): Promise<UnlockResponse | AdminUnlock['outcome']> => {
      const before = (await this.db.get('SELECT * FROM unlocks WHERE unlock_id = ?', req.unlockId)) as
        | UnlockRow
        | undefined;
      if (before) {
        if (before.appliance_id !== appliance.id || before.certificate_serial !== c.serial)
          throw new CentralError('IDEMPOTENCY_CONFLICT', 'This unlockId was used for another key or kiosk.');
        if (before.outcome !== 'granted') return before.outcome;
        return { unlockId: before.unlock_id, unlocksLeftToday: await left(before.day), grantedAt: before.at };
      }
      const day = unlockDay(this.now());
      const at = this.iso();
      let result: AdminUnlock['outcome'] = 'granted';
      if ((await this.unlocksCounted(tokenSerial, day)) >= UNLOCKS_PER_KEY_PER_DAY) result = 'limit-reached';
      else if (!this.cardIsOnOrder(req.card, await this.orders.row(c.order_id))) result = 'identity-mismatch';
      await this.db.run(
        'INSERT INTO unlocks (unlock_id, appliance_id, certificate_serial, token_serial, day, outcome, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        req.unlockId,
        appliance.id,
        c.serial,
        tokenSerial,
        day,
        result,
        at,
      );
      if (result !== 'granted') return result;
      return { unlockId: req.unlockId, unlocksLeftToday: await left(day), grantedAt: at };
    });
    if (typeof outcome === 'string') throw this.refusalOf(outcome);
    return outcome;
  }

  /** Whether a card is a person allowed to collect the order (allowedIdentityRoles). */
  private cardIsOnOrder(card: IdCard, order: OrderRow): boolean {
    const people = this.orders.people(order);
    const salt = OrderService.identitySalt(order);
    const roles = allowedIdentityRoles({
      certificateType: order.certificate_type,
      holderVerifiedOnline: order.holder_verified_online === 1,
      ...people,
    });
    return roles.some((role) => {
      const p = people[IDENTITY_ROLE_FIELDS[role]];
      return p !== undefined && cardMatchesPerson(salt, card, personMatch(salt, p));
    });
  }

  /** The unlock audit, newest first (operators). */
  async unlocks(limit = 200): Promise<AdminUnlock[]> {
    const rows = (await this.db.all(
      'SELECT * FROM unlocks ORDER BY at DESC, unlock_id LIMIT ?',
      limit,
    )) as UnlockRow[];
    return rows.map((r) => ({
      unlockId: r.unlock_id,
      applianceId: r.appliance_id,
      certificateSerial: r.certificate_serial,
      tokenSerial: r.token_serial,
      day: r.day,
      outcome: r.outcome,
      at: r.at,
    }));
  }

  // ---- order look-up ----

  private async audit(appliance: AskingAppliance, kind: 'id-card' | 'code', found: number): Promise<void> {
    await this.db.run(
      'INSERT INTO lookup_audit (appliance_id, kind, orders_found, at) VALUES (?, ?, ?, ?)',
      appliance.id,
      kind,
      found,
      this.iso(),
    );
  }

  /**
   * The orders of the person whose card is in the reader: those where the card's ID number and name are both a
   * person allowed to collect the order (allowedIdentityRoles), found by central's keyed index. Nothing is
   * kept of the card; the look-up is audited (appliance, time, how many orders — not who).
   */
  async lookupByCard(card: IdCard, appliance: AskingAppliance): Promise<OrderLookupResponse> {
    const byOrder = new Map<string, IdentityRole[]>();
    for (const hit of await this.people.find(card)) {
      byOrder.set(hit.orderId, [...(byOrder.get(hit.orderId) ?? []), hit.role]);
    }
    const orders = (
      await mapSeq([...byOrder], async ([id, roles]) => {
        const row = await this.orders.row(id);
        const allowed = allowedIdentityRoles({
          certificateType: row.certificate_type,
          holderVerifiedOnline: row.holder_verified_online === 1,
          ...this.orders.people(row),
        });
        const mine = roles.filter((r) => allowed.includes(r));
        return mine.length > 0 ? await this.orders.toLookupOrder(row, mine) : undefined;
      })
    )
      .filter((o) => o !== undefined)
      .sort((a, b) => (a.submittedAt < b.submittedAt ? 1 : a.submittedAt > b.submittedAt ? -1 : 0));
    await this.audit(appliance, 'id-card', orders.length);
    return { orders };
  }

  /**
   * One order by the code the person scans: its pickup code (signature checked; expired still shows its
   * status, a superseded one does not; a kiosk of its hall) or its receipt link `…/lookup/<id>/<token>`.
   */
  async lookupByCode(code: string, appliance: AskingAppliance): Promise<OrderLookupResponse> {
    const receipt = /\/lookup\/([A-Za-z0-9._-]{1,64})\/([A-Za-z0-9_-]{1,64})\/?$/.exec(code.trim());
    let row: OrderRow | undefined;
    if (receipt) {
      row = await this.orders.byReceiptToken(receipt[1]!, receipt[2]!);
      if (!row) throw new CentralError('ORDER_NOT_FOUND', 'No order matches this code.');
    } else {
      const check = verifyPickupCode(code.trim(), this.pickupPublicKeyPem, {
        hall: appliance.hall,
        now: this.now(),
      });
      const payload = 'payload' in check ? check.payload : undefined;
      if (!payload || (!check.ok && check.reason === 'forged'))
        throw new CentralError('PICKUP_CODE_INVALID', check.ok ? undefined : check.message);
      if (payload.hall !== appliance.hall)
        throw new CentralError('ORDER_WRONG_HALL', `This order belongs to hall ${payload.hall}.`);
      row = await this.orders.row(payload.orderId);
      if (row.pickup_nonce !== payload.nonce) throw new CentralError('PICKUP_CODE_SUPERSEDED');
    }
    await this.audit(appliance, 'code', 1);
    return { orders: [await this.orders.toLookupOrder(row)] };
  }
}
