// Event ingestion: stored once per event id (a replayed batch changes nothing); a few types move orders on.
import type { EventBatchResponse, SyncEvent } from '../contract/schemas.js';
import type { OrderService } from './orders.js';
import type { Db } from './store.js';

export class EventInbox {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly orders: OrderService,
  ) {}

  ingest(applianceId: string, events: SyncEvent[]): EventBatchResponse {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO events (id, appliance_id, type, order_id, occurred_at, received_at, payload_json)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    return this.db.transaction((): EventBatchResponse => {
      let accepted = 0;
      const at = new Date(this.now()).toISOString();
      for (const e of events) {
        const r = insert.run(
          e.id,
          applianceId,
          e.type,
          e.orderId ?? null,
          e.occurredAt,
          at,
          JSON.stringify(e.payload),
        );
        if (r.changes === 0) continue;
        accepted++;
        this.applySideEffect(e);
      }
      return { accepted, duplicates: events.length - accepted, acknowledged: events.map((e) => e.id) };
    })();
  }

  /** Only first deliveries get here. An order already past the step keeps its status (the event is still stored). */
  private applySideEffect(e: SyncEvent): void {
    if (e.type !== 'certificate.activated' || !e.orderId) return;
    const order = this.db.prepare('SELECT status FROM orders WHERE id = ?').get(e.orderId) as
      | { status: string }
      | undefined;
    if (order?.status === 'issued') this.orders.act(e.orderId, { action: 'activate' });
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  }
}
