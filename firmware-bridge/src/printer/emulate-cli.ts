// `certkiosk-devices emulate printer --port PATH`: a receipt printer on the device end of a PTY, so a person
// can drive it with the real driver (or any ESC/POS program) and see each receipt as text and as a PNG.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { openSerial } from '../transport/serial.js';
import { ReceiptPrinterEmulator } from './emulator.js';
import { formatReceiptText } from './receipt-text.js';
import { renderReceiptPng } from './render-png.js';

export interface PrinterEmulatorArgs {
  /** The device end of the PTY pair (the driver opens the other end). */
  port: string;
  /** Where each cut receipt is written as `receipt-0001.png`, … */
  outDir?: string;
  stdout?: Writable;
  /** Stops the emulator like SIGINT does. */
  signal?: AbortSignal;
  /** Gets the running emulator, e.g. to put it into paper-out from a test or a REPL. */
  onReady?: (emulator: ReceiptPrinterEmulator) => void;
}

/** Runs until SIGINT/SIGTERM (or `signal`), or until the port closes. */
export async function runPrinterEmulator(args: PrinterEmulatorArgs): Promise<void> {
  const out = args.stdout ?? process.stdout;
  const transport = await openSerial(args.port);
  const emulator = new ReceiptPrinterEmulator();
  emulator.attach(transport);
  if (args.outDir) await mkdir(args.outDir, { recursive: true });

  let count = 0;
  let writing = Promise.resolve();
  emulator.onDocument((doc) => {
    count++;
    const n = count;
    out.write(`=== receipt ${n} ===\n${formatReceiptText(doc)}`);
    if (doc.skippedBytes > 0) out.write(`(skipped ${doc.skippedBytes} bytes of unknown commands)\n`);
    const dir = args.outDir;
    if (!dir) return;
    const file = join(dir, `receipt-${String(n).padStart(4, '0')}.png`);
    // Keep PNG writes in order and never let a failed write stop the emulator.
    writing = writing
      .then(async () => writeFile(file, await renderReceiptPng(doc)))
      .then(
        () => void out.write(`(picture: ${file})\n`),
        (err: Error) => void out.write(`(could not write ${file}: ${err.message})\n`),
      );
  });
  out.write(`Receipt printer emulator on ${args.port}; Ctrl-C to stop.\n`);
  args.onReady?.(emulator);

  await new Promise<void>((resolve) => {
    const stop = () => {
      offClose();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      args.signal?.removeEventListener('abort', stop);
      resolve();
    };
    const offClose = transport.onClose(() => {
      out.write('The port was closed.\n');
      stop();
    });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (args.signal?.aborted) stop();
    else args.signal?.addEventListener('abort', stop, { once: true });
  });
  await writing;
  await transport.close();
}
