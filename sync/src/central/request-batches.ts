// PostgreSQL only: the statements every signed request or heartbeat makes, gathered over concurrent requests into
// one statement each (CallBatcher), so at thousands of heartbeats a second PostgreSQL and the client run a few
// statements a millisecond instead of several per heartbeat. A steady kiosk's heartbeat is two: its nonce claimed
// with its appliance row read (the key remembered from its last request), then its repeated audit head renewed
// with the heartbeat kept. Anything else (a first request, a new head) takes the single steps: the row read, the
// nonce claim, the head renewal, the heartbeat write. Rows are taken in key order, so two batches (or two central
// processes) that touch the same rows queue instead of deadlocking; a deadlock PostgreSQL still reports is
// retried. SQLite needs none of this: its statements cost microseconds in the process itself.
import { CallBatcher, type CallBatcherOptions } from './call-batcher.js';
import type { HeartbeatPoint } from './heartbeat-history.js';
import type { Sql } from './sql.js';

/**
 * One batch of a kind at a time: what arrives meanwhile waits for the next, so batches grow with the load. Measured
 * with the fleet load (pg, 40,000 kiosks, 1,333 heartbeats/s): two at a time, a heartbeat p99 of 120–310 ms (at
 * 30,000 kiosks pg_stat_statements counted batches of about two); one at a time, 54–185 ms. A batch holds at most
 * 500 (bounded parameters).
 *
 * A batch also waits GATHER_MS after its first call. Each statement takes about as long as the gap between
 * heartbeats, so without it a batch held about two (counted at 30,000 kiosks: 479 key claims and 429 head
 * renewals a second for 1,000 heartbeats): a statement, a round trip and a wake-up of PostgreSQL per heartbeat.
 * With 3 ms, batches of about eight: central's CPU per heartbeat 760 → 525 µs, PostgreSQL's 330 → 195 µs, and
 * 40,000 kiosks passed (p99 75 ms) where 30,000 had failed.
 */
const GATHER_MS = 3;
const OPTIONS: CallBatcherOptions = { maxBatch: 500, maxInFlight: 1, gatherMs: GATHER_MS };
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

/** Appliance rows (those columns) by id: one `= ANY` read for every request of the batch. */
export function batchedApplianceRows<R extends { id: string }>(
  db: Sql,
  columns: readonly (keyof R & string)[],
): CallBatcher<string, R | undefined> {
  const select = `SELECT ${columns.join(', ')} FROM appliances WHERE id = ANY(?::text[])`;
  return new CallBatcher<string, R | undefined>(async (ids) => {
    const rows = await db.all<R>(select, [...new Set(ids)]);
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
 * The first claim of each nonce in a batch (`first`: its index by claim key) and those claims in key order (the
 * rows a statement inserts, so batches lock them in one order).
 */
function firstClaims<C extends NonceClaim>(
  claims: readonly C[],
): { first: Map<string, number>; unique: C[] } {
  const first = new Map<string, number>();
  claims.forEach((c, i) => {
    if (!first.has(claimKey(c))) first.set(claimKey(c), i);
  });
  const unique = [...first.values()]
    .map((i) => claims[i] as C)
    .sort((a, b) => (claimKey(a) < claimKey(b) ? -1 : 1));
  return { first, unique };
}

/**
 * Nonces inserted together; each claim answers whether it was the first to use its nonce. The same nonce twice in
 * one batch (a replay sent at once) is one insert, and only the earlier claim wins.
 */
export function batchedNonceClaims(db: Sql): CallBatcher<NonceClaim, boolean> {
  return new CallBatcher<NonceClaim, boolean>(async (claims) => {
    const { first, unique } = firstClaims(claims);
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

/** A heartbeat kept on its appliance's row `a`, from `v` (kept_at, hb, version). */
const KEEPS_HEARTBEAT = 'last_heartbeat_at = v.kept_at, heartbeat_json = v.hb, software_version = v.version';
/** What a heartbeat kept answers: the appliance and its open alarms. */
const ANSWERS_OPEN_ALARMS =
  'a.id, (SELECT COUNT(*) FROM alarms WHERE appliance_id = a.id AND cleared_at IS NULL) AS open_alarms';

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
            SET ${KEEPS_HEARTBEAT}
           FROM (SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])) AS v(id, kept_at, hb, version)
          WHERE a.id = v.id
          RETURNING ${ANSWERS_OPEN_ALARMS}`,
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
 * The conditions under which a heartbeat's head renews the kept one `h` (AuditHeads.accept's first statement):
 * the same head, signature and all, in the appliance's epoch, the highest of the epoch, and no other hash at its
 * seq. `v` names the head sent (appliance_id, epoch, seq, hash, at, signature).
 */
const RENEWS_KEPT_HEAD = `h.appliance_id = v.appliance_id AND h.epoch = v.epoch AND h.seq = v.seq AND h.hash = v.hash
            AND h.at = v.at AND h.signature = v.signature
            AND h.seq = (SELECT MAX(m.seq) FROM audit_heads m WHERE m.appliance_id = v.appliance_id AND m.epoch = v.epoch)
            AND NOT EXISTS (SELECT 1 FROM audit_heads o
                            WHERE o.appliance_id = v.appliance_id AND o.epoch = v.epoch AND o.seq = v.seq
                              AND o.hash <> v.hash)`;

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
          WHERE ${RENEWS_KEPT_HEAD}
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

export interface HeartbeatRenewingHead extends HeartbeatWrite {
  head: Omit<AuditHeadRenewal, 'applianceId' | 'receivedAt'>;
}

/**
 * What a heartbeat repeating its head answers: kept (its appliance's open alarms); its head not renewed (new,
 * forked or behind: nothing kept); or not tried (the appliance sent two heartbeats in the batch, or the store
 * gathers nothing). Either of the last two: the caller takes the full path, which checks the head and keeps the
 * heartbeat apart — without trying the renewal again when it was tried.
 */
export type RepeatedHeadAnswer = { openAlarms: number } | 'head-not-renewed' | 'not-tried';

/**
 * The common heartbeat in one statement: its audit head repeats the kept one (renewed, as
 * batchedAuditHeadRenewals) and then the heartbeat is kept on the appliance's row (as batchedHeartbeatWrites),
 * only if the head was renewed.
 */
export function batchedHeartbeatsRenewingHeads(
  db: Sql,
): CallBatcher<HeartbeatRenewingHead, RepeatedHeadAnswer> {
  return new CallBatcher<HeartbeatRenewingHead, RepeatedHeadAnswer>(async (beats) => {
    const perAppliance = new Map<string, number>();
    for (const b of beats) perAppliance.set(b.applianceId, (perAppliance.get(b.applianceId) ?? 0) + 1);
    const rows = beats
      .filter((b) => perAppliance.get(b.applianceId) === 1)
      .sort((a, b) => (a.applianceId < b.applianceId ? -1 : 1));
    if (rows.length === 0) return beats.map(() => 'not-tried' as const);
    const kept = await retryingDeadlocks(() =>
      db.all<{ id: string; open_alarms: number }>(
        `WITH v AS (
           SELECT u.*, a.audit_epoch AS epoch
             FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[])
                  AS u(appliance_id, kept_at, hb, version, seq, hash, at, signature)
             JOIN appliances a ON a.id = u.appliance_id),
         renewed AS (
           UPDATE audit_heads AS h SET received_at = v.kept_at FROM v
            WHERE ${RENEWS_KEPT_HEAD}
            RETURNING h.appliance_id)
         UPDATE appliances AS a
            SET ${KEEPS_HEARTBEAT}
           FROM v JOIN renewed r ON r.appliance_id = v.appliance_id
          WHERE a.id = v.appliance_id
          RETURNING ${ANSWERS_OPEN_ALARMS}`,
        rows.map((b) => b.applianceId),
        rows.map((b) => b.at),
        rows.map((b) => b.heartbeatJson),
        rows.map((b) => b.softwareVersion),
        rows.map((b) => b.head.seq),
        rows.map((b) => b.head.hash),
        rows.map((b) => b.head.at),
        rows.map((b) => b.head.signature),
      ),
    );
    const open = new Map(kept.map((r) => [r.id, r.open_alarms]));
    return beats.map((b): RepeatedHeadAnswer => {
      if (perAppliance.get(b.applianceId) !== 1) return 'not-tried';
      const openAlarms = open.get(b.applianceId);
      return openAlarms === undefined ? 'head-not-renewed' : { openAlarms };
    });
  }, OPTIONS);
}

/** A heartbeat history point of an appliance, kept only if the appliance has no point after `since`. */
export interface HistoryPoint extends HeartbeatPoint {
  applianceId: string;
  since: string;
}

/**
 * Heartbeat history points kept together (HeartbeatHistory.record: one an appliance per step); each answers
 * whether it was kept. Two points of one appliance in a batch keep the first, as two statements in that order
 * would.
 */
export function batchedHistoryPoints(db: Sql): CallBatcher<HistoryPoint, boolean> {
  return new CallBatcher<HistoryPoint, boolean>(async (points) => {
    const first = new Map<string, HistoryPoint>();
    for (const p of points) if (!first.has(p.applianceId)) first.set(p.applianceId, p);
    const rows = [...first.values()];
    const kept = await db.all<{ appliance_id: string }>(
      `INSERT INTO heartbeat_history (appliance_id, at, uptime_s, queue_depth, parked_events, in_doubt, blank_keys)
         SELECT v.appliance_id, v.at, v.uptime_s, v.queue_depth, v.parked_events, v.in_doubt, v.blank_keys
           FROM unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[])
                AS v(appliance_id, at, uptime_s, queue_depth, parked_events, in_doubt, blank_keys, since)
          WHERE NOT EXISTS (SELECT 1 FROM heartbeat_history h WHERE h.appliance_id = v.appliance_id AND h.at > v.since)
          RETURNING appliance_id`,
      rows.map((p) => p.applianceId),
      rows.map((p) => p.at),
      rows.map((p) => p.uptimeS),
      rows.map((p) => p.queueDepth),
      rows.map((p) => p.parkedEvents),
      rows.map((p) => p.inDoubt),
      rows.map((p) => p.blankKeys),
      rows.map((p) => p.since),
    );
    const done = new Set(kept.map((r) => r.appliance_id));
    return points.map((p) => done.has(p.applianceId) && first.get(p.applianceId) === p);
  }, OPTIONS);
}

export interface KnownKeyClaim extends NonceClaim {
  /** The key the request's signature was checked with (the appliance's, as this process last read it). */
  publicKeyPem: string;
}

/** What a claim with a remembered key found: the appliance's row as it is now, or why there is none. */
export type KnownKeyAnswer<R> = { row: R } | 'replayed' | 'changed';

/**
 * A request's nonce claimed and its appliance's row read in one statement, for requests whose signature was
 * checked with a key this process remembers: the nonce is inserted only if the appliance is still approved with
 * that very key, and the current row comes back with it. Each answers the row (nonce claimed), 'replayed' (the
 * row is unchanged but the nonce was used), or 'changed' (revoked, re-keyed, gone, or not approved: nothing
 * inserted, the caller reads the row and checks again).
 */
export function batchedKnownKeyClaims<R extends { id: string; status: string; public_key_pem: string }>(
  db: Sql,
  columns: readonly (keyof R & string)[],
): CallBatcher<KnownKeyClaim, KnownKeyAnswer<R>> {
  const rowColumns = columns.map((c) => `a.${c}`).join(', ');
  return new CallBatcher<KnownKeyClaim, KnownKeyAnswer<R>>(async (claims) => {
    const { first, unique } = firstClaims(claims);
    const found = await retryingDeadlocks(() =>
      db.all<R & { claimed_nonce: string | null }>(
        `WITH u AS (
           SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[]) AS u(appliance_id, nonce, expires_at, pem)),
         claimed AS (
           INSERT INTO request_nonces (appliance_id, nonce, expires_at)
             SELECT u.appliance_id, u.nonce, u.expires_at FROM u
               JOIN appliances a ON a.id = u.appliance_id AND a.status = 'approved' AND a.public_key_pem = u.pem
             ON CONFLICT DO NOTHING
             RETURNING appliance_id, nonce)
         SELECT ${rowColumns}, c.nonce AS claimed_nonce
           FROM appliances a LEFT JOIN claimed c ON c.appliance_id = a.id
          WHERE a.id IN (SELECT appliance_id FROM u)`,
        unique.map((c) => c.applianceId),
        unique.map((c) => c.nonce),
        unique.map((c) => c.keepUntilMs),
        unique.map((c) => c.publicKeyPem),
      ),
    );
    const rows = new Map<string, R>();
    const won = new Set<string>();
    for (const { claimed_nonce, ...row } of found) {
      rows.set(row.id, row as unknown as R);
      if (claimed_nonce !== null)
        won.add(claimKey({ applianceId: row.id, nonce: claimed_nonce, keepUntilMs: 0 }));
    }
    return claims.map((c, i): KnownKeyAnswer<R> => {
      const row = rows.get(c.applianceId);
      if (!row || row.status !== 'approved' || row.public_key_pem !== c.publicKeyPem) return 'changed';
      return won.has(claimKey(c)) && first.get(claimKey(c)) === i ? { row } : 'replayed';
    });
  }, OPTIONS);
}
