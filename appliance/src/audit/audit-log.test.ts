import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_GENESIS_HASH, AuditLog, hashAuditRecord, verifyAuditLog } from './audit-log.js';
import { main } from './cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const clock = () => {
  let t = Date.parse('2026-03-01T08:00:00Z');
  return () => {
    t += 1000;
    return new Date(t);
  };
};

async function writeLog(n: number, segmentBytes?: number): Promise<void> {
  const log = await AuditLog.open(dir, { now: clock(), ...(segmentBytes ? { segmentBytes } : {}) });
  for (let i = 1; i <= n; i++) {
    await log.append(i % 3 === 0 ? 'staff:S042' : 'applicant', 'journey.step', {
      step: i,
      orderId: `CK-${i}`,
    });
  }
  await log.close();
}

/** All stored lines of the single segment, as objects, and a writer for them. */
function lines(): { seq: number; data: Record<string, unknown> }[] {
  return readFileSync(join(dir, '00000001.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
function writeLines(ls: unknown[]): void {
  writeFileSync(join(dir, '00000001.jsonl'), ls.map((l) => `${JSON.stringify(l)}\n`).join(''));
}

describe('AuditLog', () => {
  it('chains records: seq from 1, prevHash = previous hash, hash over the canonical record', async () => {
    const log = await AuditLog.open(dir, { now: clock() });
    const a = await log.append('system', 'appliance.started', { version: '0.1.0' });
    const b = await log.append('staff:S042', 'staff.login');
    expect(a).toMatchObject({ seq: 1, actor: 'system', prevHash: AUDIT_GENESIS_HASH });
    expect(b).toMatchObject({ seq: 2, prevHash: a.hash, time: '2026-03-01T08:00:02.000Z' });
    const { hash, ...body } = b;
    expect(hashAuditRecord(body)).toBe(hash);
    expect(log.head()).toEqual({ seq: 2, hash: b.hash });
    await log.close();
  });

  it('keeps the chain across a reopen and when many appends are queued at once', async () => {
    await writeLog(3);
    const log = await AuditLog.open(dir);
    const recs = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append('system', 'tick', { i })));
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 4));
    await log.close();
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, records: 53, head: { seq: 53 } });
  });

  it('never stores a PIN and masks ID numbers in details', async () => {
    const log = await AuditLog.open(dir);
    const r = await log.append('applicant', 'journey.pin-set', {
      pin: '123456',
      newPin: '654321',
      soPIN: '87654321',
      password: 'x',
      idNumber: '440304199001011233',
      holder: { name: '张伟', id_card_no: '44030419900101123X' },
      note: 'read card 440304199001011233 ok',
      orderId: 'CK-1',
    });
    await log.close();
    const stored = readFileSync(join(dir, '00000001.jsonl'), 'utf8');
    for (const secret of ['123456', '654321', '87654321', '440304199001011233', '44030419900101123X']) {
      expect(stored).not.toContain(secret);
    }
    expect(r.details).toEqual({
      pin: '[redacted]',
      newPin: '[redacted]',
      soPIN: '[redacted]',
      password: '[redacted]',
      idNumber: '4403**********1233',
      holder: { name: '张伟', id_card_no: '4403**********123X' },
      note: 'read card 4403**********1233 ok',
      orderId: 'CK-1',
    });
  });

  it('refuses a malformed actor or action', async () => {
    const log = await AuditLog.open(dir);
    // @ts-expect-error: not an actor
    await expect(log.append('root', 'x')).rejects.toMatchObject({ code: 'AUDIT_BAD_ACTOR' });
    await expect(log.append('staff:', 'x')).rejects.toMatchObject({ code: 'AUDIT_BAD_ACTOR' });
    await expect(log.append('system', 'Hello World')).rejects.toMatchObject({ code: 'AUDIT_BAD_ACTION' });
    await log.close();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('verifyAuditLog', () => {
  it('accepts an intact log spread over several segments', async () => {
    await writeLog(40, 1024);
    expect(readdirSync(dir).length).toBeGreaterThan(2);
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, records: 40, tornTail: false });
  });

  it('detects an edited record (content changed, hash left as it was)', async () => {
    await writeLog(10);
    const ls = lines();
    (ls[4]!.data['details'] as Record<string, unknown>)['step'] = 999;
    writeLines(ls);
    expect(await verifyAuditLog(dir)).toMatchObject({
      ok: false,
      firstBadSeq: 5,
      problem: 'edited',
      records: 4,
    });
  });

  it('detects an edited record whose hash was recomputed (the next link breaks)', async () => {
    await writeLog(10);
    const ls = lines();
    const d = ls[4]!.data as Record<string, unknown> & { hash: string };
    d['actor'] = 'system';
    const { hash: _old, ...body } = d;
    d.hash = hashAuditRecord(body as never);
    writeLines(ls);
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: false, firstBadSeq: 5, problem: 'edited' });
  });

  it('detects a deleted record', async () => {
    await writeLog(10);
    const ls = lines();
    ls.splice(6, 1);
    writeLines(ls);
    const r = await verifyAuditLog(dir);
    expect(r).toMatchObject({ ok: false, firstBadSeq: 7, problem: 'deleted', records: 6 });
  });

  it('detects a gap in the sequence (records renumbered after a deletion)', async () => {
    await writeLog(10);
    const ls = lines();
    ls.splice(2, 1);
    for (const l of ls.slice(2)) {
      l.seq -= 1;
      (l.data as { seq: number }).seq -= 1;
    }
    writeLines(ls);
    // renumbering changes the content: record 3 (formerly 4) no longer matches its hash
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: false, firstBadSeq: 3, problem: 'edited' });
  });

  it('detects a deleted whole segment', async () => {
    await writeLog(40, 1024);
    const segs = readdirSync(dir).sort();
    rmSync(join(dir, segs[1]!));
    const start = Number(segs[1]!.slice(0, 8));
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: false, firstBadSeq: start, problem: 'deleted' });
  });

  it('detects a reordered record', async () => {
    await writeLog(10);
    const ls = lines();
    [ls[3], ls[4]] = [ls[4]!, ls[3]!];
    writeLines(ls);
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: false, firstBadSeq: 4, problem: 'reordered' });
  });

  it('detects a duplicated record', async () => {
    await writeLog(5);
    const ls = lines();
    ls.splice(3, 0, ls[2]!);
    writeLines(ls);
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: false, firstBadSeq: 3, problem: 'duplicated' });
  });

  it('reports an unreadable line, but a half-written last line (crash) is not tampering', async () => {
    await writeLog(5);
    appendFileSync(join(dir, '00000001.jsonl'), '{"seq":6,"data":{"se');
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, records: 5, tornTail: true });
    const ls = readFileSync(join(dir, '00000001.jsonl'), 'utf8').split('\n');
    ls[1] = 'garbage';
    writeFileSync(join(dir, '00000001.jsonl'), ls.join('\n'));
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: false, firstBadSeq: 2, problem: 'unreadable' });
  });
});

describe('certkiosk-audit verify', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const code = await main(
      argv,
      (l) => out.push(l),
      (l) => out.push(l),
    );
    return { code, out: out.join('\n') };
  };

  it('exit 0 with "ok N records" for an intact log', async () => {
    await writeLog(12);
    const r = await run(['verify', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok 12 records/);
  });

  it('exit 1 naming the first bad seq and why', async () => {
    await writeLog(12);
    const ls = lines();
    ls.splice(8, 1);
    writeLines(ls);
    const r = await run(['verify', '--dir', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('BAD at seq 9: deleted');
  });

  it('exit 2 on a usage error or a missing directory', async () => {
    expect((await run(['check'])).code).toBe(2);
    expect((await run(['verify', '--dir', join(dir, 'nope')])).code).toBe(2);
  });
});
