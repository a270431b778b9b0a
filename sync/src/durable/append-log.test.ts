import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppendLog, type AppendLogWarning, type LogEntry, segmentFileName } from './append-log.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-append-log-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function all<T>(it: AsyncIterable<LogEntry<T>>): Promise<LogEntry<T>[]> {
  const out: LogEntry<T>[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const rec = (i: number) => ({ kind: 'step', i, text: `record ${i} ${'x'.repeat(i % 7)}` });

describe('AppendLog', () => {
  it('numbers records from 1, reads them back in order, and resumes the sequence after a reopen', async () => {
    const log = await AppendLog.open<{ i: number }>(dir);
    expect(log.nextSeq).toBe(1);
    expect(await log.append({ i: 1 })).toBe(1);
    expect(await log.append({ i: 2 })).toBe(2);
    await log.close();

    const again = await AppendLog.open<{ i: number }>(dir);
    expect(again.lastSeq).toBe(2);
    expect(again.last()).toEqual({ seq: 2, data: { i: 2 } });
    expect(await again.append({ i: 3 })).toBe(3);
    expect((await all(again.readFrom(1))).map((e) => [e.seq, e.data.i])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(readdirSync(dir)).toEqual(['00000001.jsonl']);
    await again.close();
  });

  it('group commit: many queued appends share one write + fdatasync', async () => {
    const log = await AppendLog.open(dir);
    await log.append(rec(0)); // opens the segment
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const datasync = vi.spyOn(proto, 'datasync');
    const seqs = await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(rec(i + 1))));
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 2));
    // appends queued in the same tick are written together
    expect(datasync.mock.calls.length).toBe(1);
    expect((await all(log.readFrom(1))).length).toBe(1001);
    await log.close();
  });

  it('rotates into segments named by their first sequence and reads across them from any sequence', async () => {
    const log = await AppendLog.open<ReturnType<typeof rec>>(dir, { segmentBytes: 1024, indexEvery: 4 });
    for (let i = 1; i <= 200; i++) await log.append(rec(i));
    const files = readdirSync(dir).sort();
    expect(files.length).toBeGreaterThan(5);
    expect(files[0]).toBe('00000001.jsonl');
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThan(1024 + 200);
    // each file's name is the seq of its first line
    for (const f of files) {
      const first = JSON.parse(readFileSync(join(dir, f), 'utf8').split('\n')[0]!) as { seq: number };
      expect(segmentFileName(first.seq)).toBe(f);
    }
    for (const from of [1, 2, 57, 133, 200]) {
      const got = await all(log.readFrom(from));
      expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 201 - from }, (_, k) => from + k));
      expect(got[0]!.data).toEqual(rec(from));
    }
    expect(await all(log.readFrom(201))).toEqual([]);
    await log.close();
  });

  it('pruneBefore deletes only whole segments below the sequence and never the newest', async () => {
    const log = await AppendLog.open<ReturnType<typeof rec>>(dir, { segmentBytes: 512 });
    for (let i = 1; i <= 100; i++) await log.append(rec(i));
    const before = readdirSync(dir).length;
    const removed = await log.pruneBefore(60);
    expect(removed).toBeGreaterThan(0);
    expect(readdirSync(dir).length).toBe(before - removed);
    expect(log.firstSeq).toBeLessThanOrEqual(60);
    const kept = await all(log.readFrom(1));
    expect(kept[0]!.seq).toBe(log.firstSeq);
    expect(kept.at(-1)!.seq).toBe(100);
    // everything: the newest segment stays, so the sequence survives a reopen
    await log.pruneBefore(1_000);
    expect(readdirSync(dir)).toHaveLength(1);
    await log.close();
    const again = await AppendLog.open(dir, { segmentBytes: 512 });
    expect(await again.append(rec(101))).toBe(101);
    await again.close();
  });

  it('recovers from a torn last line (crash mid-write): truncates it and resumes the sequence', async () => {
    const log = await AppendLog.open<{ i: number }>(dir);
    for (let i = 1; i <= 5; i++) await log.append({ i });
    await log.close();
    const file = join(dir, '00000001.jsonl');
    const good = readFileSync(file);
    appendFileSync(file, '{"seq":6,"data":{"i":');

    const again = await AppendLog.open<{ i: number }>(dir);
    expect(again.lastSeq).toBe(5);
    expect(readFileSync(file)).toEqual(good);
    expect(await again.append({ i: 6 })).toBe(6);
    expect((await all(again.readFrom(1))).map((e) => e.data.i)).toEqual([1, 2, 3, 4, 5, 6]);
    await again.close();
  });

  it('recovers from a torn group write that left unwritten (zeroed) blocks', async () => {
    const log = await AppendLog.open<{ i: number }>(dir);
    await log.append({ i: 1 });
    await log.close();
    appendFileSync(join(dir, '00000001.jsonl'), Buffer.concat([Buffer.alloc(300), Buffer.from('\n\0\0')]));
    const again = await AppendLog.open<{ i: number }>(dir);
    expect(again.nextSeq).toBe(2);
    await again.close();
  });

  it('drops an empty newest segment left by a crash during rotation', async () => {
    const log = await AppendLog.open<ReturnType<typeof rec>>(dir, { segmentBytes: 256 });
    for (let i = 1; i <= 20; i++) await log.append(rec(i));
    await log.close();
    writeFileSync(join(dir, segmentFileName(21)), '{"seq":21,"da');
    const again = await AppendLog.open<ReturnType<typeof rec>>(dir, { segmentBytes: 256 });
    expect(again.nextSeq).toBe(21);
    expect(again.last()?.data).toEqual(rec(20));
    expect(readdirSync(dir)).not.toContain(segmentFileName(21));
    await again.close();
  });

  it('refuses to open a segment that has an unreadable record followed by valid ones (damage, not a torn write)', async () => {
    const log = await AppendLog.open<{ i: number }>(dir);
    for (let i = 1; i <= 3; i++) await log.append({ i });
    await log.close();
    const file = join(dir, '00000001.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = '{"seq":2,"data":{"i":2';
    writeFileSync(file, lines.join('\n'));
    await expect(AppendLog.open(dir)).rejects.toMatchObject({ code: 'LOG_CORRUPT', details: { path: file } });
  });

  it('refuses appends after close with LOG_CLOSED', async () => {
    const log = await AppendLog.open(dir);
    await log.close();
    await expect(log.append({})).rejects.toMatchObject({ code: 'LOG_CLOSED' });
  });

  it('property: any mix of appends, reopens and prunes reads back exactly the records kept', async () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('append' as const), n: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ t: fc.constant('reopen' as const) }),
      fc.record({ t: fc.constant('prune' as const), at: fc.integer({ min: 0, max: 200 }) }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 12 }),
        fc.integer({ min: 1, max: 200 }),
        async (ops, from) => {
          const d = join(dir, `run-${run++}`);
          const opts = { segmentBytes: 300, indexEvery: 3 };
          let log = await AppendLog.open<{ v: string }>(d, opts);
          let last = 0;
          let firstKept = 1;
          for (const o of ops) {
            if (o.t === 'append') {
              await Promise.all(Array.from({ length: o.n }, () => log.append({ v: `v${++last}` })));
            } else if (o.t === 'reopen') {
              await log.close();
              log = await AppendLog.open(d, opts);
            } else {
              await log.pruneBefore(o.at);
              firstKept = log.firstSeq;
            }
          }
          const got = await all(log.readFrom(from));
          const start = Math.max(from, Math.min(firstKept, last + 1));
          const expected = Array.from({ length: Math.max(0, last - start + 1) }, (_, k) => start + k);
          expect(got.map((e) => e.seq)).toEqual(expected);
          for (const e of got) expect(e.data.v).toBe(`v${e.seq}`);
          expect(log.nextSeq).toBe(last + 1);
          await log.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('AppendLog after a power loss', () => {
  const file = () => join(dir, '00000001.jsonl');

  /** Records 1–5 each in their own write (all acknowledged), then 6–10 in one group write (the last one). */
  async function tenRecords(): Promise<Buffer> {
    const log = await AppendLog.open<{ i: number }>(dir);
    for (let i = 1; i <= 5; i++) await log.append({ i });
    await Promise.all([6, 7, 8, 9, 10].map((i) => log.append({ i })));
    await log.close();
    return readFileSync(file());
  }

  /** Byte offset where line n (1-based) starts. */
  const lineStart = (buf: Buffer, n: number) => {
    let at = 0;
    for (let k = 1; k < n; k++) at = buf.indexOf(10, at) + 1;
    return at;
  };

  /** Opens with a warning collector; checks every record up to `keep` is there and the next append follows. */
  async function reopenKeeping(keep: number): Promise<AppendLogWarning[]> {
    const warnings: AppendLogWarning[] = [];
    const log = await AppendLog.open<{ i: number }>(dir, { onWarning: (w) => warnings.push(w) });
    expect(log.lastSeq).toBe(keep);
    expect(await log.append({ i: keep + 1 })).toBe(keep + 1);
    await log.close();
    const again = await AppendLog.open<{ i: number }>(dir);
    expect((await all(again.readFrom(1))).map((e) => [e.seq, e.data.i])).toEqual(
      Array.from({ length: keep + 1 }, (_, k) => [k + 1, k + 1]),
    );
    await again.close();
    return warnings;
  }

  it.each([
    ['a zero-filled tail (4 KiB the disk never got)', Buffer.alloc(4096)],
    ['half a record', Buffer.from('{"seq":11,"b":11,"data":{"i":')],
    [
      'a garbage tail with line breaks in it',
      Buffer.concat([randomBytes(700), Buffer.from('\n'), randomBytes(300)]),
    ],
    [
      'a record cut short, then zeros',
      Buffer.concat([Buffer.from('{"seq":11,"b":11,"da'), Buffer.alloc(3000)]),
    ],
  ])('cuts off %s, warns with what it removed, and keeps every earlier record', async (_name, tail) => {
    const good = await tenRecords();
    appendFileSync(file(), tail);
    const warnings = await reopenKeeping(10);
    expect(warnings).toEqual([
      {
        code: 'LOG_TAIL_TRUNCATED',
        message: expect.stringContaining(`${tail.length} bytes from byte ${good.length}`),
        path: file(),
        offset: good.length,
        bytes: tail.length,
        lastSeq: 10,
      },
    ]);
  });

  it('cuts off the last write when blocks inside it were never written (zeros), though later records of it were', async () => {
    const buf = await tenRecords();
    const from = lineStart(buf, 7);
    const to = lineStart(buf, 8) + 10; // record 7 and the start of record 8 never reached the disk
    buf.fill(0, from, to);
    writeFileSync(file(), buf);
    const warnings = await reopenKeeping(6);
    expect(warnings).toMatchObject([{ code: 'LOG_TAIL_TRUNCATED', offset: from, lastSeq: 6 }]);
  });

  it('refuses zeros inside acknowledged records that a later write follows (damage, not a torn write)', async () => {
    const buf = await tenRecords();
    buf.fill(0, lineStart(buf, 3), lineStart(buf, 4) - 1);
    writeFileSync(file(), buf);
    await expect(AppendLog.open(dir)).rejects.toMatchObject({
      code: 'LOG_CORRUPT',
      message: expect.stringContaining('line 3'),
      details: { path: file(), offset: lineStart(buf, 3) },
    });
    expect(readFileSync(file())).toEqual(buf); // nothing was cut
  });

  it('refuses non-zero garbage inside the last write when valid records follow it (not what a power loss leaves)', async () => {
    const buf = await tenRecords();
    buf.fill('x', lineStart(buf, 7), lineStart(buf, 8) - 1);
    writeFileSync(file(), buf);
    await expect(AppendLog.open(dir)).rejects.toMatchObject({ code: 'LOG_CORRUPT' });
    expect(readFileSync(file())).toEqual(buf);
  });

  it('reads a log written before writes were framed, and never excuses damage followed by such records', async () => {
    const legacy = [1, 2, 3].map((i) => `${JSON.stringify({ seq: i, data: { i } })}\n`);
    writeFileSync(file(), legacy.join(''));
    expect(await reopenKeeping(3)).toEqual([]);
    writeFileSync(file(), `${legacy[0]}${'\0'.repeat(50)}\n${legacy[2]}`);
    await expect(AppendLog.open(dir)).rejects.toMatchObject({ code: 'LOG_CORRUPT' });
  });

  it('warns when it removes an empty newest segment', async () => {
    const log = await AppendLog.open<ReturnType<typeof rec>>(dir, { segmentBytes: 256 });
    for (let i = 1; i <= 20; i++) await log.append(rec(i));
    await log.close();
    writeFileSync(join(dir, segmentFileName(21)), Buffer.alloc(4096));
    const warnings: AppendLogWarning[] = [];
    const again = await AppendLog.open(dir, { segmentBytes: 256, onWarning: (w) => warnings.push(w) });
    expect(again.nextSeq).toBe(21);
    expect(warnings).toMatchObject([
      { code: 'LOG_SEGMENT_DROPPED', path: join(dir, segmentFileName(21)), bytes: 4096, lastSeq: 20 },
    ]);
    await again.close();
  });

  it('refuses a record that is not JSON without using up a sequence number', async () => {
    const log = await AppendLog.open<unknown>(dir);
    await log.append({ i: 1 });
    await expect(log.append(undefined)).rejects.toMatchObject({ code: 'LOG_RECORD_INVALID' });
    await expect(log.append({ n: 1n })).rejects.toMatchObject({ code: 'LOG_RECORD_INVALID' });
    expect(await log.append({ i: 2 })).toBe(2);
    await log.close();
    const again = await AppendLog.open(dir);
    expect(again.lastSeq).toBe(2);
    await again.close();
  });
});
