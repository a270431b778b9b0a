// The durable record of one after-sales service journey, as kept in the appliance store beside the pickup
// journeys (ApplianceState.services): sealed under its own key while open, like a pickup journey, and purged
// when it ends. What it never holds: a PIN, an ID number, a full name, the ID card, a pickup code.
import type { ApplianceErrorCode, ErrorBody, JourneyStatus } from '../api/contract.js';
import type {
  ActivationView,
  LookupOrderView,
  ServiceKind,
  ServiceNeed,
  ServiceStep,
} from '../api/service-contract.js';
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
  /** Look-up: the orders found (masked), kept until the result screen is left. */
  orders?: LookupOrderView[];
  /** The durable intent of a side effect that has started and whose result is not yet recorded. */
  pending?: {
    effect: ServiceEffect;
    since: string;
    /** activate-code: the code sent (one-time, not personal), to ask central again after a lost answer. */
    code?: string;
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
}

/** After the result screen: only the key's serials stay (take-your-key, and staff's look-up by reference). */
export function forgetResult(j: ServiceRecord): void {
  purgeService(j);
  delete j.orders;
  delete j.activation;
  delete j.central;
  delete j.key;
}
