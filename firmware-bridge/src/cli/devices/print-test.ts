// `certkiosk-devices print-test --port PATH [--text TEXT] [--qr PAYLOAD]`: prints a test page holding the text and
// a QR code, then cuts. Exits 0 when printed; 1 with the printer's error code when it is not ready; 2 on bad usage.
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { isDeviceError } from '../../errors.js';
import { openReceiptPrinter } from '../../printer/driver.js';
import { line, qrCode, type Receipt } from '../../printer/receipt.js';

const USAGE = `usage: certkiosk-devices print-test --port PATH [--text TEXT] [--qr PAYLOAD] [--baud N]
  Prints a test page with TEXT and a QR code holding PAYLOAD, then cuts.
  --port PATH      serial port of the receipt printer (e.g. /dev/ttyUSB0)
  --text TEXT      text to print (default: a line of Chinese, including rare characters)
  --qr PAYLOAD     QR code content (default: certkiosk print test)
  --baud N         baud rate (default 115200; USB CDC printers ignore it)
`;

const DEFAULT_TEXT = '中文打印测试 龚䶮 𠀀 ¥100.00';
const DEFAULT_QR = 'certkiosk print test';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
}

interface Options {
  port: string;
  text: string;
  qr: string;
  baudRate: number;
}

export function testPage(text: string, qr: string, now = new Date()): Receipt {
  const rule = line('-'.repeat(48));
  return {
    items: [
      line('打印测试页', { align: 'center', bold: true, doubleWidth: true, doubleHeight: true }),
      line('certkiosk printer test page', { align: 'center' }),
      line(now.toISOString().replace('T', ' ').slice(0, 19), { align: 'center' }),
      rule,
      // One item per line: a receipt line may not hold a line break.
      ...text.split(/\r?\n/).map((t) => line(t)),
      rule,
      qrCode(qr, { align: 'center', moduleSize: 6, errorCorrection: 'M' }),
      line(qr.length > 48 ? `${qr.slice(0, 45)}...` : qr, { align: 'center' }),
    ],
    cut: 'full',
  };
}

/** `argv` holds the arguments after `print-test`. Resolves with the exit code. */
export async function run(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let opts: Options | null;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    io.stderr.write(`PRINTER_BAD_ARGUMENTS: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!opts) {
    io.stdout.write(USAGE);
    return 0;
  }

  const printer = openReceiptPrinter({ transport: 'serial', port: opts.port, baudRate: opts.baudRate });
  try {
    await printer.print(testPage(opts.text, opts.qr));
    io.stdout.write(`Printed a test page on ${opts.port}.\n`);
    return 0;
  } catch (err) {
    if (isDeviceError(err)) {
      io.stderr.write(`${err.code}: ${err.message}\n`);
      return err.code === 'PRINTER_BAD_RECEIPT' ? 2 : 1;
    }
    io.stderr.write(`PRINTER_JOB_FAILED: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await printer.close().catch(() => {});
  }
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      text: { type: 'string', default: DEFAULT_TEXT },
      qr: { type: 'string', default: DEFAULT_QR },
      baud: { type: 'string', default: '115200' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return null;
  if (!values.port) throw new Error('--port PATH is required');
  const baudRate = Number(values.baud);
  if (!Number.isInteger(baudRate) || baudRate <= 0)
    throw new Error(`--baud must be a positive integer, got "${values.baud}"`);
  return { port: values.port, text: values.text, qr: values.qr, baudRate };
}
