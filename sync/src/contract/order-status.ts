// The one owner of the order life cycle: every status, every action, and which actions are legal from where.

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
}

/** Each action, the statuses it may start from, and the status it leads to. */
export const ORDER_ACTIONS = {
  'request-payment': { from: ['submitted'], to: 'awaiting-payment' },
  'pay-wechat': { from: ['awaiting-payment'], to: 'paid' },
  'choose-transfer': { from: ['awaiting-payment'], to: 'transfer-pending' },
  // The applicant's "I have paid": recorded, but only the bank statement moves the order on.
  'declare-transfer-paid': { from: ['transfer-pending'], to: 'transfer-pending' },
  'confirm-transfer': { from: ['transfer-pending'], to: 'paid' },
  'request-identity': { from: ['paid'], to: 'identity-pending' },
  'verify-identity': { from: ['identity-pending'], to: 'under-review' },
  reject: { from: ['under-review'], to: 'rejected' },
  resubmit: { from: ['rejected'], to: 'under-review' },
  approve: { from: ['under-review'], to: 'approved' },
  'issue-at-kiosk': { from: ['approved'], to: 'issued' },
  // Staff resolution of an in-doubt kiosk issuance: the certificate is revoked and the holder collects again.
  'void-issuance': { from: ['issued'], to: 'approved' },
  ship: { from: ['approved'], to: 'shipped' },
  activate: { from: ['issued', 'shipped'], to: 'activated' },
  invoice: { from: ['activated'], to: 'invoiced' },
} as const satisfies Record<string, ActionRule>;
export type OrderAction = keyof typeof ORDER_ACTIONS;
export const ORDER_ACTION_NAMES = Object.keys(ORDER_ACTIONS) as OrderAction[];

/** Statuses from which the applicant's certificate exists (issued at a kiosk or couriered). */
export const CERTIFICATE_EXISTS_STATUSES: readonly OrderStatus[] = ['issued', 'activated', 'invoiced'];

export type TransitionResult =
  | { ok: true; from: OrderStatus; to: OrderStatus }
  | { ok: false; code: 'ORDER_ILLEGAL_TRANSITION'; message: string };

/** Decide an action against a status; never throws. */
export function applyOrderAction(status: OrderStatus, action: OrderAction): TransitionResult {
  const rule: ActionRule = ORDER_ACTIONS[action];
  if (rule.from.includes(status)) return { ok: true, from: status, to: rule.to };
  return {
    ok: false,
    code: 'ORDER_ILLEGAL_TRANSITION',
    message: `The action "${action}" is not allowed while the order is "${status}"; allowed from: ${rule.from.join(', ')}.`,
  };
}

/** The actions that are legal from a status. */
export function legalActions(status: OrderStatus): OrderAction[] {
  return ORDER_ACTION_NAMES.filter((a) => (ORDER_ACTIONS[a].from as readonly OrderStatus[]).includes(status));
}

/** Every (from, to) edge of the life cycle, for checks and diagrams. */
export function legalEdges(): Array<[OrderStatus, OrderStatus]> {
  return ORDER_ACTION_NAMES.flatMap((a) =>
    ORDER_ACTIONS[a].from.map((f): [OrderStatus, OrderStatus] => [f, ORDER_ACTIONS[a].to]),
  );
}
