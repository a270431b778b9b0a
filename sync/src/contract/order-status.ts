// The one owner of the order life cycle: every status, every action, which actions are legal from where and for
// which kind of order (business type), and what each kind of order asks of issuance.
import type { BusinessType } from '@certkiosk/config';
import type { DeliveryMethod, RevocationReason } from './schemas.js';

export const ORDER_STATUSES = [
  'submitted',
  'awaiting-payment',
  'paid',
  'transfer-pending',
  'identity-pending',
  'under-review',
  'rejected',
  'approved',
  'issued',
  'shipped',
  'activated',
  'invoiced',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

interface ActionRule {
  readonly from: readonly OrderStatus[];
  readonly to: OrderStatus;
  /** The kinds of order (business types) the action is for; every kind when absent. */
  readonly kinds?: readonly BusinessType[];
}

/** Kinds of order that go through identity review and collection with a pickup code (all but renewal). */
const REVIEWED: readonly BusinessType[] = ['new', 'change', 'reissue', 'unlock'];

/** Each action, the statuses it may start from, the status it leads to, and the kinds of order it is for. */
export const ORDER_ACTIONS = {
  'request-payment': { from: ['submitted'], to: 'awaiting-payment' },
  'pay-wechat': { from: ['awaiting-payment'], to: 'paid' },
  'choose-transfer': { from: ['awaiting-payment'], to: 'transfer-pending' },
  // The applicant's "I have paid": recorded, but only the bank statement moves the order on.
  'declare-transfer-paid': { from: ['transfer-pending'], to: 'transfer-pending' },
  'confirm-transfer': { from: ['transfer-pending'], to: 'paid' },
  // A renewal keeps the subject of the certificate it renews: paid is ready (no new review).
  'request-identity': { from: ['paid'], to: 'identity-pending', kinds: REVIEWED },
  'verify-identity': { from: ['identity-pending'], to: 'under-review' },
  reject: { from: ['under-review'], to: 'rejected' },
  resubmit: { from: ['rejected'], to: 'under-review' },
  approve: { from: ['under-review'], to: 'approved' },
  'issue-at-kiosk': { from: ['approved'], to: 'issued', kinds: REVIEWED },
  // A paid renewal, collected at a kiosk with the certificate it renews on the key (POST /v1/certificates).
  'issue-renewal': { from: ['paid'], to: 'issued', kinds: ['renewal'] },
  // Staff resolution of an in-doubt kiosk issuance: the certificate is revoked and the holder collects again.
  'void-issuance': { from: ['issued'], to: 'approved', kinds: REVIEWED },
  // The same for a renewal: back to paid, collected again with the certificate it renews on the key.
  'void-renewal': { from: ['issued'], to: 'paid', kinds: ['renewal'] },
  // Couriered keys are new (or changed) certificates; a renewal and a reissue are done at a kiosk.
  ship: { from: ['approved'], to: 'shipped', kinds: ['new', 'change'] },
  activate: { from: ['issued', 'shipped'], to: 'activated' },
  invoice: { from: ['activated'], to: 'invoiced' },
} as const satisfies Record<string, ActionRule>;
export type OrderAction = keyof typeof ORDER_ACTIONS;
export const ORDER_ACTION_NAMES = Object.keys(ORDER_ACTIONS) as OrderAction[];

/** Statuses from which the applicant's certificate exists (issued at a kiosk or couriered). */
export const CERTIFICATE_EXISTS_STATUSES: readonly OrderStatus[] = ['issued', 'activated', 'invoiced'];

/** What each kind of order asks of issuance and of the certificate it renews or replaces. */
export interface OrderKindRule {
  /** The order names the certificate it renews or replaces (`previousCertificateSerial`), one of ours. */
  readonly previousCertificate: boolean;
  /**
   * How a kiosk is admitted to issue: the order's pickup code (scanned from the phone), or the certificate being
   * renewed, read from the key in the writer (`previousCertificateSerial`, with the key's token serial).
   */
  readonly admission: 'pickup-code' | 'previous-certificate';
  readonly deliveries: readonly DeliveryMethod[];
  /** The life-cycle action that records the issuance. */
  readonly issueAction: OrderAction;
  /** The action that undoes it when staff void an in-doubt issuance at the kiosk. */
  readonly voidAction: OrderAction;
  /**
   * What becomes of the previous certificate: nothing; revoked by the kiosk after the new certificate is
   * verified, or left to expire, as its profile says (`renewalRule`); revoked by central at issuance, before the
   * new certificate is signed (`revocationAtIssuance`).
   */
  readonly previousCertificateFate: 'none' | 'per-profile-after-verified' | 'revoked-before-issuance';
  /** Reasons a kiosk may revoke the previous certificate with (`POST /v1/certificates/:serial/revoke`). */
  readonly revocationReasons: readonly RevocationReason[];
  /** The reason central revokes the previous certificate with at issuance (reissue: the lost key). */
  readonly revocationAtIssuance?: RevocationReason;
  /** The new key pair must be generated on the same key (token serial) as the previous certificate's. */
  readonly sameToken: boolean;
}

const NEW_KIND: OrderKindRule = {
  previousCertificate: false,
  admission: 'pickup-code',
  deliveries: ['kiosk', 'courier'],
  issueAction: 'issue-at-kiosk',
  voidAction: 'void-issuance',
  previousCertificateFate: 'none',
  revocationReasons: [],
  sameToken: false,
};

/** The rules of each kind of order (business type). */
export const ORDER_KINDS: Readonly<Record<BusinessType, OrderKindRule>> = {
  new: NEW_KIND,
  change: NEW_KIND,
  // At a kiosk an unlock needs no order (POST /v1/unlocks); an unlock order is handled like a new one by staff.
  unlock: NEW_KIND,
  // 续期: paid online, pulled at a kiosk by the certificate on the key; a new key pair on the same key.
  renewal: {
    previousCertificate: true,
    admission: 'previous-certificate',
    deliveries: ['kiosk'],
    issueAction: 'issue-renewal',
    voidAction: 'void-renewal',
    previousCertificateFate: 'per-profile-after-verified',
    revocationReasons: ['superseded'],
    sameToken: true,
  },
  // 补办: the key was lost; reviewed and approved like a new order, collected with its pickup code onto a new
  // blank key. Central revokes the lost key's certificate before it signs the new one.
  reissue: {
    previousCertificate: true,
    admission: 'pickup-code',
    deliveries: ['kiosk'],
    issueAction: 'issue-at-kiosk',
    voidAction: 'void-issuance',
    previousCertificateFate: 'revoked-before-issuance',
    revocationReasons: ['keyCompromise', 'superseded'],
    revocationAtIssuance: 'keyCompromise',
    sameToken: false,
  },
};

export type TransitionResult =
  | { ok: true; from: OrderStatus; to: OrderStatus }
  | { ok: false; code: 'ORDER_ILLEGAL_TRANSITION'; message: string };

const forKind = (rule: ActionRule, kind: BusinessType) =>
  rule.kinds === undefined || rule.kinds.includes(kind);

/** Decide an action against a status for a kind of order (default: a new order); never throws. */
export function applyOrderAction(
  status: OrderStatus,
  action: OrderAction,
  kind: BusinessType = 'new',
): TransitionResult {
  const rule: ActionRule = ORDER_ACTIONS[action];
  if (!forKind(rule, kind)) {
    return {
      ok: false,
      code: 'ORDER_ILLEGAL_TRANSITION',
      message: `The action "${action}" is not for ${kind} orders (only ${rule.kinds?.join(', ')}).`,
    };
  }
  if (rule.from.includes(status)) return { ok: true, from: status, to: rule.to };
  return {
    ok: false,
    code: 'ORDER_ILLEGAL_TRANSITION',
    message: `The action "${action}" is not allowed while the order is "${status}"; allowed from: ${rule.from.join(', ')}.`,
  };
}

/** The actions that are legal from a status for a kind of order (default: a new order). */
export function legalActions(status: OrderStatus, kind: BusinessType = 'new'): OrderAction[] {
  return ORDER_ACTION_NAMES.filter((a) => {
    const rule: ActionRule = ORDER_ACTIONS[a];
    return forKind(rule, kind) && rule.from.includes(status);
  });
}

/** Every (from, to) edge of the life cycle — of one kind of order, or of every kind — for checks and diagrams. */
export function legalEdges(kind?: BusinessType): Array<[OrderStatus, OrderStatus]> {
  return ORDER_ACTION_NAMES.flatMap((a) => {
    const rule: ActionRule = ORDER_ACTIONS[a];
    if (kind !== undefined && !forKind(rule, kind)) return [];
    return rule.from.map((f): [OrderStatus, OrderStatus] => [f, rule.to]);
  });
}
