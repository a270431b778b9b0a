import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listSegments, segmentFileName } from '@certkiosk/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditActor, AuditLog, type AuditRecord, verifyAuditLog } from './audit-log.js';
import {
  type AuditFilter,
  type AuditFilterInput,
  type AuditPage,
  matchesAuditFilter,
  parseAuditFilter,
  searchAudit,
} from './audit-search.js';
import { readAuditNewestFirst } from './read-audit-newest-first.js';
import type { OpenForReading } from './read-lines-backward.js';

let dir: string;
let log: AuditLog | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-audit-search-'));
});
afterEach(async () => {
  await log?.close();
  log = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-03-01T08:00:00Z');
const ACTORS: AuditActor[] = ['applicant', 'staff:S001', 'system', 'staff:S002', 'applicant'];
const ACTIONS = ['journey.step', 'receipt.reprint', 'staff.login', 'journey.pin-set'];

/** A long log in many small segments: record i at T0 + i seconds (or as `times` says), appended in bursts. */
async function longLog(n: number, times: (i: number) => number = (i) => T0 + i * 1000): Promise<AuditLog> {
  let i = 0;
  const opened = await AuditLog.open(dir, { segmentBytes: 16 * 1024, now: () => new Date(times(++i)) });
  for (let from = 1; from <= n; from += 250) {
    const burst = [];
    for (let k = from; k < Math.min(n + 1, from + 250); k++) {
      burst.push(opened.append(ACTORS[k % ACTORS.length]!, ACTIONS[k % ACTIONS.length]!, { k }));
    }
    await Promise.all(burst);
  }
  log = opened;
  return opened;
}

/** Opens and bytes read, per file name. */
function countingOpen() {
  const files: string[] = [];
  const seen = { bytes: 0 };
  const openCounted: OpenForReading = async (path) => {
    files.push(path.slice(path.lastIndexOf('/') + 1));
    const fh = await open(path, 'r');
    return {
      stat: () => fh.stat(),
      read: async (buf: Buffer, off: number, len: number, pos: number) => {
        const r = await fh.read(buf, off, len, pos);
        seen.bytes += r.bytesRead;
        return r;
      },
      close: () => fh.close(),
    };
  };
  return { files, seen, open: openCounted };
}

const newestFirst = (l: AuditLog) => (before?: number) => l.readNewestFirst(before);
/** The former search, kept as the oracle: every record read forward, the newest `limit + 1` matches kept. */
async function fullScanPage(l: AuditLog, f: AuditFilter): Promise<AuditPage> {
  const matches: AuditRecord[] = [];
  for await (const { data } of l.read(1)) if (matchesAuditFilter(data, f)) matches.push(data);
  const newest = matches.reverse();
  const page = newest.slice(0, f.limit);
  return {
    records: page.map(({ seq, time, actor, action, details }) => ({ seq, time, actor, action, details })),
    ...(newest.length > f.limit && page.length ? { nextBefore: page.at(-1)!.seq } : {}),
  };
}

/** Every page of a search, following nextBefore. */
async function allPages(
  search: (f: AuditFilter) => Promise<AuditPage>,
  q: AuditFilterInput,
): Promise<AuditPage[]> {
  const pages: AuditPage[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await search(parseAuditFilter({ ...q, ...(before ? { before: String(before) } : {}) }));
    pages.push(page);
    if (page.nextBefore === undefined) return pages;
    expect(page.records).toHaveLength(parseAuditFilter(q).limit);
    before = page.nextBefore;
  }
}

async function everyRecord(l: AuditLog): Promise<AuditRecord[]> {
  const all: AuditRecord[] = [];
  for await (const { data } of l.read(1)) all.push(data);
  return all;
}

const FILTERS: AuditFilterInput[] = [
  { limit: '7' },
  { actor: 'S001', limit: '7' },
  { action: 'journey.', limit: '9' },
  { actor: 'applicant', action: 'receipt.reprint', limit: '5' },
  { from: '2026-03-01T08:10:00Z', to: '2026-03-01T08:20:00Z', limit: '11' },
  { from: '2026-03-01T08:20:00Z', limit: '100' },
  { action: 'no.such-action', limit: '3' },
];

describe('searchAudit reads newest first and stops once the page is full', () => {
  it('pulls only limit + 1 matching records from its source', async () => {
    let pulled = 0;
    async function* source(before?: number): AsyncGenerator<AuditRecord> {
      for (let seq = Math.min(before ?? 10_001, 10_001) - 1; seq >= 1; seq--) {
        pulled++;
        yield {
          seq,
          time: new Date(T0 + seq * 1000).toISOString(),
          actor: 'system',
          action: 'tick',
          details: {},
          prevHash: '',
          hash: '',
        };
      }
    }
    const page = await searchAudit(source, parseAuditFilter({ limit: '20' }));
    expect(page.records.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 10_000 - i));
    expect(page.nextBefore).toBe(9981);
    expect(pulled).toBe(21);
    pulled = 0;
    const next = await searchAudit(source, parseAuditFilter({ limit: '20', before: '9981' }));
    expect(next.records[0]!.seq).toBe(9980);
    expect(pulled).toBe(21);
  });

  it('the newest page of a long log reads only its last segment(s), about a page of bytes', async () => {
    const l = await longLog(3000);
    const segments = await listSegments(dir);
    expect(segments.length).toBeGreaterThan(20);
    const logBytes = segments.reduce((n, s) => n + statSync(join(dir, segmentFileName(s))).size, 0);
    const counted = countingOpen();
    const page = await searchAudit(
      (before) => l.readNewestFirst(before, { open: counted.open, chunkBytes: 4096 }),
      parseAuditFilter({ limit: '50' }),
    );
    expect(page.records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 3000 - i));
    expect(page.nextBefore).toBe(2951);
    // Only the segments holding records 2950–3000 were opened, newest first, and about 51 records' bytes read.
    const holding = segments.filter((_s, i) => (segments[i + 1] ?? Number.POSITIVE_INFINITY) > 2950);
    expect(counted.files).toEqual(holding.reverse().map(segmentFileName));
    const recordBytes = Math.ceil(logBytes / 3000);
    expect(counted.seen.bytes).toBeLessThan(51 * recordBytes + 2 * 4096 * counted.files.length);
    expect(counted.seen.bytes).toBeLessThan(logBytes / 20);
  });

  it('a page deep in the log starts at the segment that holds `before` and opens none newer', async () => {
    const l = await longLog(3000);
    const segments = await listSegments(dir);
    const counted = countingOpen();
    const page = await searchAudit(
      (before) => l.readNewestFirst(before, { open: counted.open }),
      parseAuditFilter({ limit: '10', before: '700' }),
    );
    expect(page.records.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 699 - i));
    const holding699 = segments.filter((s) => s <= 699).at(-1)!;
    expect(counted.files[0]).toBe(segmentFileName(holding699));
    expect(counted.files.every((f) => Number.parseInt(f, 10) <= 699)).toBe(true);
  });

  it('paging with nextBefore gives every matching record exactly once, newest first, across segments — the same pages as a full forward scan', async () => {
    const l = await longLog(1200);
    expect((await listSegments(dir)).length).toBeGreaterThan(10);
    const all = await everyRecord(l);
    for (const q of FILTERS) {
      const f = parseAuditFilter(q);
      const pages = await allPages((g) => searchAudit(newestFirst(l), g), q);
      const seqs = pages.flatMap((p) => p.records.map((r) => r.seq));
      const expected = all
        .filter((r) => searchableBy(r, f))
        .map((r) => r.seq)
        .reverse();
      expect(seqs, JSON.stringify(q)).toEqual(expected);
      expect(pages, JSON.stringify(q)).toEqual(await allPages((g) => fullScanPage(l, g), q));
    }
  });

  it('a torn last line (a crash mid-write) is left out, and paging still gives every record once', async () => {
    await (await longLog(800)).close();
    log = undefined;
    const segments = await listSegments(dir);
    const newest = join(dir, segmentFileName(segments.at(-1)!));
    appendFileSync(newest, '{"seq":801,"b":801,"data":{"seq":801,"time":"2026-03-01T08:');
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, records: 800, tornTail: true });

    const fromDisk = (before?: number) =>
      readAuditNewestFirst(dir, { chunkBytes: 1000, ...(before === undefined ? {} : { before }) });
    const pages = await allPages((f) => searchAudit(fromDisk, f), { limit: '13' });
    expect(pages.flatMap((p) => p.records.map((r) => r.seq))).toEqual(
      Array.from({ length: 800 }, (_, i) => 800 - i),
    );
    // Opening repairs it; the search answers the same.
    const reopened = await AuditLog.open(dir);
    log = reopened;
    expect(await allPages((f) => searchAudit(newestFirst(reopened), f), { limit: '13' })).toEqual(pages);
  });

  it('a write still under way (past the last acknowledged record) is left out, as a forward read leaves it', async () => {
    const l = await longLog(600);
    const newest = join(dir, segmentFileName((await listSegments(dir)).at(-1)!));
    // Bytes of the next write as they may stand mid-write: one whole line and a torn one.
    appendFileSync(
      newest,
      '{"seq":601,"b":601,"data":{"seq":601,"time":"2026-03-01T09:00:00.000Z","actor":"system","action":"x","details":{},"prevHash":"","hash":""}}\n{"seq":602,"b":601,"da',
    );
    for (const q of FILTERS) {
      expect(await allPages((f) => searchAudit(newestFirst(l), f), q)).toEqual(
        await allPages((f) => fullScanPage(l, f), q),
      );
    }
    const newestPage = await searchAudit(newestFirst(l), parseAuditFilter({ limit: '1' }));
    expect(newestPage.records[0]!.seq).toBe(600);
  });

  it('an unreadable record on the pages read is LOG_CORRUPT, as a forward read finds it', async () => {
    await (await longLog(800)).close();
    log = undefined;
    const segments = await listSegments(dir);
    const middle = join(dir, segmentFileName(segments[Math.floor(segments.length / 2)]!));
    const text = readFileSync(middle, 'utf8');
    const second = text.indexOf('\n') + 1;
    writeFileSync(
      middle,
      text.slice(0, second) +
        'x'.repeat(text.indexOf('\n', second) - second) +
        text.slice(text.indexOf('\n', second)),
    );
    const l = await AuditLog.open(dir);
    log = l;
    const newestPage = await searchAudit(newestFirst(l), parseAuditFilter({ limit: '5' }));
    expect(newestPage.records[0]!.seq).toBe(800);
    await expect(allPages((f) => searchAudit(newestFirst(l), f), { limit: '50' })).rejects.toMatchObject({
      code: 'LOG_CORRUPT',
    });
    await expect(fullScanPage(l, parseAuditFilter({}))).rejects.toMatchObject({
      code: 'LOG_CORRUPT',
    });
  });

  it('an unreadable newest acknowledged record is LOG_CORRUPT, not taken for a write under way', async () => {
    const l = await longLog(300);
    const newest = join(dir, segmentFileName((await listSegments(dir)).at(-1)!));
    const text = readFileSync(newest, 'utf8');
    const lastLine = text.lastIndexOf('\n', text.length - 2) + 1;
    writeFileSync(newest, text.slice(0, lastLine) + 'x'.repeat(text.length - 1 - lastLine) + '\n');
    await expect(searchAudit(newestFirst(l), parseAuditFilter({ limit: '5' }))).rejects.toMatchObject({
      code: 'LOG_CORRUPT',
    });
    await expect(fullScanPage(l, parseAuditFilter({}))).rejects.toMatchObject({
      code: 'LOG_CORRUPT',
    });
  });

  it('a clock set back: times are not in seq order, so a `from` search still finds records after the step', async () => {
    // Records 1–300 an hour fast (09:00:01–09:05:00), then the clock is set back an hour for 301–600.
    const l = await longLog(600, (i) => T0 + i * 1000 + (i <= 300 ? 3_600_000 : 0));
    const q = { from: '2026-03-01T09:00:00Z', limit: '20' };
    const pages = await allPages((f) => searchAudit(newestFirst(l), f), q);
    const seqs = pages.flatMap((p) => p.records.map((r) => r.seq));
    // Newest first, 600 is already before `from`: stopping there would miss all of them.
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => 300 - i));
    expect(pages).toEqual(await allPages((f) => fullScanPage(l, f), q));
  });
});

/** The filter as the search applies it, for the expected answer. */
function searchableBy(r: AuditRecord, f: AuditFilter): boolean {
  const t = Date.parse(r.time);
  return (
    (f.fromMs === undefined || t >= f.fromMs) &&
    (f.toMs === undefined || t < f.toMs) &&
    (f.actor === undefined || r.actor === f.actor) &&
    (f.action === undefined || r.action.startsWith(f.action))
  );
}
