// The heartbeat: every N seconds tells central the kiosk's device health, consumables, outbox queue depth and
// parked (refused) events, and version.
import type { HeartbeatRequest, HeartbeatResponse } from '../contract/schemas.js';
import type { CentralClient } from './central-client.js';
import { WakeSignal } from './wake-signal.js';

/**
 * What the appliance reports; the agent adds the outbox's queue depth and parked events. `collect` may add
 * the signed `auditHead` (CentralClient.signAuditHead over the audit log's head; async is fine).
 */
export type HeartbeatStatus = Omit<HeartbeatRequest, 'queueDepth' | 'parkedEvents'>;

export interface HeartbeatOptions {
  client: Pick<CentralClient, 'heartbeat'>;
  intervalMs: number;
  /** The appliance's current device statuses, consumables and version. */
  collect: () => HeartbeatStatus | Promise<HeartbeatStatus>;
  /** Outbox events not yet delivered. */
  queueDepth: () => number;
  /** Outbox events central refused, waiting for staff. */
  parkedEvents: () => number;
  onResponse?: (res: HeartbeatResponse) => void;
  onError?: (e: unknown) => void;
}

export interface HeartbeatStats {
  sent: number;
  failures: number;
  lastSentAt?: string;
  lastError?: string;
  running: boolean;
}

export class Heartbeat {
  private readonly signal = new WakeSignal();
  private running = false;
  private loop: Promise<void> | null = null;
  private counters = {
    sent: 0,
    failures: 0,
    lastSentAt: undefined as string | undefined,
    lastError: undefined as string | undefined,
  };

  constructor(private readonly opts: HeartbeatOptions) {}

  /** Send one heartbeat now; throws the client's error. */
  async beatOnce(): Promise<HeartbeatResponse> {
    const status = await this.opts.collect();
    const res = await this.opts.client.heartbeat({
      ...status,
      queueDepth: this.opts.queueDepth(),
      parkedEvents: this.opts.parkedEvents(),
    });
    this.counters.sent++;
    this.counters.lastSentAt = new Date().toISOString();
    this.opts.onResponse?.(res);
    return res;
  }

  stats(): HeartbeatStats {
    return {
      sent: this.counters.sent,
      failures: this.counters.failures,
      ...(this.counters.lastSentAt ? { lastSentAt: this.counters.lastSentAt } : {}),
      ...(this.counters.lastError ? { lastError: this.counters.lastError } : {}),
      running: this.running,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.signal.wake();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.beatOnce();
      } catch (e) {
        // A missed beat is visible at central as a stale heartbeat; the next one comes on schedule.
        this.counters.failures++;
        this.counters.lastError = e instanceof Error ? e.message : String(e);
        this.opts.onError?.(e);
      }
      if (this.running) await this.signal.wait(this.opts.intervalMs);
    }
  }
}
