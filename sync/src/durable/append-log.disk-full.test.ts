// A full disk on a real (small) tmpfs: a failed append keeps nothing of its record, the log stays usable,
// and once there is room again the next append works and a reopen reads exactly what was acknowledged.
import { afterEach, describe, expect, it } from 'vitest';
import { AppendLog } from './append-log.js';
import { isDurableStoreError } from './errors.js';
import { mountSmallDisk, type SmallDisk } from './small-disk.js';

let disk: SmallDisk | undefined;
afterEach(() => {
  disk?.unmount();
  disk = undefined;
});

async function all(log: AppendLog<{ n: number; pad?: string }>) {
  const out: number[] = [];
  for await (const e of log.readFrom(1)) out.push(e.data.n);
  return out;
}

describe('append log on a full disk', () => {
  it('refuses the record that does not fit, keeps going once space is back, never a hole or a phantom', async () => {
    disk = mountSmallDisk(256);
    const log = await AppendLog.open<{ n: number; pad?: string }>(disk.dir);
    await log.append({ n: 1 });
    await log.append({ n: 2 });
    disk.fill();
    const err = await log.append({ n: 3, pad: 'x'.repeat(20_000) }).catch((e) => e);
    expect(isDurableStoreError(err) && err.code).toBe('LOG_WRITE_FAILED');
    // Still full: the next one fails the same way, and does not leave a half-written line behind.
    await expect(log.append({ n: 4, pad: 'y'.repeat(20_000) })).rejects.toMatchObject({
      code: 'LOG_WRITE_FAILED',
    });
    disk.free();
    expect(await log.append({ n: 5 })).toBe(3);
    expect(await all(log)).toEqual([1, 2, 5]);
    await log.close();

    const again = await AppendLog.open<{ n: number; pad?: string }>(disk.dir);
    expect(await all(again)).toEqual([1, 2, 5]);
    expect(await again.append({ n: 6 })).toBe(4);
    await again.close();
  });
});
