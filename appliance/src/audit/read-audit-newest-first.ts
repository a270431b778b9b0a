// The audit log's records newest first, straight from its segment files: segments from the newest (or the one
// that can hold `before - 1`) backwards, each read from its end in fixed-size chunks. A reader that stops
// after a page reads about a page's bytes, however long the log has grown.
import { join } from 'node:path';
import { DurableStoreError, listSegments, parseLogLine, segmentFileName } from '@certkiosk/sync';
import type { AuditRecord } from './audit-log.js';
import { type OpenForReading, readLinesBackward } from './read-lines-backward.js';

export interface ReadAuditNewestFirstOptions {
  /** Only records with a lower sequence number. */
  before?: number;
  /**
   * The newest durable (acknowledged) sequence number when the log is open for appending: the newest segment
   * may hold a write still under way past it, whose records are left out and whose unreadable bytes are not
   * damage. Without it the files are taken as they are (a log on disk, not being written).
   */
  upToSeq?: number;
  /** Bytes per read (default 64 KiB). */
  chunkBytes?: number;
  open?: OpenForReading;
}

const corrupt = (path: string, offset: number) =>
  new DurableStoreError(
    'LOG_CORRUPT',
    `Log segment ${path} has an unreadable record at byte ${offset}; keep the file for inspection.`,
    { path, offset },
  );

/**
 * Records with seq < `before` (and ≤ `upToSeq`), newest first. As a forward read of the log would, an
 * unreadable line is LOG_CORRUPT, except a torn last line of the newest segment (a crash's or a write's under
 * way) and, with `upToSeq`, the bytes past that record. Only the segments read are checked: verifying the
 * whole log is `verifyAuditLog`'s job.
 */
export async function* readAuditNewestFirst(
  dir: string,
  opts: ReadAuditNewestFirstOptions = {},
): AsyncGenerator<AuditRecord> {
  const { before = Number.POSITIVE_INFINITY, upToSeq } = opts;
  const newestWanted = Math.min(before - 1, upToSeq ?? Number.POSITIVE_INFINITY);
  if (newestWanted < 1) return;
  const all = await listSegments(dir);
  const newestSegment = all.at(-1);
  const segments = all.filter((start) => start <= newestWanted);
  const lineOpts = {
    ...(opts.chunkBytes === undefined ? {} : { chunkBytes: opts.chunkBytes }),
    ...(opts.open === undefined ? {} : { open: opts.open }),
  };
  // Bytes skipped in the newest segment before any record ≤ upToSeq: they must lie past that record.
  let skipped: { path: string; offset: number } | null = null;
  let reachedDurable = false;
  for (let i = segments.length - 1; i >= 0; i--) {
    const start = segments[i]!;
    const path = join(dir, segmentFileName(start));
    const inNewest = start === newestSegment;
    try {
      for await (const raw of readLinesBackward(path, lineOpts)) {
        const entry = raw.torn ? null : parseLogLine<AuditRecord>(raw.line);
        if (!entry) {
          if (inNewest && !reachedDurable && (raw.torn || upToSeq !== undefined)) {
            skipped ??= { path, offset: raw.offset };
            continue;
          }
          throw corrupt(path, raw.offset);
        }
        if (upToSeq !== undefined && entry.seq > upToSeq) continue; // a write still under way
        if (!reachedDurable) {
          reachedDurable = true;
          // Unreadable bytes hid the newest durable record: that is damage, not a write under way.
          if (skipped && upToSeq !== undefined && entry.seq !== upToSeq)
            throw corrupt(skipped.path, skipped.offset);
        }
        if (entry.seq >= before) continue;
        yield entry.data;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // pruned while we were reading
      throw e;
    }
  }
  if (skipped && upToSeq !== undefined && !reachedDurable && upToSeq >= 1) {
    throw corrupt(skipped.path, skipped.offset);
  }
}
