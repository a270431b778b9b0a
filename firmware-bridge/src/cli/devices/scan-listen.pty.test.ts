// scan-listen run in-process against the scanner emulator, and as a real process for the signal handling.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialScannerEmulator } from '../../scanner/emulator.js';
import { createPtyPair, type PtyPair } from '../../transport/pty-pair.js';
import { run } from './scan-listen.js';

let pair: PtyPair | undefined;
afterEach(async () => pair?.close());

function captured() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c) => {
    text += String(c);
  });
  return { stream, text: () => text };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const newPair = () => createPtyPair(join(mkdtempSync(join(tmpdir(), 'scan-listen-')), 'scanner'));

describe('certkiosk-devices scan-listen', () => {
  it('prints each scanned code on its own line, exits 0 when stopped', async () => {
    pair = await newPair();
    const out = captured();
    const err = captured();
    const stop = new AbortController();
    const exit = run(['--port', pair.hostPath], {
      stdout: out.stream,
      stderr: err.stream,
      signal: stop.signal,
    });
    const device = await SerialScannerEmulator.open(pair.devicePath);
    await sleep(50); // let the listener open its end before the first scan
    await device.scan('CK1.one');
    await device.scan('CK1.two', { suffix: '\r\n', chunked: true });
    await until(() => out.text() === 'CK1.one\nCK1.two\n', 'two printed codes');
    stop.abort();
    expect(await exit).toBe(0);
    expect(err.text()).toBe('');
    await device.close();
  });

  it('exits non-zero with SCANNER_DISCONNECTED when the port goes away', async () => {
    pair = await newPair();
    const err = captured();
    const exit = run(['--port', pair.hostPath], { stdout: captured().stream, stderr: err.stream });
    await sleep(50);
    await pair.close();
    expect(await exit).toBe(1);
    expect(err.text()).toMatch(/^SCANNER_DISCONNECTED: /);
  });

  it('exits non-zero with SCANNER_OPEN_FAILED for a port that does not exist', async () => {
    const err = captured();
    expect(
      await run(['--port', '/dev/certkiosk-no-such-port'], { stdout: captured().stream, stderr: err.stream }),
    ).toBe(1);
    expect(err.text()).toMatch(/^SCANNER_OPEN_FAILED: .*no-such-port/);
  });

  it('exits 2 with usage when --port is missing or an option is unknown', async () => {
    for (const argv of [[], ['--port', '/dev/x', '--colour']]) {
      const err = captured();
      expect(await run(argv, { stdout: captured().stream, stderr: err.stream })).toBe(2);
      expect(err.text()).toMatch(/SCANNER_BAD_ARGUMENTS[\s\S]*usage: certkiosk-devices scan-listen/);
    }
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('as a process: prints codes and exits 0 on %s', async (signal) => {
    const built = fileURLToPath(new URL('../../../dist/cli/devices/scan-listen.js', import.meta.url));
    expect(existsSync(built), 'build first: npx tsc -b').toBe(true);
    pair = await newPair();
    const script = `const m = await import(${JSON.stringify(pathToFileURL(built).href)}); process.exitCode = await m.run(process.argv.slice(1));`;
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', script, '--', '--port', pair.hostPath],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c) => {
      out += String(c);
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const device = await SerialScannerEmulator.open(pair.devicePath);
      // Scan until the child has opened the port and printed the code (its startup time varies).
      const end = Date.now() + 10_000;
      while (!out.includes('CK1.proc\n') && Date.now() < end) {
        await device.scan('CK1.proc');
        await sleep(100);
      }
      expect(out.split('\n')[0]).toBe('CK1.proc');
      await device.close();
      child.kill(signal);
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
