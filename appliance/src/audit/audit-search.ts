// The maintenance screen's audit-log search: records newest first, filtered by time, actor and action, in
// bounded pages. Filters are checked first: a bad one is AUDIT_FILTER_INVALID naming the field, and nothing is
// read. Records are answered as stored (their details were redacted when they were appended).
import { ApplianceError } from '../errors.js';
import type { AuditRecord } from './audit-log.js';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 100;

export interface AuditFilterInput {
  from?: string | undefined;
  to?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  before?: string | undefined;
  limit?: string | undefined;
}

export interface AuditFilter {
  fromMs?: number;
  toMs?: number;
  /** An exact actor (`staff:S001`, `applicant`, `system`). */
  actor?: string;
  /** An action or its prefix. */
  action?: string;
  before?: number;
  limit: number;
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const ACTOR = /^(applicant|system|staff:[A-Za-z0-9._-]{1,64})$/;
const STAFF_ID = /^[A-Za-z0-9._-]{1,64}$/;
const ACTION = /^[a-z][a-z0-9._:-]{0,63}$/;
const INTEGER = /^[1-9]\d{0,9}$/;

const bad = (field: string) => new ApplianceError('AUDIT_FILTER_INVALID', undefined, { field });

function time(field: string, v: string): number {
  const ms = ISO.test(v) ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) throw bad(field);
  return ms;
}

/** The query's filters checked and parsed; throws AUDIT_FILTER_INVALID (params.field) on the first bad one. */
export function parseAuditFilter(q: AuditFilterInput): AuditFilter {
  const f: AuditFilter = { limit: AUDIT_PAGE_DEFAULT };
  if (q.from) f.fromMs = time('from', q.from);
  if (q.to) f.toMs = time('to', q.to);
  if (f.fromMs !== undefined && f.toMs !== undefined && f.fromMs > f.toMs) throw bad('to');
  if (q.actor) {
    const a = q.actor.trim();
    if (ACTOR.test(a)) f.actor = a;
    else if (STAFF_ID.test(a)) f.actor = `staff:${a}`;
    else throw bad('actor');
  }
  if (q.action) {
    if (!ACTION.test(q.action.trim())) throw bad('action');
    f.action = q.action.trim();
  }
  if (q.before) {
    if (!INTEGER.test(q.before)) throw bad('before');
    f.before = Number(q.before);
  }
  if (q.limit) {
    const n = INTEGER.test(q.limit) ? Number(q.limit) : 0;
    if (n < 1 || n > AUDIT_PAGE_MAX) throw bad('limit');
    f.limit = n;
  }
  return f;
}

export function matchesAuditFilter(r: AuditRecord, f: AuditFilter): boolean {
  if (f.before !== undefined && r.seq >= f.before) return false;
  const t = Date.parse(r.time);
  if (f.fromMs !== undefined && t < f.fromMs) return false;
  if (f.toMs !== undefined && t >= f.toMs) return false;
  if (f.actor !== undefined && r.actor !== f.actor) return false;
  if (f.action !== undefined && !(r.action === f.action || r.action.startsWith(f.action))) return false;
  return true;
}

export interface AuditPage {
  records: Array<Pick<AuditRecord, 'seq' | 'time' | 'actor' | 'action' | 'details'>>;
  nextBefore?: number;
}

/** Records newest first, those with seq < `before` when it is given (e.g. `AuditLog.readNewestFirst`). */
export type AuditRecordsNewestFirst = (before?: number) => AsyncIterable<AuditRecord>;

/**
 * One page, newest first: reads newest first and stops at the `limit + 1`-th match, so a page costs about what
 * it holds (plus the non-matching records between), not the whole log. Records' times are not used to stop
 * early: they are wall-clock times, which can step backwards (a clock set back), so they are not in seq order.
 */
export async function searchAudit(newestFirst: AuditRecordsNewestFirst, f: AuditFilter): Promise<AuditPage> {
  const found: AuditRecord[] = [];
  for await (const r of newestFirst(f.before)) {
    if (!matchesAuditFilter(r, f)) continue;
    found.push(r);
    if (found.length > f.limit) break;
  }
  return pageOf(found, f.limit);
}

/** A page from up to `limit + 1` matches, newest first; the extra one only says there is more. */
function pageOf(newestFirst: AuditRecord[], limit: number): AuditPage {
  const more = newestFirst.length > limit;
  const page = newestFirst.slice(0, limit);
  return {
    records: page.map(({ seq, time, actor, action, details }) => ({ seq, time, actor, action, details })),
    ...(more && page.length ? { nextBefore: page[page.length - 1]!.seq } : {}),
  };
}
