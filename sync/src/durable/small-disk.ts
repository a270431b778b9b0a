// Test support for disk trouble: a real, small tmpfs (needs root, as CI and the sessions here have), which
// can be filled to the last byte, emptied again, or remounted read-only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  dir: string;
  /** Take every free byte (a filler file), so the next write fails with ENOSPC. */
  fill(): void;
  /** Give the space back. */
  free(): void;
  readOnly(on: boolean): void;
  unmount(): void;
}

export function mountSmallDisk(sizeKb: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'ck-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir]);
  const filler = join(dir, '.filler');
  return {
    dir,
    fill() {
      const s = statfsSync(dir);
      try {
        writeFileSync(filler, Buffer.alloc(Number(s.bavail) * Number(s.bsize)), { flag: 'a' });
      } catch {
        // ENOSPC while taking the last block: the disk is full, which is the point
      }
      // Take the last partial blocks too.
      for (let n = 4096; n >= 1; n = Math.floor(n / 2)) {
        try {
          writeFileSync(filler, Buffer.alloc(n), { flag: 'a' });
        } catch {
          // full at this size; try a smaller piece
        }
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    readOnly(on) {
      execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir]);
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
