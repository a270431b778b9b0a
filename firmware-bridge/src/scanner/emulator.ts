// The scanner's side of the wire. Serial: writes text + suffix into the device end of a PTY, as a CDC
// scanner does. HID: there is no virtual HID device, so the emulator IS the HidTransport and hands the
// driver the same input reports a real keyboard-wedge or HID-POS scanner would.
import { setTimeout as sleep } from 'node:timers/promises';
import type { HidTransport } from '../transport/hid.js';
import { type ByteTransport, openSerial } from '../transport/serial.js';
import type { HidScannerMode } from './driver.js';
import { scannerError } from './errors.js';
import { HID_POS_LAYOUT } from './hid-pos.js';
import { BOOT_REPORT_LENGTH, MODIFIER, US_KEY_FOR_CHAR, USAGE } from './keyboard-wedge.js';

export type LineSuffix = '\r' | '\n' | '\r\n';

export interface SerialScanOptions {
  suffix?: LineSuffix;
  /** Write the code a few bytes at a time with pauses, so the driver receives it split into chunks. */
  chunked?: boolean;
}

const WRITE_TIMEOUT_MS = 2000;

export class SerialScannerEmulator {
  constructor(private readonly transport: ByteTransport) {}

  /** Open the device end of a PTY (e.g. `createPtyPair(...).devicePath`). */
  static async open(devicePath: string, opts: { baudRate?: number } = {}): Promise<SerialScannerEmulator> {
    return new SerialScannerEmulator(await openSerial(devicePath, opts));
  }

  get isOpen(): boolean {
    return this.transport.isOpen;
  }

  async scan(code: string, opts: SerialScanOptions = {}): Promise<void> {
    const bytes = Buffer.from(code + (opts.suffix ?? '\r'), 'utf8');
    if (!opts.chunked) {
      await this.transport.write(bytes, WRITE_TIMEOUT_MS);
      return;
    }
    // 1–3 byte pieces: splits multi-byte UTF-8 characters and CRLF across chunks, as slow UARTs do.
    for (let i = 0, n = 1; i < bytes.length; i += n, n = (n % 3) + 1) {
      await this.transport.write(bytes.subarray(i, i + n), WRITE_TIMEOUT_MS);
      await sleep(2);
    }
  }

  /** Send raw bytes (garbage, partial codes) to test how the driver copes. */
  async sendRaw(bytes: Uint8Array): Promise<void> {
    await this.transport.write(bytes, WRITE_TIMEOUT_MS);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

export interface KeyboardReportOptions {
  /** Press the next key before releasing the previous one when possible (n-key rollover, as fast scanners do). */
  rollover?: boolean;
  /** Prefix each report with this report id (devices with numbered reports send 9 bytes). */
  reportId?: number;
}

/** The boot-keyboard reports a keyboard-wedge scanner sends to type `text` followed by Enter. */
export function keyboardReportsFor(text: string, opts: KeyboardReportOptions = {}): Buffer[] {
  const keys = [...text].map((ch) => {
    const key = US_KEY_FOR_CHAR.get(ch);
    if (!key) {
      throw scannerError('SCANNER_UNTYPABLE_CHARACTER', {
        codePoint: `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
      });
    }
    return key;
  });
  keys.push({ usage: USAGE.enter, shift: false });

  const report = (modifiers: number, ...usages: number[]) => {
    const r = Buffer.alloc(BOOT_REPORT_LENGTH);
    r[0] = modifiers;
    usages.forEach((u, i) => {
      r[2 + i] = u;
    });
    return opts.reportId === undefined ? r : Buffer.concat([Buffer.from([opts.reportId]), r]);
  };
  const reports: Buffer[] = [];
  let previous: { usage: number; shift: boolean } | undefined;
  let held: number[] = [];
  for (const key of keys) {
    const mods = key.shift ? MODIFIER.leftShift : 0;
    // Overlap only with the same shift state and a key not already down: otherwise the host could not tell.
    if (opts.rollover && previous && previous.shift === key.shift && !held.includes(key.usage)) {
      held = [previous.usage, key.usage];
    } else {
      if (previous) reports.push(report(0));
      held = [key.usage];
    }
    reports.push(report(mods, ...held));
    previous = key;
  }
  reports.push(report(0));
  return reports;
}

export interface HidPosReportOptions {
  /** AIM symbology identifier; `]Q1` is QR Code. */
  symbology?: string;
}

/** The HID-POS scanned-data reports for `code` (see hid-pos.ts for the layout), continued as needed. */
export function hidPosReportsFor(code: string, opts: HidPosReportOptions = {}): Buffer[] {
  const L = HID_POS_LAYOUT;
  const data = Buffer.from(code, 'utf8');
  const symbology = Buffer.from(opts.symbology ?? ']Q1', 'latin1').subarray(0, L.symbologyLength);
  const reports: Buffer[] = [];
  for (let offset = 0; offset === 0 || offset < data.length; offset += L.dataCapacity) {
    const piece = data.subarray(offset, offset + L.dataCapacity);
    const r = Buffer.alloc(L.reportLength);
    r[0] = L.reportId;
    r[L.lengthOffset] = piece.length;
    symbology.copy(r, L.symbologyOffset);
    piece.copy(r, L.dataOffset);
    if (offset + L.dataCapacity < data.length) r[L.flagsOffset] = L.continuedBit;
    reports.push(r);
  }
  return reports;
}

export interface HidScannerEmulatorOptions {
  mode: HidScannerMode;
  keyboard?: KeyboardReportOptions;
  hidPos?: HidPosReportOptions;
}

export class HidScannerEmulator implements HidTransport {
  private readonly reportListeners = new Set<(report: Buffer) => void>();
  private readonly closeListeners = new Set<(err?: Error) => void>();
  private open = true;

  constructor(private readonly opts: HidScannerEmulatorOptions) {}

  get isOpen(): boolean {
    return this.open;
  }

  onReport(listener: (report: Buffer) => void): () => void {
    this.reportListeners.add(listener);
    return () => this.reportListeners.delete(listener);
  }

  onClose(listener: (err?: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** The reports this scanner would send for `code`, in its mode. */
  reportsFor(code: string): Buffer[] {
    return this.opts.mode === 'keyboard'
      ? keyboardReportsFor(code, this.opts.keyboard)
      : hidPosReportsFor(code, this.opts.hidPos);
  }

  /** "Scan" a code: deliver its reports one per event-loop turn, as interrupt transfers arrive. */
  async scan(code: string): Promise<void> {
    await this.sendReports(this.reportsFor(code));
  }

  /** Deliver raw reports (malformed ones included) to the driver. */
  async sendReports(reports: Uint8Array[]): Promise<void> {
    for (const r of reports) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!this.open) throw scannerError('SCANNER_DISCONNECTED');
      for (const l of this.reportListeners) l(Buffer.from(r));
    }
  }

  /** Pull the USB cable: the driver sees the device close with an error. */
  unplug(): void {
    this.finish(scannerError('SCANNER_DISCONNECTED', { emulated: true }));
  }

  async close(): Promise<void> {
    this.finish();
  }

  private finish(err?: Error): void {
    if (!this.open) return;
    this.open = false;
    for (const l of this.closeListeners) l(err);
    this.closeListeners.clear();
  }
}
