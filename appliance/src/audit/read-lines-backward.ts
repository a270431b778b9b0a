// A file's lines from its end to its start, read in fixed-size chunks at positions: memory is one chunk plus
// the longest line, whatever the file's size, and a reader that stops early reads only the file's end.
import { open } from 'node:fs/promises';

/** What the reader needs of a file handle (a `FileHandle`; tests wrap `open` to count what is read). */
export interface ReadableFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}
export type OpenForReading = (path: string) => Promise<ReadableFile>;

export interface BackwardLine {
  /** Byte offset of the line in its file. */
  offset: number;
  /** The line without its `\n`. */
  line: Buffer;
  /** True for the file's trailing bytes with no `\n` (a write cut short or still under way). */
  torn: boolean;
}

export interface ReadLinesBackwardOptions {
  /** Bytes per read (default 64 KiB). */
  chunkBytes?: number;
  open?: OpenForReading;
}

const EMPTY: Buffer = Buffer.alloc(0);
const NEWLINE = 10;

/**
 * Lines of a file, last first, split on `\n`. The file's size is taken when it is opened; should it be cut
 * short while it is read (only bytes past its end-as-opened can be: an append log truncates a failed write),
 * reading goes on from its new end, and what was already answered came from the bytes cut away.
 */
export async function* readLinesBackward(
  path: string,
  opts: ReadLinesBackwardOptions = {},
): AsyncGenerator<BackwardLine> {
  const chunkBytes = Math.max(1, opts.chunkBytes ?? 64 * 1024);
  const fh = await (opts.open ?? ((p: string) => open(p, 'r')))(path);
  try {
    let pos = (await fh.stat()).size;
    // The bytes after the leftmost `\n` seen so far: a line whose start is still unread.
    let pending: Buffer = EMPTY;
    let pendingTorn = true;
    while (pos > 0) {
      const at = Math.max(0, pos - chunkBytes);
      const buf = Buffer.allocUnsafe(pos - at);
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      let data: Buffer;
      if (bytesRead < buf.length) {
        data = buf.subarray(0, bytesRead); // cut short under us: this is now the file's end
        pending = EMPTY;
        pendingTorn = true;
      } else {
        data = pending.length ? Buffer.concat([buf, pending]) : buf;
      }
      pos = at;
      let lineEnd = data.length;
      let torn: boolean = pendingTorn;
      for (let nl = data.lastIndexOf(NEWLINE, lineEnd - 1); nl !== -1; ) {
        const line = data.subarray(nl + 1, lineEnd);
        if (line.length || !torn) yield { offset: at + nl + 1, line, torn };
        torn = false;
        lineEnd = nl;
        nl = lineEnd > 0 ? data.lastIndexOf(NEWLINE, lineEnd - 1) : -1;
      }
      pending = data.subarray(0, lineEnd);
      pendingTorn = torn;
    }
    if (pending.length || !pendingTorn) yield { offset: 0, line: pending, torn: pendingTorn };
  } finally {
    await fh.close();
  }
}
