// The maintenance screen's sync, audit-log and kiosk-control routes (issue 15), attached by server.ts beside
// the other staff routes: the sync queue with its parked events and "sync now", the audit-log search, out of
// service and back, and the daemon's restart. Every change is audited with the acting staff id.
import type { CentralContact, DeliveryResult, OutboxStats, ParkedEvent } from '@certkiosk/sync';
import type { Static } from '@sinclair/typebox';
import { type AuditRecordsNewestFirst, parseAuditFilter, searchAudit } from '../audit/audit-search.js';
import { ApplianceError } from '../errors.js';
import type { KioskControl } from '../staff/kiosk-control.js';
import type { SyncStatusSchema } from './maintenance-schemas.js';
import type { RouteAttacher } from './register.js';

export type SyncStatusView = Static<typeof SyncStatusSchema>;

/** The sync agent as the maintenance screen uses it (the daemon's SyncAgent and its outbox). */
export interface MaintenanceSync {
  status(): { central?: CentralContact; outbox: OutboxStats };
  pendingCount(): number;
  parked(): ParkedEvent[];
  retryParked(id: string): Promise<number>;
  discardParked(id: string): Promise<ParkedEvent>;
  /** One delivery attempt now (never throws). */
  deliverOnce(): Promise<DeliveryResult>;
  /** One heartbeat now (throws the client's error); absent when the kiosk sends none. */
  beatOnce?: () => Promise<unknown>;
}

export interface MaintenanceServices {
  sync?: MaintenanceSync;
  /** The audit log's records newest first (`AuditLog.readNewestFirst`): a search reads only what its page needs. */
  auditNewestFirst?: AuditRecordsNewestFirst;
  /** Out of service or not (durable); the API keeps one in memory without it. */
  control?: KioskControl;
  /** Stop the daemon to be restarted (called once the answer is sent). */
  restart?: () => void;
}

export interface MaintenanceRouteDeps {
  maintenance: MaintenanceServices;
  control: KioskControl;
  /** An applicant session (pickup or service) is open. */
  sessionRunning(): boolean;
  audit(actor: `staff:${string}`, action: string, details: Record<string, unknown>): Promise<void>;
  actor(req: unknown): `staff:${string}`;
}

const errorCode = (err: unknown): string =>
  typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'INTERNAL';

export function syncStatusView(sync: MaintenanceSync | undefined): SyncStatusView {
  if (!sync) return { queueDepth: 0, parked: [], lastSyncAt: null, central: 'unknown' };
  const { central } = sync.status();
  return {
    queueDepth: sync.pendingCount(),
    parked: sync.parked().map((p) => ({
      id: p.id,
      type: p.type,
      ...(p.orderId ? { orderId: p.orderId } : {}),
      occurredAt: p.occurredAt,
      parkedAt: p.parkedAt,
      refusal: { status: p.refusal.status, code: p.refusal.code },
    })),
    lastSyncAt: central?.lastOkAt ?? null,
    central:
      !central || central.reachable === null ? 'unknown' : central.reachable ? 'reachable' : 'unreachable',
    ...(central?.lastErrorCode ? { lastError: central.lastErrorCode } : {}),
    ...(central?.lastFailureAt ? { lastErrorAt: central.lastFailureAt } : {}),
  };
}

export function attachMaintenanceRoutes(routes: RouteAttacher, deps: MaintenanceRouteDeps): void {
  const { maintenance: m, control } = deps;
  const sync = (): MaintenanceSync => {
    if (!m.sync) throw new ApplianceError('CENTRAL_UNAVAILABLE', 'This kiosk has no sync agent.');
    return m.sync;
  };
  const parked = (id: string) => {
    const found = sync()
      .parked()
      .find((p) => p.id === id);
    if (!found) throw new ApplianceError('PARKED_EVENT_UNKNOWN', undefined, { id: id.slice(0, 64) });
    return found;
  };

  routes.attach('syncStatus', async () => syncStatusView(m.sync));
  routes.attach('syncNow', async (req) => {
    const s = sync();
    const delivery = await s.deliverOnce();
    let heartbeat: 'sent' | 'failed' | 'off' = 'off';
    let error: string | undefined;
    if (s.beatOnce) {
      try {
        await s.beatOnce();
        heartbeat = 'sent';
      } catch (err) {
        heartbeat = 'failed';
        error = errorCode(err);
      }
    }
    const status = syncStatusView(s);
    if (!error && delivery === 'failed') error = status.lastError ?? 'CENTRAL_UNAVAILABLE';
    await deps.audit(deps.actor(req), 'sync.now', {
      delivery,
      heartbeat,
      queueDepth: status.queueDepth,
      ...(error ? { error } : {}),
    });
    return { delivery, heartbeat, ...(error ? { error } : {}), status };
  });
  /** Staff's hand on one parked event: audited (its id, type and central's refusal) before it is done. */
  const handParked = async <A extends 'retried' | 'discarded'>(
    actor: `staff:${string}`,
    id: string,
    action: A,
    act: (s: MaintenanceSync, id: string) => Promise<unknown>,
  ) => {
    const p = parked(id);
    await deps.audit(actor, action === 'retried' ? 'sync.parked.retry' : 'sync.parked.discard', {
      eventId: p.id,
      type: p.type,
      refusal: p.refusal.code,
    });
    await act(sync(), p.id);
    return { id: p.id, action, status: syncStatusView(m.sync) };
  };
  routes.attach('retryParkedEvent', (req) =>
    handParked(deps.actor(req), req.params.id, 'retried', (s, id) => s.retryParked(id)),
  );
  routes.attach('discardParkedEvent', (req) =>
    handParked(deps.actor(req), req.params.id, 'discarded', (s, id) => s.discardParked(id)),
  );

  routes.attach('searchAudit', async (req) => {
    const filter = parseAuditFilter(req.query ?? {});
    if (!m.auditNewestFirst) return { records: [] };
    return searchAudit(m.auditNewestFirst, filter);
  });

  routes.attach('kioskService', async () => control.state());
  routes.attach('setKioskService', async (req) => {
    const out = req.body.outOfService;
    if (out !== control.outOfService)
      await deps.audit(deps.actor(req), out ? 'kiosk.out-of-service' : 'kiosk.in-service', {});
    return control.set(out, deps.actor(req));
  });
  routes.attach('restartDaemon', async (req, reply) => {
    const force = req.body.force === true;
    const running = deps.sessionRunning();
    if (running && !force) throw new ApplianceError('RESTART_SESSION_RUNNING');
    if (!m.restart) throw new ApplianceError('INTERNAL', 'This kiosk cannot restart itself.');
    await deps.audit(deps.actor(req), 'daemon.restart', { force, sessionRunning: running });
    const restart = m.restart;
    // After the answer is on its way: the daemon flushes and exits, its supervisor starts it again.
    reply.raw.once('finish', () => setImmediate(restart));
    return { restarting: true as const };
  });
}
