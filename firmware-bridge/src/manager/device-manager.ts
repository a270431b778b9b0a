// The device manager: opens the four devices named in config, keeps each connected and its status current,
// and hands the appliance the live drivers. Statuses and scanned codes come out as events, so the appliance
// subscribes once and survives unplugging and reconnects.
import { EventEmitter } from 'node:events';
import type { CertkioskConfig } from '@certkiosk/config';
import type { DeviceError } from '../errors.js';
import type { IdCardReaderDriver } from '../id-reader/driver.js';
import type { ReceiptPrinterDriver } from '../printer/driver.js';
import type { QrScanner } from '../scanner/driver.js';
import type { UsbKeyDriver } from '../token/driver.js';
import type { DeviceLink } from './device-link.js';
import { DEVICE_KINDS, type DeviceKind, type DeviceStatus } from './device-status.js';
import { IdReaderLink } from './id-reader-link.js';
import { PrinterLink } from './printer-link.js';
import { ScannerLink } from './scanner-link.js';
import { SupervisedDevice } from './supervised-device.js';
import { TokenLink } from './token-link.js';

/** `devices` of the parsed config. */
export type DevicesConfig = CertkioskConfig['devices'];

export interface DeviceManagerOptions {
  /** Time between idle checks of each device (printer status, reader self-check, slot scan). */
  pollIntervalMs: number;
  /** Limit for one answer from a device (printer status byte, reader command). */
  deviceTimeoutMs: number;
  /** Re-initialise the PKCS#11 module on every slot scan (needed for SoftHSM to see keys come and go). */
  tokenRescan?: boolean;
  /** Use this USB-key driver (owned by the caller) instead of loading `devices.token.module`. */
  usbKeyDriver?: UsbKeyDriver;
  /** Longest wait between reconnect attempts; default max(pollIntervalMs, 5000). */
  reconnectMaxMs?: number;
}

/** The driver each device kind hands out. */
export interface DeviceDrivers {
  token: UsbKeyDriver;
  idReader: IdCardReaderDriver;
  printer: ReceiptPrinterDriver;
  scanner: QrScanner;
}

export interface DeviceManagerEvents {
  /** A device's state or detail changed. */
  status: [DeviceStatus];
  /** A code the QR scanner read (duplicates within the scanner's window already dropped). */
  scan: [string];
  /** Scanner input that was not a code (bad encoding, cut-off code); the scanner keeps going. */
  'scan-error': [DeviceError];
}

type Supervisors = { [K in DeviceKind]: SupervisedDevice<DeviceDrivers[K]> };

export class DeviceManager extends EventEmitter<DeviceManagerEvents> {
  private readonly devices: Supervisors;
  private state: 'new' | 'started' | 'stopped' = 'new';

  constructor(config: DevicesConfig, opts: DeviceManagerOptions) {
    super();
    const timing = {
      pollIntervalMs: opts.pollIntervalMs,
      reconnectMaxMs: opts.reconnectMaxMs ?? Math.max(opts.pollIntervalMs, 5000),
    };
    const supervise = <D>(link: DeviceLink<D>) =>
      new SupervisedDevice(link, timing, (status) => this.emit('status', status));
    this.devices = {
      token: supervise(
        new TokenLink(config.token, {
          pollIntervalMs: opts.pollIntervalMs,
          rescan: opts.tokenRescan ?? false,
          driver: opts.usbKeyDriver,
        }),
      ),
      idReader: supervise(new IdReaderLink(config.idReader, opts.deviceTimeoutMs)),
      printer: supervise(new PrinterLink(config.printer, opts.deviceTimeoutMs)),
      scanner: supervise(
        new ScannerLink(config.scanner, {
          scan: (code) => this.emit('scan', code),
          error: (err) => this.emit('scan-error', err),
        }),
      ),
    };
  }

  /** Open every device and keep watching them; returns at once (statuses follow as events). */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'started';
    for (const kind of DEVICE_KINDS) this.devices[kind].start();
  }

  /** Close every device; each status ends as offline/stopped. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await Promise.all(DEVICE_KINDS.map((kind) => this.devices[kind].stop()));
  }

  /** One status per device, in the order token, idReader, printer, scanner. */
  status(): DeviceStatus[] {
    return DEVICE_KINDS.map((kind) => this.devices[kind].status);
  }

  statusOf(kind: DeviceKind): DeviceStatus {
    return this.devices[kind].status;
  }

  /** Resolves with the statuses once every device has been checked at least once after start(). */
  async settled(): Promise<DeviceStatus[]> {
    await Promise.all(DEVICE_KINDS.map((kind) => this.devices[kind].settled()));
    return this.status();
  }

  /** The live drivers; each throws DEVICE_UNAVAILABLE (with the device's state) when it cannot be used. */
  idReader(): IdCardReaderDriver {
    return this.devices.idReader.driver();
  }
  printer(): ReceiptPrinterDriver {
    return this.devices.printer.driver();
  }
  scanner(): QrScanner {
    return this.devices.scanner.driver();
  }
  usbKey(): UsbKeyDriver {
    return this.devices.token.driver();
  }

  /**
   * Run a job on one device: its status is `busy` for the duration, no idle check runs meanwhile, and
   * the previous status comes back afterwards (then it is checked again at once).
   * Throws DEVICE_UNAVAILABLE when the device cannot be used.
   */
  withDevice<K extends DeviceKind, T>(kind: K, fn: (device: DeviceDrivers[K]) => T | Promise<T>): Promise<T> {
    return (this.devices[kind] as SupervisedDevice<DeviceDrivers[K]>).use(fn);
  }
}
