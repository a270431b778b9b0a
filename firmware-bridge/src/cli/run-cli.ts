// Shared entry-point behaviour of the firmware-bridge CLIs: typed errors print "CODE: sentence" and exit 1,
// usage errors exit 2.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isDeviceError } from '../errors.js';

export class UsageError extends Error {}

export function parse<T extends ParseArgsConfig['options']>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: options ?? {}, allowPositionals: false, strict: true })
      .values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export async function runMain(usage: string, main: () => Promise<number | undefined>): Promise<void> {
  try {
    process.exitCode = (await main()) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n\n${usage}`);
      process.exitCode = 2;
    } else if (isDeviceError(err)) {
      process.stderr.write(`${err.code}: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`INTERNAL: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 70;
    }
  }
}
