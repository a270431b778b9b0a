// The inbox: polls central's change feed and hands each page of changes to the appliance. The cursor is
// stored durably only after the handler succeeded, so a failed or interrupted handler sees the changes again.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import type { Change } from '../contract/schemas.js';
import { DurableJsonFile } from '../durable/durable-json-file.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { CentralClient } from './central-client.js';
import { WakeSignal } from './wake-signal.js';

export type ChangeHandler = (changes: Change[]) => Promise<void> | void;

export interface InboxOptions {
  client: Pick<CentralClient, 'getChanges'>;
  /** Durable JSON file holding the cursor. */
  stateFile: string;
  handler: ChangeHandler;
  /** Poll interval (default 30 s); the heartbeat wakes the inbox earlier when central has news. */
  intervalMs?: number;
  /** Changes per page (default 100, central allows up to 1000). */
  limit?: number;
  backoff?: BackoffOptions;
  onError?: (e: unknown) => void;
  /** Told about each page of changes central answered with. */
  onContact?: () => void;
}

export interface InboxState {
  version: 1;
  cursor: string;
}

export interface InboxStats {
  cursor: string;
  applied: number;
  failures: number;
  lastError?: string;
  running: boolean;
}

export class Inbox {
  private readonly backoff: Backoff;
  private readonly signal = new WakeSignal();
  private running = false;
  private loop: Promise<void> | null = null;
  private inFlight: Promise<{ applied: number; cursor: string }> | null = null;
  private counters = { applied: 0, failures: 0, lastError: undefined as string | undefined };

  private constructor(
    private readonly opts: InboxOptions,
    private readonly state: Low<InboxState>,
  ) {
    this.backoff = new Backoff(opts.backoff);
  }

  static async open(opts: InboxOptions): Promise<Inbox> {
    await mkdir(dirname(opts.stateFile), { recursive: true });
    const state = new Low<InboxState>(new DurableJsonFile(opts.stateFile), { version: 1, cursor: '0' });
    await state.read();
    return new Inbox(opts, state);
  }

  /** The cursor of the last change the handler finished. */
  get cursor(): string {
    return this.state.data.cursor;
  }

  stats(): InboxStats {
    return {
      cursor: this.cursor,
      applied: this.counters.applied,
      failures: this.counters.failures,
      ...(this.counters.lastError ? { lastError: this.counters.lastError } : {}),
      running: this.running,
    };
  }

  /**
   * Fetch and handle pages until central has no more; throws the client's or the handler's error
   * (the cursor then stays at the last page that was handled).
   */
  pollOnce(): Promise<{ applied: number; cursor: string }> {
    this.inFlight ??= this.poll().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
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
    await this.inFlight?.catch(() => undefined);
  }

  /** Poll now (e.g. the heartbeat says central has a newer cursor). */
  wake(): void {
    this.signal.wake();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let wait = this.opts.intervalMs ?? 30_000;
      try {
        await this.pollOnce();
        this.backoff.reset();
      } catch (e) {
        this.counters.failures++;
        this.counters.lastError = e instanceof Error ? e.message : String(e);
        this.opts.onError?.(e);
        wait = Math.min(wait, this.backoff.next());
      }
      if (this.running) await this.signal.wait(wait);
    }
  }

  private async poll(): Promise<{ applied: number; cursor: string }> {
    let applied = 0;
    for (;;) {
      const page = await this.opts.client.getChanges(this.cursor, this.opts.limit ?? 100);
      this.opts.onContact?.();
      if (page.changes.length) {
        await this.opts.handler(page.changes);
        applied += page.changes.length;
        this.counters.applied += page.changes.length;
      }
      if (page.cursor !== this.cursor) {
        this.state.data = { version: 1, cursor: page.cursor };
        await this.state.write();
      }
      if (!page.hasMore || !page.changes.length) return { applied, cursor: this.cursor };
    }
  }
}
