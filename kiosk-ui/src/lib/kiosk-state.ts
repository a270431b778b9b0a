// What the UI knows about the appliance, as a pure reducer over its event stream and REST answers.
import type {
  DeviceKind,
  DeviceStatusView,
  ErrorBody,
  JourneyView,
  PickupStep,
  ServerEvents,
  ServiceView,
  WipeReason,
} from './contract.ts';
import { DEVICE_KINDS, PICKUP_STEPS, SERVICE_KINDS } from './contract.ts';
import { type HomeGuide, type ServiceScreen, serviceScreenFor } from './service.ts';

export interface KioskState {
  journey: JourneyView | null;
  /** The after-sales service journey (service-contract.ts), or null. */
  service: ServiceView | null;
  /** A home tile's guide on show (补办: scan your reissue order's pickup code). The UI's alone: no journey is
   *  open; the journey a scan starts takes its place, and a wipe closes it. */
  guide: HomeGuide | null;
  /** The done screen's invoice screen is open (开发票): the UI's alone, over the completed pickup it belongs to;
   *  another journey, leaving the done screen or a wipe closes it. */
  invoice: boolean;
  /** The invoice screen is over a service's result screen: the order's position there (a renewal's order is 0, a
   *  look-up's by its place in the list); null over the done screen. */
  invoiceOrder: number | null;
  devices: Partial<Record<DeviceKind, DeviceStatusView>>;
  /** Server's wipe time (ms since epoch) as last announced, or null when no journey is running. */
  serverWipeAt: number | null;
  /**
   * Wiped journeys with their revision at the wipe, so a late answer about one cannot bring its data back on
   * screen. A newer revision (staff brought the journey back, e.g. to write the certificate again) is shown.
   */
  wiped: { id: string; revision: number }[];
  /** Counts wipes; the UI forgets its own local state (typed digits, notices) when it changes. */
  wipes: number;
}

export type KioskEvent =
  | {
      type: 'snapshot';
      journey: JourneyView | null;
      service?: ServiceView | null;
      devices: DeviceStatusView[];
    }
  | { type: 'touched'; idleWipeAt: string }
  | { type: 'guide'; guide: HomeGuide | null }
  | { type: 'invoice'; open: boolean; order?: number }
  | { [K in keyof ServerEvents]: { type: K; data: ServerEvents[K] } }[keyof ServerEvents];

export const initialKioskState = (): KioskState => ({
  journey: null,
  service: null,
  guide: null,
  invoice: false,
  invoiceOrder: null,
  devices: {},
  serverWipeAt: null,
  wiped: [],
  wipes: 0,
});

const KEEP_WIPED_IDS = 20;

function parseTime(iso: string | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function withJourney(state: KioskState, journey: JourneyView | null): KioskState {
  if (journey && state.wiped.some((w) => w.id === journey.id && (journey.revision ?? 0) <= w.revision))
    return state;
  // An action's answer can arrive after a newer view from the event stream: never step back.
  if (journey && state.journey?.id === journey.id && (journey.revision ?? 0) < (state.journey.revision ?? 0))
    return state;
  if (!journey || journey.status === 'abandoned')
    return { ...state, journey: null, invoice: false, serverWipeAt: null };
  // The invoice screen belongs to the done screen of the journey it was opened on.
  const invoice = state.invoice && state.journey?.id === journey.id && screenFor(journey) === 'done';
  return { ...state, journey, guide: null, invoice, serverWipeAt: parseTime(journey.idleWipeAt) };
}

function withService(state: KioskState, service: ServiceView | null): KioskState {
  if (service && state.wiped.some((w) => w.id === service.id && (service.revision ?? 0) <= w.revision))
    return state;
  if (service && state.service?.id === service.id && (service.revision ?? 0) < (state.service.revision ?? 0))
    return state;
  // An invoice screen over a service's result belongs to that result: another service or leaving it closes it.
  const overService = state.invoiceOrder !== null;
  if (!service || service.status === 'abandoned')
    return { ...state, service: null, ...(overService ? { invoice: false, invoiceOrder: null } : {}) };
  const keep =
    !overService ||
    (state.invoice && state.service?.id === service.id && serviceScreenFor(service) === 'service-result');
  return { ...state, service, guide: null, ...(keep ? {} : { invoice: false, invoiceOrder: null }) };
}

export function reduceKiosk(state: KioskState, event: KioskEvent): KioskState {
  switch (event.type) {
    case 'snapshot': {
      const devices: KioskState['devices'] = {};
      // A device event can overtake the snapshot's answer: the newer status stays.
      for (const d of event.devices) {
        const seen = state.devices[d.kind];
        devices[d.kind] = seen && seen.since > d.since ? seen : d;
      }
      const next = withJourney({ ...state, devices }, event.journey);
      return event.service === undefined ? next : withService(next, event.service);
    }
    case 'journey':
      return withJourney(state, event.data);
    case 'device':
      return { ...state, devices: { ...state.devices, [event.data.kind]: event.data } };
    case 'idle-warning':
      return state.journey ? { ...state, serverWipeAt: parseTime(event.data.wipeAt) } : state;
    case 'touched':
      return state.journey ? { ...state, serverWipeAt: parseTime(event.idleWipeAt) } : state;
    // Out of service is the Kiosk's own field (kiosk.svelte.ts), not the journey state's.
    case 'kiosk-service':
      return state;
    case 'wiped': {
      const ended = [state.journey, state.service].flatMap((v) =>
        v ? [{ id: v.id, revision: v.revision ?? 0 }] : [],
      );
      const wiped = [...state.wiped, ...ended].slice(-KEEP_WIPED_IDS);
      return {
        ...state,
        journey: null,
        service: null,
        guide: null,
        invoice: false,
        invoiceOrder: null,
        serverWipeAt: null,
        wiped,
        wipes: state.wipes + 1,
      };
    }
    case 'service':
      return withService(state, event.data);
    case 'guide':
      // Only from the home screen: an open journey keeps its screen.
      return event.guide && (state.journey || state.service) ? state : { ...state, guide: event.guide };
    case 'invoice': {
      // From the done screen of a completed pickup, or for an order a service's result screen offers.
      if (state.service) {
        const order = event.order ?? 0;
        const open = event.open && serviceInvoiceOffered(state.service, order);
        return { ...state, invoice: open, invoiceOrder: open ? order : null };
      }
      return {
        ...state,
        invoice: event.open && screenFor(state.journey) === 'done',
        invoiceOrder: null,
      };
    }
  }
}

const WIPE_REASONS: readonly WipeReason[] = ['idle', 'cancelled', 'completed', 'staff'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Turns one SSE message into an event, or null when it is not one the UI understands. */
export function parseServerEvent(name: string, data: string): KioskEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  switch (name) {
    case 'journey':
      if (value === null) return { type: 'journey', data: null };
      return isObject(value) && typeof value['id'] === 'string' && typeof value['need'] === 'string'
        ? { type: 'journey', data: value as unknown as JourneyView }
        : null;
    case 'service':
      if (value === null) return { type: 'service', data: null };
      return isObject(value) &&
        typeof value['id'] === 'string' &&
        typeof value['need'] === 'string' &&
        SERVICE_KINDS.includes(value['kind'] as ServiceView['kind'])
        ? { type: 'service', data: value as unknown as ServiceView }
        : null;
    case 'device':
      return isObject(value) && DEVICE_KINDS.includes(value['kind'] as DeviceKind)
        ? { type: 'device', data: value as unknown as DeviceStatusView }
        : null;
    case 'idle-warning':
      return isObject(value) && typeof value['wipeAt'] === 'string'
        ? { type: 'idle-warning', data: { wipeAt: value['wipeAt'] } }
        : null;
    case 'wiped':
      // A wipe is a wipe whatever its reason: a reason this UI does not know yet still clears the screen.
      return isObject(value)
        ? {
            type: 'wiped',
            data: {
              reason: WIPE_REASONS.includes(value['reason'] as WipeReason)
                ? (value['reason'] as WipeReason)
                : 'cancelled',
            },
          }
        : null;
    default:
      return null;
  }
}

export type ScreenName =
  | 'attract'
  | 'scan'
  | 'order'
  | 'id-card'
  | 'token'
  | 'progress'
  | 'pin'
  | 'verify'
  | 'done'
  | 'invoice'
  | 'error'
  | ServiceScreen
  | `guide-${HomeGuide}`;

export function stepIndex(step: PickupStep): number {
  return PICKUP_STEPS.indexOf(step);
}

/** Which screen the journey asks for. */
export function screenFor(journey: JourneyView | null): ScreenName {
  if (!journey) return 'attract';
  if (journey.status === 'failed' || journey.status === 'in-doubt') return 'error';
  switch (journey.need) {
    case 'scan':
      return 'scan';
    case 'confirm-order':
      return 'order';
    case 'id-card':
      return 'id-card';
    case 'token':
      return 'token';
    case 'pin':
      return 'pin';
    case 'take-items':
      return 'done';
    case 'wait':
      return stepIndex(journey.step) >= stepIndex('pin-set') ? 'verify' : 'progress';
    case 'none':
      return journey.status === 'completed' ? 'done' : 'progress';
  }
}

export type DeviceAlert = 'token-pulled' | 'paper-out' | 'take-id-card';

/** A service's result screen offers the invoice of its order at `order`: a completed renewal's (0), or a
 *  look-up's listed order that is paid and collected. */
export function serviceInvoiceOffered(service: ServiceView, order: number): boolean {
  if (serviceScreenFor(service) !== 'service-result') return false;
  if (service.kind === 'renew') return order === 0 && service.renewal !== undefined;
  return service.kind === 'lookup' && service.orders?.[order]?.invoiceOffered === true;
}

/** The screen on show: the service journey's when one is open (its result's invoice screen when that is open),
 *  else the pickup journey's (its done screen's invoice screen when that is open), else a home tile's guide. */
export function currentScreen(
  state: Pick<KioskState, 'journey' | 'service'> & { guide?: HomeGuide | null; invoice?: boolean },
): ScreenName {
  if (state.service) {
    const screen = serviceScreenFor(state.service);
    return screen === 'service-result' && state.invoice ? 'invoice' : screen;
  }
  if (!state.journey && state.guide) return `guide-${state.guide}`;
  const screen = screenFor(state.journey);
  return screen === 'done' && state.invoice ? 'invoice' : screen;
}

/** Device facts the applicant must hear about right now on the current screen. */
export function deviceAlerts(state: Pick<KioskState, 'journey' | 'devices'>): DeviceAlert[] {
  const { journey, devices } = state;
  if (!journey || journey.status === 'abandoned') return [];
  const alerts: DeviceAlert[] = [];
  const token = devices.token;
  const keyInUse =
    journey.status === 'active' &&
    stepIndex(journey.step) >= stepIndex('token-ready') &&
    journey.need !== 'token' &&
    journey.need !== 'take-items';
  if (keyInUse && token && (token.detail === 'token-absent' || token.state === 'offline')) {
    alerts.push('token-pulled');
  }
  const printer = devices.printer;
  const receiptPrinted = journey.receipt?.state === 'printed';
  if (printer?.detail === 'paper-out' && !receiptPrinted && journey.receipt?.state !== 'queued-for-reprint') {
    alerts.push('paper-out');
  }
  // The card was read and the journey moved on; the appliance sees it still on the reader.
  if (journey.cardOnReader === true) alerts.push('take-id-card');
  return alerts;
}

/** What the progress screen must tell while the machine is stuck rather than working. */
export interface WaitProblem {
  /** The issuance was sent and central has not answered: the appliance retries by itself. */
  waiting: NonNullable<JourneyView['waiting']> | null;
  /** Why it does not move on (central down, issuance pending, a token hiccup…). */
  error: ErrorBody | null;
  /** "Try now" is offered: waiting on central, or the error says a retry may help. */
  canRetry: boolean;
}

/**
 * For an active journey in need 'wait' that waits on central or carries an error, what to show instead of a
 * spinner alone (the applicant can always retry or cancel); null while the machine simply works.
 */
export function waitProblem(journey: JourneyView | null): WaitProblem | null {
  if (journey?.status !== 'active' || journey.need !== 'wait') return null;
  const waiting = journey.waiting ?? null;
  const error = journey.error ?? null;
  if (!waiting && !error) return null;
  return { waiting, error, canRetry: waiting !== null || error?.retryable === true };
}

/**
 * Whether the certificate may already be issued (the request was sent, or is being sent): cancelling then
 * hands the case to staff instead of simply dropping it.
 */
export function issuanceRequested(journey: JourneyView | null): boolean {
  if (!journey) return false;
  if (journey.waiting) return true;
  if (stepIndex(journey.step) >= stepIndex('certificate-issued')) return true;
  return journey.progress.steps.some((s) => s.step === 'certificate-issued' && s.state !== 'pending');
}

/** Whole seconds until the appliance's next automatic retry (0 when it is due), or null when unknown. */
export function secondsUntil(iso: string | undefined, now: number): number | null {
  const t = parseTime(iso);
  return t === null ? null : Math.max(0, Math.ceil((t - now) / 1000));
}
