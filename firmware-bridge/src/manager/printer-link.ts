// The receipt printer under supervision: one ReceiptPrinterDriver for the manager's lifetime, fed the
// transport the manager opened; idle checks are DLE EOT status requests.
import { isDeviceError } from '../errors.js';
import { type PrinterConnection, ReceiptPrinterDriver } from '../printer/driver.js';
import { printerError } from '../printer/errors.js';
import type { PrinterState } from '../printer/status.js';
import { type ByteTransport, openSerial } from '../transport/serial.js';
import { openUsbPrinter } from '../transport/usb-printer.js';
import type { DeviceLink, LinkEvents, LinkFailure, UsbIds } from './device-link.js';
import type { DeviceReading } from './device-status.js';

const READINGS: Readonly<Record<PrinterState, DeviceReading>> = {
  ready: { state: 'online', detail: null },
  'paper-near-end': { state: 'online', detail: 'paper-near-end' },
  'paper-out': { state: 'user-action-needed', detail: 'paper-out' },
  'cover-open': { state: 'user-action-needed', detail: 'cover-open' },
  error: { state: 'hardware-error', detail: 'printer-error' },
  offline: { state: 'offline', detail: 'printer-offline' },
};

export class PrinterLink implements DeviceLink<ReceiptPrinterDriver> {
  readonly kind = 'printer' as const;
  readonly portPath: string | null;
  readonly usbIds: UsbIds | null;
  private transport: ByteTransport | null = null;
  private connected = false;
  private readonly printer: ReceiptPrinterDriver;

  constructor(
    private readonly connection: PrinterConnection,
    timeoutMs: number,
  ) {
    this.portPath = connection.transport === 'serial' ? connection.port : null;
    this.usbIds =
      connection.transport === 'usb'
        ? { vendorId: connection.vendorId, productId: connection.productId }
        : null;
    // The driver asks for a transport whenever its old one closed; it gets the one the manager holds.
    this.printer = new ReceiptPrinterDriver(
      async () => {
        if (this.transport?.isOpen) return this.transport;
        throw printerError('PRINTER_DISCONNECTED');
      },
      { statusTimeoutMs: timeoutMs, writeTimeoutMs: Math.max(timeoutMs, 5000) },
    );
  }

  get driver(): ReceiptPrinterDriver | null {
    return this.connected ? this.printer : null;
  }

  async connect(events: LinkEvents): Promise<void> {
    const c = this.connection;
    const transport =
      c.transport === 'serial'
        ? await openSerial(c.port, { baudRate: c.baudRate })
        : await openUsbPrinter({ vendorId: c.vendorId, productId: c.productId });
    transport.onClose(() => {
      if (this.transport === transport) events.lost();
    });
    this.transport = transport;
    this.connected = true;
  }

  async probe(): Promise<DeviceReading> {
    const status = await this.printer.status();
    return READINGS[status.state];
  }

  classify(err: unknown): LinkFailure {
    if (isDeviceError(err, 'PRINTER_TIMEOUT')) {
      return { state: 'offline', detail: 'not-responding', keepConnection: true };
    }
    if (isDeviceError(err, 'PRINTER_BAD_STATUS')) {
      return { state: 'hardware-error', detail: 'bad-status', keepConnection: true };
    }
    if (isDeviceError(err, 'PRINTER_USB_OPEN_FAILED') || isDeviceError(err, 'PRINTER_USB_NOT_A_PRINTER')) {
      return { state: 'offline', detail: 'open-failed', keepConnection: false };
    }
    if (isDeviceError(err, 'SERIAL_OPEN_FAILED') && this.portPath) {
      return { state: 'offline', detail: 'open-failed', keepConnection: false };
    }
    return { state: 'offline', detail: 'disconnected', keepConnection: false };
  }

  async disconnect(): Promise<void> {
    const t = this.transport;
    this.transport = null;
    this.connected = false;
    await t?.close();
  }

  async close(): Promise<void> {
    await this.disconnect();
    await this.printer.close();
  }
}
