// Keyboard-wedge scanners pretend to be a USB keyboard and "type" the code. This decodes HID boot-keyboard
// input reports back into text. Pure: reports in, events out, no I/O.
//
// Boot report (HID 1.11, appendix B.1), 8 bytes: [modifiers, reserved, key1 … key6]; keys are usage codes
// of the Keyboard/Keypad page (0x07) currently held down. A device that numbers its reports sends a report
// id first (9 bytes); that byte is skipped. US layout, the one scanners default to.
import { scannerError } from './errors.js';
import { type DecoderOptions, MAX_CODE_LENGTH, type ScanEvent, StaleInput } from './scan-event.js';

export const BOOT_REPORT_LENGTH = 8;
export const MODIFIER = {
  leftCtrl: 0x01,
  leftShift: 0x02,
  leftAlt: 0x04,
  leftGui: 0x08,
  rightCtrl: 0x10,
  rightShift: 0x20,
  rightAlt: 0x40,
  rightGui: 0x80,
} as const;
const SHIFT = MODIFIER.leftShift | MODIFIER.rightShift;
// A code typed with Ctrl, Alt or GUI held is a shortcut, not text.
const NOT_TEXT =
  MODIFIER.leftCtrl |
  MODIFIER.rightCtrl |
  MODIFIER.leftAlt |
  MODIFIER.rightAlt |
  MODIFIER.leftGui |
  MODIFIER.rightGui;

export const USAGE = { errorRollOver: 0x01, enter: 0x28, keypadEnter: 0x58 } as const;

/** Usage code → [unshifted, shifted] character on a US keyboard. The one table both decoder and emulator use. */
export const US_LAYOUT: ReadonlyMap<number, readonly [string, string]> = buildLayout();

function buildLayout(): Map<number, readonly [string, string]> {
  const m = new Map<number, readonly [string, string]>();
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < lower.length; i++) m.set(0x04 + i, [lower[i]!, lower[i]!.toUpperCase()]);
  const digits = '1234567890';
  const shiftedDigits = '!@#$%^&*()';
  for (let i = 0; i < digits.length; i++) m.set(0x1e + i, [digits[i]!, shiftedDigits[i]!]);
  const rows: [number, string, string][] = [
    [0x2b, '\t', '\t'],
    [0x2c, ' ', ' '],
    [0x2d, '-', '_'],
    [0x2e, '=', '+'],
    [0x2f, '[', '{'],
    [0x30, ']', '}'],
    [0x31, '\\', '|'],
    [0x32, '\\', '|'], // "non-US #": hosts with a US layout read it as the backslash key
    [0x33, ';', ':'],
    [0x34, "'", '"'],
    [0x35, '`', '~'],
    [0x36, ',', '<'],
    [0x37, '.', '>'],
    [0x38, '/', '?'],
    // Keypad, with Num Lock on: some scanners type digits there. Shift does not change them.
    [0x54, '/', '/'],
    [0x55, '*', '*'],
    [0x56, '-', '-'],
    [0x57, '+', '+'],
    [0x59, '1', '1'],
    [0x5a, '2', '2'],
    [0x5b, '3', '3'],
    [0x5c, '4', '4'],
    [0x5d, '5', '5'],
    [0x5e, '6', '6'],
    [0x5f, '7', '7'],
    [0x60, '8', '8'],
    [0x61, '9', '9'],
    [0x62, '0', '0'],
    [0x63, '.', '.'],
  ];
  for (const [usage, plain, shifted] of rows) m.set(usage, [plain, shifted]);
  return m;
}

/** The key to press for each character: the main block first, so the emulator types like a scanner does. */
export const US_KEY_FOR_CHAR: ReadonlyMap<string, { usage: number; shift: boolean }> = (() => {
  const m = new Map<string, { usage: number; shift: boolean }>();
  for (const [usage, [plain, shifted]] of US_LAYOUT) {
    if (!m.has(plain)) m.set(plain, { usage, shift: false });
    if (!m.has(shifted)) m.set(shifted, { usage, shift: true });
  }
  return m;
})();

export class KeyboardWedgeDecoder {
  private held = new Set<number>();
  private text = '';
  private problem: ScanEvent | undefined;
  private readonly stale: StaleInput;

  constructor(opts: DecoderOptions = {}) {
    this.stale = new StaleInput(opts);
  }

  push(report: Uint8Array): ScanEvent[] {
    const events: ScanEvent[] = [];
    if (this.stale.arrived(this.hasPartial())) {
      events.push({
        kind: 'error',
        error: scannerError('SCANNER_INCOMPLETE_CODE', { typed: this.text.length }),
      });
      this.reset();
    }

    if (report.length !== BOOT_REPORT_LENGTH && report.length !== BOOT_REPORT_LENGTH + 1) {
      events.push({
        kind: 'error',
        error: scannerError(
          'SCANNER_BAD_REPORT',
          { length: report.length },
          `A keyboard-mode scanner report must be ${BOOT_REPORT_LENGTH} bytes (boot keyboard), got ${report.length}. Set the scanner to a USB keyboard mode or set mode "hid-pos" in the config.`,
        ),
      });
      return events;
    }
    const body = report.length === BOOT_REPORT_LENGTH ? report : report.subarray(1);
    const modifiers = body[0]!;
    const keys = [...body.subarray(2)].filter((k) => k !== 0);
    // Phantom state: too many keys held, the report lists no real keys. Keep the previous state.
    if (keys.includes(USAGE.errorRollOver)) return events;

    for (const usage of keys) {
      // A key is typed when it goes down, not for as long as it stays down (key rollover).
      if (!this.held.has(usage)) this.keyDown(usage, modifiers, events);
    }
    this.held = new Set(keys);
    return events;
  }

  /** True while typed characters wait for Enter. */
  hasPartial(): boolean {
    return this.text.length > 0 || this.problem !== undefined;
  }

  private keyDown(usage: number, modifiers: number, events: ScanEvent[]): void {
    if (usage === USAGE.enter || usage === USAGE.keypadEnter) {
      if (this.problem) events.push(this.problem);
      else if (this.text.length > 0) events.push({ kind: 'code', code: this.text });
      this.reset();
      return;
    }
    if (usage < 0x04) return; // 0x02 POST fail, 0x03 undefined: not keys
    if (this.problem) return;
    const chars = US_LAYOUT.get(usage);
    if (!chars || (modifiers & NOT_TEXT) !== 0) {
      // One untranslatable key makes the whole code wrong: report it instead of returning a code with a gap.
      this.problem = {
        kind: 'error',
        error: scannerError(
          'SCANNER_BAD_REPORT',
          { usage, modifiers },
          `The scanner typed a key that is not a character (usage 0x${usage.toString(16).padStart(2, '0')}, modifiers 0x${modifiers.toString(16).padStart(2, '0')}); the code was discarded. Set the scanner keyboard layout to US.`,
        ),
      };
      return;
    }
    if (this.text.length >= MAX_CODE_LENGTH) {
      this.problem = {
        kind: 'error',
        error: scannerError('SCANNER_CODE_TOO_LONG', { maxCharacters: MAX_CODE_LENGTH }),
      };
      return;
    }
    this.text += (modifiers & SHIFT) !== 0 ? chars[1] : chars[0];
  }

  private reset(): void {
    this.text = '';
    this.problem = undefined;
  }
}
