// The fleet page's live stream (Server-Sent Events, GET /fleet/events): each connection gets the snapshot (every
// row and the alarm list) on connect, then a `row` event for each appliance whose row changed and an `alarms`
// event when the open alarms changed. Changes are found by rendering again only what may have changed and
// comparing it with what each connection was last sent:
// - after a successful change request (poke): the rows of the appliances it concerned (`poke(id)`), or every
//   row (`poke()`: a change that may touch many), and the alarm list; pokes arriving together, or while a
//   comparison runs, make one comparison after it;
// - every tickMs: the alarm list and the rows the source finds changed without a request (turned stale, an
//   alarm raised by the stale sweep …), and every row every fullCompareTicks ticks (what another central
//   process changed, the new Beijing day).
// Sessions are checked every tick and on every poke without an appliance (a logout): a connection whose session
// ended gets `end` and is closed; one that does not read (more than maxBufferedBytes waiting) is cut.
import type { ServerResponse } from 'node:http';

export interface FleetView {
  /** Rendered rows by appliance id (a snapshot: every row, in display order; a comparison: those asked for). */
  rows: Map<string, string>;
  alarms: { html: string; count: number };
  /** What the table shows without any appliance. */
  empty: string;
}

/** The rows a comparison renders: every row, or those of these appliances (maybe none: the alarm list only). */
export type RowScope = 'all' | ReadonlySet<string>;

/** Where the feed's view comes from. */
export interface FleetSource {
  /** Every row and the alarm list, for a new connection. Changes nothing a comparison relies on. */
  snapshot(): Promise<FleetView>;
  /**
   * For a comparison: the rows in `scope`, plus those the source finds changed without a change request since
   * its last comparison (`periodic`: a tick's comparison, which may look further: rows turned stale); and the
   * alarm list.
   */
  compare(scope: RowScope, periodic: boolean): Promise<FleetView>;
}

export interface FeedOptions {
  /** How often connections are checked and the view compared without a poke (default 1 s). */
  tickMs?: number;
  /** Every row is compared on every this many ticks (default 10: 10 s); the ticks between compare what the
   *  source finds changed. */
  fullCompareTicks?: number;
  /** Bytes a connection may have waiting unsent before it is closed (default 256 KiB). */
  maxBufferedBytes?: number;
}

interface Client {
  res: ServerResponse;
  allowed: () => Promise<boolean>;
  rows: Map<string, string>;
  alarms: string;
}

export const DEFAULT_FEED_TICK_MS = 1000;
export const DEFAULT_FULL_COMPARE_TICKS = 10;
export const DEFAULT_FEED_MAX_BUFFERED = 256 * 1024;
/** A comment line every this many ticks keeps proxies from closing an idle stream. */
const KEEPALIVE_TICKS = 15;

export class FleetFeed {
  private readonly clients = new Set<Client>();
  private timer: NodeJS.Timeout | null = null;
  /** A comparison is asked for on the next turn of the event loop. */
  private scheduled = false;
  /** A comparison is under way (reads are async): what is asked meanwhile waits for the one after. */
  private comparing = false;
  // What the next comparison must cover.
  private readonly dirty = new Set<string>();
  private dirtyAll = false;
  private periodic = false;
  private checkSessions = false;
  private ticks = 0;
  private readonly tickMs: number;
  private readonly fullCompareTicks: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly source: FleetSource,
    opts: FeedOptions = {},
  ) {
    this.tickMs = opts.tickMs ?? DEFAULT_FEED_TICK_MS;
    this.fullCompareTicks = opts.fullCompareTicks ?? DEFAULT_FULL_COMPARE_TICKS;
    if (!(Number.isInteger(this.fullCompareTicks) && this.fullCompareTicks >= 1))
      throw new Error('fullCompareTicks must be a positive integer.');
    this.maxBuffered = opts.maxBufferedBytes ?? DEFAULT_FEED_MAX_BUFFERED;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Start streaming to a response whose headers are not sent yet; `allowed` is asked on every tick. */
  async attach(res: ServerResponse, allowed: () => Promise<boolean>): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const v = await this.source.snapshot();
    const client: Client = { res, allowed, rows: new Map(v.rows), alarms: v.alarms.html };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    this.send(client, 'snapshot', {
      rows: [...v.rows].map(([id, html]) => ({ id, html })),
      alarms: v.alarms,
      empty: v.empty,
    });
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.tickMs);
      this.timer.unref();
    }
  }

  /**
   * Something changed: the row of `applianceId`, or anything (no id). Compared soon: once per turn of the event
   * loop however many pokes, or after the comparison under way.
   */
  poke(applianceId?: string): void {
    if (this.clients.size === 0) return;
    if (applianceId === undefined) {
      this.dirtyAll = true;
      this.checkSessions = true;
    } else this.dirty.add(applianceId);
    if (this.scheduled || this.comparing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  /** The periodic comparison (the timer calls it every tickMs): sessions, the alarm list, what changed unpoked. */
  async tick(): Promise<void> {
    this.ticks += 1;
    this.periodic = true;
    this.checkSessions = true;
    if (this.ticks % this.fullCompareTicks === 0) this.dirtyAll = true;
    await this.run();
  }

  private async run(): Promise<void> {
    if (this.comparing) return;
    this.comparing = true;
    try {
      while (this.dirtyAll || this.dirty.size > 0 || this.periodic || this.checkSessions) {
        const scope: RowScope = this.dirtyAll ? 'all' : new Set(this.dirty);
        const periodic = this.periodic;
        const checkSessions = this.checkSessions;
        this.dirty.clear();
        this.dirtyAll = false;
        this.periodic = false;
        this.checkSessions = false;
        await this.compare(scope, periodic, checkSessions);
      }
    } finally {
      this.comparing = false;
    }
  }

  private async compare(scope: RowScope, periodic: boolean, checkSessions: boolean): Promise<void> {
    if (checkSessions) {
      for (const c of [...this.clients]) {
        if (!(await c.allowed())) this.end(c, 'end', { reason: 'session ended' });
      }
    }
    if (this.clients.size === 0) {
      this.stop();
      return;
    }
    const v = await this.source.compare(scope, periodic);
    const keepalive = periodic && this.ticks % KEEPALIVE_TICKS === 0;
    for (const c of [...this.clients]) {
      for (const [id, html] of v.rows) {
        if (c.rows.get(id) === html) continue;
        c.rows.set(id, html);
        this.send(c, 'row', { id, html });
      }
      if (c.alarms !== v.alarms.html) {
        c.alarms = v.alarms.html;
        this.send(c, 'alarms', v.alarms);
      }
      if (keepalive && this.clients.has(c)) this.write(c, ': keepalive\n\n');
    }
  }

  /** No connection left: no timer, nothing pending. */
  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.dirty.clear();
    this.dirtyAll = false;
  }

  /** Close every stream (central is shutting down). */
  closeAll(): void {
    for (const c of [...this.clients]) this.end(c, 'end', { reason: 'central is stopping' });
    this.stop();
  }

  private send(c: Client, event: string, data: unknown): void {
    this.write(c, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(c: Client, chunk: string): void {
    if (!this.clients.has(c)) return;
    if (c.res.writableLength + chunk.length > this.maxBuffered) {
      // A reader this far behind would only see stale rows: cut it; the browser reconnects for a new snapshot.
      this.clients.delete(c);
      c.res.destroy();
      return;
    }
    c.res.write(chunk);
  }

  private end(c: Client, event: string, data: unknown): void {
    this.send(c, event, data);
    this.clients.delete(c);
    c.res.end();
  }
}
