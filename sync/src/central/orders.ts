import { lockSubject } from './sql.js';
// Orders: creation with per-type checks, the life cycle (rules from the contract's order-status module),
// history, change-feed entries, remittance codes, pickup codes and activation codes. Renewal and reissue orders
// (ORDER_KINDS) name the certificate they renew or replace and take its subject from that certificate's order.

import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { maskName, normaliseIdNumber } from '@certkiosk/config';
import { normaliseCertificateSerial } from '../contract/after-sales.js';
import { personMatch } from '../contract/identity.js';
import {
  applyOrderAction,
  ORDER_KINDS,
  type OrderAction,
  type OrderStatus,
} from '../contract/order-status.js';
import type {
  ApplianceOrder,
  ApplianceOrderStatus,
  CreateOrderRequest,
  IdentityRole,
  LookupOrder,
  Order,
  OrderActionRequest,
  OrderActionResponse,
  OrderHistoryEntry,
  PickupCodeResponse,
} from '../contract/schemas.js';
import type { ActivationCodes } from './activation-codes.js';
import { mapSeq } from './async-list.js';
import type { ChangeFeed } from './change-feed.js';
import { CentralError } from './errors.js';
import { idNumberProblem } from './id-number.js';
import type { PersonIndex } from './person-index.js';
import { PICKUP_CODE_VALIDITY_S, type PickupCodeSigner } from './pickup-codes.js';
import { priceFen } from './pricing.js';
import type { Db } from './store.js';

export interface OrderRow {
  id: string;
  status: OrderStatus;
  certificate_type: Order['certificateType'];
  business_type: Order['businessType'];
  service_years: number;
  hall: string;
  delivery: Order['delivery'];
  price_fen: number;
  payment_method: 'wechat' | 'transfer' | null;
  remittance_code: string | null;
  transfer_declared_at: string | null;
  details_json: string;
  holder_verified_online: number;
  reject_reason: string | null;
  view_token: string;
  pickup_nonce: string | null;
  pickup_exp: number | null;
  created_at: string;
  submitted_at: string;
  updated_at: string;
  /** 32 random bytes per order: the HMAC key of the PersonMatch values an appliance gets. */
  identity_salt: Buffer;
  /** Random per order: opens the receipt page (`/lookup/<id>/<token>`, the receipt's QR code). */
  receipt_token: string;
  /** Renewal and reissue: the certificate it renews or replaces (normalised serial). */
  previous_certificate_serial: string | null;
}

type Details = Pick<
  CreateOrderRequest,
  'applicant' | 'organisation' | 'holder' | 'legalRepresentative' | 'handler'
>;

function validateForType(req: CreateOrderRequest): void {
  const bad = (msg: string): never => {
    throw new CentralError('ORDER_INVALID', msg);
  };
  if (req.certificateType === 'organisation') {
    if (!req.organisation) bad('An organisation certificate needs the organisation (name and credit code).');
    if (!req.legalRepresentative) bad('An organisation certificate needs the legal representative.');
  } else if (req.certificateType === 'organisation-individual') {
    if (!req.organisation) bad('An organisation-individual certificate needs the organisation.');
    if (!req.holder) bad('An organisation-individual certificate needs the certificate holder.');
  } else {
    if (!req.holder) bad('A natural-person certificate needs the holder.');
    if (req.organisation) bad('A natural-person certificate has no organisation.');
    if (req.handler) bad('A natural-person certificate cannot be handled by a proxy.');
  }
  for (const [role, p] of [
    ['holder', req.holder],
    ['legal representative', req.legalRepresentative],
    ['handler', req.handler],
  ] as const) {
    const problem = p ? idNumberProblem(p.idNumber) : null;
    if (problem) bad(`The ${role}'s ID number ${problem}.`);
  }
}

export class OrderService {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly pickup: PickupCodeSigner,
    private readonly activation: ActivationCodes,
    private readonly changes: ChangeFeed,
    /** Central's public base URL (the receipt page's address); without it no receipt URL is given out. */
    private readonly publicBaseUrl?: () => string,
    /** The keyed index of people for the look-up by ID card; every new order is indexed. */
    private readonly personIndex?: PersonIndex,
  ) {}

  /**
   * A renewal or reissue order takes its certificate type, organisation and people from the order of the
   * certificate it names (people given must be the same persons); other kinds name none. Checks the kind's
   * delivery and that the certificate is ours and still there to renew or replace.
   */
  private async withPrevious(req: CreateOrderRequest): Promise<CreateOrderRequest> {
    const kind = ORDER_KINDS[req.businessType];
    const bad = (msg: string): never => {
      throw new CentralError('ORDER_INVALID', msg);
    };
    if (!kind.deliveries.includes(req.delivery))
      bad(
        `A ${req.businessType} order is delivered by ${kind.deliveries.join(' or ')}, not ${req.delivery}.`,
      );
    if (!kind.previousCertificate) {
      if (req.previousCertificateSerial)
        bad(`Only renewal and reissue orders name a previous certificate, not a ${req.businessType} order.`);
      return req;
    }
    if (!req.previousCertificateSerial)
      bad(
        `A ${req.businessType} order names the certificate it renews or replaces (previousCertificateSerial).`,
      );
    const serial = normaliseCertificateSerial(req.previousCertificateSerial!);
    const cert = (await this.db.get(
      'SELECT order_id, revoked_at, voided_at, not_after FROM certificates WHERE serial = ?',
      serial,
    )) as
      | { order_id: string; revoked_at: string | null; voided_at: string | null; not_after: string }
      | undefined;
    if (!cert || cert.voided_at)
      bad(`No certificate of ours has the serial ${req.previousCertificateSerial}.`);
    if (req.businessType === 'renewal') {
      if (cert!.revoked_at) bad('A revoked certificate cannot be renewed; apply for a new one.');
      if (Date.parse(cert!.not_after) <= this.now())
        bad('An expired certificate cannot be renewed; apply for a new one.');
    }
    const taken = (await this.db.get(
      "SELECT id FROM orders WHERE previous_certificate_serial = ? AND business_type = ? AND status <> 'rejected'",
      serial,
      req.businessType,
    )) as { id: string } | undefined;
    if (taken) bad(`The certificate already has a ${req.businessType} order (${taken.id}).`);
    const prev = await this.row(cert!.order_id);
    if (req.certificateType !== prev.certificate_type)
      bad(`The certificate is a ${prev.certificate_type} certificate, not ${req.certificateType}.`);
    const d = JSON.parse(prev.details_json) as Details;
    const same = (role: string, given?: { idNumber: string }, was?: { idNumber: string }) => {
      if (given && (!was || normaliseIdNumber(given.idNumber) !== normaliseIdNumber(was.idNumber)))
        bad(`The ${role} must be the certificate's ${role}.`);
    };
    same('holder', req.holder, d.holder);
    same('legal representative', req.legalRepresentative, d.legalRepresentative);
    same('handler', req.handler, d.handler);
    if (
      req.organisation &&
      req.organisation.unifiedSocialCreditCode !== d.organisation?.unifiedSocialCreditCode
    )
      bad('The organisation must be the certificate’s organisation.');
    return {
      ...req,
      previousCertificateSerial: serial,
      ...(d.organisation ? { organisation: d.organisation } : {}),
      ...(d.holder ? { holder: d.holder } : {}),
      ...(d.legalRepresentative ? { legalRepresentative: d.legalRepresentative } : {}),
      ...(d.handler ? { handler: d.handler } : {}),
    };
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  async create(given: CreateOrderRequest): Promise<Order> {
    const req = await this.withPrevious(given);
    validateForType(req);
    const at = this.iso();
    const id = `CK${at.slice(0, 10).replaceAll('-', '')}${randomBytes(4).toString('hex').toUpperCase()}`;
    const details: Details = {
      applicant: req.applicant,
      organisation: req.organisation,
      holder: req.holder,
      legalRepresentative: req.legalRepresentative,
      handler: req.handler,
    };
    await this.db.run(
      `INSERT INTO orders (id, status, certificate_type, business_type, service_years, hall, delivery, price_fen,
          details_json, view_token, created_at, submitted_at, updated_at, identity_salt, receipt_token,
          previous_certificate_serial)
         VALUES (?, 'submitted', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      req.certificateType,
      req.businessType,
      req.serviceYears,
      req.hall,
      req.delivery,
      priceFen(req.certificateType, req.serviceYears),
      JSON.stringify(details),
      randomBytes(16).toString('base64url'),
      at,
      at,
      at,
      randomBytes(32),
      randomBytes(16).toString('base64url'),
      req.previousCertificateSerial ?? null,
    );
    await this.personIndex?.index(id, details);
    await this.changes.record('order.updated', req.hall, id, { status: 'submitted' });
    return this.get(id);
  }

  async row(id: string): Promise<OrderRow> {
    const r = (await this.db.get('SELECT * FROM orders WHERE id = ?', id)) as OrderRow | undefined;
    if (!r) throw new CentralError('ORDER_NOT_FOUND', `No order with id ${id}.`);
    return r;
  }

  async get(id: string): Promise<Order> {
    return this.toOrder(await this.row(id));
  }

  async byViewToken(token: string): Promise<OrderRow | undefined> {
    return (await this.db.get('SELECT * FROM orders WHERE view_token = ?', token)) as OrderRow | undefined;
  }

  /**
   * The order behind a receipt link: its id and its receipt token (compared in constant time). A wrong token
   * and an unknown order look the same (undefined), so the link says nothing about orders it does not open.
   */
  async byReceiptToken(orderId: string, token: string): Promise<OrderRow | undefined> {
    const r = (await this.db.get('SELECT * FROM orders WHERE id = ?', orderId)) as OrderRow | undefined;
    // Compared even for an unknown order (against a dummy), so the answer's timing does not tell them apart.
    const want = Buffer.from(r?.receipt_token ?? '-'.repeat(22), 'utf8');
    const got = Buffer.from(token, 'utf8');
    const sameLength = want.length === got.length;
    const same = timingSafeEqual(want, sameLength ? got : want) && sameLength;
    return r?.receipt_token && same ? r : undefined;
  }

  /** The order's receipt page (`<public URL>/lookup/<id>/<receipt token>`), or undefined without a base URL. */
  receiptUrl(r: OrderRow): string | undefined {
    const base = this.publicBaseUrl?.();
    if (!base || !r.receipt_token) return undefined;
    return `${base.replace(/\/+$/, '')}/lookup/${encodeURIComponent(r.id)}/${encodeURIComponent(r.receipt_token)}`;
  }

  /** Orders, optionally of one status; oldest submission first (the review queue is first-come-first-served). */
  async list(status?: OrderStatus): Promise<Order[]> {
    const rows = (
      status
        ? await this.db.all('SELECT * FROM orders WHERE status = ? ORDER BY submitted_at, id', status)
        : await this.db.all('SELECT * FROM orders ORDER BY submitted_at, id')
    ) as OrderRow[];
    return mapSeq(rows, async (r) => this.toOrder(r));
  }

  async toOrder(r: OrderRow): Promise<Order> {
    const d = JSON.parse(r.details_json) as Details;
    // A voided certificate is no longer the order's: the holder collects a new one.
    const cert = (await this.db.get(
      'SELECT serial FROM certificates WHERE order_id = ? AND voided_at IS NULL ORDER BY issued_at DESC LIMIT 1',
      r.id,
    )) as { serial: string } | undefined;
    return {
      id: r.id,
      status: r.status,
      certificateType: r.certificate_type,
      businessType: r.business_type,
      serviceYears: r.service_years,
      hall: r.hall,
      delivery: r.delivery,
      priceFen: r.price_fen,
      ...(r.payment_method ? { paymentMethod: r.payment_method } : {}),
      ...(r.remittance_code ? { remittanceCode: r.remittance_code } : {}),
      ...(r.transfer_declared_at ? { transferDeclaredAt: r.transfer_declared_at } : {}),
      applicant: d.applicant,
      ...(d.organisation ? { organisation: d.organisation } : {}),
      ...(d.holder ? { holder: d.holder } : {}),
      ...(d.legalRepresentative ? { legalRepresentative: d.legalRepresentative } : {}),
      ...(d.handler ? { handler: d.handler } : {}),
      holderVerifiedOnline: r.holder_verified_online === 1,
      ...(r.reject_reason ? { rejectReason: r.reject_reason } : {}),
      createdAt: r.created_at,
      submittedAt: r.submitted_at,
      updatedAt: r.updated_at,
      ...(r.status === 'approved' && r.pickup_exp
        ? { pickupExpiresAt: new Date(r.pickup_exp * 1000).toISOString() }
        : {}),
      ...(cert ? { certificateSerial: cert.serial } : {}),
      ...(r.previous_certificate_serial ? { previousCertificateSerial: r.previous_certificate_serial } : {}),
    };
  }

  /** The people of an order (full data: central only). */
  people(r: OrderRow): Pick<Details, 'holder' | 'legalRepresentative' | 'handler'> {
    const d = JSON.parse(r.details_json) as Details;
    return {
      ...(d.holder ? { holder: d.holder } : {}),
      ...(d.legalRepresentative ? { legalRepresentative: d.legalRepresentative } : {}),
      ...(d.handler ? { handler: d.handler } : {}),
    };
  }

  /** The order's identity salt, base64. */
  static identitySalt(r: OrderRow): string {
    return Buffer.from(r.identity_salt).toString('base64');
  }

  /**
   * What an appliance may see of an order (after presenting its pickup code): no ID number, full name or
   * phone — people masked, with HMACs under the order's identity salt to match an ID card against.
   */
  toApplianceOrder(r: OrderRow): ApplianceOrder {
    const d = JSON.parse(r.details_json) as Details;
    const salt = OrderService.identitySalt(r);
    const receiptUrl = this.receiptUrl(r);
    return {
      id: r.id,
      status: r.status,
      delivery: r.delivery,
      certificateType: r.certificate_type,
      businessType: r.business_type,
      serviceYears: r.service_years,
      holderVerifiedOnline: r.holder_verified_online === 1,
      ...(d.organisation ? { organisationName: d.organisation.name } : {}),
      hall: r.hall,
      identitySalt: salt,
      ...(d.holder ? { holder: personMatch(salt, d.holder) } : {}),
      ...(d.legalRepresentative ? { legalRepresentative: personMatch(salt, d.legalRepresentative) } : {}),
      ...(d.handler ? { handler: personMatch(salt, d.handler) } : {}),
      pricePaidFen: r.price_fen,
      ...(receiptUrl ? { receiptUrl } : {}),
      ...(r.previous_certificate_serial ? { previousCertificateSerial: r.previous_certificate_serial } : {}),
    };
  }

  /**
   * An order as the kiosk's look-up shows it to the person it belongs to: progress in status codes, why it was
   * rejected, the remittance code while the transfer is awaited — no ID number, phone or other person.
   */
  async toLookupOrder(r: OrderRow, roles?: IdentityRole[]): Promise<LookupOrder> {
    const d = JSON.parse(r.details_json) as Details;
    return {
      id: r.id,
      businessType: r.business_type,
      certificateType: r.certificate_type,
      status: r.status,
      delivery: r.delivery,
      hall: r.hall,
      submittedAt: r.submitted_at,
      updatedAt: r.updated_at,
      history: (await this.history(r.id)).map((h) => ({ action: h.action, status: h.to, at: h.at })),
      ...(r.status === 'rejected' && r.reject_reason ? { rejectReason: r.reject_reason } : {}),
      ...(r.status === 'transfer-pending' && r.remittance_code ? { remittanceCode: r.remittance_code } : {}),
      ...(r.status === 'awaiting-payment' ? { amountFen: r.price_fen } : {}),
      ...(d.organisation ? { organisationName: d.organisation.name } : {}),
      ...(d.holder ? { holderNameMasked: maskName(d.holder.name) } : {}),
      ...(roles ? { roles } : {}),
    };
  }

  /** An order's state for an appliance that did not present its pickup code: no people, no salt. */
  toApplianceOrderStatus(r: OrderRow): ApplianceOrderStatus {
    return {
      id: r.id,
      status: r.status,
      delivery: r.delivery,
      certificateType: r.certificate_type,
      hall: r.hall,
      updatedAt: r.updated_at,
    };
  }

  /** Apply one life-cycle action; everything it changes is written in one transaction. */
  async act(id: string, req: OrderActionRequest): Promise<OrderActionResponse> {
    return await this.db.transaction(async (): Promise<OrderActionResponse> => {
      await lockSubject(this.db, `order:${id}`);
      const r = await this.row(id);
      const t = applyOrderAction(r.status, req.action, r.business_type);
      if (!t.ok) throw new CentralError('ORDER_ILLEGAL_TRANSITION', t.message, { status: r.status });
      // The applicant's "I have paid" is recorded once: pressing it again keeps the first time, no new history.
      if (req.action === 'declare-transfer-paid' && r.transfer_declared_at)
        return { order: await this.get(id) };
      const at = this.iso();
      const set: Record<string, unknown> = { status: t.to, updated_at: at };
      const out: { pickupCode?: string; activationCode?: string } = {};
      const action: OrderAction = req.action;
      switch (action) {
        case 'pay-wechat':
          set.payment_method = 'wechat';
          break;
        case 'choose-transfer':
          set.payment_method = 'transfer';
          set.remittance_code = await this.newRemittanceCode();
          break;
        case 'declare-transfer-paid':
          set.transfer_declared_at = at;
          break;
        case 'verify-identity':
          if (req.holderVerifiedOnline !== undefined)
            set.holder_verified_online = req.holderVerifiedOnline ? 1 : 0;
          break;
        case 'reject':
          if (!req.reason) throw new CentralError('ORDER_REASON_REQUIRED');
          set.reject_reason = req.reason;
          break;
        case 'resubmit':
          set.reject_reason = null;
          set.submitted_at = at;
          break;
        case 'approve':
          if (r.delivery === 'kiosk') {
            set.pickup_nonce = this.pickup.newNonce();
            set.pickup_exp = Math.floor(this.now() / 1000) + PICKUP_CODE_VALIDITY_S;
          }
          break;
        case 'issue-at-kiosk':
          if (r.delivery !== 'kiosk') {
            throw new CentralError(
              'ORDER_ILLEGAL_TRANSITION',
              'This order is delivered by courier, not at a kiosk.',
            );
          }
          break;
        case 'ship':
          if (r.delivery !== 'courier') {
            throw new CentralError(
              'ORDER_ILLEGAL_TRANSITION',
              'This order is collected at a kiosk, not shipped.',
            );
          }
          out.activationCode = await this.activation.create(id);
          break;
        default:
          break;
      }
      const cols = Object.keys(set);
      await this.db.run(
        `UPDATE orders SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
        ...cols.map((c) => set[c]),
        id,
      );
      await this.db.run(
        'INSERT INTO order_history (order_id, action, from_status, to_status, note, at) VALUES (?, ?, ?, ?, ?, ?)',
        id,
        action,
        t.from,
        t.to,
        req.reason ?? null,
        at,
      );
      await this.changes.record('order.updated', r.hall, id, { status: t.to, action });
      const order = await this.get(id);
      if (action === 'approve' && r.delivery === 'kiosk') out.pickupCode = (await this.pickupCode(id))?.token;
      return { order, ...out };
    });
  }

  /** Every life-cycle step of an order, oldest first (who voided what and why is in the notes). */
  async history(id: string): Promise<OrderHistoryEntry[]> {
    await this.row(id);
    const rows = (await this.db.all(
      'SELECT action, from_status, to_status, note, at FROM order_history WHERE order_id = ? ORDER BY seq',
      id,
    )) as Array<{
      action: OrderAction;
      from_status: OrderStatus;
      to_status: OrderStatus;
      note: string | null;
      at: string;
    }>;
    return rows.map((h) => ({
      action: h.action,
      from: h.from_status,
      to: h.to_status,
      ...(h.note ? { note: h.note } : {}),
      at: h.at,
    }));
  }

  private async newRemittanceCode(): Promise<string> {
    for (;;) {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const taken = await this.db.get(
        "SELECT 1 FROM orders WHERE remittance_code = ? AND status = 'transfer-pending'",
        code,
      );
      if (!taken) return code;
    }
  }

  /** The current pickup code of an approved kiosk order, or null. */
  async pickupCode(id: string): Promise<PickupCodeResponse | null> {
    const r = await this.row(id);
    if (r.status !== 'approved' || !r.pickup_nonce || !r.pickup_exp) return null;
    const token = this.pickup.sign({ orderId: r.id, hall: r.hall, exp: r.pickup_exp, nonce: r.pickup_nonce });
    return { token, expiresAt: new Date(r.pickup_exp * 1000).toISOString() };
  }

  /** A new pickup code (new nonce and expiry); the previous one stops working at central. */
  async refreshPickupCode(id: string): Promise<PickupCodeResponse> {
    await this.db.transaction(async () => {
      // Like a life-cycle action: the order must still be approved when its new code is written.
      await lockSubject(this.db, `order:${id}`);
      const r = await this.row(id);
      if (r.status !== 'approved' || r.delivery !== 'kiosk') {
        throw new CentralError('ORDER_NOT_APPROVED', 'Only an approved kiosk order has a pickup code.');
      }
      await this.db.run(
        'UPDATE orders SET pickup_nonce = ?, pickup_exp = ?, updated_at = ? WHERE id = ?',
        this.pickup.newNonce(),
        Math.floor(this.now() / 1000) + PICKUP_CODE_VALIDITY_S,
        this.iso(),
        id,
      );
    });
    return (await this.pickupCode(id))!;
  }
}
