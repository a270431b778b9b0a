// The kiosk's records of a Beijing day, as central's reconciliation takes them (KioskRecordSchema): from the ledger
// (every event handed to the outbox, delivered or not), the events still queued and the events central refused
// (parked). Only the event id, its type, the order id and the certificate serial leave the kiosk: nothing personal.
import {
  beijingDay,
  KIOSK_RECORD_TYPES,
  type KioskRecord,
  KioskRecordSchema,
  type KioskRecordType,
  type SyncEvent,
} from '@certkiosk/sync';
import { Value } from '@sinclair/typebox/value';

/** Central takes at most this many records per kiosk and day (KioskRunRequestSchema). */
export const MAX_RECORDS = 5000;

const TYPES: ReadonlySet<string> = new Set(KIOSK_RECORD_TYPES);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The record of an event reconciliation reads, or null for another type (or one that does not fit the record's
 * schema). The order: the event's own, its issuance record's, its payload's; the certificate: the payload's serial
 * or the issuance record's.
 */
export function kioskRecordOf(event: SyncEvent): KioskRecord | null {
  if (!TYPES.has(event.type)) return null;
  const p = event.payload;
  const inner = (typeof p.record === 'object' && p.record !== null ? p.record : {}) as Record<
    string,
    unknown
  >;
  const orderId = text(event.orderId) ?? text(inner.orderId) ?? text(p.orderId);
  const serialNumber = text(p.serialNumber) ?? text(inner.certificateSerial);
  const record: KioskRecord = {
    eventId: event.id,
    type: event.type as KioskRecordType,
    ...(orderId ? { orderId } : {}),
    ...(serialNumber ? { serialNumber } : {}),
  };
  return Value.Check(KioskRecordSchema, record) ? record : null;
}

/** Where the day's records come from: the ledger, and the outbox's queued and parked events. */
export interface KioskRecordSources {
  ledger: { entries(): Promise<Array<KioskRecord & { occurredAt: string }>> };
  outbox: { queued(): Promise<SyncEvent[]>; parkedEvents(): SyncEvent[] };
}

/** The day's records (kiosk time in the Beijing day), each event once, oldest source first, at most MAX_RECORDS. */
export async function kioskRecordsOfDay(day: string, sources: KioskRecordSources): Promise<KioskRecord[]> {
  const onDay = (iso: string) => {
    const ms = Date.parse(iso);
    return !Number.isNaN(ms) && beijingDay(ms) === day;
  };
  const found = new Map<string, KioskRecord>();
  const add = (r: KioskRecord | null) => {
    if (r && !found.has(r.eventId)) found.set(r.eventId, r);
  };
  for (const { occurredAt, ...r } of await sources.ledger.entries()) if (onDay(occurredAt)) add(r);
  const events = [...(await sources.outbox.queued()), ...sources.outbox.parkedEvents()];
  for (const e of events) if (onDay(e.occurredAt)) add(kioskRecordOf(e));
  return [...found.values()].slice(0, MAX_RECORDS);
}
