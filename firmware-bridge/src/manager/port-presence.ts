// Notices a serial port path appearing or vanishing (USB-serial adapter plugged, socat link made) through
// inotify on its directory, so a reconnect does not wait for the next backoff step. Polling stays the fallback.
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Calls `onChange` when an entry named like `path` changes in its directory; returns the unsubscribe. */
export function watchPortPath(path: string, onChange: () => void): () => void {
  const name = basename(path);
  let watcher: FSWatcher;
  try {
    // Not persistent: watching must never keep a CLI process alive.
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) onChange();
    });
  } catch {
    // The directory does not exist yet, or inotify watches are used up: the supervisor's polling covers it.
    return () => {};
  }
  watcher.on('error', () => watcher.close());
  return () => watcher.close();
}
