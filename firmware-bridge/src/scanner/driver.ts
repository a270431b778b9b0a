// The QR scanner as the appliance sees it: codes in, duplicates dropped, errors and unplugging reported.
// The drivers run the pure decoders over a transport; which one is chosen comes from the config.
import type { DeviceError } from '../errors.js';
import { type HidTransport, openHid } from '../transport/hid.js';
import { type ByteTransport, openSerial } from '../transport/serial.js';
import { DEFAULT_DEDUPE_WINDOW_MS, DuplicateFilter } from './dedupe.js';
import { type ScannerErrorCode, scannerError } from './errors.js';
import { HID_POS_USAGE_PAGE, HidPosDecoder } from './hid-pos.js';
import { KeyboardWedgeDecoder } from './keyboard-wedge.js';
import type { ScanEvent } from './scan-event.js';
import { SerialLineDecoder } from './serial-lines.js';

export interface QrScanner {
  /** Each distinct code read; returns unsubscribe. */
  onScan(listener: (code: string) => void): () => void;
  /** Input that could not be turned into a code (bad encoding, cut-off code…); the scanner keeps going. */
  onError(listener: (err: DeviceError<ScannerErrorCode>) => void): () => void;
  /** Once, when the scanner goes away: SCANNER_DISCONNECTED if unplugged, no error after `close()`. */
  onClose(listener: (err?: DeviceError<ScannerErrorCode>) => void): () => void;
  readonly isOpen: boolean;
  close(): Promise<void>;
}

export interface ScannerOptions {
  /** Drop a repeat of the same code within this many ms of its previous read (default 1500). */
  dedupeWindowMs?: number;
  /** Discard a partial code when the rest has not come within this many ms (default 1000). */
  staleAfterMs?: number;
  now?: () => number;
}

export type HidScannerMode = 'keyboard' | 'hid-pos';

/** The shape of `devices.scanner` in the config (config/src/schema.ts). */
export type ScannerDeviceConfig =
  | { transport: 'serial'; port: string; baudRate?: number }
  | { transport: 'hid'; vendorId: number; productId: number; mode?: HidScannerMode };

/** What a scanner driver needs of its transport besides its input: whether it is open, and closing it. */
interface ClosableLink {
  readonly isOpen: boolean;
  close(): Promise<void>;
}

// Shared by both drivers: listener sets, duplicate filtering, the close bookkeeping and QrScanner's members.
abstract class ChannelScanner implements QrScanner {
  private readonly scans = new Set<(code: string) => void>();
  private readonly errors = new Set<(err: DeviceError<ScannerErrorCode>) => void>();
  private readonly closes = new Set<(err?: DeviceError<ScannerErrorCode>) => void>();
  private readonly duplicates: DuplicateFilter;
  private closing = false;
  private closed = false;

  protected constructor(
    private readonly link: ClosableLink,
    opts: ScannerOptions,
  ) {
    this.duplicates = new DuplicateFilter(opts.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS, opts.now);
  }

  protected deliver(events: ScanEvent[]): void {
    for (const e of events) {
      if (e.kind === 'error') for (const l of this.errors) l(e.error);
      else if (this.duplicates.accept(e.code)) for (const l of this.scans) l(e.code);
    }
  }

  protected transportClosed(path: Record<string, unknown>, cause?: Error): void {
    if (this.closed) return;
    this.closed = true;
    const err = this.closing ? undefined : scannerError('SCANNER_DISCONNECTED', path, undefined, cause);
    for (const l of this.closes) l(err);
    this.closes.clear();
  }

  get isOpen(): boolean {
    return !this.closed && this.link.isOpen;
  }
  onScan(listener: (code: string) => void): () => void {
    return subscribe(this.scans, listener);
  }
  onError(listener: (err: DeviceError<ScannerErrorCode>) => void): () => void {
    return subscribe(this.errors, listener);
  }
  onClose(listener: (err?: DeviceError<ScannerErrorCode>) => void): () => void {
    return subscribe(this.closes, listener);
  }
  async close(): Promise<void> {
    this.closing = true;
    await this.link.close();
    this.transportClosed({});
  }
}

function subscribe<T>(set: Set<T>, listener: T): () => void {
  set.add(listener);
  return () => set.delete(listener);
}

export class SerialQrScanner extends ChannelScanner {
  private readonly decoder: SerialLineDecoder;

  constructor(transport: ByteTransport, opts: ScannerOptions = {}, details: Record<string, unknown> = {}) {
    super(transport, opts);
    this.decoder = new SerialLineDecoder(opts);
    transport.onData((chunk) => this.deliver(this.decoder.push(chunk)));
    transport.onClose((err) => this.transportClosed(details, err));
  }

  /** Open a serial (CDC) scanner at `path`. */
  static async open(
    path: string,
    opts: ScannerOptions & { baudRate?: number } = {},
  ): Promise<SerialQrScanner> {
    let transport: ByteTransport;
    try {
      // RS-232 scanners ship at 9600 baud; USB CDC scanners ignore the rate.
      transport = await openSerial(path, { baudRate: opts.baudRate ?? 9600 });
    } catch (err) {
      throw scannerError(
        'SCANNER_OPEN_FAILED',
        { path },
        `Cannot open the QR scanner at ${path}: ${(err as Error).message}. Check that the scanner is plugged in and the port in the config is right.`,
        err,
      );
    }
    return new SerialQrScanner(transport, opts, { path });
  }
}

export interface HidScannerOptions extends ScannerOptions {
  mode: HidScannerMode;
}

export class HidQrScanner extends ChannelScanner {
  private readonly decoder: { push(report: Uint8Array): ScanEvent[] };

  constructor(transport: HidTransport, opts: HidScannerOptions, details: Record<string, unknown> = {}) {
    super(transport, opts);
    this.decoder = opts.mode === 'hid-pos' ? new HidPosDecoder(opts) : new KeyboardWedgeDecoder(opts);
    transport.onReport((report) => this.deliver(this.decoder.push(report)));
    transport.onClose((err) => this.transportClosed(details, err));
  }

  /** Open a USB HID scanner by its ids; picks the keyboard or the POS interface of a composite device. */
  static async open(
    ids: { vendorId: number; productId: number },
    opts: HidScannerOptions,
  ): Promise<HidQrScanner> {
    const iface =
      opts.mode === 'hid-pos' ? { usagePage: HID_POS_USAGE_PAGE } : { usagePage: 0x01, usage: 0x06 };
    const transport = await openHid({ ...ids, ...iface });
    return new HidQrScanner(transport, opts, { vendorId: ids.vendorId, productId: ids.productId });
  }
}

/** Open the scanner the config names. */
export function openScanner(config: ScannerDeviceConfig, opts: ScannerOptions = {}): Promise<QrScanner> {
  if (config.transport === 'serial') {
    return SerialQrScanner.open(config.port, { ...opts, baudRate: config.baudRate });
  }
  return HidQrScanner.open(
    { vendorId: config.vendorId, productId: config.productId },
    { ...opts, mode: config.mode ?? 'keyboard' },
  );
}
