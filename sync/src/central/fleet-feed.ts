// The fleet page's live stream (Server-Sent Events, GET /fleet/events): each connection gets the snapshot (every
// row and the alarm list) on connect, then a `row` event for each appliance whose row changed and an `alarms`
// event when the open alarms changed. Changes are found by rendering the view again and comparing with what the
// connection was last sent: at once after any successful change request (heartbeat, event batch, acknowledgement
// … : poke()) and every tickMs (the stale sweep, as when operators read alarms). A connection whose session ended
// (logout, expiry) gets `end` and is closed; one that does not read (more than maxBufferedBytes waiting) is cut.
import type { ServerResponse } from 'node:http';

export interface FleetView {
  /** Rendered rows by appliance id, in display order. */
  rows: Map<string, string>;
  alarms: { html: string; count: number };
  /** What the table shows without any appliance. */
  empty: string;
}

export interface FeedOptions {
  /** How often connections are checked and the view compared without a poke (default 1 s). */
  tickMs?: number;
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
export const DEFAULT_FEED_MAX_BUFFERED = 256 * 1024;
/** A comment line every this many ticks keeps proxies from closing an idle stream. */
const KEEPALIVE_TICKS = 15;

export class FleetFeed {
  private readonly clients = new Set<Client>();
  private timer: NodeJS.Timeout | null = null;
  private pending = false;
  /** A comparison is under way (reads are async): the next tick waits for the one after. */
  private ticking = false;
  private ticks = 0;
  private readonly tickMs: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly view: () => Promise<FleetView>,
    opts: FeedOptions = {},
  ) {
    this.tickMs = opts.tickMs ?? DEFAULT_FEED_TICK_MS;
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
    const v = await this.view();
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

  /** Something may have changed: compare soon (once per turn of the event loop, however many pokes). */
  poke(): void {
    if (this.clients.size === 0 || this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      void this.tick();
    });
  }

  /** Compare every connection's last view with the current one and send what changed. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.compare();
    } finally {
      this.ticking = false;
    }
  }

  private async compare(): Promise<void> {
    if (this.clients.size === 0) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      return;
    }
    for (const c of [...this.clients]) {
      if (!(await c.allowed())) this.end(c, 'end', { reason: 'session ended' });
    }
    if (this.clients.size === 0) return;
    const v = await this.view();
    const keepalive = ++this.ticks % KEEPALIVE_TICKS === 0;
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

  /** Close every stream (central is shutting down). */
  closeAll(): void {
    for (const c of [...this.clients]) this.end(c, 'end', { reason: 'central is stopping' });
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
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
