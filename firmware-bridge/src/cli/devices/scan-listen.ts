// `certkiosk-devices scan-listen --port PATH`: prints each code a serial QR scanner reads, one per line,
// until SIGINT/SIGTERM (exit 0) or the scanner goes away (exit 1 with its error code).

import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { isDeviceError } from '../../errors.js';
import { SerialQrScanner } from '../../scanner/driver.js';

const USAGE = `usage: certkiosk-devices scan-listen --port PATH [--baud N] [--dedupe-ms N]
  Prints each scanned code on its own line until Ctrl-C.
  --port PATH      serial port of the scanner (e.g. /dev/ttyACM0)
  --baud N         baud rate (default 9600; USB CDC scanners ignore it)
  --dedupe-ms N    drop repeats of the same code within N ms (default 1500, 0 = keep all)
`;

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** Stops listening like SIGINT does (for callers that run the command in-process). */
  signal?: AbortSignal;
}

/** `argv` holds the arguments after `scan-listen`. Resolves with the exit code. */
export async function run(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  // Tolerate being handed the sub-command name too, whichever way the dispatcher slices argv.
  if (argv[0] === 'scan-listen') argv = argv.slice(1);
  let opts: { port: string; baudRate: number; dedupeWindowMs: number };
  try {
    opts = parseOptions(argv);
  } catch (err) {
    io.stderr.write(`SCANNER_BAD_ARGUMENTS: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(USAGE);
    return 0;
  }

  let scanner: SerialQrScanner;
  try {
    scanner = await SerialQrScanner.open(opts.port, {
      baudRate: opts.baudRate,
      dedupeWindowMs: opts.dedupeWindowMs,
    });
  } catch (err) {
    io.stderr.write(describe(err));
    return 1;
  }

  scanner.onScan((code) => io.stdout.write(`${code}\n`));
  // A bad read is worth telling but not worth stopping for: the next scan may be fine.
  scanner.onError((err) => io.stderr.write(describe(err)));

  return new Promise<number>((resolve) => {
    const stop = () => {
      cleanup();
      scanner.close().then(
        () => resolve(0),
        () => resolve(0),
      );
    };
    const offClose = scanner.onClose((err) => {
      cleanup();
      if (err) io.stderr.write(describe(err));
      resolve(err ? 1 : 0);
    });
    const cleanup = () => {
      offClose();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
}

function parseOptions(argv: string[]): { port: string; baudRate: number; dedupeWindowMs: number } {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      baud: { type: 'string', default: '9600' },
      'dedupe-ms': { type: 'string', default: '1500' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { port: '', baudRate: 0, dedupeWindowMs: 0 };
  if (!values.port) throw new Error('--port PATH is required');
  const baudRate = Number(values.baud);
  if (!Number.isInteger(baudRate) || baudRate <= 0)
    throw new Error(`--baud must be a positive integer, got "${values.baud}"`);
  const dedupeWindowMs = Number(values['dedupe-ms']);
  if (!Number.isInteger(dedupeWindowMs) || dedupeWindowMs < 0) {
    throw new Error(`--dedupe-ms must be a whole number of milliseconds, got "${values['dedupe-ms']}"`);
  }
  return { port: values.port, baudRate, dedupeWindowMs };
}

function describe(err: unknown): string {
  if (isDeviceError(err)) return `${err.code}: ${err.message}\n`;
  return `SCANNER_OPEN_FAILED: ${(err as Error).message}\n`;
}
