// Audit anchoring: each heartbeat may carry the appliance audit log's head (seq, hash), signed by the appliance
// key. Central keeps every distinct head it accepted and raises an alarm when a head goes back (truncation:
// seq below the highest seen) or forks (a seq seen before with another hash). A head whose signature does not
// verify is refused, and alarmed too. Heads are compared within an epoch: an operator acknowledging an audit
// alarm, or a re-keyed appliance, starts the next one (the current head becomes the new baseline).
import { auditHeadBytes, verifyApplianceSignature } from '../contract/identity.js';
import type { Alarm, AlarmKind, AuditHead } from '../contract/schemas.js';
import type { ApplianceRow } from './appliances.js';
import type { CallBatcher } from './call-batcher.js';
import { CentralError } from './errors.js';
import { type AuditHeadRenewal, batchedAuditHeadRenewals } from './request-batches.js';
import { lockSubject } from './sql.js';
import type { Db } from './store.js';

interface AlarmRow {
  id: number;
  appliance_id: string;
  kind: AlarmKind;
  message: string;
  details_json: string;
  raised_at: string;
  last_seen_at: string;
  occurrences: number;
  acknowledged_at: string | null;
  cleared_at: string | null;
}

function toAlarm(r: AlarmRow): Alarm {
  return {
    id: r.id,
    applianceId: r.appliance_id,
    kind: r.kind,
    message: r.message,
    details: JSON.parse(r.details_json) as Record<string, unknown>,
    raisedAt: r.raised_at,
    lastSeenAt: r.last_seen_at,
    occurrences: r.occurrences,
    ...(r.acknowledged_at ? { acknowledgedAt: r.acknowledged_at } : {}),
    ...(r.cleared_at ? { clearedAt: r.cleared_at } : {}),
  };
}

/** An alarm is open until an operator acknowledges it or (a condition alarm) its condition ends. */
export const OPEN = 'acknowledged_at IS NULL AND cleared_at IS NULL';

/** Central's alarm list (operators: admin API, fleet page). */
export class Alarms {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** Raise an alarm, or count one more occurrence of the same open alarm (same appliance and kind). */
  async raise(
    applianceId: string,
    kind: AlarmKind,
    message: string,
    details: Record<string, unknown>,
  ): Promise<Alarm> {
    return this.db.transaction(async () => {
      await lockSubject(this.db, `alarm:${applianceId}:${kind}`);
      return this.raiseLocked(applianceId, kind, message, details);
    });
  }

  private async raiseLocked(
    applianceId: string,
    kind: AlarmKind,
    message: string,
    details: Record<string, unknown>,
  ): Promise<Alarm> {
    const at = new Date(this.now()).toISOString();
    const open = (await this.db.get(
      `SELECT * FROM alarms WHERE appliance_id = ? AND kind = ? AND ${OPEN} ORDER BY id DESC LIMIT 1`,
      applianceId,
      kind,
    )) as AlarmRow | undefined;
    if (open) {
      await this.db.run(
        'UPDATE alarms SET last_seen_at = ?, occurrences = occurrences + 1, message = ?, details_json = ? WHERE id = ?',
        at,
        message,
        JSON.stringify(details),
        open.id,
      );
      return this.get(open.id);
    }
    const r = await this.db.get<{ id: number }>(
      `INSERT INTO alarms (appliance_id, kind, message, details_json, raised_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
      applianceId,
      kind,
      message,
      JSON.stringify(details),
      at,
      at,
    );
    return this.get(Number(r!.id));
  }

  async get(id: number): Promise<Alarm> {
    const r = (await this.db.get('SELECT * FROM alarms WHERE id = ?', id)) as AlarmRow | undefined;
    if (!r) throw new CentralError('ALARM_NOT_FOUND');
    return toAlarm(r);
  }

  /** Newest first; by default only open (unacknowledged) ones. */
  async list(opts: { applianceId?: string; includeAcknowledged?: boolean } = {}): Promise<Alarm[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.applianceId !== undefined) {
      where.push('appliance_id = ?');
      args.push(opts.applianceId);
    }
    if (!opts.includeAcknowledged) where.push(OPEN);
    const rows = (await this.db.all(
      `SELECT * FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`,
      ...args,
    )) as AlarmRow[];
    return rows.map(toAlarm);
  }

  /**
   * A condition alarm while its condition holds: the one not cleared yet counts one more occurrence (staying
   * acknowledged if it was, so an acknowledged condition does not come back every heartbeat), else a new one.
   */
  async hold(
    applianceId: string,
    kind: AlarmKind,
    message: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.db.transaction(async () => {
      await lockSubject(this.db, `alarm:${applianceId}:${kind}`);
      const at = new Date(this.now()).toISOString();
      const r = await this.db.run(
        `UPDATE alarms SET last_seen_at = ?, occurrences = occurrences + 1, message = ?, details_json = ?
           WHERE appliance_id = ? AND kind = ? AND cleared_at IS NULL`,
        at,
        message,
        JSON.stringify(details),
        applianceId,
        kind,
      );
      if (r.changes === 0) await this.raiseLocked(applianceId, kind, message, details);
    });
  }

  /** The condition behind a condition alarm ended: cleared (kept in the list of all alarms). */
  async clear(applianceId: string, kind: AlarmKind): Promise<void> {
    await this.db.run(
      'UPDATE alarms SET cleared_at = ? WHERE appliance_id = ? AND kind = ? AND cleared_at IS NULL',
      new Date(this.now()).toISOString(),
      applianceId,
      kind,
    );
  }

  /**
   * An operator has looked into it. For an audit alarm the appliance's current head becomes the new
   * baseline (the next epoch), so the same condition does not raise it again; a new one does.
   */
  async acknowledge(id: number): Promise<Alarm> {
    return await this.db.transaction(async (): Promise<Alarm> => {
      const a = await this.get(id);
      if (a.acknowledgedAt) return a;
      await this.db.run(
        'UPDATE alarms SET acknowledged_at = ? WHERE id = ?',
        new Date(this.now()).toISOString(),
        id,
      );
      if (a.kind.startsWith('audit-'))
        await this.db.run('UPDATE appliances SET audit_epoch = audit_epoch + 1 WHERE id = ?', a.applianceId);
      return this.get(id);
    });
  }
}

export class AuditHeads {
  /** PostgreSQL: the renewals of heartbeats arriving together in one statement (request-batches.ts). */
  private readonly renewals: CallBatcher<AuditHeadRenewal, boolean> | null;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly alarms: Alarms,
  ) {
    this.renewals = db.dialect === 'postgres' ? batchedAuditHeadRenewals(db.relaxed) : null;
  }

  /** Renew the kept head `head` repeats, if it is the highest of its epoch with no other hash at its seq. */
  private async renew(applianceId: string, head: AuditHead): Promise<boolean> {
    const receivedAt = new Date(this.now()).toISOString();
    if (this.renewals) {
      const { seq, hash, at, signature } = head;
      return this.renewals.call({ applianceId, seq, hash, at, signature, receivedAt });
    }
    const renewed = await this.db.relaxed.run(
      `UPDATE audit_heads SET received_at = ?
         WHERE appliance_id = ? AND seq = ? AND hash = ? AND at = ? AND signature = ?
           AND epoch = (SELECT audit_epoch FROM appliances WHERE id = ?)
           AND seq = (SELECT MAX(m.seq) FROM audit_heads m WHERE m.appliance_id = ? AND m.epoch = audit_heads.epoch)
           AND NOT EXISTS (SELECT 1 FROM audit_heads o
                           WHERE o.appliance_id = ? AND o.epoch = audit_heads.epoch AND o.seq = ? AND o.hash <> ?)`,
      receivedAt,
      applianceId,
      head.seq,
      head.hash,
      head.at,
      head.signature,
      applianceId,
      applianceId,
      applianceId,
      head.seq,
      head.hash,
    );
    return renewed.changes === 1;
  }

  /**
   * Check and keep an appliance's signed audit head. A bad signature: alarm, then AUDIT_HEAD_BAD_SIGNATURE
   * (the heartbeat is refused). A head below the highest seq seen, or a seen seq with another hash: stored,
   * and an alarm raised (the heartbeat is still accepted: the appliance is not to be silenced).
   * `renewalTried`: the caller already tried renewing it as a repeat of the kept head, and it was not one.
   */
  async accept(
    appliance: Pick<ApplianceRow, 'id' | 'public_key_pem'>,
    head: AuditHead,
    opts: { renewalTried?: boolean } = {},
  ): Promise<void> {
    // Nearly every heartbeat repeats the head already kept (nothing logged since), signature and all: one
    // statement renews it when it is the highest of the epoch and no other hash has its seq, so there is nothing
    // to check or alarm — its signature was verified when it was first kept. (A relaxed commit: only the time it
    // was last received changes, and the next heartbeat renews it again.)
    if (!opts.renewalTried && (await this.renew(appliance.id, head))) return;
    const signed = auditHeadBytes({ applianceId: appliance.id, seq: head.seq, hash: head.hash, at: head.at });
    if (!verifyApplianceSignature(signed, head.signature, appliance.public_key_pem)) {
      await this.alarms.raise(
        appliance.id,
        'audit-bad-signature',
        `Appliance ${appliance.id} sent an audit head (seq ${head.seq}) whose signature does not verify.`,
        { seq: head.seq, hash: head.hash, at: head.at },
      );
      throw new CentralError('AUDIT_HEAD_BAD_SIGNATURE');
    }
    await this.db.transaction(async () => {
      await lockSubject(this.db, `audit-head:${appliance.id}`);
      const epoch = (
        (await this.db.get('SELECT audit_epoch FROM appliances WHERE id = ?', appliance.id)) as {
          audit_epoch: number;
        }
      ).audit_epoch;
      const highest = (await this.db.get(
        'SELECT seq, hash FROM audit_heads WHERE appliance_id = ? AND epoch = ? ORDER BY seq DESC LIMIT 1',
        appliance.id,
        epoch,
      )) as { seq: number; hash: string } | undefined;
      const sameSeq = (await this.db.get(
        'SELECT hash FROM audit_heads WHERE appliance_id = ? AND epoch = ? AND seq = ? AND hash <> ?',
        appliance.id,
        epoch,
        head.seq,
        head.hash,
      )) as { hash: string } | undefined;
      if (sameSeq) {
        await this.alarms.raise(
          appliance.id,
          'audit-forked',
          `Appliance ${appliance.id}'s audit log forked: record ${head.seq} had hash ${sameSeq.hash.slice(0, 16)}…, now ${head.hash.slice(0, 16)}….`,
          { seq: head.seq, seenHash: sameSeq.hash, newHash: head.hash, at: head.at },
        );
      }
      if (highest && head.seq < highest.seq) {
        await this.alarms.raise(
          appliance.id,
          'audit-truncated',
          `Appliance ${appliance.id}'s audit log went back from record ${highest.seq} to ${head.seq}.`,
          { highestSeq: highest.seq, highestHash: highest.hash, seq: head.seq, hash: head.hash, at: head.at },
        );
      }
      await this.db.run(
        `INSERT INTO audit_heads (appliance_id, epoch, seq, hash, at, signature, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (appliance_id, epoch, seq, hash) DO UPDATE SET received_at = excluded.received_at`,
        appliance.id,
        epoch,
        head.seq,
        head.hash,
        head.at,
        head.signature,
        new Date(this.now()).toISOString(),
      );
    });
  }
}
