// Keeps one device connected and its status current: opens it, checks it while idle, notices it vanish,
// reconnects with backoff, and marks it busy while a job runs (no checks then, so nothing interleaves).
import { existsSync } from 'node:fs';
import type { DeviceLink } from './device-link.js';
import type { DeviceReading, DeviceStatus } from './device-status.js';
import { unavailableError } from './errors.js';
import { watchPortPath } from './port-presence.js';
import { watchUsbDevice } from './usb-hotplug.js';

export interface SupervisorTiming {
  /** Time between checks of a connected, idle device. */
  pollIntervalMs: number;
  /** Longest wait between two reconnect attempts (the wait doubles from pollIntervalMs up to this). */
  reconnectMaxMs: number;
}

/** States in which the driver is handed out; otherwise callers get DEVICE_UNAVAILABLE. */
const USABLE_STATES = new Set(['online', 'busy', 'user-action-needed']);

export class SupervisedDevice<D> {
  private connected = false;
  /** Bumped on every connect and drop, so a late check result of an earlier connection is ignored. */
  private generation = 0;
  private reading: DeviceReading = { state: 'offline', detail: 'not-started' };
  private shown: DeviceStatus;
  private busy = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private checkAgain = false;
  private started = false;
  private stopped = false;
  private unwatch: Array<() => void> = [];
  private readonly firstCheck: Promise<void>;
  private firstCheckDone!: () => void;

  constructor(
    private readonly link: DeviceLink<D>,
    private readonly timing: SupervisorTiming,
    private readonly publish: (status: DeviceStatus) => void,
  ) {
    this.shown = { kind: link.kind, ...this.reading, since: new Date().toISOString() };
    this.firstCheck = new Promise((resolve) => {
      this.firstCheckDone = resolve;
    });
  }

  get status(): DeviceStatus {
    return { ...this.shown };
  }

  /** Resolves once the device has been checked for the first time (or the supervisor stopped). */
  settled(): Promise<void> {
    return this.firstCheck;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const port = this.link.portPath;
    if (port) this.unwatch.push(watchPortPath(port, () => this.nudge()));
    const ids = this.link.usbIds;
    if (ids) this.unwatch.push(watchUsbDevice(ids, () => this.nudge()));
    this.schedule(0);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    for (const off of this.unwatch) off();
    this.unwatch = [];
    await this.running;
    this.connected = false;
    this.generation++;
    await this.link.close().catch(() => {});
    this.setReading({ state: 'offline', detail: 'stopped' });
    this.firstCheckDone();
  }

  /** Look now, with the reconnect backoff reset (port appeared, USB attach, key inserted). */
  nudge(): void {
    if (this.stopped || !this.started) return;
    this.failures = 0;
    if (this.running) this.checkAgain = true;
    else if (this.busy === 0) this.schedule(0);
  }

  /** The live driver, or DEVICE_UNAVAILABLE with the current status. */
  driver(): D {
    const d = this.link.driver;
    if (!this.connected || !d || !USABLE_STATES.has(this.shown.state)) throw unavailableError(this.status);
    return d;
  }

  /** Run a job on the device: status `busy` meanwhile, no checks in between, the previous status after. */
  async use<T>(fn: (device: D) => T | Promise<T>): Promise<T> {
    this.driver();
    this.busy++;
    if (this.busy === 1) {
      clearTimeout(this.timer);
      this.link.pause?.();
    }
    this.refresh();
    try {
      // A check that began before the job ends first, so its requests cannot interleave with the job's.
      if (this.running) await this.running;
      return await fn(this.driver());
    } finally {
      this.busy--;
      if (this.busy === 0) {
        this.link.resume?.();
        this.refresh();
        // The job may have changed the device (paper ran out while printing): look again at once.
        if (!this.stopped) this.schedule(0);
      }
    }
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), ms);
  }

  private check(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.checkOnce()
      .catch(() => {}) // classify() already turned failures into a status; nothing may escape a timer
      .finally(() => {
        this.running = null;
        this.firstCheckDone();
        if (this.checkAgain) {
          this.checkAgain = false;
          if (!this.stopped && this.busy === 0) this.schedule(0);
        } else this.scheduleNext();
      });
    return this.running;
  }

  private scheduleNext(): void {
    if (this.stopped || this.busy > 0) return;
    if (this.connected) this.schedule(this.timing.pollIntervalMs);
    else {
      const backoff = this.timing.pollIntervalMs * 2 ** Math.max(0, this.failures - 1);
      this.schedule(Math.min(backoff, this.timing.reconnectMaxMs));
    }
  }

  private async checkOnce(): Promise<void> {
    if (this.stopped || this.busy > 0) return;
    const port = this.link.portPath;
    if (port && !existsSync(port)) {
      if (this.connected) await this.drop();
      this.failures++;
      this.setReading({ state: 'offline', detail: 'disconnected' });
      return;
    }
    if (!this.connected) {
      const generation = ++this.generation;
      try {
        await this.link.connect({
          lost: () => this.lost(generation),
          changed: () => this.nudge(),
        });
      } catch (err) {
        this.failures++;
        await this.link.disconnect().catch(() => {});
        const failure = this.link.classify(err, 'connect');
        this.setReading({ state: failure.state, detail: failure.detail });
        return;
      }
      if (this.stopped || generation !== this.generation) return;
      this.connected = true;
      this.failures = 0;
    }
    const generation = this.generation;
    try {
      const reading = await this.link.probe();
      if (generation === this.generation && this.connected) this.setReading(reading);
    } catch (err) {
      if (generation !== this.generation || !this.connected) return;
      const failure = this.link.classify(err, 'probe');
      if (!failure.keepConnection) await this.drop();
      this.setReading({ state: failure.state, detail: failure.detail });
    }
  }

  /** The transport closed under us: show it at once and try to reconnect. */
  private lost(generation: number): void {
    if (generation !== this.generation || !this.connected || this.stopped) return;
    void this.drop();
    this.failures = 0;
    this.setReading({ state: 'offline', detail: 'disconnected' });
    if (this.busy === 0) {
      if (this.running) this.checkAgain = true;
      else this.schedule(this.timing.pollIntervalMs);
    }
  }

  private async drop(): Promise<void> {
    this.connected = false;
    this.generation++;
    await this.link.disconnect().catch(() => {});
  }

  private setReading(reading: DeviceReading): void {
    this.reading = reading;
    this.refresh();
  }

  /** Publish the status if what people see changed: busy overlays a connected device's own reading. */
  private refresh(): void {
    const next =
      this.busy > 0 && this.connected && USABLE_STATES.has(this.reading.state)
        ? { state: 'busy' as const, detail: this.reading.detail }
        : this.reading;
    if (next.state === this.shown.state && next.detail === this.shown.detail) return;
    this.shown = {
      kind: this.link.kind,
      state: next.state,
      detail: next.detail,
      since: new Date().toISOString(),
    };
    this.publish(this.status);
  }
}
