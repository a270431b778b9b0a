// The USB printer-class seam (interface class 7): a ByteTransport over its bulk OUT endpoint (jobs) and the
// optional bulk IN endpoint (status answers), so the ESC/POS driver runs unchanged over USB or serial.
import { setTimeout as delay } from 'node:timers/promises';
import { type Device, findByIds, type InEndpoint, type Interface, type OutEndpoint, usb } from 'usb';
import { DeviceError } from '../errors.js';
import type { ByteTransport } from './serial.js';

export const USB_PRINTER_ERRORS = {
  PRINTER_NOT_FOUND:
    'No USB receipt printer with the configured vendor and product id is connected. Check its cable and power.',
  PRINTER_USB_NOT_A_PRINTER: 'The USB device has no printer-class interface with a bulk OUT endpoint.',
  PRINTER_USB_OPEN_FAILED:
    'The USB printer could not be opened (device permissions, or another program holds it).',
  PRINTER_USB_WRITE_TIMEOUT: 'The USB printer did not accept data in time.',
  PRINTER_USB_CLOSED: 'The USB printer connection is closed (printer unplugged?).',
} as const;

export interface UsbPrinterOptions {
  vendorId: number;
  productId: number;
}

const PRINTER_CLASS = 7;

function usbId(opts: UsbPrinterOptions): string {
  const h = (n: number) => n.toString(16).padStart(4, '0');
  return `${h(opts.vendorId)}:${h(opts.productId)}`;
}

/** Open the first connected USB printer with this VID:PID and claim its printer-class interface. */
export async function openUsbPrinter(opts: UsbPrinterOptions): Promise<ByteTransport> {
  const id = usbId(opts);
  const device = findByIds(opts.vendorId, opts.productId);
  if (!device) {
    throw new DeviceError(
      'PRINTER_NOT_FOUND',
      `No USB printer with id ${id} is connected. Check its cable and power, and devices.printer.vendorId/productId in the config.`,
      { vendorId: opts.vendorId, productId: opts.productId },
    );
  }
  try {
    device.open();
  } catch (err) {
    throw new DeviceError(
      'PRINTER_USB_OPEN_FAILED',
      `Cannot open USB printer ${id}: ${(err as Error).message}. Check the udev permissions for this device.`,
      { id },
      { cause: err },
    );
  }
  const iface = device.interfaces?.find((i) => i.descriptor.bInterfaceClass === PRINTER_CLASS);
  const bulk = (dir: 'in' | 'out') =>
    iface?.endpoints.find((e) => e.direction === dir && e.transferType === usb.LIBUSB_TRANSFER_TYPE_BULK);
  const out = bulk('out') as OutEndpoint | undefined;
  if (!iface || !out) {
    safely(() => device.close());
    throw new DeviceError(
      'PRINTER_USB_NOT_A_PRINTER',
      `USB device ${id} has no printer-class interface with a bulk OUT endpoint; is the id in the config right?`,
      { id },
    );
  }
  let detachedKernelDriver = false;
  try {
    // On Linux the usblp driver holds the interface; take it over for raw ESC/POS.
    if (process.platform === 'linux' && iface.isKernelDriverActive()) {
      iface.detachKernelDriver();
      detachedKernelDriver = true;
    }
    iface.claim();
  } catch (err) {
    safely(() => device.close());
    throw new DeviceError(
      'PRINTER_USB_OPEN_FAILED',
      `Cannot claim the printer interface of USB device ${id}: ${(err as Error).message}.`,
      { id },
      { cause: err },
    );
  }
  return new UsbPrinterTransport(
    device,
    iface,
    out,
    bulk('in') as InEndpoint | undefined,
    id,
    detachedKernelDriver,
  );
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Closing a device that already vanished throws; there is nothing left to release.
  }
}

class UsbPrinterTransport implements ByteTransport {
  private open = true;
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly closeListeners = new Set<(err?: Error) => void>();
  private readonly onDetach = (d: Device) => {
    if (d === this.device) void this.shutdown(new Error(`USB printer ${this.id} was unplugged`));
  };

  constructor(
    private readonly device: Device,
    private readonly iface: Interface,
    private readonly out: OutEndpoint,
    private readonly in_: InEndpoint | undefined,
    private readonly id: string,
    private readonly detachedKernelDriver: boolean,
  ) {
    usb.on('detach', this.onDetach);
    if (in_) {
      in_.on('data', (chunk: Buffer) => {
        if (chunk.length > 0) for (const l of this.dataListeners) l(chunk);
      });
      in_.on('error', (err: Error) => void this.shutdown(err));
      in_.startPoll(1, in_.descriptor.wMaxPacketSize || 64);
    }
  }

  get isOpen(): boolean {
    return this.open;
  }

  write(data: Uint8Array, timeoutMs = 5000): Promise<void> {
    if (!this.open) {
      return Promise.reject(
        new DeviceError('PRINTER_USB_CLOSED', USB_PRINTER_ERRORS.PRINTER_USB_CLOSED, { id: this.id }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const timedOut = () =>
        new DeviceError('PRINTER_USB_WRITE_TIMEOUT', USB_PRINTER_ERRORS.PRINTER_USB_WRITE_TIMEOUT, {
          id: this.id,
          timeoutMs,
        });
      // libusb enforces the timeout; this guard only covers a completion that never comes.
      const guard = setTimeout(() => {
        safely(() => transfer.cancel());
        reject(timedOut());
      }, timeoutMs + 1000);
      const transfer = this.out.makeTransfer(timeoutMs, (err) => {
        clearTimeout(guard);
        if (!err) resolve();
        else if (err.errno === usb.LIBUSB_TRANSFER_TIMED_OUT) reject(timedOut());
        else {
          reject(
            new DeviceError('PRINTER_USB_CLOSED', `Write to USB printer ${this.id} failed: ${err.message}`, {
              id: this.id,
            }),
          );
        }
      });
      try {
        transfer.submit(Buffer.from(data));
      } catch (err) {
        clearTimeout(guard);
        reject(
          new DeviceError(
            'PRINTER_USB_CLOSED',
            `Write to USB printer ${this.id} failed`,
            { id: this.id },
            { cause: err },
          ),
        );
      }
    });
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  onClose(listener: (err?: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): Promise<void> {
    return this.shutdown();
  }

  private async shutdown(err?: Error): Promise<void> {
    if (!this.open) return;
    this.open = false;
    usb.off('detach', this.onDetach);
    const in_ = this.in_;
    if (in_?.pollActive) {
      await Promise.race([
        new Promise<void>((r) => in_.stopPoll(() => r())),
        delay(1000, undefined, { ref: false }),
      ]);
    }
    await Promise.race([
      new Promise<void>((r) => this.iface.release(true, () => r())),
      delay(1000, undefined, { ref: false }),
    ]);
    if (this.detachedKernelDriver) safely(() => this.iface.attachKernelDriver());
    safely(() => this.device.close());
    for (const l of this.closeListeners) l(err);
    this.closeListeners.clear();
  }
}
