// The appliance ↔ kiosk-ui contract of the after-sales services (issue "After-sales at the kiosk"): what the
// home screen offers, each service journey's view, and its routes. Pure types and constants, like contract.ts.
import type { RenewalRule } from '@certkiosk/sync';
import type { BusinessType, ErrorBody, IdentityView, JourneyStatus } from './contract.js';

/** Every service the home screen shows as a tile, in tile order (领取 pickup is the existing pickup journey). */
export const HOME_SERVICES = [
  'pickup',
  'activate',
  'renew',
  'unlock',
  'replace',
  'lookup',
  'certificates',
] as const;
export type HomeService = (typeof HOME_SERVICES)[number];

/** The after-sales journeys run by the service engine (pickup and 补办 replace run on the pickup engine). */
export const SERVICE_KINDS = ['activate', 'certificates', 'unlock', 'lookup', 'renew'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** What a service journey waits for from the holder now (drives the screen). */
export type ServiceNeed =
  | 'token' // insert your USB key
  | 'activation-code' // type the 6-digit code from the courier letter
  | 'id-card' // place your ID card (must be the certificate holder's)
  | 'scan-or-id-card' // look-up: show the order / pickup QR code, or place the ID card
  | 'pin' // set the new PIN twice
  | 'payment' // renew, a look-up's order: pay the amount due with WeChat Pay (scan the QR code with the phone)
  | 'current-pin' // renew: type the key's current PIN once (the new key pair is made under it)
  | 'wait' // machine work in progress
  | 'result' // the outcome (certificate facts, activated, unlocked, orders found)
  | 'none';

/** Steps of each service journey, in order (one source of truth for engine, API and UI). */
export const SERVICE_STEPS = {
  activate: ['started', 'key-read', 'order-found', 'code-accepted', 'pin-set', 'completed'],
  certificates: ['started', 'key-read', 'status-checked', 'completed'],
  unlock: ['started', 'key-read', 'identity-verified', 'unlock-granted', 'pin-reset', 'completed'],
  lookup: ['started', 'found', 'paying', 'completed'],
  renew: [
    'started',
    'key-read',
    'order-found',
    'identity-verified',
    'key-generated',
    'certificate-issued',
    'certificate-written',
    'verified',
    'old-removed',
    'old-revoked',
    'completed',
  ],
} as const satisfies Record<ServiceKind, readonly string[]>;
export type ServiceStep<K extends ServiceKind = ServiceKind> = (typeof SERVICE_STEPS)[K][number];

/** Renewal as the holder is told it: none (more than 90 days left), offer (within 90), urgent (within 30),
 *  expired, or not possible (revoked). */
export const RENEWAL_NOTICES = ['none', 'offer', 'urgent', 'expired', 'revoked'] as const;
export type RenewalNotice = (typeof RENEWAL_NOTICES)[number];

/** The certificate on the inserted key, as "my certificates" and the other services show it (masked). */
export interface KeyCertificateView {
  /** The holder or organisation, masked (张*, 深圳市示例科技有限公司 is an organisation and stays). */
  subjectMasked: string;
  serialNumber: string;
  /** The issuing CA's common name. */
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  /** From central (its CRL): good or revoked; unknown while central cannot be asked. */
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: string;
  renewal: RenewalNotice;
  /** A paid renewal order waits for this certificate. */
  renewalOrderReady?: boolean;
}

/** The inserted key, masked: its model and whether its user PIN is locked (from the token flags). */
export interface ServiceTokenView {
  model: string;
  /** The token serial with all but the last 4 characters masked. */
  serialMasked: string;
  pinLocked: boolean;
}

/** A couriered key's order, as activation shows it before the code is typed. */
export interface ActivationView {
  orderIdMasked: string;
  holderNameMasked?: string;
  organisationName?: string;
  /** Tries left for the code (5 at first; the 5th wrong code locks it). */
  triesLeft: number;
  /** When the code stops working (30 days after shipping). */
  codeExpiresAt?: string;
}

/** One order found by a look-up: its status history in codes the UI words (order status codes of central). */
export interface LookupOrderView {
  orderIdMasked: string;
  /** The order's business type (new, renewal, reissue; change and unlock orders too, should central have any). */
  kind: BusinessType;
  certificateType: string;
  status: string;
  history: Array<{ status: string; at: string }>;
  /** While rejected: why, and what to correct online. */
  rejectReason?: string;
  /** While a bank transfer is pending: the 6-digit remittance code to quote. */
  remittanceCode?: string;
  holderNameMasked?: string;
  organisationName?: string;
  updatedAt: string;
  /** Paid and collected (or invoiced already): the result screen offers its invoice (申请发票, or its state). */
  invoiceOffered?: boolean;
  /** A kiosk order awaiting payment: the list offers 在此支付 (Pay here) with the amount due. */
  payHere?: { amountFen: number };
  /** Paid at this kiosk in this session (the status is central's: paid; the CA reviews it next). */
  paidHere?: { amountFen: number; paidAt: string };
}

/** Renew (续期): the paid renewal order pulled by the key's certificate, and how far the renewal has come. */
export interface RenewalView {
  orderIdMasked: string;
  certificateType: string;
  /** What becomes of the old certificate once the new one is verified: revoked at central, or left to expire. */
  rule: RenewalRule;
  /** The new certificate, once issued (it is on the key from step certificate-written). */
  newCertificate?: { serialNumber: string; notBefore: string; notAfter: string };
  /** The old certificate and its key pair were removed from the key (after the new one was verified). */
  oldRemoved?: boolean;
  /** The old certificate was revoked at central (rule revoke-previous), when. */
  oldRevokedAt?: string;
  /** The key said the current PIN was wrong before: tries are few (the key's CKF_USER_PIN_COUNT_LOW). */
  pinTriesLow?: boolean;
}

/** The states of a payment at the kiosk, as the holder sees them. */
export const KIOSK_PAYMENT_STATES = ['due', 'pending', 'expired', 'paid'] as const;

/**
 * A payment at the kiosk (WeChat Pay Native): due (the QR code is being fetched), pending (the QR code of
 * `codeUrl` is shown until `expiresAt`), expired (not paid in time, nothing taken: pay again or leave), paid.
 */
export interface KioskPaymentView {
  state: (typeof KIOSK_PAYMENT_STATES)[number];
  /** The amount in fen (分): ¥xx.xx on screen. */
  amountFen: number;
  /** The `weixin://wxpay/bizpayurl?pr=…` link the QR code carries. */
  codeUrl?: string;
  expiresAt?: string;
  paidAt?: string;
}

export interface ServiceView {
  id: string;
  /** The short reference staff can look up (as JourneyView.ref). */
  ref: string;
  revision: number;
  kind: ServiceKind;
  step: ServiceStep;
  status: JourneyStatus;
  need: ServiceNeed;
  /** The holder may still leave; false while a side effect is under way (a PIN reset, an activation). */
  cancellable: boolean;
  token?: ServiceTokenView;
  certificate?: KeyCertificateView;
  activation?: ActivationView;
  identity?: IdentityView;
  /** Look-up results (empty: nothing found for this card or code). */
  orders?: LookupOrderView[];
  /** Renew: the renewal order and its progress. */
  renewal?: RenewalView;
  /** Renew of an order awaiting payment, or a look-up's listed order: paying at the kiosk (need = 'payment'). */
  payment?: KioskPaymentView;
  /** Look-up: the position in `orders` of the order being paid (need = 'payment'). */
  payingOrder?: number;
  /** Unlocks left today for this key after this one (central's count). */
  unlocksLeftToday?: number;
  /** Completed: the key is still in the writer (the result screen asks the holder to take it). */
  keyInWriter?: boolean;
  cardOnReader?: boolean;
  error?: ErrorBody;
  idleWipeAt?: string;
}

// ---------- routes ----------
//
// POST   /api/services                      { kind: ServiceKind } → ServiceView   (refused while a pickup or
//                                           another service is open: JOURNEY_BUSY; a written key left in the
//                                           writer: TAKE_KEY_FIRST)
// POST   /api/services/current/code         { code: string } → ServiceView   (activation: the 6-digit code)
// POST   /api/services/current/scan         { code: string } → ServiceView   (look-up: an order or pickup QR)
// POST   /api/services/current/pin          { pin: string } → ServiceView    (activation and unlock: the new
//                                           PIN; renew: the key's current PIN when need = 'current-pin';
//                                           never stored or logged)
// GET    /api/services/current/payment      → ServiceView   (need = 'payment': asks central how the payment
//                                           stands; paid → need 'current-pin'; the screen polls it)
// POST   /api/services/current/payment      {} → ServiceView   (need = 'payment': show a QR code again after
//                                           one expired — a new attempt at central)
// POST   /api/services/current/orders/:position/payment   {} → ServiceView   (a look-up's result: pay the
//                                           listed order awaiting payment at the kiosk there — need 'payment'
//                                           with its QR code; again while paying: the code again, or a new one
//                                           after it expired. Another position: PAYMENT_ORDER_UNKNOWN; an order
//                                           not awaiting payment at a kiosk: PAYMENT_NOT_AVAILABLE — central not
//                                           asked)
// GET    /api/services/current/orders/:position/payment   → ServiceView   (polled while paying: paid → back
//                                           to the list, the order shown paid, payment.taken reported once)
// DELETE /api/services/current/orders/:position/payment   → ServiceView   (back to the list: the payment is
//                                           closed at central)
// POST   /api/services/current/retry        {} → ServiceView
// DELETE /api/services/current              {} → 204   (leave; refused with CANCEL_NOT_ALLOWED mid side effect)
// GET    /api/state                         now also carries `service: ServiceView | null`
// SSE    event `service`                    data: ServiceView | null
//
// The key, the ID card and the scanner feed the service journey by themselves (as for pickup): inserting a
// key while need = 'token', placing the card while need = 'id-card' / 'scan-or-id-card', scanning while
// need = 'scan-or-id-card'.
// Typed client (client.ts) methods: startService, serviceCode, serviceScan, servicePin, servicePayment,
// servicePayAgain, serviceRetry, endService.
// Sim only: POST /sim/token { action: 'insert', key: 'couriered' } inserts a held key (the demo's couriered key,
// 'renewal': 张伟's key 45 days before expiry, PIN DEMO_RENEWAL_KEY_PIN of @certkiosk/config); { action:
// 'lock-pin', key } locks its PIN as wrong PINs would.
//
// Renew walks: token → (key read, central's renewal order) → id-card (the certificate holder) → payment (only
// for an order awaiting payment: WeChat Pay QR code, paid on the phone) → current-pin → wait (new key pair beside the old, issued, written, verified by a test signature, the old
// removed, the old revoked per the profile's rule) → result (view.renewal.newCertificate).
