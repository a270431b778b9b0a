#!/usr/bin/env node
// certkiosk-devices — look at the kiosk's devices, try each driver by hand, and run emulators that speak the
// devices' wire protocols on a PTY so the drivers can be tried without hardware.
import { existsSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { loadConfigFile } from '@certkiosk/config';
import { runIdReaderEmulator } from '../id-reader/emulate-cli.js';
import { DeviceManager } from '../manager/device-manager.js';
import type { DeviceStatus } from '../manager/device-status.js';
import { runPrinterEmulator } from '../printer/emulate-cli.js';
import { runScannerEmulator } from '../scanner/emulate-cli.js';
import { createPtyPair, type PtyPair } from '../transport/pty-pair.js';
import { run as idRead } from './devices/id-read.js';
import { run as printTest } from './devices/print-test.js';
import { run as scanListen } from './devices/scan-listen.js';
import { parse, required, runMain, UsageError } from './run-cli.js';

const USAGE = `usage: certkiosk-devices <command> [options]
  status [--config FILE] [--json]
      open the devices named in the config and print one status per device;
      exit 0 when all are online, 1 otherwise (the config may also come from CERTKIOSK_CONFIG)
  id-read --port PATH [--json]
      read the ID card on the reader once and print it (ID number masked unless --json)
  print-test --port PATH [--text TEXT] [--qr PAYLOAD]
      print a test page with TEXT and a QR code, then cut
  scan-listen --port PATH
      print each scanned code on its own line until Ctrl-C
  emulate id-reader|printer|scanner --port PATH [--card FIXTURE.json] [--out DIR]
      run a device emulator until Ctrl-C. If nothing exists at PATH, a socat PTY pair is made:
      the driver opens PATH, the emulator PATH.device. An existing PATH is taken as the device end.
      --card: ID card on the reader (id-reader); --out: write each receipt as PNG there (printer)
Run "certkiosk-devices <command> --help" for the options of id-read, print-test and scan-listen.
`;

const EMULATED = ['id-reader', 'printer', 'scanner'] as const;
type EmulatedDevice = (typeof EMULATED)[number];

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'status':
      return status(rest);
    case 'id-read':
      return idRead(rest);
    case 'print-test':
      return printTest(rest);
    case 'scan-listen':
      return scanListen(rest);
    case 'emulate':
      return emulate(rest);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    case undefined:
      throw new UsageError('a command is required');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function status(argv: string[]): Promise<number> {
  const v = parse(argv, {
    config: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v['help']) {
    process.stdout.write(USAGE);
    return 0;
  }
  const file = (v['config'] as string | undefined) ?? process.env['CERTKIOSK_CONFIG'];
  if (!file) throw new UsageError('--config FILE is required (or set CERTKIOSK_CONFIG)');
  const loaded = loadConfigFile(file);
  if (!loaded.ok) {
    process.stderr.write(`CONFIG_INVALID: invalid configuration ${file}\n`);
    for (const p of loaded.problems) process.stderr.write(`  ${p}\n`);
    return 2;
  }
  const { config } = loaded;
  const manager = new DeviceManager(config.devices, {
    pollIntervalMs: config.devices.token.pollIntervalMs,
    deviceTimeoutMs: config.timeouts.deviceMs,
  });
  manager.start();
  let statuses: DeviceStatus[];
  try {
    statuses = await manager.settled();
  } finally {
    await manager.stop();
  }
  process.stdout.write(v['json'] ? `${JSON.stringify(statuses, null, 2)}\n` : statusTable(statuses));
  return statuses.every((s) => s.state === 'online') ? 0 : 1;
}

function statusTable(statuses: DeviceStatus[]): string {
  return statuses.map((s) => `${s.kind.padEnd(9)}${s.state.padEnd(20)}${s.detail ?? '-'}\n`).join('');
}

async function emulate(argv: string[]): Promise<number> {
  const [device, ...rest] = argv;
  if (device === '--help' || device === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!EMULATED.includes(device as EmulatedDevice)) {
    throw new UsageError(
      device ? `cannot emulate "${device}"; choose id-reader, printer or scanner` : 'emulate needs a device',
    );
  }
  const kind = device as EmulatedDevice;
  const v = parse(rest, {
    port: { type: 'string' },
    card: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v['help']) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = required(v, 'port');
  if (v['card'] !== undefined && kind !== 'id-reader') throw new UsageError('--card is only for id-reader');
  if (v['out'] !== undefined && kind !== 'printer') throw new UsageError('--out is only for printer');

  // Signals are caught from here on, so the PTY pair is always cleaned up.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let pair: PtyPair | undefined;
  try {
    let devicePath = port;
    if (existsSync(port)) {
      if (!isCharacterDevice(port)) throw new UsageError(`${port} exists but is not a serial device`);
      process.stdout.write(`emulating on ${port} (the device end); the driver opens the other end\n`);
    } else {
      removeDanglingLink(port);
      pair = await createPtyPair(port);
      devicePath = pair.devicePath;
      process.stdout.write(
        `made a PTY pair: the driver opens ${pair.hostPath} (emulator on ${devicePath})\n`,
      );
    }
    if (!stop.signal.aborted) await runEmulator(kind, devicePath, v, stop.signal);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pair?.close();
  }
}

function runEmulator(
  kind: EmulatedDevice,
  devicePath: string,
  v: Record<string, string | boolean | undefined>,
  signal: AbortSignal,
): Promise<void> {
  switch (kind) {
    case 'id-reader':
      return runIdReaderEmulator({ port: devicePath, card: v['card'] as string | undefined, signal });
    case 'printer':
      return runPrinterEmulator({ port: devicePath, outDir: v['out'] as string | undefined, signal });
    case 'scanner': {
      // Typed (or piped) lines are scanned. Ctrl-D at a terminal stops it; piped input ending does not,
      // so `printf 'CODE\n' | certkiosk-devices emulate scanner …` keeps the port up until a signal.
      const input = new PassThrough();
      process.stdin.pipe(input, { end: process.stdin.isTTY === true });
      signal.addEventListener('abort', () => input.end(), { once: true });
      return runScannerEmulator({ port: devicePath, input }).finally(() => {
        process.stdin.unpipe(input);
        process.stdin.pause();
      });
    }
  }
}

function isCharacterDevice(path: string): boolean {
  try {
    return statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
}

/** A link left by an earlier socat whose PTY is gone would stop a new pair from being made. */
function removeDanglingLink(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink()) unlinkSync(path);
  } catch {
    // Nothing there: fine.
  }
}

await runMain(USAGE, main);
