import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BackwardLine, type OpenForReading, readLinesBackward } from './read-lines-backward.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-lines-back-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** What a forward split gives, last line first. */
function expectedBackward(text: string): Array<{ offset: number; line: string; torn: boolean }> {
  const out: Array<{ offset: number; line: string; torn: boolean }> = [];
  let offset = 0;
  const pieces = text.split('\n');
  pieces.forEach((piece, i) => {
    const last = i === pieces.length - 1;
    if (!last || piece.length) out.push({ offset, line: piece, torn: last });
    offset += Buffer.byteLength(piece) + 1;
  });
  return out.reverse();
}

async function collect(path: string, opts: Parameters<typeof readLinesBackward>[1] = {}) {
  const out: Array<{ offset: number; line: string; torn: boolean }> = [];
  for await (const l of readLinesBackward(path, opts)) out.push(show(l));
  return out;
}
const show = (l: BackwardLine) => ({ offset: l.offset, line: l.line.toString('utf8'), torn: l.torn });

/** Counts bytes read; `extraSize` makes stat claim more bytes than there are (a file cut short meanwhile). */
function counting(extraSize = 0) {
  const seen = { bytes: 0, reads: 0 };
  const openCounted: OpenForReading = async (path) => {
    const fh = await open(path, 'r');
    return {
      stat: async () => ({ size: (await fh.stat()).size + extraSize }),
      read: async (buf: Buffer, off: number, len: number, pos: number) => {
        const r = await fh.read(buf, off, len, pos);
        seen.bytes += r.bytesRead;
        seen.reads++;
        return r;
      },
      close: () => fh.close(),
    };
  };
  return { seen, open: openCounted };
}

describe('readLinesBackward', () => {
  const texts = [
    '',
    'a\n',
    'a',
    'one\ntwo\nthree\n',
    'one\ntwo\nthree',
    '\n\nx\n\n',
    'a long line that spans several chunks of a few bytes each\nshort\n',
    'ünïcödé 证书\n第二行\ntorn 尾',
  ];
  for (const chunkBytes of [1, 2, 3, 5, 64 * 1024]) {
    it(`gives the lines of a forward split, last first, with a torn tail marked (${chunkBytes}-byte chunks)`, async () => {
      for (const text of texts) {
        const path = join(dir, 'f.txt');
        writeFileSync(path, text);
        expect(await collect(path, { chunkBytes }), JSON.stringify(text)).toEqual(expectedBackward(text));
      }
    });
  }

  it('stopping after the last lines reads only the end of the file', async () => {
    const path = join(dir, 'big.txt');
    const text = Array.from({ length: 10_000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    writeFileSync(path, text);
    const { seen, open: openCounted } = counting();
    const got: string[] = [];
    for await (const l of readLinesBackward(path, { chunkBytes: 256, open: openCounted })) {
      got.push(l.line.toString());
      if (got.length === 3) break;
    }
    expect(got).toEqual(['line 9999', 'line 9998', 'line 9997']);
    expect(seen).toEqual({ bytes: 256, reads: 1 });
  });

  it('a file cut short while it is read is read on from its new end', async () => {
    const path = join(dir, 'cut.txt');
    writeFileSync(path, 'one\ntwo\nthr');
    // stat still says 40 bytes more: the first reads come back short, as after a truncation.
    const { open: openShort } = counting(40);
    expect(await collect(path, { chunkBytes: 16, open: openShort })).toEqual(
      expectedBackward('one\ntwo\nthr'),
    );
  });
});
