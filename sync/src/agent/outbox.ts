// The outbox: events are appended durably, then delivered to central at least once, in enqueue order (so in
// order per order), in batches. Acknowledged ids are recorded in a durable cursor file, delivered segments
// are pruned, and failures back off with jitter. Nothing is dropped: an event leaves only when central acks
// it, or when central refuses it — then the batch is halved until the refused event is found, and that event
// is parked (kept durably for staff, never re-sent on its own) so it cannot block the events after it.
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { Low } from 'lowdb';
import { type EventBatchResponse, EventSchema, type SyncEvent } from '../contract/schemas.js';
import { AppendLog, type AppendLogWarning, type LogEntry } from '../durable/append-log.js';
import { DurableJsonFile } from '../durable/durable-json-file.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { CentralClient } from './central-client.js';
import { registerContractFormats } from './contract-formats.js';
import { CentralClientError, OutboxEventError, OutboxParkedError } from './errors.js';
import { type EventRefusal, type ParkedEvent, ParkedEvents } from './parked-events.js';
import { WakeSignal } from './wake-signal.js';

registerContractFormats();

/** The contract's maximum batch size (EventBatchSchema maxItems). */
export const MAX_EVENT_BATCH = 500;

/** Refusals that pass on their own (not signed in yet, timeout, rate limit): retried with backoff, never parked. */
const RETRIED_REFUSALS: ReadonlySet<number> = new Set([401, 408, 429]);

/**
 * Central's refusal of the events sent: a 4xx naming one of central's codes. Anything else — network, 5xx,
 * nonsense, a 4xx without a code (a proxy or a wrong URL, not central judging the events) — is null.
 */
function eventRefusal(e: unknown): EventRefusal | null {
  if (!(e instanceof CentralClientError) || e.code !== 'CENTRAL_REFUSED') return null;
  const { status, centralCode, centralMessage } = e.details;
  if (status === undefined || RETRIED_REFUSALS.has(status) || !centralCode) return null;
  return { status, code: centralCode, message: centralMessage ?? e.message };
}

export interface OutboxOptions {
  /** Holds `log/` (segments), `cursor.json` (what central acknowledged) and `parked.json` (what it refused). */
  dir: string;
  client: Pick<CentralClient, 'postEvents'>;
  /** Events per POST (default and maximum 500). */
  batchSize?: number;
  /** When idle, look again this often even without an enqueue (default 5 s). */
  idlePollMs?: number;
  backoff?: BackoffOptions;
  segmentBytes?: number;
  /** Told about each failed delivery (logging); the outbox itself just retries. */
  onError?: (e: unknown) => void;
  /** Told about each delivery central answered (events acknowledged or refused and parked). */
  onContact?: () => void;
  /** Told about each event central refused and the outbox parked (logging, audit). */
  onParked?: (p: ParkedEvent) => void;
  /** Told what opening the log repaired (a torn tail from a power loss). */
  onWarning?: (w: AppendLogWarning) => void;
}

/** Persisted delivery state: every seq ≤ deliveredThrough is acked, plus the acked seqs listed above it. */
export interface OutboxCursor {
  version: 1;
  deliveredThrough: number;
  ackedAbove: number[];
}

export interface OutboxStats {
  pending: number;
  /** Events central refused, waiting for staff (`parked()`). */
  parked: number;
  /** Events acknowledged since this process opened the outbox. */
  delivered: number;
  failures: number;
  consecutiveFailures: number;
  /** The wait chosen after the last failure (0 after a success). */
  lastBackoffMs: number;
  lastError?: string;
  running: boolean;
}

/** `parked`: the attempt moved the queue only by parking refused events. */
export type DeliveryResult = 'idle' | 'delivered' | 'parked' | 'failed';

export class Outbox {
  private readonly acked = new Set<number>();
  private readonly backoff: Backoff;
  private readonly newWork = new WakeSignal();
  private readonly retry = new WakeSignal();
  private readonly batchSize: number;
  private readonly idlePollMs: number;
  private readonly listeners = new Set<() => void>();
  private deliveredThrough: number;
  private running = false;
  private loop: Promise<void> | null = null;
  private inFlight: Promise<DeliveryResult> | null = null;
  private counters = {
    delivered: 0,
    failures: 0,
    lastBackoffMs: 0,
    lastError: undefined as string | undefined,
  };

  private constructor(
    private readonly opts: OutboxOptions,
    private readonly log: AppendLog<SyncEvent>,
    private readonly cursor: Low<OutboxCursor>,
    private readonly refused: ParkedEvents,
  ) {
    this.backoff = new Backoff(opts.backoff);
    this.batchSize = Math.min(MAX_EVENT_BATCH, Math.max(1, opts.batchSize ?? MAX_EVENT_BATCH));
    this.idlePollMs = opts.idlePollMs ?? 5_000;
    this.deliveredThrough = cursor.data.deliveredThrough;
    for (const s of cursor.data.ackedAbove) this.acked.add(s);
  }

  static async open(opts: OutboxOptions): Promise<Outbox> {
    const log = await AppendLog.open<SyncEvent>(join(opts.dir, 'log'), {
      ...(opts.segmentBytes ? { segmentBytes: opts.segmentBytes } : {}),
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    });
    const cursor = new Low<OutboxCursor>(new DurableJsonFile(join(opts.dir, 'cursor.json')), {
      version: 1,
      deliveredThrough: log.firstSeq - 1,
      ackedAbove: [],
    });
    await cursor.read();
    // A cursor ahead of the log means the log was lost; trusting it would skip new events with reused seqs.
    if (cursor.data.deliveredThrough > log.lastSeq) {
      cursor.data = { version: 1, deliveredThrough: log.lastSeq, ackedAbove: [] };
      await cursor.write();
    }
    return new Outbox(opts, log, cursor, await ParkedEvents.open(join(opts.dir, 'parked.json')));
  }

  /** Check and append durably; resolves with the event's outbox sequence number once it is on disk. */
  async enqueue(event: SyncEvent): Promise<number> {
    if (!Value.Check(EventSchema, event)) {
      const first = Value.Errors(EventSchema, event).First();
      const id = (event as { id?: unknown }).id;
      throw new OutboxEventError({
        ...(typeof id === 'string' ? { eventId: id } : {}),
        problem: first ? `${first.path || '/'} ${first.message}` : 'does not match the event schema',
      });
    }
    const seq = await this.log.append(event);
    this.newWork.wake();
    return seq;
  }

  /** Events appended and not yet acknowledged by central. */
  pendingCount(): number {
    return Math.max(0, this.log.lastSeq - this.deliveredThrough - this.acked.size);
  }

  /** Events central refused: they left the queue and wait for `retryParked` or `discardParked`. */
  get parkedCount(): number {
    return this.refused.count;
  }

  /** The parked events, oldest first. */
  parked(): ParkedEvent[] {
    return this.refused.list();
  }

  /** The parked events whole (payloads included), oldest first: the kiosk's reconciliation reads them. */
  parkedEvents(): SyncEvent[] {
    return this.refused.events();
  }

  /** The events still queued (appended, not acknowledged), oldest first: the kiosk's reconciliation reads them. */
  async queued(): Promise<SyncEvent[]> {
    const out: SyncEvent[] = [];
    for await (const entry of this.log.readFrom(this.deliveredThrough + 1))
      if (!this.acked.has(entry.seq)) out.push(entry.data);
    return out;
  }

  /**
   * Staff: queue a parked event again (after central or the event's cause was fixed). It goes to the end of
   * the queue; refused again, it is parked again. Resolves with its new outbox sequence number.
   */
  async retryParked(id: string): Promise<number> {
    const event = this.refused.event(id);
    if (!event) throw new OutboxParkedError(id);
    // Queued before it is unparked: a crash in between leaves it in both, and its delivery unparks it.
    const seq = await this.log.append(event);
    await this.refused.remove(id);
    this.newWork.wake();
    return seq;
  }

  /** Staff: give up on a parked event (record why in the audit log); resolves with what was discarded. */
  async discardParked(id: string): Promise<ParkedEvent> {
    const found = this.refused.list().find((p) => p.id === id);
    if (!found) throw new OutboxParkedError(id);
    await this.refused.remove(id);
    return found;
  }

  stats(): OutboxStats {
    return {
      pending: this.pendingCount(),
      parked: this.parkedCount,
      delivered: this.counters.delivered,
      failures: this.counters.failures,
      consecutiveFailures: this.backoff.attempt,
      lastBackoffMs: this.counters.lastBackoffMs,
      ...(this.counters.lastError ? { lastError: this.counters.lastError } : {}),
      running: this.running,
    };
  }

  /** One delivery attempt of the oldest pending events; never throws (failures are counted). */
  deliverOnce(): Promise<DeliveryResult> {
    this.inFlight ??= this.attempt().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Deliver in the background until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.newWork.wake();
    this.retry.wake();
    await this.loop;
    this.loop = null;
  }

  /** Skip the current backoff wait (e.g. the network came back). */
  retryNow(): void {
    this.retry.wake();
  }

  /** Resolves once nothing is pending (delivery must be running); rejects after timeoutMs. */
  drain(timeoutMs = 60_000): Promise<void> {
    if (this.pendingCount() === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.pendingCount() > 0) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`The outbox still holds ${this.pendingCount()} events after ${timeoutMs} ms.`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  async close(): Promise<void> {
    await this.stop();
    await this.inFlight;
    await this.log.close();
  }

  // ---- internals ----

  private async run(): Promise<void> {
    while (this.running) {
      const result = await this.deliverOnce();
      if (!this.running) break;
      if (result === 'idle') await this.newWork.wait(this.idlePollMs);
      else if (result === 'failed') await this.retry.wait(this.counters.lastBackoffMs);
    }
  }

  private async attempt(): Promise<DeliveryResult> {
    let batch: LogEntry<SyncEvent>[];
    try {
      batch = await this.nextBatch();
    } catch (e) {
      return this.failed(e);
    }
    if (!batch.length) return 'idle';
    const deliveredBefore = this.counters.delivered;
    try {
      await this.deliver(batch);
    } catch (e) {
      return this.failed(e);
    }
    this.counters.lastBackoffMs = 0;
    this.backoff.reset();
    this.opts.onContact?.();
    for (const l of [...this.listeners]) l();
    return this.counters.delivered > deliveredBefore ? 'delivered' : 'parked';
  }

  /**
   * Post a batch. When central refuses it, deliver each half in turn until every refused event stands alone
   * and is parked; the first half must be fully done before the second is sent, so order is kept. Returns
   * whether every event of the batch left the queue. Throws any other failure (progress so far is kept).
   */
  private async deliver(batch: LogEntry<SyncEvent>[]): Promise<boolean> {
    let res: EventBatchResponse;
    try {
      res = await this.opts.client.postEvents(batch.map((b) => b.data));
    } catch (e) {
      const refusal = eventRefusal(e);
      if (!refusal) throw e;
      const [only] = batch;
      if (batch.length === 1 && only) {
        await this.park(only, refusal);
        return true;
      }
      const half = Math.ceil(batch.length / 2);
      if (!(await this.deliver(batch.slice(0, half)))) return false;
      return this.deliver(batch.slice(half));
    }
    const seqsById = new Map<string, number[]>();
    for (const b of batch) seqsById.set(b.data.id, [...(seqsById.get(b.data.id) ?? []), b.seq]);
    let progressed = 0;
    for (const id of res.acknowledged) {
      for (const seq of seqsById.get(id) ?? []) {
        if (this.acked.has(seq) || seq <= this.deliveredThrough) continue;
        this.acked.add(seq);
        progressed++;
      }
    }
    // A 2xx that acknowledges nothing of what was sent is no progress; retrying at once would spin.
    if (!progressed) {
      throw new CentralClientError(
        'CENTRAL_BAD_RESPONSE',
        `Central acknowledged none of the ${batch.length} events sent; they stay queued.`,
      );
    }
    await this.commitAcks();
    this.counters.delivered += progressed;
    // Delivered after all (a staff retry, or re-sent after a crash while being parked): no longer parked.
    for (const id of res.acknowledged) if (seqsById.has(id)) await this.refused.remove(id);
    return progressed === batch.length;
  }

  /** Set a refused event aside: stored whole first, then it leaves the queue (a crash in between re-sends it). */
  private async park(entry: LogEntry<SyncEvent>, refusal: EventRefusal): Promise<void> {
    await this.refused.put(entry.data, refusal, new Date().toISOString());
    this.acked.add(entry.seq);
    await this.commitAcks();
    const parked = this.refused.list().find((p) => p.id === entry.data.id);
    if (parked) this.opts.onParked?.(parked);
  }

  private failed(e: unknown): DeliveryResult {
    this.counters.failures++;
    this.counters.lastBackoffMs = this.backoff.next();
    this.counters.lastError =
      e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);
    this.opts.onError?.(e);
    return 'failed';
  }

  private async nextBatch(): Promise<LogEntry<SyncEvent>[]> {
    const batch: LogEntry<SyncEvent>[] = [];
    for await (const entry of this.log.readFrom(this.deliveredThrough + 1)) {
      if (this.acked.has(entry.seq)) continue;
      batch.push(entry);
      if (batch.length >= this.batchSize) break;
    }
    return batch;
  }

  /** Move the contiguous watermark, persist it, then drop segments that hold only acknowledged events. */
  private async commitAcks(): Promise<void> {
    while (this.acked.has(this.deliveredThrough + 1)) {
      this.acked.delete(this.deliveredThrough + 1);
      this.deliveredThrough++;
    }
    this.cursor.data = {
      version: 1,
      deliveredThrough: this.deliveredThrough,
      ackedAbove: [...this.acked].sort((a, b) => a - b),
    };
    await this.cursor.write();
    await this.log.pruneBefore(this.deliveredThrough + 1);
  }
}
