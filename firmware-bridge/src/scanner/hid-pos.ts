// HID-POS scanners (usage page 0x8C "Bar Code Scanner") send each code as input reports instead of keystrokes.
// This reassembles them into codes. Pure: reports in, events out, no I/O.
//
// Layout implemented — the "scanned data report" of Honeywell's HID POS interface (terminal id 131), the same
// in Access-IS readers' manuals (64 bytes, report id 2):
//
//   byte 0        report id = 0x02
//   byte 1        number of data bytes in THIS report (0…56)
//   bytes 2–4     AIM symbology identifier, e.g. "]Q1" for QR Code (zeros when the scanner sends none)
//   bytes 5–60    data (56 bytes, zero-padded)
//   byte 61       vendor symbology id (ignored)
//   byte 62       reserved
//   byte 63       bit 0 set = more data follows in the next report (continuation)
//
// Why this one: the POS Usage Tables (pos1_02) define the usages (symbology identifier 1–3, decoded data,
// decode data continued) but leave their placement to the report descriptor; this fixed placement is what
// the scanners sold for kiosks actually emit, and parsing the descriptor would add nothing for them.
// Not handled: Newland FM-series "HID POS", which puts the data at byte 2 with no AIM id (use keyboard or
// serial mode for those). Reports with another report id (status, settings) are ignored. A trailing CR/LF that a scanner left
// configured as suffix is removed, as it is not part of the code.
import { scannerError } from './errors.js';
import {
  codeFromBytes,
  type DecoderOptions,
  MAX_CODE_LENGTH,
  type ScanEvent,
  StaleInput,
} from './scan-event.js';

export const HID_POS_LAYOUT = {
  reportId: 0x02,
  reportLength: 64,
  lengthOffset: 1,
  symbologyOffset: 2,
  symbologyLength: 3,
  dataOffset: 5,
  dataCapacity: 56,
  flagsOffset: 63,
  continuedBit: 0x01,
} as const;

/** The usage page a HID-POS scanner's interface announces; used to pick that interface of a composite device. */
export const HID_POS_USAGE_PAGE = 0x8c;

const L = HID_POS_LAYOUT;

export class HidPosDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private symbology: string | undefined;
  private pending = false;
  private readonly stale: StaleInput;

  constructor(opts: DecoderOptions = {}) {
    this.stale = new StaleInput(opts);
  }

  push(report: Uint8Array): ScanEvent[] {
    const events: ScanEvent[] = [];
    if (this.stale.arrived(this.pending)) {
      events.push({ kind: 'error', error: scannerError('SCANNER_INCOMPLETE_CODE', { bytes: this.size }) });
      this.reset();
    }

    if (report.length === 0 || report[0] !== L.reportId) return events;
    if (report.length < L.reportLength) {
      return this.fail(events, {
        message: `A HID-POS scanned-data report must be ${L.reportLength} bytes, got ${report.length}. Check that the scanner is in HID-POS mode.`,
        details: { length: report.length },
      });
    }
    const count = report[L.lengthOffset]!;
    if (count > L.dataCapacity) {
      return this.fail(events, {
        message: `A HID-POS report claims ${count} data bytes; at most ${L.dataCapacity} fit. The code was discarded.`,
        details: { count },
      });
    }
    if (!this.pending) this.symbology = symbologyOf(report.subarray(L.symbologyOffset, L.dataOffset));
    if (this.size + count > MAX_CODE_LENGTH) {
      this.reset();
      events.push({
        kind: 'error',
        error: scannerError('SCANNER_CODE_TOO_LONG', { maxBytes: MAX_CODE_LENGTH }),
      });
      return events;
    }
    this.parts.push(Buffer.from(report.subarray(L.dataOffset, L.dataOffset + count)));
    this.size += count;
    this.pending = true;

    if ((report[L.flagsOffset]! & L.continuedBit) === 0) {
      const data = withoutLineEnd(Buffer.concat(this.parts, this.size));
      const symbology = this.symbology;
      this.reset();
      if (data.length > 0) events.push(codeFromBytes(data, symbology));
    }
    return events;
  }

  /** True while a code continued over several reports is incomplete. */
  hasPartial(): boolean {
    return this.pending;
  }

  private fail(events: ScanEvent[], p: { message: string; details: Record<string, unknown> }): ScanEvent[] {
    this.reset();
    events.push({ kind: 'error', error: scannerError('SCANNER_BAD_REPORT', p.details, p.message) });
    return events;
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.symbology = undefined;
    this.pending = false;
  }
}

function symbologyOf(bytes: Uint8Array): string | undefined {
  // AIM identifiers start with "]"; anything else (usually zeros) means the scanner sent none.
  return bytes[0] === 0x5d ? Buffer.from(bytes).toString('latin1') : undefined;
}

function withoutLineEnd(data: Buffer): Buffer {
  let end = data.length;
  if (end > 0 && data[end - 1] === 0x0a) end--;
  if (end > 0 && data[end - 1] === 0x0d) end--;
  return data.subarray(0, end);
}
