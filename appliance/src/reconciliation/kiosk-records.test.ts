// The kiosk's records of a day, from its own durable history: events central acknowledged (gone from the outbox,
// kept in the ledger), events still queued and events central refused (parked) are all listed, once each, only for
// the day asked, with nothing personal in them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CentralClientError, type EventBatchResponse, Outbox, type SyncEvent } from '@certkiosk/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kioskRecordOf, kioskRecordsOfDay } from './kiosk-records.js';
import { RETENTION_DAYS, RecordLedger, recordingEvents } from './record-ledger.js';

const DAY = '2026-03-02';
/** 10:00 Beijing on DAY, and the evening before (another day in Beijing, the same in UTC). */
const ON_DAY = '2026-03-02T02:00:00.000Z';
const DAY_BEFORE = '2026-03-01T15:59:00.000Z';

const NAME = '张三丰';
const ID_NUMBER = '440301199001011234';

function ev(
  id: string,
  type: string,
  occurredAt: string,
  payload: Record<string, unknown>,
  orderId?: string,
) {
  return {
    id,
    type,
    occurredAt,
    ...(orderId ? { orderId } : {}),
    // What a journey's events carry beside the facts reconciliation reads: never to leave in a record.
    payload: { applianceId: 'KIOSK-1', journeyId: 'j-1', holderName: NAME, idNumber: ID_NUMBER, ...payload },
  } satisfies SyncEvent;
}

const issued = ev(
  'j-1:certificate.issued:1',
  'certificate.issued',
  ON_DAY,
  { serialNumber: '0a1b2c', tokenSerial: 'TK-9' },
  'ORD-1',
);
const record = ev('j-1:issuance.record:1', 'issuance.record', ON_DAY, {
  record: { orderId: 'ORD-1', certificateSerial: '0a1b2c', name: NAME },
});
const activated = ev(
  'j-1:certificate.activated:1',
  'certificate.activated',
  ON_DAY,
  { serialNumber: '0a1b2c' },
  'ORD-1',
);
const paid = ev('s-7:payment.taken:1', 'payment.taken', ON_DAY, { orderId: 'ORD-7', outTradeNo: 'ORD-7' });
const printed = ev('j-1:receipt.printed:1', 'receipt.printed', ON_DAY, { serialNumber: '0a1b2c' }, 'ORD-1');
const before = ev(
  'j-0:certificate.written:1',
  'certificate.written',
  DAY_BEFORE,
  { serialNumber: 'ffee01' },
  'ORD-0',
);

/** A central that acknowledges, refuses (400 with a code: parked) or cannot be reached, by event id. */
function centralFor(refused: Set<string>, unreachable: Set<string>) {
  return {
    async postEvents(events: SyncEvent[]): Promise<EventBatchResponse> {
      if (events.some((e) => refused.has(e.id)))
        throw new CentralClientError('CENTRAL_REFUSED', 'refused', {
          status: 400,
          centralCode: 'EVENT_INVALID',
        });
      if (events.some((e) => unreachable.has(e.id)))
        throw new CentralClientError('CENTRAL_UNAVAILABLE', 'down');
      return { accepted: events.length, duplicates: 0, acknowledged: events.map((e) => e.id) };
    },
  };
}

let dir: string;
let outbox: Outbox;
let ledger: RecordLedger;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ck-kiosk-records-'));
  ledger = await RecordLedger.open(join(dir, 'ledger'));
});
afterEach(async () => {
  await outbox?.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openOutbox(refused: string[], unreachable: string[]) {
  outbox = await Outbox.open({
    dir: join(dir, 'outbox'),
    client: centralFor(new Set(refused), new Set(unreachable)),
    backoff: { baseMs: 1, maxMs: 1 },
  });
  return outbox;
}

describe('the kiosk’s records of a day', () => {
  it('lists the events delivered, still queued and parked, each once, of the day only, nothing personal', async () => {
    const o = await openOutbox([activated.id], [paid.id]);
    const sink = recordingEvents(o, ledger);
    for (const e of [before, issued, record, printed, activated]) await sink.enqueue(e);
    // Delivered (acknowledged and pruned from the outbox) up to the refused one, which is parked.
    while ((await o.deliverOnce()) !== 'idle');
    expect(o.pendingCount()).toBe(0);
    expect(o.parked().map((p) => p.id)).toEqual([activated.id]);
    await sink.enqueue(paid);
    await sink.enqueue(issued); // re-emitted after a crash: the same id
    expect(await o.deliverOnce()).toBe('failed');
    expect((await o.queued()).map((e) => e.id)).toEqual([paid.id, issued.id]);

    const records = await kioskRecordsOfDay(DAY, { ledger, outbox: o });
    expect(records).toEqual([
      { eventId: issued.id, type: 'certificate.issued', orderId: 'ORD-1', serialNumber: '0a1b2c' },
      { eventId: record.id, type: 'issuance.record', orderId: 'ORD-1', serialNumber: '0a1b2c' },
      { eventId: activated.id, type: 'certificate.activated', orderId: 'ORD-1', serialNumber: '0a1b2c' },
      { eventId: paid.id, type: 'payment.taken', orderId: 'ORD-7' },
    ]);
    const text = JSON.stringify(records);
    for (const personal of [NAME, ID_NUMBER, 'TK-9', 'holderName', 'idNumber', 'KIOSK-1', 'j-1"'])
      expect(text).not.toContain(personal);
    expect(await kioskRecordsOfDay('2026-03-01', { ledger, outbox: o })).toEqual([
      { eventId: before.id, type: 'certificate.written', orderId: 'ORD-0', serialNumber: 'ffee01' },
    ]);
  });

  it('still lists queued and parked events the ledger never noted (the outbox is read too)', async () => {
    const o = await openOutbox([activated.id], [paid.id]);
    for (const e of [issued, activated]) await o.enqueue(e);
    while ((await o.deliverOnce()) !== 'idle');
    await o.enqueue(paid);
    expect(await o.deliverOnce()).toBe('failed');
    const ids = (await kioskRecordsOfDay(DAY, { ledger, outbox: o })).map((r) => r.eventId);
    // The delivered one is gone with the outbox's pruning: only the ledger could have kept it.
    expect(ids).toEqual([paid.id, activated.id]);
  });

  it('takes only the types reconciliation reads, and nothing that does not fit the record', () => {
    expect(kioskRecordOf(printed)).toBeNull();
    expect(kioskRecordOf(ev('j-2:journey.failed:1', 'journey.failed', ON_DAY, {}, 'ORD-2'))).toBeNull();
    expect(kioskRecordOf({ ...issued, payload: { serialNumber: 'x'.repeat(200) } })).toBeNull();
    expect(kioskRecordOf({ ...issued, payload: { serialNumber: 42 } })).toEqual({
      eventId: issued.id,
      type: 'certificate.issued',
      orderId: 'ORD-1',
    });
  });
});

describe('the record ledger', () => {
  it(`keeps ${RETENTION_DAYS} days: older segments are pruned, newer records stay`, async () => {
    await ledger.close();
    ledger = await RecordLedger.open(join(dir, 'small'), { segmentBytes: 200 });
    const old = new Date(Date.parse(ON_DAY) - (RETENTION_DAYS + 2) * 86_400_000).toISOString();
    for (let i = 0; i < 6; i++) await ledger.note({ ...issued, id: `old-event-${i}`, occurredAt: old });
    for (let i = 0; i < 3; i++) await ledger.note({ ...issued, id: `new-event-${i}`, occurredAt: ON_DAY });
    expect(await ledger.prune(Date.parse(ON_DAY))).toBeGreaterThan(0);
    const ids = (await ledger.entries()).map((e) => e.eventId);
    expect(ids.filter((id) => id.startsWith('new-'))).toEqual(['new-event-0', 'new-event-1', 'new-event-2']);
    expect(ids.filter((id) => id.startsWith('old-')).length).toBeLessThan(6);
  });
});
