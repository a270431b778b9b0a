// The sync agent: outbox + inbox + heartbeat over one signed central client, started and stopped together.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SyncEvent } from '../contract/schemas.js';
import type { BackoffOptions } from './backoff.js';
import type { CentralClient } from './central-client.js';
import { type CentralContact, CentralContactTracker } from './central-contact.js';
import { Heartbeat, type HeartbeatStats, type HeartbeatStatus } from './heartbeat.js';
import { type ChangeHandler, Inbox, type InboxStats } from './inbox.js';
import { Outbox, type OutboxOptions, type OutboxStats } from './outbox.js';

export interface SyncAgentOptions {
  /** Agent state: `outbox/` (log + cursor) and `inbox-cursor.json`. */
  dir: string;
  client: CentralClient;
  outbox?: Pick<
    OutboxOptions,
    'batchSize' | 'idlePollMs' | 'backoff' | 'segmentBytes' | 'onParked' | 'onWarning'
  >;
  /** Without it, the change feed is not polled. */
  inbox?: { handler: ChangeHandler; intervalMs?: number; limit?: number; backoff?: BackoffOptions };
  /** Without it, no heartbeat is sent. */
  heartbeat?: { intervalMs: number; collect: () => HeartbeatStatus | Promise<HeartbeatStatus> };
  onError?: (part: 'outbox' | 'inbox' | 'heartbeat', e: unknown) => void;
}

export interface SyncAgentStatus {
  /** In touch with central or not, since when, the last successful sync and the last failure's code. */
  central: CentralContact;
  outbox: OutboxStats;
  inbox?: InboxStats;
  heartbeat?: HeartbeatStats;
}

export class SyncAgent {
  private constructor(
    readonly outbox: Outbox,
    readonly inbox: Inbox | undefined,
    readonly heartbeat: Heartbeat | undefined,
    private readonly contact: CentralContactTracker,
  ) {}

  static async open(opts: SyncAgentOptions): Promise<SyncAgent> {
    await mkdir(opts.dir, { recursive: true });
    const contact = new CentralContactTracker();
    const failed = (part: 'outbox' | 'inbox' | 'heartbeat') => (e: unknown) => {
      contact.failed(e);
      opts.onError?.(part, e);
    };
    const outbox = await Outbox.open({
      dir: join(opts.dir, 'outbox'),
      client: opts.client,
      ...opts.outbox,
      onError: failed('outbox'),
      onContact: () => contact.ok(),
    });
    const inbox = opts.inbox
      ? await Inbox.open({
          client: opts.client,
          stateFile: join(opts.dir, 'inbox-cursor.json'),
          ...opts.inbox,
          onError: failed('inbox'),
          onContact: () => contact.ok(),
        })
      : undefined;
    const heartbeat = opts.heartbeat
      ? new Heartbeat({
          client: opts.client,
          ...opts.heartbeat,
          queueDepth: () => outbox.pendingCount(),
          parkedEvents: () => outbox.parkedCount,
          // Central tells us its newest change cursor; poll at once when it is past ours.
          onResponse: (res) => {
            contact.ok();
            if (inbox && Number(res.latestCursor) > Number(inbox.cursor)) inbox.wake();
          },
          onError: failed('heartbeat'),
        })
      : undefined;
    return new SyncAgent(outbox, inbox, heartbeat, contact);
  }

  start(): void {
    this.outbox.start();
    this.inbox?.start();
    this.heartbeat?.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.outbox.stop(), this.inbox?.stop(), this.heartbeat?.stop()]);
  }

  /** Stop and release files. */
  async close(): Promise<void> {
    await this.stop();
    await this.outbox.close();
  }

  /** Queue an event durably (resolves once it is on disk; delivery follows in the background). */
  enqueue(event: SyncEvent): Promise<number> {
    return this.outbox.enqueue(event);
  }

  pendingCount(): number {
    return this.outbox.pendingCount();
  }

  /** Resolves when the outbox is empty (the agent must be started). */
  drain(timeoutMs?: number): Promise<void> {
    return this.outbox.drain(timeoutMs);
  }

  status(): SyncAgentStatus {
    return {
      central: this.contact.snapshot(),
      outbox: this.outbox.stats(),
      ...(this.inbox ? { inbox: this.inbox.stats() } : {}),
      ...(this.heartbeat ? { heartbeat: this.heartbeat.stats() } : {}),
    };
  }
}
