import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from './pty-pair.js';
import { openSerial } from './serial.js';

let pair: PtyPair | undefined;
afterEach(async () => pair?.close());

describe('serial transport over a socat PTY pair', () => {
  it('carries bytes both ways and reports the peer vanishing', async () => {
    pair = await createPtyPair(join(mkdtempSync(join(tmpdir(), 'pty-')), 'dev'));
    const host = await openSerial(pair.hostPath);
    const device = await openSerial(pair.devicePath);
    const got = new Promise<Buffer>((r) => device.onData(r));
    await host.write(Buffer.from([0xaa, 0x00, 0xff]));
    expect([...(await got)]).toEqual([0xaa, 0x00, 0xff]);

    const closed = new Promise<void>((r) => host.onClose(() => r()));
    await pair.close();
    await closed;
    expect(host.isOpen).toBe(false);
    await expect(host.write(Buffer.from([1]))).rejects.toMatchObject({ code: 'SERIAL_CLOSED' });
    await device.close();
  });
});
