import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../transport/pty-pair.js';
import { SerialQrScanner } from './driver.js';
import { runScannerEmulator } from './emulate-cli.js';

let pair: PtyPair | undefined;
afterEach(async () => pair?.close());

describe('runScannerEmulator (certkiosk-devices emulate scanner)', () => {
  it('scans every non-empty line typed on its input, for the driver on the other end of the PTY', async () => {
    pair = await createPtyPair(join(mkdtempSync(join(tmpdir(), 'scan-emu-')), 'scanner'));
    const scanner = await SerialQrScanner.open(pair.hostPath);
    const codes: string[] = [];
    scanner.onScan((c) => codes.push(c));

    const input = new PassThrough();
    const log = new PassThrough();
    const running = runScannerEmulator({ port: pair.devicePath, input, log });
    input.write('CK1.first\n\nhttps://ca.example.cn/p?o=7\r\n');
    input.end('last-without-newline');
    await running;
    for (let i = 0; codes.length < 3 && i < 300; i++) await sleep(10);
    expect(codes).toEqual(['CK1.first', 'https://ca.example.cn/p?o=7', 'last-without-newline']);
    expect(String(log.read())).toMatch(/scanner emulator on/);
    await scanner.close();
  });

  it('rejects with SERIAL_OPEN_FAILED when the port does not exist', async () => {
    await expect(
      runScannerEmulator({
        port: '/dev/certkiosk-no-such-pty',
        input: new PassThrough(),
        log: new PassThrough(),
      }),
    ).rejects.toMatchObject({ code: 'SERIAL_OPEN_FAILED' });
  });
});
