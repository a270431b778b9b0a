// The USB-key writer under supervision: the PKCS#11 module loaded once, its slots watched for keys going in
// and out. A writer without a key is working ("token-absent"); a module that will not load is a hardware error.
import type { TokenDeviceConfig } from '@certkiosk/config';
import { isDeviceError } from '../errors.js';
import { type SlotWatcher, UsbKeyDriver } from '../token/driver.js';
import type { DeviceLink, LinkEvents, LinkFailure } from './device-link.js';
import type { DeviceReading } from './device-status.js';

export interface TokenLinkOptions {
  pollIntervalMs: number;
  /** Re-initialise the module on every watch tick (SoftHSM only sees tokens that appear that way). */
  rescan: boolean;
  /** A driver the caller owns (and closes); otherwise the link loads `config.module` itself. */
  driver?: UsbKeyDriver;
}

export class TokenLink implements DeviceLink<UsbKeyDriver> {
  readonly kind = 'token' as const;
  readonly portPath = null;
  readonly usbIds = null;
  private usbKey: UsbKeyDriver | null;
  private readonly ownsDriver: boolean;
  private watcher: SlotWatcher | null = null;
  private events: LinkEvents | null = null;
  private paused = false;

  constructor(
    private readonly config: Pick<TokenDeviceConfig, 'module' | 'applianceKeyTokenLabel'>,
    private readonly opts: TokenLinkOptions,
  ) {
    this.usbKey = opts.driver ?? null;
    this.ownsDriver = !opts.driver;
  }

  get driver(): UsbKeyDriver | null {
    return this.usbKey;
  }

  async connect(events: LinkEvents): Promise<void> {
    this.events = events;
    this.usbKey ??= UsbKeyDriver.open(this.config.module);
    if (!this.paused) this.startWatching();
  }

  async probe(): Promise<DeviceReading> {
    // In the module's turn: never inside it while a key operation runs, and never from a stale listing.
    const slots = await this.usbKey!.slotsAsync();
    if (slots.length === 0) return { state: 'offline', detail: 'disconnected' };
    // A real key has a factory serial even when blank (uninitialised); SoftHSM's free slot has none.
    // The appliance's own request-signing key sits in its own slot; it is not a key in the writer.
    const present = slots.some(
      (s) => s.token?.serial && s.token.label !== this.config.applianceKeyTokenLabel,
    );
    return { state: 'online', detail: present ? 'token-present' : 'token-absent' };
  }

  classify(err: unknown, phase: 'connect' | 'probe'): LinkFailure {
    if (phase === 'connect' || isDeviceError(err, 'TOKEN_MODULE_NOT_FOUND')) {
      return { state: 'hardware-error', detail: 'module-unavailable', keepConnection: false };
    }
    return { state: 'hardware-error', detail: 'module-error', keepConnection: true };
  }

  pause(): void {
    this.paused = true;
    this.stopWatching();
  }

  resume(): void {
    this.paused = false;
    if (this.events && this.usbKey) this.startWatching();
  }

  async disconnect(): Promise<void> {
    this.stopWatching();
  }

  async close(): Promise<void> {
    this.stopWatching();
    if (this.ownsDriver) this.usbKey?.close();
    if (this.ownsDriver) this.usbKey = null;
  }

  private startWatching(): void {
    this.stopWatching();
    const watcher = this.usbKey!.watch({ intervalMs: this.opts.pollIntervalMs, rescan: this.opts.rescan });
    watcher.on('event', () => this.events?.changed());
    watcher.on('error', () => this.events?.changed());
    this.watcher = watcher;
  }

  private stopWatching(): void {
    this.watcher?.stop();
    this.watcher = null;
  }
}
