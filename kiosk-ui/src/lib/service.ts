// The after-sales services on the kiosk (service-contract.ts), the pure part: which screen a service journey
// asks for, what each home-screen tile does, and how a look-up's order statuses and a certificate's renewal
// are put into words.
import type { HomeService, KeyCertificateView, ServiceKind, ServiceView } from './contract.ts';
import { HOME_SERVICES, SERVICE_KINDS } from './contract.ts';

export const SERVICE_SCREENS = [
  'service-token',
  'service-code',
  'service-id-card',
  'service-lookup',
  'service-pin',
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
    case 'wait':
      return 'service-wait';
    case 'result':
      return 'service-result';
    case 'none':
      return service.status === 'completed' ? 'service-result' : 'service-wait';
  }
}

/** What a home-screen tile does: the pickup journey, a service journey, or (not at this kiosk yet) an
 *  explanation of where to go instead. */
export type HomeTile =
  | { tile: HomeService; does: 'pickup' }
  | { tile: HomeService; does: 'service'; kind: ServiceKind }
  | { tile: HomeService; does: 'info' };

export function homeTiles(): HomeTile[] {
  return HOME_SERVICES.map((tile): HomeTile => {
    if (tile === 'pickup') return { tile, does: 'pickup' };
    const kind = (SERVICE_KINDS as readonly string[]).includes(tile) ? (tile as ServiceKind) : null;
    return kind ? { tile, does: 'service', kind } : { tile, does: 'info' };
  });
}

// Central's order statuses, defined once in the contract (a pure module: the bundle takes it as it is).
import { ORDER_STATUSES, type OrderStatus } from '../../../sync/src/contract/order-status.ts';

export { ORDER_STATUSES, type OrderStatus };

/** The locale key of an order status, or null for one this UI does not know (then shown as central says it). */
export function orderStatusKey(status: string): `orderStatus.${OrderStatus}` | null {
  return (ORDER_STATUSES as readonly string[]).includes(status)
    ? (`orderStatus.${status}` as `orderStatus.${OrderStatus}`)
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
