// `certkiosk-devices` as a user runs it: the built bin in its own process, against emulators over PTY pairs
// and a SoftHSM token. Build first: `npx tsc -b`.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCardFixture } from '../id-reader/card-fixture.js';
import { IdCardReaderEmulator } from '../id-reader/emulator.js';
import type { DeviceStatus } from '../manager/device-status.js';
import { ReceiptPrinterEmulator } from '../printer/emulator.js';
import { SerialScannerEmulator } from '../scanner/emulator.js';
import { createSoftHsmHome, type SoftHsmHome, USBKEY_SIM_MODULE } from '../token/softhsm.js';
import { createPtyPair, type PtyPair } from '../transport/pty-pair.js';
import { type ByteTransport, openSerial } from '../transport/serial.js';

const BIN = fileURLToPath(new URL('../../dist/cli/devices.js', import.meta.url));
const SIM_PROFILE = fileURLToPath(new URL('../../../config/profiles/sim.json', import.meta.url));
const CARD = fileURLToPath(new URL('../../test/fixtures/cards/han-zhang-wei.json', import.meta.url));

let home: SoftHsmHome;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(() => {
  expect(existsSync(BIN), 'build first: npx tsc -b').toBe(true);
  home = createSoftHsmHome(mkdtempSync(join(tmpdir(), 'devices-cli-hsm-')));
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', 'user-key-1', '--so-pin', 'so-pin-8421', '--pin', '246813'],
    { env: home.env, stdio: 'ignore' },
  );
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the bin to completion. */
function runBin(args: string[], env: NodeJS.ProcessEnv = home.env, timeoutMs = 15_000): Promise<Finished> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = collect(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out.stdout(), stderr: out.stderr() });
    }),
  );
}

function collect(child: ChildProcess) {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => {
    stdout += String(c);
  });
  child.stderr?.on('data', (c) => {
    stderr += String(c);
  });
  return { stdout: () => stdout, stderr: () => stderr };
}

async function untilText(read: () => string, text: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!read().includes(text)) {
    if (Date.now() > end) throw new Error(`did not see "${text}" in:\n${read()}`);
    await sleep(20);
  }
}

/** A config whose serial ports are the host ends of emulator PTYs and whose token module is the sim module. */
function writeConfig(dir: string, ports: { idReader: string; printer: string; scanner: string }): string {
  // The sim profile with the devices replaced: it stays valid as the schema grows.
  const sim = JSON.parse(readFileSync(SIM_PROFILE, 'utf8'));
  const config = {
    ...sim,
    devices: {
      token: { transport: 'pkcs11', module: USBKEY_SIM_MODULE, pollIntervalMs: 100 },
      idReader: { transport: 'serial', port: ports.idReader, baudRate: 115200 },
      printer: { transport: 'serial', port: ports.printer, baudRate: 115200 },
      scanner: { transport: 'serial', port: ports.scanner, baudRate: 9600 },
    },
    timeouts: { ...sim.timeouts, deviceMs: 500 },
    store: { dir: join(dir, 'store') },
  };
  const file = join(dir, 'certkiosk.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** PTY pairs with an emulator on each device end. */
async function emulatedDevices(dir: string) {
  const pairs: Record<'idReader' | 'printer' | 'scanner', PtyPair> = {
    idReader: await createPtyPair(join(dir, 'id-reader')),
    printer: await createPtyPair(join(dir, 'printer')),
    scanner: await createPtyPair(join(dir, 'scanner')),
  };
  const reader = await IdCardReaderEmulator.open(pairs.idReader.devicePath, {
    card: await loadCardFixture(CARD),
  });
  const printerEnd: ByteTransport = await openSerial(pairs.printer.devicePath);
  new ReceiptPrinterEmulator().attach(printerEnd);
  const scanner = await SerialScannerEmulator.open(pairs.scanner.devicePath);
  cleanups.push(async () => {
    await Promise.all([reader.close(), printerEnd.close(), scanner.close()].map((p) => p.catch(() => {})));
    await Promise.all(Object.values(pairs).map((p) => p.close()));
  });
  return { pairs, scanner };
}

describe('certkiosk-devices status', () => {
  it('prints every device online as JSON, and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devices-cli-'));
    const { pairs } = await emulatedDevices(dir);
    const config = writeConfig(dir, {
      idReader: pairs.idReader.hostPath,
      printer: pairs.printer.hostPath,
      scanner: pairs.scanner.hostPath,
    });
    const r = await runBin(['status', '--config', config, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const statuses = JSON.parse(r.stdout) as DeviceStatus[];
    expect(statuses.map((s) => [s.kind, s.state, s.detail])).toEqual([
      ['token', 'online', 'token-present'],
      ['idReader', 'online', null],
      ['printer', 'online', null],
      ['scanner', 'online', null],
    ]);
    for (const s of statuses) expect(Number.isNaN(Date.parse(s.since))).toBe(false);
  });

  it('prints one line per device from CERTKIOSK_CONFIG and exits 1 when one is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devices-cli-'));
    const { pairs } = await emulatedDevices(dir);
    const config = writeConfig(dir, {
      idReader: pairs.idReader.hostPath,
      printer: pairs.printer.hostPath,
      scanner: join(dir, 'no-scanner-here'),
    });
    const r = await runBin(['status'], { ...home.env, CERTKIOSK_CONFIG: config });
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^token\s+online\s+token-present$/),
      expect.stringMatching(/^idReader\s+online\s+-$/),
      expect.stringMatching(/^printer\s+online\s+-$/),
      expect.stringMatching(/^scanner\s+offline\s+disconnected$/),
    ]);
  });

  it('refuses a missing or invalid config with exit 2', async () => {
    const missing = await runBin(['status'], { ...home.env, CERTKIOSK_CONFIG: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--config FILE is required/);

    const dir = mkdtempSync(join(tmpdir(), 'devices-cli-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ devices: {} }));
    const invalid = await runBin(['status', '--config', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(
      /^CONFIG_INVALID: invalid configuration .*bad\.json\n {2}appliance: missing/,
    );
  });
});

describe('certkiosk-devices emulate', () => {
  it('emulate printer makes a PTY pair that print-test prints on, and cleans it up on SIGTERM', async () => {
    const port = join(mkdtempSync(join(tmpdir(), 'devices-cli-')), 'printer');
    const emulator = spawn(process.execPath, [BIN, 'emulate', 'printer', '--port', port], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = collect(emulator);
    const exited = new Promise<number | null>((r) => emulator.once('exit', (code) => r(code)));
    cleanups.push(async () => emulator.exitCode === null && emulator.kill('SIGKILL'));
    await untilText(out.stdout, 'Receipt printer emulator on');
    expect(out.stdout()).toContain(`the driver opens ${port} (emulator on ${port}.device)`);

    const printed = await runBin([
      'print-test',
      '--port',
      port,
      '--text',
      '自助发证 测试',
      '--qr',
      'PICKUP-42',
    ]);
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    await untilText(out.stdout, 'full cut');
    expect(out.stdout()).toMatch(/=== receipt 1 ===[\s\S]*自助发证 测试[\s\S]*\[QR M ×6\] PICKUP-42/);

    emulator.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(port)).toBe(false);
    expect(existsSync(`${port}.device`)).toBe(false);
  });

  it('emulate scanner on an existing device end feeds scan-listen', async () => {
    const pair = await createPtyPair(join(mkdtempSync(join(tmpdir(), 'devices-cli-')), 'scanner'));
    cleanups.push(() => pair.close());
    const emulator = spawn(process.execPath, [BIN, 'emulate', 'scanner', '--port', pair.devicePath], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const emuOut = collect(emulator);
    const emuExit = new Promise<number | null>((r) => emulator.once('exit', (code) => r(code)));
    cleanups.push(async () => emulator.exitCode === null && emulator.kill('SIGKILL'));
    const listener = spawn(process.execPath, [BIN, 'scan-listen', '--port', pair.hostPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const heard = collect(listener);
    const listenExit = new Promise<number | null>((r) => listener.once('exit', (code) => r(code)));
    cleanups.push(async () => listener.exitCode === null && listener.kill('SIGKILL'));
    await untilText(emuOut.stderr, 'scanner emulator on');
    expect(emuOut.stdout()).toContain(`emulating on ${pair.devicePath}`);

    // Scan until the listener has opened its port and printed the code (its start-up time varies).
    const end = Date.now() + 10_000;
    let n = 0;
    while (!heard.stdout().includes('CK-SCAN-') && Date.now() < end) {
      emulator.stdin.write(`CK-SCAN-${++n}\n`);
      await sleep(200);
    }
    expect(heard.stdout()).toMatch(/^CK-SCAN-\d+\n/);
    // Piped input ending does not stop the emulator; a signal does.
    emulator.stdin.end();
    await sleep(200);
    expect(emulator.exitCode).toBe(null);
    emulator.kill('SIGINT');
    expect(await emuExit).toBe(0);
    listener.kill('SIGINT');
    expect(await listenExit).toBe(0);
  });
});

describe('certkiosk-devices usage', () => {
  it('prints usage with --help (exit 0) and rejects a missing or unknown command (exit 2)', async () => {
    const help = await runBin(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: certkiosk-devices/);
    for (const c of ['status', 'id-read', 'print-test', 'scan-listen', 'emulate id-reader|printer|scanner']) {
      expect(help.stdout).toContain(c);
    }
    for (const args of [
      [],
      ['frobnicate'],
      ['emulate', 'modem', '--port', '/tmp/x'],
      ['emulate', 'printer'],
    ]) {
      const r = await runBin(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: .*\n\nusage: certkiosk-devices/);
    }
    const card = await runBin(['emulate', 'printer', '--port', '/tmp/x', '--card', 'c.json']);
    expect(card.code).toBe(2);
    expect(card.stderr).toMatch(/--card is only for id-reader/);
  });

  it('delegates id-read to its module, which names the failure', async () => {
    const r = await runBin(['id-read', '--port', '/dev/certkiosk-no-such-reader']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ID_READER_OPEN_FAILED: /);
  });
});
