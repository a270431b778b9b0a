// The one store of the kiosk UI: appliance state (fed by /api/events and REST answers), language,
// easy mode, idle timing, and the staff session. Nothing here is ever written to storage or history.
import type { RouteTypes } from '../../../appliance/src/api/client.ts';
import { type ApiResult, api } from './api.ts';
import type {
  ErrorBody,
  InDoubtResolution,
  InvoiceRequestInput,
  InvoiceView,
  JourneyView,
  KioskSettings,
  ServiceKind,
  ServiceView,
} from './contract.ts';
import { DEFAULT_LANG, type Lang, type MessageKey, type MessageParams, translate } from './i18n.ts';
import {
  type IdlePhase,
  idleDeadline,
  idlePhase,
  idleTimings,
  MIN_COUNTDOWN_MS,
  needsKeepalive,
} from './idle.ts';
import {
  currentScreen,
  deviceAlerts,
  initialKioskState,
  type KioskEvent,
  type KioskState,
  parseServerEvent,
  reduceKiosk,
  waitProblem,
} from './kiosk-state.ts';
import type { HomeGuide } from './service.ts';
import { normaliseOverview, type StaffOverview } from './staff.ts';
import { rememberStaffId, staffIdleDeadline } from './staff-login.ts';

/** After this long without an answer to an action the applicant is told the system is busy. */
const BUSY_AFTER_MS = 3000;

const SERVER_EVENTS = ['journey', 'service', 'device', 'idle-warning', 'wiped'] as const;
const KEEPALIVE_EVERY_MS = 2000;

export type StaffRole = RouteTypes['staffLogin']['ok']['role'];
export type KioskServiceState = RouteTypes['kioskService']['ok'];

/** The `kiosk-service` event's data; null when it is not one. */
function parseKioskService(data: string): KioskServiceState | null {
  try {
    const v = JSON.parse(data) as Partial<KioskServiceState> | null;
    if (!v || typeof v.outOfService !== 'boolean') return null;
    return {
      outOfService: v.outOfService,
      ...(typeof v.since === 'string' ? { since: v.since } : {}),
      ...(typeof v.hallName === 'string' ? { hallName: v.hallName } : {}),
    };
  } catch {
    return null;
  }
}
/** A journey found by its reference number (masked), as the appliance answers it. */
export type JourneyLookup = RouteTypes['lookupJourney']['ok'];
/** The applicant's open call for staff, as the appliance answered the press. */
export type HelpCall = RouteTypes['callStaff']['ok'];
export type StaffAccount = RouteTypes['staffAccounts']['ok']['accounts'][number];
type StaffResult = { key: MessageKey; params?: MessageParams };

/** Who is signed in (from the sign-in answer; the role is checked again by the appliance on every call). */
export interface StaffMember {
  staffId: string;
  name: string;
  role: StaffRole;
}

export interface StaffSession {
  token: string | null;
  me: StaffMember | null;
  /** The appliance ends the session at this time (ms) unless a staff request comes first; the screen signs
   *  out then too. */
  idleExpiresAt: number | null;
  /** The session's end however active (ms). */
  expiresAt: number | null;
  /** How long the appliance keeps an idle session (from the sign-in answer). */
  idleWindowMs: number;
  overview: StaffOverview | null;
  /** Administrators: the staff accounts (null until loaded, and for operators). */
  accounts: StaffAccount[] | null;
  /** The last refusal (sign-in, overview or an action), shown until the next action. */
  error: ErrorBody | null;
  /** What the last accepted action did, in the staff's words. */
  result: StaffResult | null;
  /** An action is on its way: its buttons wait for the answer. */
  busy: boolean;
  /** The last reference-number lookup: what was asked and what the appliance answered. */
  lookup: { ref: string; found: JourneyLookup | null; error: ErrorBody | null } | null;
}

class Kiosk {
  state = $state<KioskState>(initialKioskState());
  settings = $state<KioskSettings | null>(null);
  connected = $state(false);
  lang = $state<Lang>(DEFAULT_LANG);
  elderly = $state(false);
  /** An action the applicant tried was refused. */
  notice = $state<ErrorBody | null>(null);
  dismissedJourneyError = $state<string | null>(null);
  pending = $state(false);
  /** The appliance has not answered an action for BUSY_AFTER_MS: "系统繁忙，请稍候", and taps are dropped. */
  busy = $state(false);
  confirmingCancel = $state(false);
  /** The applicant called staff (the appliance's answer): the confirmation shows while `helpShown`. */
  helpCall = $state<HelpCall | null>(null);
  helpShown = $state(false);
  #helpSending = false;
  /** The done screen's order's invoice as the appliance last answered (null: not asked yet). */
  invoice = $state<InvoiceView | null>(null);
  /** The appliance refused the last invoice request (or could not read the invoice): shown on the invoice screen. */
  invoiceError = $state<ErrorBody | null>(null);
  /** Which order `invoice` is about (the done screen's journey, or a service's result order), so another order's
   *  invoice never shows for it. */
  #invoiceFor: string | null = null;
  /** The invoice slip last printed from the invoice screen: printed, or queued for staff (null: none yet). */
  invoiceSlip = $state<'printed' | 'queued-for-reprint' | null>(null);
  /** A look-up's result: each offered order's invoice (by position), as the appliance last answered. */
  orderInvoices = $state<{ service: string; byOrder: Record<number, InvoiceView> } | null>(null);
  staff = $state<StaffSession | null>(null);
  /** In service, or out of service (staff): the applicant screen shows the out-of-service page meanwhile. */
  kioskService = $state<KioskServiceState | null>(null);
  /** Staff ids signed in with since the page loaded (memory only), offered on the sign-in screen. */
  recentStaffIds = $state<string[]>([]);
  now = $state(Date.now());
  lastActivity = $state(Date.now());
  #lastKeepalive = 0;

  screen = $derived(currentScreen(this.state));
  alerts = $derived(deviceAlerts(this.state));
  timings = $derived(this.settings ? idleTimings(this.settings, this.elderly) : null);
  /** Waiting on central or stopped by an error while the machine works: the applicant decides (retry/cancel). */
  waitProblem = $derived(waitProblem(this.state.journey));
  /** The idle clock runs while someone is being served and the machine is not the one working. A machine
   *  step stopped on an error waits for the applicant (retry or cancel), so it is their turn; waiting on
   *  central is the machine's (it retries, and hands the case to staff after its own time limit). */
  idleClockRuns = $derived(
    this.staff !== null ||
      this.state.guide !== null ||
      (this.state.service !== null &&
        this.state.service.status === 'active' &&
        this.state.service.need !== 'wait') ||
      (this.state.service !== null && this.state.service.status !== 'active') ||
      (this.state.journey !== null &&
        (this.state.journey.need !== 'wait' ||
          (this.waitProblem !== null && this.waitProblem.waiting === null))),
  );
  idle = $derived<IdlePhase>(
    this.timings && this.idleClockRuns
      ? idlePhase(this.lastActivity, this.now, this.timings)
      : { phase: 'quiet' },
  );
  journeyError = $derived.by(() => {
    const j = this.state.service ?? this.state.journey;
    if (!j?.error || j.status !== 'active') return null;
    return errorKey(j.error, j.revision) === this.dismissedJourneyError ? null : j.error;
  });
  /** The error to show over the current screen (the error screen, the ID-card reason and a stalled
   *  machine step show their own, with what to do next). */
  shownNotice = $derived.by(() => {
    if (this.screen === 'error' || this.screen === 'service-error') return null;
    if (this.notice) return this.notice;
    const e = this.journeyError;
    if (e && this.screen === 'id-card' && this.state.journey?.identity?.reason === e.code) return null;
    if (e && this.screen === 'service-id-card' && this.state.service?.identity?.reason === e.code)
      return null;
    if (e && this.waitProblem) return null;
    if (e && this.screen === 'service-wait') return null;
    // The payment screen says an expired QR code itself, with 重新支付.
    if (e?.code === 'PAYMENT_EXPIRED' && this.screen === 'service-payment') return null;
    return e;
  });

  t = (key: MessageKey, params?: MessageParams): string => translate(this.lang, key, params);

  dispatch(event: KioskEvent): void {
    const before = this.state.journey;
    const serviceBefore = this.state.service;
    if (event.type === 'wiped') {
      this.#forgetEverything(event);
      return;
    }
    this.state = reduceKiosk(this.state, event);
    const after = this.state.journey;
    // Something happened in the journey (a card was read, a key inserted): that is presence too.
    if (
      after &&
      (!before || before.need !== after.need || before.identity?.state !== after.identity?.state)
    ) {
      this.lastActivity = Date.now();
    }
    const service = this.state.service;
    if (service && (!serviceBefore || serviceBefore.need !== service.need)) this.lastActivity = Date.now();
  }

  /** Opens the event stream and loads settings; returns the cleanup. */
  connect(): () => void {
    let stopped = false;
    const loadSettings = async (): Promise<void> => {
      while (!stopped) {
        const r = await api.kiosk();
        if (r.ok) {
          this.settings = r.data;
          return;
        }
        await new Promise((res) => setTimeout(res, 2000));
      }
    };
    void loadSettings();
    const es = new EventSource(api.url('events'));
    es.onopen = () => {
      this.connected = true;
      void this.refresh();
    };
    es.onerror = () => {
      this.connected = false;
    };
    es.addEventListener('kiosk-service', (e) => {
      this.kioskService = parseKioskService((e as MessageEvent<string>).data);
    });
    for (const name of SERVER_EVENTS) {
      es.addEventListener(name, (e) => {
        const event = parseServerEvent(name, (e as MessageEvent<string>).data);
        if (event) this.dispatch(event);
      });
    }
    return () => {
      stopped = true;
      es.close();
    };
  }

  async refresh(): Promise<void> {
    const r = await api.state();
    if (r.ok) this.kioskService = r.data.kioskService ?? null;
    if (r.ok)
      this.dispatch({
        type: 'snapshot',
        journey: r.data.journey,
        service: r.data.service ?? null,
        devices: r.data.devices ?? [],
      });
  }

  activity(): void {
    this.lastActivity = Date.now();
  }

  /** A touch or key anywhere. Once the countdown shows, only its own button gives more time. */
  presence(): void {
    if (this.idle.phase !== 'warning') this.activity();
  }

  /** Called every 250 ms: moves the clock, wipes on expiry, keeps the server's idle timer from firing first. */
  tick(): void {
    const now = Date.now();
    this.now = now;
    // The staff session ends on the screen when the appliance ends it (no staff request for its idle time).
    const staff = this.staff;
    if (staff?.token && staff.idleExpiresAt !== null && now >= staff.idleExpiresAt) {
      this.#staffSignedOut({ key: 'staff.login.sessionEnded' });
    }
    const timings = this.timings;
    const settings = this.settings;
    if (!timings || !settings) return;
    if ((this.state.journey ?? this.state.service)?.need === 'wait' && !this.idleClockRuns)
      this.lastActivity = now;
    if (this.idleClockRuns && this.idle.phase === 'expired') {
      void this.expire();
      return;
    }
    // Nobody is being served but the last person's language or easy mode is still on: put it back.
    if (
      !this.idleClockRuns &&
      !this.isDefaultLook() &&
      now - this.lastActivity > timings.quietMs + timings.countdownMs
    ) {
      this.resetLook();
    }
    const j = this.state.journey;
    if (
      j &&
      now - this.#lastKeepalive >= KEEPALIVE_EVERY_MS &&
      needsKeepalive({
        serverWipeAt: this.state.serverWipeAt,
        localDeadline: idleDeadline(this.lastActivity, timings),
        now,
        serverCountdownMs: Math.max(MIN_COUNTDOWN_MS, settings.idleWipeMs),
      })
    ) {
      this.#lastKeepalive = now;
      void this.#touch();
    }
  }

  async #touch(): Promise<void> {
    const r = await api.touch();
    if (r.ok && r.data?.idleWipeAt) this.dispatch({ type: 'touched', idleWipeAt: r.data.idleWipeAt });
  }

  /** The "more time" button: presence now, and tell the appliance. */
  moreTime(): void {
    this.activity();
    this.#lastKeepalive = Date.now();
    if (this.state.journey) void this.#touch();
  }

  async expire(): Promise<void> {
    this.closeStaff();
    if (this.state.service) {
      this.#forgetEverything({ type: 'wiped', data: { reason: 'idle' } });
      await api.endService();
    } else if (this.state.journey) {
      this.#forgetEverything({ type: 'wiped', data: { reason: 'idle' } });
      await api.endJourney();
    } else if (this.state.guide) {
      // A guide has no journey at the appliance: the screen simply goes home for the next person.
      this.#forgetEverything({ type: 'wiped', data: { reason: 'idle' } });
    }
    this.activity();
  }

  #forgetEverything(event: Extract<KioskEvent, { type: 'wiped' }>): void {
    this.state = reduceKiosk(this.state, event);
    this.notice = null;
    this.dismissedJourneyError = null;
    this.confirmingCancel = false;
    this.helpCall = null;
    this.helpShown = false;
    this.pending = false;
    this.invoice = null;
    this.invoiceError = null;
    this.#invoiceFor = null;
    this.invoiceSlip = null;
    this.orderInvoices = null;
    this.resetLook();
    this.activity();
    // Nothing of the session may be reachable through history: replace, never push.
    if (typeof history !== 'undefined') history.replaceState(null, '', location.pathname);
    if (typeof document !== 'undefined' && document.activeElement instanceof HTMLElement) {
      document.activeElement.blur();
    }
  }

  isDefaultLook(): boolean {
    return this.lang === DEFAULT_LANG && !this.elderly;
  }

  resetLook(): void {
    this.lang = DEFAULT_LANG;
    this.elderly = false;
  }

  setLang(lang: Lang): void {
    this.lang = lang;
  }

  toggleElderly(): void {
    this.elderly = !this.elderly;
  }

  async #act(run: () => Promise<ApiResult<JourneyView | ServiceView>>): Promise<boolean> {
    // One action at a time: a tap while the appliance has not answered is dropped, not queued to fire later.
    if (this.pending) return false;
    this.pending = true;
    this.notice = null;
    const slow = setTimeout(() => {
      this.busy = true;
    }, BUSY_AFTER_MS);
    try {
      const r = await run();
      if (!r.ok) {
        this.notice = r.error;
        return false;
      }
      const data = r.data;
      if (data && data.kind === 'pickup') this.dispatch({ type: 'journey', data });
      else if (data) this.dispatch({ type: 'service', data });
      return true;
    } finally {
      clearTimeout(slow);
      this.busy = false;
      this.pending = false;
    }
  }

  start(): Promise<boolean> {
    return this.#act(() => api.startJourney());
  }

  confirmOrder(): Promise<boolean> {
    return this.#act(() => api.confirm());
  }

  /** The PIN goes to the appliance once and is not kept here. */
  setPin(pin: string): Promise<boolean> {
    return this.#act(() => api.setPin({ body: { pin } }));
  }

  retry(): Promise<boolean> {
    return this.#act(() => api.retry());
  }

  async cancel(): Promise<void> {
    if (this.state.service) {
      await this.endService();
      return;
    }
    this.#forgetEverything({ type: 'wiped', data: { reason: 'cancelled' } });
    await api.endJourney();
  }

  // ---------- the invoice of the order just collected (the done screen's 开发票) ----------

  /** Which order the invoice screen is about now: the done screen's, or the service result's at its position. */
  #invoiceTarget(): string | null {
    if (this.state.service) return `service:${this.state.service.id}:${this.state.invoiceOrder ?? 0}`;
    return this.state.journey ? `journey:${this.state.journey.id}` : null;
  }

  /** The invoice last read for a service result's order (null when none was read for it yet). */
  serviceResultInvoice(order: number): InvoiceView | null {
    const id = this.state.service?.id;
    return id && this.#invoiceFor === `service:${id}:${order}` ? this.invoice : null;
  }

  /** The invoice routes of what is on show: the done screen's, or the service result's order at its position. */
  #invoiceApi() {
    const order = this.state.invoiceOrder;
    if (this.state.service && order !== null) {
      const params = { position: String(order) };
      return {
        read: () => api.serviceInvoice({ params }),
        request: (body: InvoiceRequestInput) => api.requestServiceInvoice({ params, body }),
        slip: () => api.printServiceInvoiceSlip({ params }),
      };
    }
    return {
      read: () => api.invoice(),
      request: (body: InvoiceRequestInput) => api.requestInvoice({ body }),
      slip: () => api.printInvoiceSlip(),
    };
  }

  /** Open the invoice screen over the done screen, or (`order`) for an order of a service's result screen (a
   *  renewal's: 0; a look-up's: its place in the list), and ask the appliance how the invoice stands. */
  openInvoice(order?: number): void {
    this.activity();
    this.invoiceError = null;
    this.invoiceSlip = null;
    this.dispatch({ type: 'invoice', open: true, ...(order !== undefined ? { order } : {}) });
    const target = this.#invoiceTarget();
    if (target !== this.#invoiceFor) this.invoice = null;
    this.#invoiceFor = target;
    void this.loadInvoice();
  }

  /** Back to the done screen (what was typed is dropped with the screen). */
  closeInvoice(): void {
    this.invoiceError = null;
    this.invoiceSlip = null;
    this.dispatch({ type: 'invoice', open: false });
    // A look-up's list says each order's invoice: what was asked here shows there.
    if (this.state.service?.kind === 'lookup') void this.loadOrderInvoices();
  }

  /** The invoice as central has it now (the invoice screen asks again while it waits to be issued). */
  async loadInvoice(): Promise<void> {
    const target = this.#invoiceTarget();
    const r = await this.#invoiceApi().read();
    if (this.#invoiceTarget() !== target) return;
    if (r.ok) {
      // A slip printed before the invoice was issued said 已申请: a new one now carries the number.
      if (r.data.state !== this.invoice?.state) this.invoiceSlip = null;
      this.invoice = r.data;
    } else if (!this.invoice) this.invoiceError = r.error;
  }

  /** A look-up's result: how the invoice of each order it offers one for stands (the list labels its button). */
  async loadOrderInvoices(): Promise<void> {
    const service = this.state.service;
    if (service?.kind !== 'lookup') return;
    const byOrder: Record<number, InvoiceView> = {};
    for (const [i, o] of (service.orders ?? []).entries()) {
      if (!o.invoiceOffered) continue;
      const r = await api.serviceInvoice({ params: { position: String(i) } });
      if (r.ok) byOrder[i] = r.data;
    }
    if (this.state.service?.id === service.id) this.orderInvoices = { service: service.id, byOrder };
  }

  /** Print the invoice slip (order masked, amount, number or 已申请, a QR code of the order's invoice link). */
  async printInvoiceSlip(): Promise<void> {
    if (this.pending) return;
    this.activity();
    this.pending = true;
    this.invoiceError = null;
    try {
      const target = this.#invoiceTarget();
      const r = await this.#invoiceApi().slip();
      if (this.#invoiceTarget() !== target) return;
      if (r.ok) this.invoiceSlip = r.data.state;
      else this.invoiceError = r.error;
    } finally {
      this.pending = false;
    }
  }

  /** Send the request (a second one replaces the first until the invoice is issued); false when refused. The
   *  e-mail and the title are sent once and kept nowhere. */
  async requestInvoice(input: InvoiceRequestInput): Promise<boolean> {
    if (this.pending) return false;
    this.pending = true;
    this.invoiceError = null;
    const slow = setTimeout(() => {
      this.busy = true;
    }, BUSY_AFTER_MS);
    try {
      const target = this.#invoiceTarget();
      const r = await this.#invoiceApi().request(input);
      if (this.#invoiceTarget() !== target) return false;
      if (!r.ok) {
        this.invoiceError = r.error;
        return false;
      }
      this.invoice = r.data;
      return true;
    } finally {
      clearTimeout(slow);
      this.busy = false;
      this.pending = false;
    }
  }

  // ---------- after-sales services (service-contract.ts) ----------

  /** A home tile's guide (补办 replace: scan the reissue order's pickup code), and back home from it. */
  openGuide(guide: HomeGuide): void {
    this.activity();
    this.dispatch({ type: 'guide', guide });
  }

  closeGuide(): void {
    this.dispatch({ type: 'guide', guide: null });
  }

  /** A home-screen tile: start that service journey (the appliance refuses while another is open). */
  startService(kind: ServiceKind): Promise<boolean> {
    return this.#act(() => api.startService({ body: { kind } }));
  }

  /** Activation: the 6-digit code from the courier letter. */
  serviceCode(code: string): Promise<boolean> {
    return this.#act(() => api.serviceCode({ body: { code } }));
  }

  /** Look-up: a code typed or scanned (the scanner feeds the appliance by itself). */
  serviceScan(code: string): Promise<boolean> {
    return this.#act(() => api.serviceScan({ body: { code } }));
  }

  /** Activation and unlock: the new PIN; renew: the key's current PIN. Sent once, never kept here. */
  servicePin(pin: string): Promise<boolean> {
    return this.#act(() => api.servicePin({ body: { pin } }));
  }

  /** Paying at the kiosk: ask the appliance (which asks central) whether the QR code was paid; quiet (a poll). */
  async checkPayment(): Promise<void> {
    const id = this.state.service?.id;
    const r = await api.servicePayment();
    if (r.ok && r.data.id === id) this.dispatch({ type: 'service', data: r.data });
  }

  /** Paying at the kiosk: a new QR code after the last one expired (重新支付). */
  payAgain(): Promise<boolean> {
    return this.#act(() => api.servicePayAgain({ body: {} }));
  }

  /** A look-up's list: pay the listed order at `position` here (在此支付); the payment screen shows its QR code. */
  payOrder(position: number): Promise<boolean> {
    return this.#act(() => api.payServiceOrder({ params: { position: String(position) }, body: {} }));
  }

  /** A look-up's order being paid: back to the list (the appliance closes the payment at central). */
  leaveOrderPayment(): Promise<boolean> {
    const position = this.state.service?.payingOrder;
    if (position === undefined) return Promise.resolve(false);
    return this.#act(() =>
      api.leaveServiceOrderPayment({ params: { position: String(position) }, body: {} }),
    );
  }

  serviceRetry(): Promise<boolean> {
    return this.#act(() => api.serviceRetry());
  }

  /** Finish or cancel a service journey: the appliance may refuse mid side effect (CANCEL_NOT_ALLOWED). */
  async endService(): Promise<boolean> {
    if (this.pending) return false;
    this.pending = true;
    this.confirmingCancel = false;
    try {
      const r = await api.endService();
      if (!r.ok) {
        this.notice = r.error;
        return false;
      }
      this.#forgetEverything({ type: 'wiped', data: { reason: 'cancelled' } });
      return true;
    } finally {
      this.pending = false;
    }
  }

  /** "Call staff": the appliance raises a call (one per session: pressing again answers the same one) and the
   *  confirmation shows. The journey is not touched. */
  async callStaff(): Promise<boolean> {
    if (this.#helpSending) return false;
    this.#helpSending = true;
    try {
      const r = await api.callStaff();
      if (!r.ok) {
        this.notice = r.error;
        return false;
      }
      this.helpCall = r.data;
      this.helpShown = true;
      return true;
    } finally {
      this.#helpSending = false;
    }
  }

  dismissHelp(): void {
    this.helpShown = false;
  }

  dismissNotice(): void {
    if (this.notice) this.notice = null;
    else {
      const j = this.state.service ?? this.state.journey;
      if (this.journeyError && j) this.dismissedJourneyError = errorKey(this.journeyError, j.revision);
    }
  }

  // ---------- staff ----------

  openStaff(): void {
    this.activity();
    this.staff = {
      token: null,
      me: null,
      idleExpiresAt: null,
      expiresAt: null,
      idleWindowMs: 0,
      overview: null,
      accounts: null,
      error: null,
      result: null,
      busy: false,
      lookup: null,
    };
  }

  /** Leave the maintenance screen: the session is ended at the appliance too. */
  closeStaff(): void {
    const token = this.staff?.token;
    this.staff = null;
    if (token) void api.staffLogout({ token });
  }

  async staffLogin(staffId: string, pin: string): Promise<void> {
    const r = await api.staffLogin({ body: { staffId, pin } });
    const staff = this.staff;
    if (!staff) return;
    if (!r.ok) {
      staff.error = r.error;
      staff.result = null;
      return;
    }
    const now = Date.now();
    const s = r.data;
    const expiresAt = Date.parse(s.expiresAt);
    const idleWindowMs = Math.max(0, Date.parse(s.idleExpiresAt) - now);
    staff.token = s.token;
    staff.me = { staffId: s.staffId, name: s.name, role: s.role };
    staff.expiresAt = expiresAt;
    staff.idleWindowMs = idleWindowMs;
    staff.idleExpiresAt = staffIdleDeadline(now, idleWindowMs, expiresAt);
    staff.error = null;
    staff.result = null;
    this.recentStaffIds = rememberStaffId(this.recentStaffIds, s.staffId);
    await this.loadOverview();
    if (s.role === 'administrator') await this.loadAccounts();
  }

  /** Sign out and stay on the staff sign-in screen (the next member of staff signs in). */
  async staffLogout(): Promise<void> {
    const token = this.staff?.token;
    this.#staffSignedOut({ key: 'staff.login.signedOut' });
    if (token) await api.staffLogout({ token });
  }

  /** Forget the session on the screen (signed out, idle, or refused by the appliance). */
  #staffSignedOut(result: StaffResult | null, error: ErrorBody | null = null): void {
    const staff = this.staff;
    if (!staff) return;
    staff.token = null;
    staff.me = null;
    staff.idleExpiresAt = null;
    staff.expiresAt = null;
    staff.overview = null;
    staff.accounts = null;
    staff.lookup = null;
    staff.busy = false;
    staff.error = error;
    staff.result = result;
  }

  /** A staff request was answered: the appliance's idle clock starts again, so does the screen's. */
  #staffSeen(): void {
    const staff = this.staff;
    if (staff?.token && staff.expiresAt !== null) {
      staff.idleExpiresAt = staffIdleDeadline(Date.now(), staff.idleWindowMs, staff.expiresAt);
    }
  }

  /** A refusal of a staff request; a 401 means the session is over (idle, signed out, account disabled). */
  #staffRefused(error: ErrorBody): void {
    if (!this.staff) return;
    if (error.code === 'STAFF_AUTH_REQUIRED') this.#staffSignedOut({ key: 'staff.login.sessionEnded' });
    else this.staff.error = error;
  }

  async loadOverview(): Promise<void> {
    const token = this.staff?.token;
    if (!token) return;
    const r = await api.staffOverview({ token });
    if (!this.staff || this.staff.token !== token) return;
    if (r.ok) {
      this.staff.overview = normaliseOverview(r.data);
      this.#staffSeen();
    } else this.#staffRefused(r.error);
  }

  /** Administrators: the staff accounts. A refusal (the role was taken away) hides the section. */
  async loadAccounts(): Promise<void> {
    const token = this.staff?.token;
    if (!token) return;
    const r = await api.staffAccounts({ token });
    const staff = this.staff;
    if (!staff || staff.token !== token) return;
    if (r.ok) {
      staff.accounts = r.data.accounts;
      this.#staffSeen();
    } else if (r.error.code === 'STAFF_FORBIDDEN') {
      staff.accounts = null;
      if (staff.me) staff.me.role = 'operator';
    } else this.#staffRefused(r.error);
  }

  /** One staff action: the answer becomes the result line or the error line, then the overview reloads. */
  async #staffAction(
    run: (token: string) => Promise<ApiResult<unknown>>,
    result: StaffResult,
    /** A 2xx answer can still report that the action did not work (a write that failed again). */
    refusalIn: (data: unknown) => ErrorBody | null = () => null,
    /** The action changed the staff accounts: reload them too. */
    accounts = false,
  ): Promise<boolean> {
    const staff = this.staff;
    if (!staff?.token || staff.busy) return false;
    const token = staff.token;
    staff.busy = true;
    staff.error = null;
    staff.result = null;
    const r = await run(token);
    if (!this.staff || this.staff.token !== token) return false;
    this.staff.busy = false;
    if (!r.ok && r.error.code === 'STAFF_AUTH_REQUIRED') {
      this.#staffRefused(r.error);
      return false;
    }
    if (r.ok) this.#staffSeen();
    const refusal = r.ok ? refusalIn(r.data) : r.error;
    if (refusal) this.staff.error = refusal;
    else this.staff.result = result;
    await this.loadOverview();
    if (accounts && this.staff?.me?.role === 'administrator') await this.loadAccounts();
    return refusal === null;
  }

  /** Close an in-doubt journey the way staff chose (the contract's names, sent as they are). */
  resolveInDoubt(id: string, action: InDoubtResolution, orderId?: string): Promise<boolean> {
    return this.#staffAction(
      (token) => api.resolveInDoubt({ params: { id }, body: { action }, token }),
      { key: `staff.result.${action}`, params: { order: orderId ?? id } },
      (data) => {
        const journey = (data as { journey?: JourneyView | null } | null)?.journey;
        return journey?.status === 'in-doubt' && journey.error ? journey.error : null;
      },
    );
  }

  reprint(id: string, orderId?: string): Promise<boolean> {
    return this.#staffAction((token) => api.reprint({ params: { id }, token }), {
      key: 'staff.result.reprint',
      params: { order: orderId ?? id },
    });
  }

  /** An applicant's call for staff was handled (the appliance audits it with this staff id). */
  ackStaffCall(id: string, journeyRef?: string): Promise<boolean> {
    return this.#staffAction((token) => api.ackStaffCall({ params: { id }, token }), {
      key: 'staff.result.callAck',
      params: { ref: journeyRef ?? id },
    });
  }

  /** A journey by the reference number its screen showed (masked summary, or JOURNEY_REF_UNKNOWN). */
  async lookupJourney(ref: string): Promise<void> {
    const staff = this.staff;
    const typed = ref.trim();
    if (!staff?.token || staff.busy || !typed) return;
    const token = staff.token;
    staff.busy = true;
    const r = await api.lookupJourney({ params: { ref: typed }, token });
    if (!this.staff || this.staff.token !== token) return;
    this.staff.busy = false;
    if (!r.ok && r.error.code === 'STAFF_AUTH_REQUIRED') {
      this.#staffRefused(r.error);
      return;
    }
    if (r.ok) this.#staffSeen();
    this.staff.lookup = r.ok
      ? { ref: typed, found: r.data, error: null }
      : { ref: typed, found: null, error: r.error };
  }

  /** End the applicant's session from the maintenance screen (an issuance already requested goes to staff). */
  endSession(): Promise<boolean> {
    return this.#staffAction((token) => api.endSession({ token }), { key: 'staff.result.endSession' });
  }

  // ---------- staff accounts (administrators) ----------

  /** The PIN goes to the appliance once and is not kept here. */
  addStaffAccount(input: { id: string; name: string; role: StaffRole; pin: string }): Promise<boolean> {
    return this.#staffAction(
      (token) => api.addStaffAccount({ body: input, token }),
      { key: 'staff.accounts.result.added', params: { id: input.id } },
      () => null,
      true,
    );
  }

  resetStaffPin(id: string, pin: string): Promise<boolean> {
    return this.#staffAction(
      (token) => api.resetStaffPin({ params: { id }, body: { pin }, token }),
      { key: 'staff.accounts.result.pinReset', params: { id } },
      () => null,
      true,
    );
  }

  setStaffRole(id: string, role: StaffRole): Promise<boolean> {
    return this.#staffAction(
      (token) => api.setStaffRole({ params: { id }, body: { role }, token }),
      { key: `staff.accounts.result.role.${role}`, params: { id } },
      () => null,
      true,
    );
  }

  setStaffActive(id: string, active: boolean): Promise<boolean> {
    return this.#staffAction(
      (token) => api.setStaffActive({ params: { id }, body: { active }, token }),
      { key: active ? 'staff.accounts.result.enabled' : 'staff.accounts.result.disabled', params: { id } },
      () => null,
      true,
    );
  }

  /** End a sign-in lockout now (a staff id, or '*' for the lockout of every sign-in). */
  unlockStaff(id: string): Promise<boolean> {
    return this.#staffAction(
      (token) => api.unlockStaff({ params: { id }, token }),
      { key: 'staff.accounts.result.unlocked', params: { id: id === '*' ? this.t('staff.alarm.all') : id } },
      () => null,
      true,
    );
  }
}

/** One occurrence of a journey error: the same refusal raised again (a new revision) is shown again. */
function errorKey(e: ErrorBody, revision: number): string {
  return `${revision}:${e.code}:${e.message}:${JSON.stringify(e.params ?? {})}`;
}

export const kiosk = new Kiosk();
