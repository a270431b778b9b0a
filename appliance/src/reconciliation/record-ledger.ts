// The kiosk's own history of the events reconciliation reads: one small record (event id, type, order id, certificate
// serial, time; nothing personal) per event handed to the outbox, kept in an append-only log for RETENTION_DAYS. The
// outbox prunes what central acknowledged (its write cost must not grow), so without this ledger the kiosk could not
// say, the next day, which events it delivered. Fed by `recordingEvents`, which every engine's EventSink goes through.
import { join } from 'node:path';
import { AppendLog, type KioskRecord, type SyncEvent } from '@certkiosk/sync';
import { kioskRecordOf } from './kiosk-records.js';

/** How long records are kept: a month of days to reconcile again, and some. */
export const RETENTION_DAYS = 45;

/** A record as the ledger keeps it: the record central takes, and when the event happened. */
export type LedgerEntry = KioskRecord & { occurredAt: string };

export class RecordLedger {
  private constructor(private readonly log: AppendLog<LedgerEntry>) {}

  /** Opens (creates) the ledger under `<dir>/log` (`segmentBytes`: the log's segment size, tests make it small). */
  static async open(dir: string, opts: { segmentBytes?: number } = {}): Promise<RecordLedger> {
    return new RecordLedger(await AppendLog.open<LedgerEntry>(join(dir, 'log'), opts));
  }

  /** Note an event handed to the outbox (durably); events reconciliation does not read are not kept. */
  async note(event: SyncEvent): Promise<void> {
    const record = kioskRecordOf(event);
    if (record) await this.log.append({ ...record, occurredAt: event.occurredAt });
  }

  /** Every kept record, oldest first (an event noted twice, after a crash and re-run, appears twice). */
  async entries(): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    for await (const e of this.log.readFrom(this.log.firstSeq)) out.push(e.data);
    return out;
  }

  /** Drop the segments that hold only records older than RETENTION_DAYS before `nowMs`; how many records went. */
  async prune(nowMs: number): Promise<number> {
    const cutoff = nowMs - RETENTION_DAYS * 86_400_000;
    let keepFrom = this.log.lastSeq + 1;
    for await (const e of this.log.readFrom(this.log.firstSeq)) {
      if (Date.parse(e.data.occurredAt) >= cutoff) {
        keepFrom = e.seq;
        break;
      }
    }
    return this.log.pruneBefore(keepFrom);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

/** What the engines are given as their EventSink: the outbox, with each event noted in the ledger once queued. */
export function recordingEvents(
  outbox: { enqueue(event: SyncEvent): Promise<unknown> },
  ledger: Pick<RecordLedger, 'note'>,
): { enqueue(event: SyncEvent): Promise<unknown> } {
  return {
    async enqueue(event) {
      const queued = await outbox.enqueue(event);
      await ledger.note(event);
      return queued;
    },
  };
}
