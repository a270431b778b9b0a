// The real SerialQrScanner against the serial scanner emulator across a socat PTY pair.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceError } from '../errors.js';
import { createPtyPair, type PtyPair } from '../transport/pty-pair.js';
import { SerialQrScanner } from './driver.js';
import { SerialScannerEmulator } from './emulator.js';

let pair: PtyPair | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => {});
  await pair?.close();
  pair = undefined;
});

async function setup(opts: { dedupeWindowMs?: number; now?: () => number } = {}) {
  pair = await createPtyPair(join(mkdtempSync(join(tmpdir(), 'scanner-')), 'scanner'));
  const scanner = await SerialQrScanner.open(pair.hostPath, opts);
  const device = await SerialScannerEmulator.open(pair.devicePath);
  cleanups.push(
    () => scanner.close(),
    () => device.close(),
  );
  const codes: string[] = [];
  const errors: string[] = [];
  scanner.onScan((c) => codes.push(c));
  scanner.onError((e) => errors.push(e.code));
  return { scanner, device, codes, errors };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('SerialQrScanner ↔ SerialScannerEmulator over a PTY', () => {
  it.each([
    ['CR', '\r'],
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ] as const)('reads codes ended by %s, whole and chunked', async (_name, suffix) => {
    const { device, codes, errors } = await setup();
    await device.scan('CK1.whole', { suffix });
    await device.scan('CK1.chunked-证书-·', { suffix, chunked: true });
    await until(() => codes.length === 2, 'two codes');
    expect(codes).toEqual(['CK1.whole', 'CK1.chunked-证书-·']);
    expect(errors).toEqual([]);
  });

  it('drops the same code within the window and passes a different one', async () => {
    let now = 0;
    const { device, codes } = await setup({ dedupeWindowMs: 1500, now: () => now });
    await device.scan('A-1');
    await until(() => codes.length === 1, 'first code');
    now = 1000;
    await device.scan('A-1');
    await device.scan('B-2');
    await until(() => codes.length === 2, 'second code');
    now = 4000;
    await device.scan('B-2');
    await until(() => codes.length === 3, 'third code');
    expect(codes).toEqual(['A-1', 'B-2', 'B-2']);
  });

  it('reports undecodable bytes as a typed error and keeps reading', async () => {
    const { device, codes, errors } = await setup();
    await device.sendRaw(Buffer.from([0xff, 0xfe, 0x0d]));
    await device.scan('good');
    await until(() => codes.length === 1, 'good code');
    expect(errors).toEqual(['SCANNER_BAD_ENCODING']);
    expect(codes).toEqual(['good']);
  });

  it('reports the cable pulled (PTY closed) and works again on a new open after it is plugged back', async () => {
    const { scanner, codes } = await setup();
    const closed = new Promise<DeviceError | undefined>((r) => scanner.onClose(r));
    await pair!.close();
    expect((await closed)?.code).toBe('SCANNER_DISCONNECTED');
    expect(scanner.isOpen).toBe(false);

    await pair!.reopen();
    const again = await SerialQrScanner.open(pair!.hostPath);
    const device = await SerialScannerEmulator.open(pair!.devicePath);
    cleanups.push(
      () => again.close(),
      () => device.close(),
    );
    again.onScan((c) => codes.push(c));
    await device.scan('after-replug', { suffix: '\r\n' });
    await until(() => codes.includes('after-replug'), 'code after replug');
  });

  it('closes cleanly without an error when the kiosk closes it', async () => {
    const { scanner } = await setup();
    const closes: (DeviceError | undefined)[] = [];
    scanner.onClose((e) => closes.push(e));
    await scanner.close();
    expect(closes).toEqual([undefined]);
    expect(scanner.isOpen).toBe(false);
  });
});
