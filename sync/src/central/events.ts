// Event ingestion: stored once per event id (a replayed batch changes nothing); a few types move orders on.
import type { EventBatchResponse, SyncEvent } from '../contract/schemas.js';
import { CentralError } from './errors.js';
import type { OrderService } from './orders.js';
import type { Db } from './store.js';

export class EventInbox {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly orders: OrderService,
  ) {}

  /**
   * Store a batch from an appliance (of `hall`), all or nothing. An event about an order is accepted only from
   * the appliance that issued a certificate for it (certificate.activated: the one that issued the current
   * certificate), or — while the order has none — from an appliance of its hall; otherwise the whole batch is
   * refused with EVENT_WRONG_APPLIANCE and nothing is stored (the kiosk's outbox parks the one refused event).
   * A redelivery of an event this appliance already sent is acknowledged again.
   */
  async ingest(applianceId: string, hall: string, events: SyncEvent[]): Promise<EventBatchResponse> {
    return await this.db.transaction(async (): Promise<EventBatchResponse> => {
      let accepted = 0;
      const at = new Date(this.now()).toISOString();
      for (const e of events) {
        const before = await this.db.get<{ appliance_id: string }>(
          'SELECT appliance_id FROM events WHERE id = ?',
          e.id,
        );
        if (before?.appliance_id === applianceId) continue;
        await this.checkScope(applianceId, hall, e);
        const r = await this.db.run(
          `INSERT INTO events (id, appliance_id, type, order_id, occurred_at, received_at, payload_json)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
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
        await this.applySideEffect(e);
      }
      return { accepted, duplicates: events.length - accepted, acknowledged: events.map((e) => e.id) };
    });
  }

  /** Throws EVENT_WRONG_APPLIANCE when this appliance may not report about the event's order. */
  private async checkScope(applianceId: string, hall: string, e: SyncEvent): Promise<void> {
    if (!e.orderId) return;
    const order = (await this.db.get('SELECT hall FROM orders WHERE id = ?', e.orderId)) as
      | { hall: string }
      | undefined;
    if (!order) return; // nothing central knows of: stored, no effect
    const certs = (await this.db.all(
      'SELECT appliance_id, voided_at FROM certificates WHERE order_id = ? ORDER BY issued_at DESC',
      e.orderId,
    )) as Array<{ appliance_id: string | null; voided_at: string | null }>;
    const refuse = (why: string): never => {
      throw new CentralError(
        'EVENT_WRONG_APPLIANCE',
        `Event ${e.id} (${e.type}) about order ${e.orderId} refused: ${why}.`,
      );
    };
    if (certs.length === 0) {
      if (order.hall !== hall) refuse(`the order belongs to hall ${order.hall}`);
      return;
    }
    if (!certs.some((c) => c.appliance_id === applianceId))
      refuse('its certificate was issued by another appliance');
    if (e.type === 'certificate.activated') {
      const current = certs.find((c) => !c.voided_at);
      if (current?.appliance_id !== applianceId)
        refuse('its current certificate was issued by another appliance');
    }
  }

  /** Only first deliveries get here. An order already past the step keeps its status (the event is still stored). */
  private async applySideEffect(e: SyncEvent): Promise<void> {
    if (e.type !== 'certificate.activated' || !e.orderId) return;
    const order = (await this.db.get('SELECT status FROM orders WHERE id = ?', e.orderId)) as
      | { status: string }
      | undefined;
    if (order?.status === 'issued') await this.orders.act(e.orderId, { action: 'activate' });
  }

  async count(): Promise<number> {
    return ((await this.db.get('SELECT COUNT(*) AS n FROM events')) as { n: number }).n;
  }
}
