// An append-only log of JSON records in segment files named by their first sequence number
// (`00000001.jsonl`, `00004097.jsonl`, …). Appends are group-committed (one write + fdatasync for all
// queued records) and never read or rewrite old data, so their cost does not grow with the log.
//
// Framing: one line per record, `{"seq":N,"b":W,"data":…}\n`, where W is the first sequence number of the
// write (group commit) the record went out in. An append is acknowledged only after its write's fdatasync,
// and the next write starts only after that, so after a power loss only the newest write can be damaged:
// a torn record, zero-filled blocks the disk never got (anywhere inside that write), or garbage. Opening
// cuts such a tail off and warns; damage that records of a *later* write follow was acknowledged data, and
// is refused (LOG_CORRUPT). Lines without `b` (older logs) are read normally and never excuse damage.
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DURABLE_WARNINGS, DurableStoreError, type DurableWarningCode } from './errors.js';
import { fsyncDirectory } from './fsync-directory.js';

export interface LogEntry<T> {
  seq: number;
  data: T;
}

export interface AppendLogOptions {
  /** Start a new segment once the current one reaches this size (default 4 MiB). */
  segmentBytes?: number;
  /** Remember the byte offset of every n-th record so reads can seek (default 64). */
  indexEvery?: number;
  /** Told what `open()` repaired (a torn tail cut off, an empty newest segment removed), to log it. */
  onWarning?: (w: AppendLogWarning) => void;
}

/** A repair `open()` made: only bytes of a write that was never acknowledged are ever removed. */
export interface AppendLogWarning {
  code: DurableWarningCode;
  message: string;
  /** The segment file. */
  path: string;
  /** Byte offset it was cut at (0 for a removed segment). */
  offset: number;
  /** Bytes removed. */
  bytes: number;
  /** The last record kept (0 when the log is empty). */
  lastSeq: number;
}

interface Pending<T> {
  seq: number;
  /** The record's JSON, made at append time (later changes to the object are not written). */
  json: string;
  data: T;
  resolve: (seq: number) => void;
  reject: (e: unknown) => void;
}

interface ActiveSegment {
  start: number;
  fh: FileHandle;
  /** Bytes known to be written and fdatasync'd. Readers never look past this. */
  size: number;
}

const SEGMENT_NAME = /^(\d{8,})\.jsonl$/;

export function segmentFileName(start: number): string {
  return `${String(start).padStart(8, '0')}.jsonl`;
}

/** A stored line: the record and, when the line has it, the first sequence number of its write. */
interface StoredLine<T> extends LogEntry<T> {
  write?: number;
}

function parseStoredLine<T>(line: Buffer | string): StoredLine<T> | null {
  try {
    const v = JSON.parse(typeof line === 'string' ? line : line.toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const { seq, b, data } = v as { seq?: unknown; b?: unknown; data?: unknown };
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1 || data === undefined) return null;
    // `b` only ever excuses damage (see scanTail); one that cannot be right is ignored, never trusted.
    const write = typeof b === 'number' && Number.isSafeInteger(b) && b >= 1 && b <= seq ? b : undefined;
    return { seq, data: data as T, ...(write === undefined ? {} : { write }) };
  } catch {
    return null;
  }
}

/** Parse one stored line; null when it is not a well-formed `{seq, data}` record. */
export function parseLogLine<T>(line: Buffer | string): LogEntry<T> | null {
  const stored = parseStoredLine<T>(line);
  return stored ? { seq: stored.seq, data: stored.data } : null;
}

function storedLine(seq: number, write: number, json: string): Buffer {
  return Buffer.from(`{"seq":${seq},"b":${write},"data":${json}}\n`, 'utf8');
}

interface RawLine {
  /** Byte offset of the line in its file. */
  offset: number;
  line: Buffer;
  /** True for trailing bytes with no newline (a torn write). */
  torn: boolean;
}

/** Lines of a file between byte offsets [start, end), split on \n without decoding the whole file. */
export async function* readRawLines(path: string, start = 0, end?: number): AsyncGenerator<RawLine> {
  if (end !== undefined && end <= start) return;
  const stream = createReadStream(path, {
    start,
    ...(end === undefined ? {} : { end: end - 1 }),
    highWaterMark: 256 * 1024,
  });
  let carry = Buffer.alloc(0);
  let carryOffset = start;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let pos = 0;
    for (let nl = buf.indexOf(10, pos); nl !== -1; nl = buf.indexOf(10, pos)) {
      yield { offset: carryOffset + pos, line: buf.subarray(pos, nl), torn: false };
      pos = nl + 1;
    }
    carryOffset += pos;
    carry = Buffer.from(buf.subarray(pos));
  }
  if (carry.length) yield { offset: carryOffset, line: carry, torn: true };
}

/** Segment start numbers present in a directory, ascending. */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  return names
    .map((n) => SEGMENT_NAME.exec(n)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

export class AppendLog<T> {
  private readonly segmentBytes: number;
  private readonly indexEvery: number;
  private readonly onWarning: ((w: AppendLogWarning) => void) | undefined;
  private segments: number[];
  private active: ActiveSegment | null = null;
  private next: number;
  private lastEntry: LogEntry<T> | undefined;
  private pending: Pending<T>[] = [];
  private flushing: Promise<void> | null = null;
  private broken: DurableStoreError | null = null;
  private closed = false;
  /** Sparse offsets per segment start: offsets[k] = byte offset of record start + k·indexEvery. */
  private readonly index = new Map<number, number[]>();

  private constructor(
    readonly dir: string,
    opts: AppendLogOptions,
    segments: number[],
    next: number,
  ) {
    this.segmentBytes = opts.segmentBytes ?? 4 * 1024 * 1024;
    this.indexEvery = Math.max(1, opts.indexEvery ?? 64);
    this.onWarning = opts.onWarning;
    this.segments = segments;
    this.next = next;
  }

  /** Open (creating the directory), recover the last segment after a crash and resume the sequence. */
  static async open<T>(dir: string, opts: AppendLogOptions = {}): Promise<AppendLog<T>> {
    await mkdir(dir, { recursive: true });
    const segments = await listSegments(dir);
    const log = new AppendLog<T>(dir, opts, segments, 1);
    await log.recover();
    return log;
  }

  /** Sequence number the next append gets. */
  get nextSeq(): number {
    return this.next;
  }

  /** Highest sequence number appended (0 when nothing ever was). */
  get lastSeq(): number {
    return this.next - 1;
  }

  /** Lowest sequence number that may still be stored (segments below it were pruned). */
  get firstSeq(): number {
    return this.segments[0] ?? this.next;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** The most recent record (after recovery or the last durable append). */
  last(): LogEntry<T> | undefined {
    return this.lastEntry;
  }

  /**
   * Append one record; resolves with its sequence number once it is on disk (fdatasync'd).
   * The sequence number is assigned synchronously, in call order.
   */
  append(data: T): Promise<number> {
    if (this.closed) return Promise.reject(new DurableStoreError('LOG_CLOSED', undefined, { dir: this.dir }));
    if (this.broken) return Promise.reject(this.broken);
    // Checked before a sequence number is taken: a skipped number would read as damage at the next open.
    let json: string | undefined;
    try {
      json = JSON.stringify(data);
    } catch (e) {
      return Promise.reject(
        new DurableStoreError('LOG_RECORD_INVALID', undefined, {
          dir: this.dir,
          cause: (e as Error).message,
        }),
      );
    }
    if (json === undefined) {
      return Promise.reject(new DurableStoreError('LOG_RECORD_INVALID', undefined, { dir: this.dir }));
    }
    const seq = this.next++;
    const pending = { seq, json, data };
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ ...pending, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Records with seq ≥ from, in order, up to what was durable when each segment was reached. */
  async *readFrom(from: number): AsyncGenerator<LogEntry<T>> {
    const segments = [...this.segments];
    let i = 0;
    while (i + 1 < segments.length && segments[i + 1]! <= from) i++;
    for (; i < segments.length; i++) {
      const start = segments[i]!;
      const path = join(this.dir, segmentFileName(start));
      const end = this.active?.start === start ? this.active.size : undefined;
      const offsets = this.index.get(start);
      let byte = 0;
      if (offsets?.length && from > start) {
        byte = offsets[Math.min(Math.floor((from - start) / this.indexEvery), offsets.length - 1)]!;
      }
      const building: number[] | null = byte === 0 && !offsets ? [] : null;
      let n = 0;
      try {
        for await (const raw of readRawLines(path, byte, end)) {
          const entry = raw.torn ? null : parseLogLine<T>(raw.line);
          if (!entry) {
            // Only the durable prefix of the active segment is read, so a bad line is damage, not a torn write.
            throw new DurableStoreError(
              'LOG_CORRUPT',
              `Log segment ${path} has an unreadable record at byte ${raw.offset}; keep the file for inspection.`,
              { path, offset: raw.offset },
            );
          }
          if (building && n % this.indexEvery === 0) building.push(raw.offset);
          n++;
          if (entry.seq >= from) yield entry;
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // pruned while we were reading
        throw e;
      }
      if (building && end === undefined && this.segments.includes(start)) this.index.set(start, building);
    }
  }

  /** Delete whole segments whose records are all below `seq`; the newest segment is always kept. */
  async pruneBefore(seq: number): Promise<number> {
    let removed = 0;
    while (this.segments.length > 1 && this.segments[1]! <= seq) {
      const start = this.segments[0]!;
      await rm(join(this.dir, segmentFileName(start)), { force: true });
      this.segments.shift();
      this.index.delete(start);
      removed++;
    }
    if (removed) await fsyncDirectory(this.dir);
    return removed;
  }

  /** Wait for queued appends, then release the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing.catch(() => undefined);
    await this.active?.fh.close();
    this.active = null;
  }

  // ---- internals ----

  private async flushLoop(): Promise<void> {
    try {
      // Let the rest of the current tick queue up too: a burst of appends becomes one write + fdatasync.
      await null;
      while (this.pending.length && !this.broken) {
        const batch = this.pending.splice(0);
        const done = { records: 0 };
        try {
          await this.writeBatch(batch, done);
          this.lastEntry = { seq: batch.at(-1)!.seq, data: batch.at(-1)!.data };
          for (const p of batch) p.resolve(p.seq);
        } catch (e) {
          // What reached the disk before the failure is durable: acknowledge it. The rest is cut off again,
          // so the log stays usable: once the disk has room (or is writable) again, appends go on.
          const committed = batch.slice(0, done.records);
          const failed = [...batch.slice(done.records), ...this.pending.splice(0)];
          if (committed.length) {
            this.lastEntry = { seq: committed.at(-1)!.seq, data: committed.at(-1)!.data };
            for (const p of committed) p.resolve(p.seq);
          }
          const code = (e as NodeJS.ErrnoException).code;
          const error = new DurableStoreError(
            'LOG_WRITE_FAILED',
            `Appending to the log in ${this.dir} failed (${code ?? (e as Error).message}); nothing of this record was kept — check the disk.`,
            { dir: this.dir, cause: code },
          );
          try {
            await this.cutBack();
            this.next = failed[0]?.seq ?? this.next;
          } catch {
            // The torn bytes could not be removed: refuse further appends until the log is reopened.
            this.broken = error;
          }
          for (const p of failed) p.reject(error);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  /** After a failed write: truncate the active segment back to its last durable byte. */
  private async cutBack(): Promise<void> {
    const active = this.active;
    if (!active) return;
    await active.fh.truncate(active.size);
    await active.fh.datasync();
    const offsets = this.index.get(active.start);
    if (offsets)
      this.index.set(
        active.start,
        offsets.filter((o) => o < active.size),
      );
  }

  private async writeBatch(batch: Pending<T>[], done: { records: number }): Promise<void> {
    let i = 0;
    while (i < batch.length) {
      let created = false;
      if (!this.active || this.active.size >= this.segmentBytes) {
        await this.rotate(batch[i]!.seq);
        created = true;
      }
      const active = this.active!;
      const offsets = this.index.get(active.start) ?? [];
      const parts: Buffer[] = [];
      let bytes = 0;
      const write = batch[i]!.seq;
      // Fill the segment up to its size; the rest of the batch goes into the next one.
      while (i < batch.length && (parts.length === 0 || active.size + bytes < this.segmentBytes)) {
        const p = batch[i]!;
        if ((p.seq - active.start) % this.indexEvery === 0) offsets.push(active.size + bytes);
        const line = storedLine(p.seq, write, p.json);
        parts.push(line);
        bytes += line.length;
        i++;
      }
      const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
      const first = done.records;
      for (let off = 0; off < buf.length; ) {
        const { bytesWritten } = await active.fh.write(buf, off, buf.length - off);
        off += bytesWritten;
      }
      await active.fh.datasync();
      if (created) await fsyncDirectory(this.dir); // the new segment's name must survive too
      active.size += bytes;
      this.index.set(active.start, offsets);
      done.records = first + parts.length;
    }
  }

  private async rotate(start: number): Promise<void> {
    await this.active?.fh.close();
    const fh = await open(join(this.dir, segmentFileName(start)), 'a', 0o600);
    this.active = { start, fh, size: 0 };
    this.segments.push(start);
    this.index.set(start, []);
  }

  /** Cut a torn tail off the newest segment, drop an empty newest segment, and resume the sequence. */
  private async recover(): Promise<void> {
    while (this.segments.length) {
      const start = this.segments.at(-1)!;
      const path = join(this.dir, segmentFileName(start));
      const buf = await readFile(path);
      const { goodEnd, last, offsets } = this.scanTail(path, buf, start);
      const warn = (code: DurableWarningCode, offset: number, lastSeq: number) =>
        this.onWarning?.({
          code,
          message: `${DURABLE_WARNINGS[code]} (${path}: ${buf.length - offset} bytes from byte ${offset}; last record kept: ${lastSeq || 'none'})`,
          path,
          offset,
          bytes: buf.length - offset,
          lastSeq,
        });
      if (!last && this.segments.length > 1) {
        await rm(path, { force: true });
        await fsyncDirectory(this.dir);
        this.segments.pop();
        warn('LOG_SEGMENT_DROPPED', 0, start - 1);
        continue;
      }
      if (goodEnd < buf.length) {
        const fh = await open(path, 'r+');
        await fh.truncate(goodEnd);
        await fh.sync();
        await fh.close();
        warn('LOG_TAIL_TRUNCATED', goodEnd, last?.seq ?? start - 1);
      }
      this.next = last ? last.seq + 1 : start;
      this.lastEntry = last;
      this.index.set(start, offsets);
      this.active = { start, fh: await open(path, 'a', 0o600), size: goodEnd };
      return;
    }
  }

  /**
   * The valid prefix of the newest segment. Damage (an unreadable line) with nothing valid after it is the
   * torn end of the last write. Valid records after damage are excused only as that same torn write: each
   * names a write that began at or before the damaged record, and every damaged line holds zero bytes (blocks
   * the disk never got; the writer never emits a NUL). Anything else after damage means acknowledged data was
   * damaged, which is refused, not repaired.
   */
  private scanTail(
    path: string,
    buf: Buffer,
    start: number,
  ): { goodEnd: number; last: LogEntry<T> | undefined; offsets: number[] } {
    let pos = 0;
    let goodEnd = 0;
    let last: LogEntry<T> | undefined;
    let damage: { at: number; line: number; seq: number; eachHasZeros: boolean } | null = null;
    let lineNo = 0;
    const offsets: number[] = [];
    while (pos < buf.length) {
      const nl = buf.indexOf(10, pos);
      const lineEnd = nl === -1 ? buf.length : nl;
      lineNo++;
      const entry = nl === -1 ? null : parseStoredLine<T>(buf.subarray(pos, lineEnd));
      const expected = last ? last.seq + 1 : start;
      if (!damage && entry && entry.seq === expected) {
        if ((entry.seq - start) % this.indexEvery === 0) offsets.push(pos);
        last = { seq: entry.seq, data: entry.data };
        goodEnd = lineEnd + 1;
      } else if (!damage && entry) {
        throw new DurableStoreError(
          'LOG_CORRUPT',
          `Log segment ${path} line ${lineNo} has sequence ${entry.seq}, expected ${expected}.`,
          { path, line: lineNo },
        );
      } else if (!damage) {
        damage = {
          at: pos,
          line: lineNo,
          seq: expected,
          eachHasZeros: buf.subarray(pos, lineEnd).includes(0),
        };
      } else if (!entry) {
        damage.eachHasZeros &&= buf.subarray(pos, lineEnd).includes(0);
      } else {
        const sameWrite = entry.write !== undefined && entry.write <= damage.seq && entry.seq > damage.seq;
        if (!sameWrite || !damage.eachHasZeros) {
          throw new DurableStoreError(
            'LOG_CORRUPT',
            `Log segment ${path} has an unreadable record at line ${damage.line} (byte ${damage.at}, sequence ${damage.seq} expected) followed by valid ones (line ${lineNo}, sequence ${entry.seq}): not the torn end of the last write, so acknowledged records were damaged; keep the file for inspection.`,
            { path, offset: damage.at, line: damage.line },
          );
        }
      }
      pos = lineEnd + 1;
    }
    return { goodEnd, last, offsets };
  }
}
