// What the supervisor needs from each kind of device: open it, check it while idle, classify failures,
// let go of it. One small class per device implements this; the reconnect logic lives once, in the supervisor.
import type { DeviceKind, DeviceReading } from './device-status.js';

export interface UsbIds {
  vendorId: number;
  productId: number;
}

/** A failure classified: the status to show and whether the open driver is still usable. */
export interface LinkFailure extends DeviceReading {
  /** false → the supervisor lets go of the device and reconnects with backoff. */
  keepConnection: boolean;
}

export interface LinkEvents {
  /** The device vanished (its transport closed without us closing it). */
  lost(): void;
  /** Something changed that is worth a check right away (a USB key went in or out). */
  changed(): void;
}

export interface DeviceLink<D> {
  readonly kind: DeviceKind;
  /** Serial port path whose appearing and vanishing is watched; null for USB/PKCS#11 devices. */
  readonly portPath: string | null;
  /** USB ids whose attach/detach events are watched; null when not a USB device. */
  readonly usbIds: UsbIds | null;
  /** The live driver while connected. */
  readonly driver: D | null;
  /** Open the device; throws when it cannot be opened. */
  connect(events: LinkEvents): Promise<void>;
  /** Check a connected, idle device; throws on failure (classified by `classify`). */
  probe(): Promise<DeviceReading>;
  classify(err: unknown, phase: 'connect' | 'probe'): LinkFailure;
  /** Let go of the device after it vanished or failed; safe to call twice. */
  disconnect(): Promise<void>;
  /** Final teardown when the manager stops. */
  close(): Promise<void>;
  /** Stop and restart background activity of the driver while a job runs (the token slot watcher). */
  pause?(): void;
  resume?(): void;
}
