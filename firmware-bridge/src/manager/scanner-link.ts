// The QR scanner under supervision: a fresh driver per connection, its codes forwarded to one listener
// that outlives reconnects. A scanner only talks when it reads, so the idle check is "is it still open".
import type { DeviceError } from '../errors.js';
import { openScanner, type QrScanner, type ScannerDeviceConfig } from '../scanner/driver.js';
import { scannerError } from '../scanner/errors.js';
import type { DeviceLink, LinkEvents, LinkFailure, UsbIds } from './device-link.js';
import type { DeviceReading } from './device-status.js';

export interface ScanSink {
  scan(code: string): void;
  error(err: DeviceError): void;
}

export class ScannerLink implements DeviceLink<QrScanner> {
  readonly kind = 'scanner' as const;
  readonly portPath: string | null;
  readonly usbIds: UsbIds | null;
  private scanner: QrScanner | null = null;

  constructor(
    private readonly config: ScannerDeviceConfig,
    private readonly sink: ScanSink,
  ) {
    this.portPath = config.transport === 'serial' ? config.port : null;
    this.usbIds =
      config.transport === 'hid' ? { vendorId: config.vendorId, productId: config.productId } : null;
  }

  get driver(): QrScanner | null {
    return this.scanner;
  }

  async connect(events: LinkEvents): Promise<void> {
    const scanner = await openScanner(this.config);
    scanner.onScan((code) => this.sink.scan(code));
    scanner.onError((err) => this.sink.error(err));
    // With an error it vanished; without one we closed it ourselves.
    scanner.onClose((err) => {
      if (err && this.scanner === scanner) events.lost();
    });
    this.scanner = scanner;
  }

  async probe(): Promise<DeviceReading> {
    if (!this.scanner?.isOpen) throw scannerError('SCANNER_DISCONNECTED');
    return { state: 'online', detail: null };
  }

  classify(err: unknown, phase: 'connect' | 'probe'): LinkFailure {
    const code = (err as { code?: string }).code;
    if (phase === 'connect' && code !== 'SCANNER_NOT_FOUND') {
      return { state: 'offline', detail: 'open-failed', keepConnection: false };
    }
    return { state: 'offline', detail: 'disconnected', keepConnection: false };
  }

  async disconnect(): Promise<void> {
    const s = this.scanner;
    this.scanner = null;
    await s?.close();
  }

  async close(): Promise<void> {
    await this.disconnect();
  }
}
