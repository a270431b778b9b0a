// A serial cable in software: `socat` links two PTYs; the driver opens one end, an emulator the other.
// Used by tests, by `certkiosk-devices emulate` and by the demo. Closing and reopening it plays
// "device unplugged and plugged back".
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PtyPair {
  /** Stable symlink the driver opens (e.g. `/tmp/x/id-reader`). */
  readonly hostPath: string;
  /** Stable symlink the emulator opens (e.g. `/tmp/x/id-reader.device`). */
  readonly devicePath: string;
  /** Pull the cable: both ends vanish. */
  close(): Promise<void>;
  /** Plug it back: fresh PTYs behind the same symlinks. */
  reopen(): Promise<void>;
}

async function waitFor(paths: string[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!paths.every((p) => existsSync(p))) {
    if (Date.now() > until)
      throw new Error(`socat did not create ${paths.join(', ')} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/**
 * A process killed with SIGKILL leaves its socat behind, still holding the links; a new pair on the same
 * paths must first end it, or the driver would open the old, dead cable.
 */
async function endStaleSocat(hostPath: string): Promise<void> {
  const found = spawnSync('pgrep', ['-f', `link=${hostPath} `], { encoding: 'utf8' });
  const pids = (found.stdout ?? '').split('\n').filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const until = Date.now() + 2000;
  while (pids.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < until) await sleep(10);
}

export async function createPtyPair(hostPath: string, devicePath = `${hostPath}.device`): Promise<PtyPair> {
  mkdirSync(dirname(hostPath), { recursive: true });
  mkdirSync(dirname(devicePath), { recursive: true });
  await endStaleSocat(hostPath);
  for (const link of [hostPath, devicePath]) rmSync(link, { force: true });
  let proc: ChildProcess | undefined;

  const start = async () => {
    proc = spawn('socat', [`pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${devicePath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.on('error', () => {});
    await waitFor([hostPath, devicePath], 5000);
  };

  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([exited, sleep(2000)]);
    if (p.exitCode === null) p.kill('SIGKILL');
  };

  await start();
  return {
    hostPath,
    devicePath,
    close: stop,
    async reopen() {
      await stop();
      await start();
    },
  };
}

/** The real /dev/pts/N behind a symlink, for messages. */
export function ptyTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
