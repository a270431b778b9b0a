// The maintenance screen's device self-tests, each through the real driver: a test page on the printer, an ID
// card read shown masked only (nothing of the card kept), the USB-key writer's slot and the inserted key's model
// and serial (PKCS#11 slot and token info, no session, no object touched), one code from the scanner within a
// bounded wait (its length and kind only). The API refuses them while an applicant's session is open and audits
// each with the staff id; refusals come back as ApplianceError (PRINTER_OUT_OF_PAPER, ID_CARD_NOT_PRESENT, …).
import { maskIdNumber, maskName } from '@certkiosk/config';
import type { DeviceKind } from '@certkiosk/config/facts';
import type { IdCardReadResult, Receipt, SlotSummary, TokenSummary } from '@certkiosk/firmware-bridge';
import { ApplianceError } from '../errors.js';
import { asApplianceError } from '../journey/translate-error.js';

/** How long the scanner test waits for a code by default. */
export const SCAN_SELF_TEST_WAIT_MS = 15_000;

export type ScannedKind = 'pickup-code' | 'url' | 'digits' | 'text';

export type SelfTestResult =
  | { device: 'printer'; ok: true; printed: true }
  | { device: 'idReader'; ok: true; card: { nameMasked: string; idNumberMasked: string } }
  | {
      device: 'token';
      ok: true;
      slot: { slotId: string; description: string } | null;
      key: { model: string; serial: string; manufacturer: string } | null;
    }
  | { device: 'scanner'; ok: true; scanned: { length: number; kind: ScannedKind } };

/** What the self-tests use of the devices (the daemon: the device manager and the kiosk's device adapter). */
export interface SelfTestPorts {
  printTestPage(page: Receipt): Promise<void>;
  readIdCard(): Promise<IdCardReadResult>;
  /** The writer's slots (PKCS#11 C_GetSlotList / C_GetTokenInfo). */
  slots(): SlotSummary[];
  /** The key in the writer that is not the appliance's own, as the journeys see it. */
  keyInWriter(): { slotId: string; token: TokenSummary } | null;
  /** The next code the scanner reads within `ms`, or null. */
  nextScan(ms: number): Promise<string | null>;
}

export interface SelfTestOptions {
  applianceId: string;
  scanWaitMs?: number;
  now?: () => Date;
}

/** What a scanned text looks like, without keeping it. */
export function scannedKind(text: string): ScannedKind {
  if (/^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text) || /^CK1-/.test(text)) return 'pickup-code';
  if (/^https?:\/\//i.test(text)) return 'url';
  if (/^\d+$/.test(text)) return 'digits';
  return 'text';
}

export function testPage(applianceId: string, at: Date): Receipt {
  return {
    items: [
      { kind: 'text', text: '打印机自检 PRINTER SELF-TEST', bold: true },
      { kind: 'text', text: `终端 Kiosk: ${applianceId}` },
      { kind: 'text', text: `时间 Time: ${at.toISOString()}` },
      { kind: 'text', text: '中文 ABC 0123456789' },
    ],
  };
}

export async function runSelfTest(
  kind: DeviceKind,
  ports: SelfTestPorts,
  opts: SelfTestOptions,
): Promise<SelfTestResult> {
  try {
    switch (kind) {
      case 'printer':
        await ports.printTestPage(testPage(opts.applianceId, opts.now?.() ?? new Date()));
        return { device: 'printer', ok: true, printed: true };
      case 'idReader': {
        const read = await ports.readIdCard();
        if (read.state !== 'card') throw new ApplianceError('ID_CARD_NOT_PRESENT');
        // Only the masks leave this function; the card itself is dropped here.
        return {
          device: 'idReader',
          ok: true,
          card: { nameMasked: maskName(read.card.name), idNumberMasked: maskIdNumber(read.card.idNumber) },
        };
      }
      case 'token': {
        const key = ports.keyInWriter();
        const slot = key
          ? ports.slots().find((s) => s.slotId === key.slotId)
          : ports.slots().find((s) => s.removable);
        return {
          device: 'token',
          ok: true,
          slot: slot
            ? { slotId: slot.slotId, description: slot.description }
            : key
              ? { slotId: key.slotId, description: '' }
              : null,
          key: key
            ? { model: key.token.model, serial: key.token.serial, manufacturer: key.token.manufacturer }
            : null,
        };
      }
      case 'scanner': {
        const text = await ports.nextScan(opts.scanWaitMs ?? SCAN_SELF_TEST_WAIT_MS);
        if (text === null) throw new ApplianceError('SELF_TEST_NOTHING_SCANNED');
        return {
          device: 'scanner',
          ok: true,
          scanned: { length: [...text].length, kind: scannedKind(text) },
        };
      }
    }
  } catch (err) {
    throw asApplianceError(err);
  }
}

/** Hands the scanner's next code to a waiting self-test instead of the journeys (one waiter at a time). */
export class ScanCatcher {
  private waiting: ((code: string | null) => void) | null = null;

  /** A code the scanner read: true when a self-test took it (the journeys must not see it). */
  offer(code: string): boolean {
    const w = this.waiting;
    if (!w) return false;
    this.waiting = null;
    w(code);
    return true;
  }

  next(ms: number): Promise<string | null> {
    if (this.waiting) return Promise.reject(new ApplianceError('JOURNEY_BUSY'));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.waiting === done) this.waiting = null;
        resolve(null);
      }, ms);
      const done = (code: string | null) => {
        clearTimeout(timer);
        resolve(code);
      };
      this.waiting = done;
    });
  }
}
