// `certkiosk-devices print-test` against `emulate printer`, both in-process, across a socat PTY pair.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../cli/devices/print-test.js';
import { createPtyPair, type PtyPair } from '../transport/pty-pair.js';
import { runPrinterEmulator } from './emulate-cli.js';
import type { ReceiptPrinterEmulator } from './emulator.js';

function collector() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString('utf8');
  });
  return { stream, text: () => text };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

let pair: PtyPair;
let dir: string;
let stop: AbortController;
let emulatorDone: Promise<void>;
let emulator: ReceiptPrinterEmulator;
let screen: ReturnType<typeof collector>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'print-test-'));
  pair = await createPtyPair(join(dir, 'printer'));
  stop = new AbortController();
  screen = collector();
  let ready: (e: ReceiptPrinterEmulator) => void = () => {};
  const started = new Promise<ReceiptPrinterEmulator>((r) => {
    ready = r;
  });
  emulatorDone = runPrinterEmulator({
    port: pair.devicePath,
    outDir: join(dir, 'out'),
    stdout: screen.stream,
    signal: stop.signal,
    onReady: ready,
  });
  emulator = await started;
});

afterEach(async () => {
  stop.abort();
  await emulatorDone;
  await pair.close();
});

describe('print-test CLI against the printer emulator CLI', () => {
  it('prints a test page with the given text and QR payload, then cuts; the emulator shows it and saves a PNG', async () => {
    const out = collector();
    const err = collector();
    const code = await run(['--port', pair.hostPath, '--text', '你好 䶮\n第二行', '--qr', 'PAY-0001'], {
      stdout: out.stream,
      stderr: err.stream,
    });
    expect(err.text()).toBe('');
    expect(code).toBe(0);
    const [doc] = emulator.documents();
    expect(doc?.lines.map((l) => l.text)).toEqual(expect.arrayContaining(['你好 䶮', '第二行', 'PAY-0001']));
    expect(doc?.qrCodes.map((q) => q.payload)).toEqual(['PAY-0001']);
    expect(doc?.cuts).toHaveLength(1);
    await until(() => screen.text().includes('(picture:'), 'the PNG');
    expect(screen.text()).toContain('你好 䶮');
    expect(screen.text()).toContain('[QR M ×6] PAY-0001');
    expect(existsSync(join(dir, 'out', 'receipt-0001.png'))).toBe(true);
  });

  it('fails with the status code and exit 1 when the printer is out of paper', async () => {
    emulator.setPaper('out');
    const err = collector();
    const code = await run(['--port', pair.hostPath], { stdout: collector().stream, stderr: err.stream });
    expect(code).toBe(1);
    expect(err.text()).toMatch(/^PRINTER_PAPER_OUT: /);
    expect(emulator.documents()).toEqual([]);
  });

  it('fails with PRINTER_COVER_OPEN when the cover is open', async () => {
    emulator.setCoverOpen(true);
    const err = collector();
    expect(await run(['--port', pair.hostPath], { stdout: collector().stream, stderr: err.stream })).toBe(1);
    expect(err.text()).toMatch(/^PRINTER_COVER_OPEN: /);
  });

  it('exits 2 with usage when --port is missing, and 1 when the port does not exist', async () => {
    const err = collector();
    expect(await run([], { stdout: collector().stream, stderr: err.stream })).toBe(2);
    expect(err.text()).toMatch(/--port PATH is required/);
    const err2 = collector();
    expect(
      await run(['--port', join(dir, 'nope')], { stdout: collector().stream, stderr: err2.stream }),
    ).toBe(1);
    expect(err2.text()).toMatch(/^PRINTER_DISCONNECTED: /);
  });
});
