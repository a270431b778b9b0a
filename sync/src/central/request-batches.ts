// PostgreSQL only: the three statements every signed request or heartbeat makes (read the appliance, claim the
// nonce, keep the heartbeat) gathered over concurrent requests into one statement each (CallBatcher), so at
// thousands of heartbeats a second PostgreSQL and the client run a few statements a millisecond instead of
// three per heartbeat. Rows are taken in key order, so two batches (or two central processes) that touch the
// same rows queue instead of deadlocking; a deadlock PostgreSQL still reports is retried. SQLite needs none of
// this: its statements cost microseconds in the process itself.
import { CallBatcher, type CallBatcherOptions } from './call-batcher.js';
import type { Sql } from './sql.js';

const OPTIONS: CallBatcherOptions = { maxBatch: 500, maxInFlight: 2 };
const DEADLOCK = '40P01';
const RETRIES = 3;

async function retryingDeadlocks<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code !== DEADLOCK || attempt >= RETRIES) throw err;
    }
  }
}

/** Rows by id: one `= ANY` read for every request of the batch. */
export function batchedRowReads<R extends { id: string }>(
  db: Sql,
  table: string,
): CallBatcher<string, R | undefined> {
  return new CallBatcher<string, R | undefined>(async (ids) => {
    const rows = await db.all<R>(`SELECT * FROM ${table} WHERE id = ANY(?::text[])`, [...new Set(ids)]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }, OPTIONS);
}

export interface NonceClaim {
  applianceId: string;
  nonce: string;
  keepUntilMs: number;
}

const claimKey = (c: NonceClaim) => `${c.applianceId}\u0000${c.nonce}`;

/**
 * Nonces inserted together; each claim answers whether it was the first to use its nonce. The same nonce twice in
 * one batch (a replay sent at once) is one insert, and only the earlier claim wins.
 */
export function batchedNonceClaims(db: Sql): CallBatcher<NonceClaim, boolean> {
  return new CallBatcher<NonceClaim, boolean>(async (claims) => {
    const first = new Map<string, number>();
    claims.forEach((c, i) => {
      if (!first.has(claimKey(c))) first.set(claimKey(c), i);
    });
    const unique = [...first.values()]
      .map((i) => claims[i] as NonceClaim)
      .sort((a, b) => (claimKey(a) < claimKey(b) ? -1 : 1));
    const inserted = await retryingDeadlocks(() =>
      db.all<{ appliance_id: string; nonce: string }>(
        `INSERT INTO request_nonces (appliance_id, nonce, expires_at)
           SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[])
           ON CONFLICT DO NOTHING RETURNING appliance_id, nonce`,
        unique.map((c) => c.applianceId),
        unique.map((c) => c.nonce),
        unique.map((c) => c.keepUntilMs),
      ),
    );
    const won = new Set(
      inserted.map((r) => claimKey({ applianceId: r.appliance_id, nonce: r.nonce, keepUntilMs: 0 })),
    );
    return claims.map((c, i) => won.has(claimKey(c)) && first.get(claimKey(c)) === i);
  }, OPTIONS);
}

export interface HeartbeatWrite {
  applianceId: string;
  at: string;
  heartbeatJson: string;
  softwareVersion: string;
}

/**
 * Heartbeats kept together, each answering its appliance's open alarms. Two of one appliance in a batch keep the
 * later one, as two statements in that order would.
 */
export function batchedHeartbeatWrites(db: Sql): CallBatcher<HeartbeatWrite, number> {
  return new CallBatcher<HeartbeatWrite, number>(async (writes) => {
    const latest = new Map<string, HeartbeatWrite>();
    for (const w of writes) latest.set(w.applianceId, w);
    const rows = [...latest.values()].sort((a, b) => (a.applianceId < b.applianceId ? -1 : 1));
    const counted = await retryingDeadlocks(() =>
      db.all<{ id: string; open_alarms: number }>(
        `UPDATE appliances AS a
            SET last_heartbeat_at = v.at, heartbeat_json = v.hb, software_version = v.version
           FROM (SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])) AS v(id, at, hb, version)
          WHERE a.id = v.id
          RETURNING a.id,
            (SELECT COUNT(*) FROM alarms WHERE appliance_id = a.id AND cleared_at IS NULL) AS open_alarms`,
        rows.map((w) => w.applianceId),
        rows.map((w) => w.at),
        rows.map((w) => w.heartbeatJson),
        rows.map((w) => w.softwareVersion),
      ),
    );
    const open = new Map(counted.map((r) => [r.id, r.open_alarms]));
    return writes.map((w) => open.get(w.applianceId) ?? 0);
  }, OPTIONS);
}

export interface AuditHeadRenewal {
  applianceId: string;
  seq: number;
  hash: string;
  at: string;
  signature: string;
  receivedAt: string;
}

const renewalKey = (r: Omit<AuditHeadRenewal, 'receivedAt'>) =>
  [r.applianceId, r.seq, r.hash, r.at, r.signature].join('\u0000');

/**
 * Audit heads renewed together (AuditHeads.accept's first statement, with the same conditions): each answers
 * whether its head was renewed, i.e. is the highest of its appliance's epoch with no other hash at its seq.
 */
export function batchedAuditHeadRenewals(db: Sql): CallBatcher<AuditHeadRenewal, boolean> {
  return new CallBatcher<AuditHeadRenewal, boolean>(async (heads) => {
    const unique = new Map<string, AuditHeadRenewal>();
    for (const h of heads) unique.set(renewalKey(h), h);
    const rows = [...unique.values()].sort((a, b) => (renewalKey(a) < renewalKey(b) ? -1 : 1));
    const renewed = await retryingDeadlocks(() =>
      db.all<{ appliance_id: string; seq: number; hash: string; at: string; signature: string }>(
        `UPDATE audit_heads AS h SET received_at = v.received_at
           FROM (SELECT u.*, a.audit_epoch AS epoch
                   FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[])
                        AS u(appliance_id, seq, hash, at, signature, received_at)
                   JOIN appliances a ON a.id = u.appliance_id) AS v
          WHERE h.appliance_id = v.appliance_id AND h.epoch = v.epoch AND h.seq = v.seq AND h.hash = v.hash
            AND h.at = v.at AND h.signature = v.signature
            AND h.seq = (SELECT MAX(m.seq) FROM audit_heads m WHERE m.appliance_id = v.appliance_id AND m.epoch = v.epoch)
            AND NOT EXISTS (SELECT 1 FROM audit_heads o
                            WHERE o.appliance_id = v.appliance_id AND o.epoch = v.epoch AND o.seq = v.seq
                              AND o.hash <> v.hash)
          RETURNING h.appliance_id, h.seq, h.hash, h.at, h.signature`,
        rows.map((h) => h.applianceId),
        rows.map((h) => h.seq),
        rows.map((h) => h.hash),
        rows.map((h) => h.at),
        rows.map((h) => h.signature),
        rows.map((h) => h.receivedAt),
      ),
    );
    const done = new Set(
      renewed.map((r) =>
        renewalKey({
          applianceId: r.appliance_id,
          seq: r.seq,
          hash: r.hash,
          at: r.at,
          signature: r.signature,
        }),
      ),
    );
    return heads.map((h) => done.has(renewalKey(h)));
  }, OPTIONS);
}
