// The audit log: append-only, sequence-numbered and hash-chained (each record carries the SHA-256 of the one
// before it), on top of the durable AppendLog. Every journey step, staff action and config change goes here.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  AppendLog,
  type AppendLogOptions,
  canonicalJson,
  listSegments,
  parseLogLine,
  readRawLines,
  segmentFileName,
} from '@certkiosk/sync';
import { type ReadAuditNewestFirstOptions, readAuditNewestFirst } from './read-audit-newest-first.js';
import { redactAuditDetails } from './redact.js';

export type AuditActor = 'applicant' | 'system' | `staff:${string}`;

export interface AuditRecord {
  seq: number;
  /** ISO 8601. */
  time: string;
  actor: AuditActor;
  /** e.g. `journey.identity-verified`, `staff.login`, `config.changed`. */
  action: string;
  /** Redacted: no PIN or password, ID numbers masked. */
  details: Record<string, unknown>;
  /** `hash` of the previous record; 64 zeros for the first. */
  prevHash: string;
  /** SHA-256 (hex) of the canonical JSON of this record without `hash`. */
  hash: string;
}

export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export const AUDIT_ERRORS = {
  AUDIT_BAD_ACTOR: 'The audit actor must be "applicant", "system" or "staff:<id>".',
  AUDIT_BAD_ACTION: 'The audit action must be a short lower-case name like "journey.pin-set".',
} as const;

export class AuditError extends Error {
  override readonly name = 'AuditError';
  constructor(
    readonly code: keyof typeof AUDIT_ERRORS,
    readonly details: Record<string, unknown> = {},
  ) {
    super(AUDIT_ERRORS[code]);
  }
}

const ACTOR = /^(applicant|system|staff:[A-Za-z0-9._-]{1,64})$/;
const ACTION = /^[a-z][a-z0-9._:-]{0,63}$/;

export function hashAuditRecord(record: Omit<AuditRecord, 'hash'>): string {
  const { seq, time, actor, action, details, prevHash } = record;
  return createHash('sha256')
    .update(canonicalJson({ seq, time, actor, action, details, prevHash }))
    .digest('hex');
}

export interface AuditLogOptions extends AppendLogOptions {
  now?: () => Date;
}

export class AuditLog {
  private lastHash: string;

  private constructor(
    private readonly log: AppendLog<AuditRecord>,
    private readonly now: () => Date,
  ) {
    this.lastHash = log.last()?.data.hash ?? AUDIT_GENESIS_HASH;
  }

  static async open(dir: string, opts: AuditLogOptions = {}): Promise<AuditLog> {
    const { now, ...logOpts } = opts;
    return new AuditLog(await AppendLog.open<AuditRecord>(dir, logOpts), now ?? (() => new Date()));
  }

  /** Append one record (details redacted); resolves once it is on disk. Calls are chained in call order. */
  async append(
    actor: AuditActor,
    action: string,
    details: Record<string, unknown> = {},
  ): Promise<AuditRecord> {
    if (!ACTOR.test(actor)) throw new AuditError('AUDIT_BAD_ACTOR', { actor });
    if (!ACTION.test(action)) throw new AuditError('AUDIT_BAD_ACTION', { action });
    const body = {
      seq: this.log.nextSeq, // the AppendLog assigns the same number synchronously below
      time: this.now().toISOString(),
      actor,
      action,
      details: redactAuditDetails(details),
      prevHash: this.lastHash,
    };
    const record: AuditRecord = { ...body, hash: hashAuditRecord(body) };
    this.lastHash = record.hash;
    await this.log.append(record);
    return record;
  }

  /** Sequence and hash of the newest record: worth sending to central so a cut tail can be noticed. */
  head(): { seq: number; hash: string } {
    return { seq: this.log.lastSeq, hash: this.lastHash };
  }

  /** Records from a sequence number on (maintenance screen, diagnostics export). */
  read(fromSeq = 1): AsyncGenerator<{ seq: number; data: AuditRecord }> {
    return this.log.readFrom(fromSeq);
  }

  /**
   * Records newest first (those below `before` when given), read backwards from the end of the segment files:
   * stopping early reads only the log's end (maintenance-screen search). Appends still under way are left out.
   */
  readNewestFirst(
    before?: number,
    opts: Pick<ReadAuditNewestFirstOptions, 'chunkBytes' | 'open'> = {},
  ): AsyncGenerator<AuditRecord> {
    return readAuditNewestFirst(this.log.dir, {
      ...opts,
      ...(before === undefined ? {} : { before }),
      upToSeq: this.log.last()?.seq ?? 0,
    });
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

export type AuditProblem = 'unreadable' | 'edited' | 'deleted' | 'reordered' | 'duplicated';

export type AuditVerification =
  | {
      ok: true;
      records: number;
      head: { seq: number; hash: string };
      /** A half-written last line from a crash (not tampering); the next open truncates it. */
      tornTail: boolean;
    }
  | {
      ok: false;
      /** Records that verified before the first problem. */
      records: number;
      firstBadSeq: number;
      problem: AuditProblem;
      message: string;
      segment: string;
    };

interface Located {
  segment: string;
  entry: { seq: number; data: AuditRecord } | null;
  torn: boolean;
}

async function* recordsOf(dir: string): AsyncGenerator<Located> {
  for (const start of await listSegments(dir)) {
    const segment = join(dir, segmentFileName(start));
    for await (const raw of readRawLines(segment)) {
      yield { segment, entry: raw.torn ? null : parseLogLine<AuditRecord>(raw.line), torn: raw.torn };
    }
  }
}

function looksLikeRecord(r: unknown): r is AuditRecord {
  const x = r as Partial<AuditRecord> | null;
  return (
    !!x &&
    typeof x.seq === 'number' &&
    typeof x.time === 'string' &&
    typeof x.actor === 'string' &&
    typeof x.action === 'string' &&
    typeof x.details === 'object' &&
    x.details !== null &&
    typeof x.prevHash === 'string' &&
    typeof x.hash === 'string'
  );
}

/**
 * Read-only check of a whole audit log: detects an edited record, a deleted one (a gap), a reordered or
 * duplicated one, and an unreadable line, and reports the first bad sequence number. A log whose newest
 * records were cut off whole is still consistent; compare `head` with a copy kept elsewhere for that.
 */
export async function verifyAuditLog(dir: string): Promise<AuditVerification> {
  let expected = 1;
  let prevHash = AUDIT_GENESIS_HASH;
  let records = 0;
  let tornTail = false;
  const it = recordsOf(dir);
  const bad = (
    firstBadSeq: number,
    problem: AuditProblem,
    message: string,
    segment: string,
  ): AuditVerification => ({
    ok: false,
    records,
    firstBadSeq,
    problem,
    message,
    segment,
  });

  for await (const { segment, entry, torn } of it) {
    if (tornTail)
      return bad(expected, 'unreadable', `Record ${expected} is unreadable (cut short).`, segment);
    if (torn) {
      tornTail = true; // fine only if nothing follows
      continue;
    }
    if (!entry || !looksLikeRecord(entry.data)) {
      return bad(expected, 'unreadable', `Record ${expected} is not a readable audit record.`, segment);
    }
    const rec = entry.data;
    if (entry.seq !== rec.seq) {
      return bad(expected, 'edited', `Record ${expected}: its sequence number was changed.`, segment);
    }
    if (rec.seq > expected) {
      // The missing number may come later (records swapped) or never (records deleted).
      let later = false;
      for await (const rest of it) if (rest.entry?.seq === expected) later = true;
      return later
        ? bad(
            expected,
            'reordered',
            `Record ${expected} is out of order (found ${rec.seq} in its place).`,
            segment,
          )
        : bad(
            expected,
            'deleted',
            `Record ${expected}${rec.seq > expected + 1 ? `–${rec.seq - 1}` : ''} is missing (deleted): the next record is ${rec.seq}.`,
            segment,
          );
    }
    if (rec.seq < expected) {
      return bad(
        rec.seq,
        'duplicated',
        `Record ${rec.seq} appears again after record ${expected - 1}.`,
        segment,
      );
    }
    const { hash, ...body } = rec;
    if (hashAuditRecord(body) !== hash) {
      return bad(
        rec.seq,
        'edited',
        `Record ${rec.seq} was edited (its hash does not match its content).`,
        segment,
      );
    }
    if (rec.prevHash !== prevHash && rec.seq === 1) {
      return bad(1, 'edited', 'Record 1 was edited (it must start the chain).', segment);
    }
    if (rec.prevHash !== prevHash) {
      return bad(
        rec.seq - 1,
        'edited',
        `Record ${rec.seq - 1} was changed after record ${rec.seq} was written (the chain link does not match).`,
        segment,
      );
    }
    prevHash = hash;
    expected++;
    records++;
  }
  return { ok: true, records, head: { seq: expected - 1, hash: prevHash }, tornTail };
}
