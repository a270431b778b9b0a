// `certkiosk-devices emulate scanner --port PATH`: a serial QR scanner a person drives from the keyboard.
// Opens the device end of a PTY and "scans" every line typed on stdin, so the driver side can be tried by hand.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { type LineSuffix, SerialScannerEmulator } from './emulator.js';

export interface ScannerEmulatorArgs {
  /** Device end of the PTY pair (the driver opens the other end). */
  port: string;
  suffix?: LineSuffix;
  input?: Readable;
  log?: Writable;
}

/** Resolves when stdin ends; rejects with a DeviceError when the port cannot be opened or goes away. */
export async function runScannerEmulator(args: ScannerEmulatorArgs): Promise<void> {
  const input = args.input ?? process.stdin;
  const log = args.log ?? process.stderr;
  const emulator = await SerialScannerEmulator.open(args.port);
  log.write(`scanner emulator on ${args.port}: type a code and press Enter to scan it; Ctrl-C to stop\n`);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  try {
    for await (const line of lines) {
      if (line.length === 0) continue;
      await emulator.scan(line, { suffix: args.suffix ?? '\r' });
    }
  } finally {
    lines.close();
    await emulator.close();
  }
}
