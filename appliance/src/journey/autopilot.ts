// Moves a journey along without the applicant tapping: feeds scanner codes in, polls the ID reader while
// an ID card is awaited, starts personalisation when a blank key appears in the writer, and asks central
// again (with the engine's backoff) for a journey waiting on its answer. The same for the after-sales service
// journeys (services/engine.ts): the holder's key, the ID card and the scanner feed the open service.
import type { ServiceEngine } from '../services/engine.js';
import type { PickupEngine } from './engine.js';
import type { KioskDevices } from './ports.js';

export interface AutopilotOptions {
  idPollMs: number;
  tokenPollMs: number;
  log?: (msg: string, err?: unknown) => void;
  /** The after-sales service journeys, fed by the same devices. */
  services?: ServiceEngine;
}

export class JourneyAutopilot {
  private timer: NodeJS.Timeout | undefined;
  /** Whether the completed journey's key was in the writer at the last look (the done screen follows it). */
  private keyWasIn: boolean | undefined;
  private stopped = false;

  constructor(
    private readonly engine: PickupEngine,
    private readonly devices: KioskDevices,
    private readonly opts: AutopilotOptions,
  ) {}

  /** A code from the QR scanner: the same path as the API's scan route. */
  async onScan(code: string): Promise<void> {
    const services = this.opts.services;
    const s = services?.current();
    if (services && s) {
      if (s.status === 'active') {
        // A look-up waiting for a code takes it; any other service ignores the scanner.
        if (s.awaiting === 'scan-or-id-card')
          await services.scan(code).catch((err) => this.opts.log?.('service scan failed', err));
        return;
      }
      await services.close();
    }
    const j = this.engine.current();
    if (j && j.status === 'active' && j.awaiting !== 'scan') return; // a code mid-journey is ignored
    if (j && j.status !== 'active') await this.engine.close();
    await this.engine.scan(code).catch((err) => this.opts.log?.('scan failed', err));
  }

  start(): void {
    this.stopped = false;
    this.schedule(this.opts.idPollMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.tick()
        .catch((err) => this.opts.log?.('autopilot step failed', err))
        .finally(() => this.schedule(this.nextDelay()));
    }, ms);
    this.timer.unref?.();
  }

  private nextDelay(): number {
    const waitsForKey =
      this.engine.current()?.awaiting === 'token' || this.opts.services?.current()?.awaiting === 'token';
    return waitsForKey ? this.opts.tokenPollMs : this.opts.idPollMs;
  }

  /** A completed journey: tell the done screen when the holder takes the key out (or puts it back). */
  private watchKeyLeftBehind(): void {
    const j = this.engine.current();
    if (j?.status !== 'completed' || !j.token) {
      this.keyWasIn = undefined;
      return;
    }
    const inWriter = this.devices.tokenPresent(j.token.serial);
    if (inWriter !== this.keyWasIn) {
      this.keyWasIn = inWriter;
      this.engine.refreshView();
    }
  }

  /** After the card was read: tell the screens while the holder's ID card still lies on the reader. */
  private async watchCardLeftBehind(): Promise<void> {
    const j = this.engine.current();
    if (!j || !this.engine.cardReadAndPassed(j)) {
      this.engine.noteCardOnReader(false);
      return;
    }
    // A reader that cannot answer says nothing about the card: the reminder stays as it was.
    const present = await this.devices.idCardPresent().catch(() => null);
    if (present !== null) this.engine.noteCardOnReader(present);
  }

  /** One look at the journeys (pickup, then the service): the automatic step each waits for. */
  async tick(): Promise<void> {
    await this.pickupTick();
    await this.opts.services?.autopilotStep();
  }

  /** One look at the pickup journey: do the automatic step it is waiting for, if its device is ready. */
  private async pickupTick(): Promise<void> {
    if (this.engine.isBusy) return;
    if (this.engine.stalled) {
      await this.engine.resumeAfterStoreFault();
      return;
    }
    await this.engine.retryWaiting();
    this.watchKeyLeftBehind();
    await this.watchCardLeftBehind();
    const j = this.engine.current();
    if (j?.status !== 'active' || this.engine.isBusy) return;
    if (j.awaiting === 'id-card') {
      await this.engine.readIdentity();
    } else if (j.awaiting === 'token' && this.devices.blankToken()) {
      await this.engine.personaliseToken();
    }
  }
}
