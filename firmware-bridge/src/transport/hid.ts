// The HID seam: scanner drivers read input reports through this, never from node-hid directly.
// No virtual HID device exists on a test machine, so the HID emulators implement this interface.
import { type Device, devicesAsync, HIDAsync } from 'node-hid';
import { DeviceError } from '../errors.js';
import { SCANNER_ERRORS } from '../scanner/errors.js';

export interface HidTransport {
  /** Subscribe to input reports (report id first when the device numbers its reports); returns unsubscribe. */
  onReport(listener: (report: Buffer) => void): () => void;
  /** Called once when the device closes: with an error when it vanished, without one after `close()`. */
  onClose(listener: (err?: Error) => void): () => void;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

export interface HidOpenOptions {
  vendorId: number;
  productId: number;
  /** Prefer the interface announcing this usage page (composite scanners expose keyboard and POS interfaces). */
  usagePage?: number;
  /** Prefer the interface announcing this usage (with usagePage), e.g. 0x06 keyboard on page 0x01. */
  usage?: number;
}

const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

export async function openHid(opts: HidOpenOptions): Promise<HidTransport> {
  const ids = { vendorId: hex(opts.vendorId), productId: hex(opts.productId) };
  let found: Device[];
  try {
    found = await devicesAsync(opts.vendorId, opts.productId);
  } catch (err) {
    throw new DeviceError('SCANNER_OPEN_FAILED', `Cannot list HID devices: ${(err as Error).message}`, ids, {
      cause: err,
    });
  }
  const chosen = pickInterface(found, opts);
  if (!chosen?.path) {
    throw new DeviceError(
      'SCANNER_NOT_FOUND',
      `No HID device ${ids.vendorId}:${ids.productId} is connected. Check the scanner's USB cable and the vendorId/productId in the config.`,
      ids,
    );
  }
  let device: HIDAsync;
  try {
    // Non-exclusive on macOS so a keyboard-wedge scanner is not taken away from the system by accident.
    device = await HIDAsync.open(chosen.path, { nonExclusive: true });
  } catch (err) {
    throw new DeviceError(
      'SCANNER_OPEN_FAILED',
      `Cannot open HID device ${ids.vendorId}:${ids.productId} at ${chosen.path}: ${(err as Error).message}. On Linux the kiosk user needs read access to /dev/hidraw* (udev rule).`,
      { ...ids, path: chosen.path },
      { cause: err },
    );
  }
  return wrapHid(device, chosen.path);
}

function pickInterface(found: Device[], opts: HidOpenOptions): Device | undefined {
  if (opts.usagePage !== undefined) {
    const onPage = found.filter((d) => d.usagePage === opts.usagePage);
    const exact = onPage.find((d) => opts.usage === undefined || d.usage === opts.usage);
    if (exact ?? onPage[0]) return exact ?? onPage[0];
  }
  return found[0];
}

function wrapHid(device: HIDAsync, path: string): HidTransport {
  const reportListeners = new Set<(report: Buffer) => void>();
  const closeListeners = new Set<(err?: Error) => void>();
  let open = true;

  const finish = (err?: Error) => {
    if (!open) return;
    open = false;
    for (const l of closeListeners) l(err);
    closeListeners.clear();
  };

  device.on('data', (report: Buffer) => {
    for (const l of reportListeners) l(report);
  });
  // hidapi reports a read error when the device is unplugged: that is the close.
  device.on('error', (err: Error) => {
    finish(
      new DeviceError('SCANNER_DISCONNECTED', SCANNER_ERRORS.SCANNER_DISCONNECTED, { path }, { cause: err }),
    );
    device.close().catch(() => {});
  });

  return {
    get isOpen() {
      return open;
    },
    onReport(listener) {
      reportListeners.add(listener);
      return () => reportListeners.delete(listener);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    async close() {
      if (!open) return;
      try {
        await device.close();
      } finally {
        finish();
      }
    },
  };
}
