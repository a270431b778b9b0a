// lowdb adapters that replace a JSON file atomically and durably: temp file → fsync → rename → fsync(dir).
// A crash at any point leaves either the old or the new file whole; a damaged file is reported, never emptied.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter, SyncAdapter } from 'lowdb';
import { DurableStoreError } from './errors.js';
import { fsyncDirectory, fsyncDirectorySync } from './fsync-directory.js';

export interface DurableJsonFileOptions<T> {
  /** Pretty-print with this indent (default 2; 0 = compact). */
  indent?: number;
  /** Check the parsed value (throw to refuse it); default accepts any JSON. */
  validate?: (value: unknown) => T;
}

/** The temp file a write goes through; one per target, so a stray one from a crash is found and removed. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp`);
}

function parseOrThrow<T>(path: string, text: string, validate?: (value: unknown) => T): T {
  let value: unknown;
  try {
    if (text.trim() === '') throw new Error('the file is empty');
    value = JSON.parse(text);
  } catch (e) {
    throw new DurableStoreError(
      'STORE_FILE_CORRUPT',
      `Store file ${path} is not valid JSON (${(e as Error).message}); restore it from backup or move it aside.`,
      { path },
    );
  }
  if (!validate) return value as T;
  try {
    return validate(value);
  } catch (e) {
    throw new DurableStoreError(
      'STORE_FILE_CORRUPT',
      `Store file ${path} does not have the expected shape (${(e as Error).message}).`,
      { path },
    );
  }
}

function serialise<T>(data: T, indent: number): string {
  return `${JSON.stringify(data, null, indent || undefined)}\n`;
}

function writeFailed(path: string, e: unknown): DurableStoreError {
  const code = (e as NodeJS.ErrnoException).code;
  return new DurableStoreError(
    'STORE_WRITE_FAILED',
    `Store file ${path} could not be written (${code ?? (e as Error).message}); check free disk space and permissions.`,
    { path, cause: code },
  );
}

/** Async lowdb adapter. Writes are serialised; one instance per file (single writer). */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly path: string;
  private readonly temp: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    path: string,
    private readonly opts: DurableJsonFileOptions<T> = {},
  ) {
    this.path = path;
    this.temp = tempPathFor(path);
  }

  /** The stored value, null when the file does not exist; a damaged file throws STORE_FILE_CORRUPT. */
  async read(): Promise<T | null> {
    // A temp file left by a crash before its rename is an unfinished write: the target is the truth.
    await rm(this.temp, { force: true });
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return parseOrThrow(this.path, text, this.opts.validate);
  }

  write(data: T): Promise<void> {
    const text = serialise(data, this.opts.indent ?? 2);
    const run = this.chain.then(() => this.replace(text));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async replace(text: string): Promise<void> {
    try {
      const fh = await open(this.temp, 'w', 0o600);
      try {
        await fh.writeFile(text, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(this.temp, this.path);
      await fsyncDirectory(dirname(this.path));
    } catch (e) {
      await rm(this.temp, { force: true }).catch(() => undefined);
      throw writeFailed(this.path, e);
    }
  }
}

/** Synchronous twin for LowSync (small state read at start-up, written on rare changes). */
export class DurableJsonFileSync<T> implements SyncAdapter<T> {
  readonly path: string;
  private readonly temp: string;

  constructor(
    path: string,
    private readonly opts: DurableJsonFileOptions<T> = {},
  ) {
    this.path = path;
    this.temp = tempPathFor(path);
  }

  read(): T | null {
    rmSync(this.temp, { force: true });
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return parseOrThrow(this.path, text, this.opts.validate);
  }

  write(data: T): void {
    const text = serialise(data, this.opts.indent ?? 2);
    try {
      const fd = openSync(this.temp, 'w', 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(this.temp, this.path);
      fsyncDirectorySync(dirname(this.path));
    } catch (e) {
      rmSync(this.temp, { force: true });
      throw writeFailed(this.path, e);
    }
  }
}
