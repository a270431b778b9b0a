// The after-sales services on the kiosk (service-contract.ts), the pure part: which screen a service journey
// asks for, what each home-screen tile does, how far a renewal has come, and how a look-up's order statuses and
// a certificate's renewal are put into words (certificate types and order statuses come from where each is
// defined once: pure modules, the bundle takes them as they are).
import { CERTIFICATE_TYPES, type CertificateType } from '../../../config/src/facts.ts';
import { ORDER_STATUSES, type OrderStatus } from '../../../sync/src/contract/order-status.ts';
import type { KeyCertificateView, RenewalView, ServiceKind, ServiceStep, ServiceView } from './contract.ts';
import { HOME_SERVICES, SERVICE_STEPS } from './contract.ts';

export const SERVICE_SCREENS = [
  'service-token',
  'service-code',
  'service-id-card',
  'service-lookup',
  'service-pin',
  'service-payment',
  'service-current-pin',
  'service-wait',
  'service-result',
  'service-error',
] as const;
export type ServiceScreen = (typeof SERVICE_SCREENS)[number];

/** Which screen the service journey asks for (its need; an ended one that failed shows the error screen). */
export function serviceScreenFor(service: ServiceView): ServiceScreen {
  if (service.status === 'failed' || service.status === 'in-doubt') return 'service-error';
  switch (service.need) {
    case 'token':
      return 'service-token';
    case 'activation-code':
      return 'service-code';
    case 'id-card':
      return 'service-id-card';
    case 'scan-or-id-card':
      return 'service-lookup';
    case 'pin':
      return 'service-pin';
    case 'payment':
      return 'service-payment';
    case 'current-pin':
      return 'service-current-pin';
    case 'wait':
      return 'service-wait';
    case 'result':
      return 'service-result';
    case 'none':
      return service.status === 'completed' ? 'service-result' : 'service-wait';
  }
}

/** What a home-screen tile does: the pickup journey, a service journey, or (补办 replace, which runs on the
 *  pickup engine) a guide saying to scan the reissue order's pickup code. */
export type HomeTile =
  | { tile: 'pickup'; does: 'pickup' }
  | { tile: ServiceKind; does: 'service'; kind: ServiceKind }
  | { tile: 'replace'; does: 'guide'; guide: HomeGuide };

/** A home tile's guide screen: no journey of its own, the scanner starts the pickup from it. */
export const HOME_GUIDES = ['replace'] as const;
export type HomeGuide = (typeof HOME_GUIDES)[number];

export function homeTiles(): HomeTile[] {
  // Every other tile is a service kind: a new home service does not compile until it is placed here.
  return HOME_SERVICES.map((tile): HomeTile => {
    if (tile === 'pickup') return { tile, does: 'pickup' };
    if (tile === 'replace') return { tile, does: 'guide', guide: tile };
    return { tile, does: 'service', kind: tile };
  });
}

// ---------- paying at the kiosk (WeChat Pay Native) ----------

/** How often the payment screen asks whether the QR code was paid. */
export const PAYMENT_POLL_MS = 2000;

/** An amount in fen as the holder reads it: ¥128.00. */
export function yuanText(fen: number): string {
  return `¥${(fen / 100).toFixed(2)}`;
}

/** Whole seconds until `expiresAt` (0 once past; null without one). */
export function paymentSecondsLeft(expiresAt: string | undefined, nowMs: number): number | null {
  if (!expiresAt) return null;
  return Math.max(0, Math.ceil((Date.parse(expiresAt) - nowMs) / 1000));
}

/** A countdown as m:ss. */
export function countdownText(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * What the payment screen shows: the QR code while it can be paid; expired once the appliance says so or the
 * countdown ran out (the appliance asks central before anything is decided); fetching before the code came.
 */
export function paymentPhase(
  payment: ServiceView['payment'],
  nowMs: number,
): 'fetching' | 'showing' | 'expired' | 'paid' {
  if (!payment || payment.state === 'due') return 'fetching';
  if (payment.state === 'paid') return 'paid';
  if (payment.state === 'expired' || !payment.codeUrl) return 'expired';
  return paymentSecondsLeft(payment.expiresAt, nowMs) === 0 ? 'expired' : 'showing';
}

// ---------- renew (续期) ----------

export type RenewStep = ServiceStep<'renew'>;
const RENEW_STEPS: readonly RenewStep[] = SERVICE_STEPS.renew;
const renewIndex = (step: string): number => RENEW_STEPS.indexOf(step as RenewStep);

/** The machine's part of a renewal, once the holder typed the current PIN: from the new key pair to what
 *  becomes of the old certificate (SERVICE_STEPS.renew between identity-verified and completed). */
export const RENEW_WORK_STEPS: readonly RenewStep[] = RENEW_STEPS.slice(
  renewIndex('identity-verified') + 1,
  renewIndex('completed'),
);

export interface RenewStepItem {
  step: RenewStep;
  state: 'done' | 'running' | 'pending';
}

/**
 * The renewal's step list from the view's step (the last one done): the steps done, the next one running while
 * the machine works, the rest pending; null before the machine's part began (or for another service).
 */
export function renewProgress(
  service: Pick<ServiceView, 'kind' | 'step' | 'status' | 'need'>,
): RenewStepItem[] | null {
  if (service.kind !== 'renew') return null;
  const done = renewIndex(service.step);
  if (done < renewIndex('identity-verified')) return null;
  if (done === renewIndex('identity-verified') && service.need !== 'wait') return null;
  const completed = service.status === 'completed';
  const working = service.status === 'active' && service.need === 'wait';
  return RENEW_WORK_STEPS.map((step) => {
    const i = renewIndex(step);
    const state = completed || i <= done ? 'done' : working && i === done + 1 ? 'running' : 'pending';
    return { step, state };
  });
}

/** The words of a renewal step: the last one says what the profile's rule does with the old certificate. */
export function renewStepKey(
  step: RenewStep,
  rule: RenewalView['rule'] | undefined,
): `service.renew.step.${RenewStep}` | 'service.renew.step.old-revoked.let-expire' {
  return step === 'old-revoked' && rule === 'let-expire'
    ? 'service.renew.step.old-revoked.let-expire'
    : `service.renew.step.${step}`;
}

/** What became of the old certificate, as the renewal's result says it. */
export type OldCertificateFate = 'revoked' | 'expires' | 'pending';

export function oldCertificateFate(renewal: Pick<RenewalView, 'rule' | 'oldRevokedAt'>): OldCertificateFate {
  if (renewal.oldRevokedAt) return 'revoked';
  return renewal.rule === 'let-expire' ? 'expires' : 'pending';
}

/** The current-PIN entry (renew): the key's PIN as it is, typed once. Only its length is checked here (the key
 *  judges it), within what any key of ours accepts; the policy's rules are for a new PIN. */
export const CURRENT_PIN_LENGTH = { min: 4, max: 16 } as const;

export function currentPinReady(typed: string): boolean {
  return (
    /^[0-9]*$/.test(typed) && typed.length >= CURRENT_PIN_LENGTH.min && typed.length <= CURRENT_PIN_LENGTH.max
  );
}

/** The current-PIN screen's warning that tries are few: the PIN just typed was wrong, or the key says a wrong one
 *  was typed before (CKF_USER_PIN_COUNT_LOW). */
export function currentPinWarning(
  service: Pick<ServiceView, 'renewal' | 'error'>,
): 'wrong' | 'tries-low' | null {
  if (service.error?.code === 'CURRENT_PIN_WRONG') return 'wrong';
  return service.renewal?.pinTriesLow === true ? 'tries-low' : null;
}

// ---------- look-up and my certificates ----------

export { ORDER_STATUSES, type OrderStatus };

/** The locale key of an order status, or null for one this UI does not know (then shown as central says it). */
export function orderStatusKey(status: string): `orderStatus.${OrderStatus}` | null {
  return (ORDER_STATUSES as readonly string[]).includes(status)
    ? (`orderStatus.${status}` as `orderStatus.${OrderStatus}`)
    : null;
}

/** The locale key of a certificate type (a renewal order's), or null for one this UI does not know. */
export function certificateTypeKey(type: string): `certType.${CertificateType}` | null {
  return (CERTIFICATE_TYPES as readonly string[]).includes(type)
    ? (`certType.${type}` as `certType.${CertificateType}`)
    : null;
}

/** How the result screen tells a certificate's renewal: nothing, an offer, or a prominent banner. */
export type RenewalBanner = 'none' | 'offer' | 'urgent' | 'expired' | 'revoked';

export function renewalBanner(cert: Pick<KeyCertificateView, 'renewal' | 'status'>): RenewalBanner {
  if (cert.status === 'revoked' || cert.renewal === 'revoked') return 'revoked';
  return cert.renewal;
}

/** The date part of an ISO time (the screen shows dates, not instants). */
export function dateOf(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : '';
}
