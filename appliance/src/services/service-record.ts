// The durable record of one after-sales service journey, as kept in the appliance store beside the pickup
// journeys (ApplianceState.services): sealed under its own key while open, like a pickup journey, and purged
// when it ends. What it never holds: a PIN, an ID number, a full name, the ID card, a pickup code.
import type { KeyAlgorithm } from '@certkiosk/firmware-bridge';
import type { RenewalRule, SignedIdentityStatement } from '@certkiosk/sync';
import type { ApplianceErrorCode, ErrorBody, JourneyStatus } from '../api/contract.js';
import type {
  ActivationView,
  LookupOrderView,
  ServiceKind,
  ServiceNeed,
  ServiceStep,
} from '../api/service-contract.js';
import type { CertificateRecord, KeyEvidenceRecord, OrderSnapshot } from '../journey/record.js';
import type { KioskPaymentRecord } from '../payments/kiosk-payment.js';
import type { ServiceEffect } from './service-table.js';

/** What a service journey waits for from the holder (the ServiceNeed of its view, before the result). */
export type ServiceAwaiting = Exclude<ServiceNeed, 'wait' | 'result'>;

/** What the kiosk read from the key in the writer without a PIN: the token and its certificate (public). */
export interface KeyFacts {
  /** CK_TOKEN_INFO.serialNumber: names the key at central with the certificate serial. */
  tokenSerial: string;
  model: string;
  /** CKF_USER_PIN_LOCKED when the key was read. */
  pinLocked: boolean;
  /** Lower-case hex without leading zero bytes (normaliseCertificateSerial). */
  certificateSerial: string;
  /** The issuing CA's common name (or its whole name when it has none). */
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** The subject's CN masked (an organisation's name stays): 张*, 深圳市示例科技有限公司. */
  subjectMasked: string;
}

/** What central said about the certificate on the key (its CRL status, masked owner, renewal). */
export interface CentralCertificateFacts {
  status: 'good' | 'revoked';
  revokedAt?: string;
  renewalOrderReady?: boolean;
}

/** Renew: the paid renewal order, the new key pair and certificate, and what became of the old ones. */
export interface RenewalRecord {
  /** The renewal order as central lets the kiosk see it (people as HMACs under its salt); purged at the end
   *  down to its id (the old certificate's revocation and a void name the order). */
  order: OrderSnapshot;
  orderIdMasked: string;
  rule: RenewalRule;
  /** The signed statement that the card matched the certificate holder (sent with the issuance request). */
  statement?: SignedIdentityStatement;
  /** CKA_ID of the new key pair, fixed before it is generated (a re-run finds it). */
  keyIdHex: string;
  algorithm: KeyAlgorithm;
  spkiSha256?: string;
  evidence?: KeyEvidenceRecord;
  /** Order + journey + attempt: a retried issuance request is the same request. */
  idempotencyKey?: string;
  /** The new certificate, once central issued it. */
  certificate?: CertificateRecord;
  oldRemoved?: boolean;
  oldRevokedAt?: string;
  /** The key said the current PIN was wrong and its tries are few (CKF_USER_PIN_COUNT_LOW / FINAL_TRY). */
  pinTriesLow?: boolean;
  /** ID cards that did not match the certificate holder in this journey. */
  cardMismatches?: number;
  /** The holder left after issuance, before the new certificate was verified on the key: central voided it. */
  voidedAt?: string;
  /** The order awaited payment: paid here first (WeChat Pay Native). */
  payment?: KioskPaymentRecord;
}

/** A look-up's order as kept: what the screen shows and the order's id (not personal; never shown). */
export type LookupOrderRecord = LookupOrderView & { orderId?: string };

export interface ServiceRecord {
  id: string;
  kind: ServiceKind;
  step: ServiceStep;
  status: JourneyStatus;
  startedAt: string;
  updatedAt: string;
  /** Incremented by every persist; lets the UI drop views that arrive out of order. */
  revision?: number;
  awaiting: ServiceAwaiting;
  /** The key this journey is about (kept after the result screen: a key left in the writer is asked for). */
  tokenSerial?: string;
  certificateSerial?: string;
  /** Part of event ids (an effect re-run after a crash keeps them). */
  attempt: number;
  key?: KeyFacts;
  /** Central's answer about the key's certificate; absent while central could not be asked. */
  central?: CentralCertificateFacts;
  /** Activation: the couriered key's order as central showed it before the code (masked). */
  activation?: ActivationView & { activatedAt?: string };
  /** Unlock: the card read (masked) while the journey is open; dropped when it ends. */
  identity?: { nameMasked: string; idNumberMasked: string; lastReason?: ApplianceErrorCode };
  /** Unlock: the request's id, fixed (and durable) before central is asked; central's grant. */
  unlock?: { unlockId: string; tokenSerial: string; unlocksLeftToday?: number; grantedAt?: string };
  /** Renew: the renewal order and its progress. */
  renewal?: RenewalRecord;
  /** Look-up: the orders found (masked; with their ids, not shown, for an invoice), kept until the result screen
   *  is left. */
  orders?: LookupOrderRecord[];
  /** Look-up: the listed order being paid at the kiosk (its position on the list, its id, the payment). */
  lookupPayment?: { position: number; orderId: string; payment: KioskPaymentRecord };
  /** The durable intent of a side effect that has started and whose result is not yet recorded. */
  pending?: {
    effect: ServiceEffect;
    since: string;
    /** activate-code: the code sent (one-time, not personal), to ask central again after a lost answer. */
    code?: string;
    /** renew-issue: the CSR sent (public), to send the same request again after a lost answer. */
    csrPem?: string;
  };
  error?: ErrorBody;
  /** Why a journey failed or was abandoned, for staff. */
  note?: string;
}

/** Open: active (in doubt is not used by services: nothing of theirs needs a staff decision). */
export const isOpenService = (j: ServiceRecord) => j.status === 'active' || j.status === 'in-doubt';

/**
 * Once a service journey has ended it keeps nothing that points at a person or a credential: the card's masks,
 * the code, the masked holder of the activation preview. Key facts stay until the result screen is left
 * (`forgetResult`), for the result screen and the take-your-key reminder.
 */
export function purgeService(j: ServiceRecord): void {
  delete j.identity;
  if (j.pending) delete j.pending.code;
  if (j.activation) delete j.activation.holderNameMasked;
  if (j.renewal) {
    const o = j.renewal.order;
    // Only the order's id stays (a late void or revocation names it): no salt, no HMACs, no names.
    j.renewal.order = {
      orderId: o.orderId,
      certificateType: o.certificateType,
      businessType: o.businessType,
      serviceYears: o.serviceYears,
      holderVerifiedOnline: o.holderVerifiedOnline,
      identitySalt: '',
    };
    delete j.renewal.statement;
    // The certificate names its holder: only its serial, validity and key fingerprint stay.
    const c = j.renewal.certificate;
    if (c) j.renewal.certificate = { ...c, pem: '', chainPem: [], subjectCommonName: '' };
  }
}

/** After the result screen: only the key's serials stay (take-your-key, and staff's look-up by reference). */
export function forgetResult(j: ServiceRecord): void {
  purgeService(j);
  delete j.orders;
  delete j.lookupPayment;
  delete j.activation;
  // An in-doubt renewal keeps what settling it needs (order id, idempotency key, the new serial).
  if (j.status !== 'in-doubt') delete j.renewal;
  delete j.central;
  delete j.key;
}
