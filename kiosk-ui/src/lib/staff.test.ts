import { describe, expect, it } from 'vitest';
import { normaliseOverview } from './staff.ts';

describe('normaliseOverview', () => {
  it('reads devices, queue depth, in-doubt and reprint lists', () => {
    const o = normaliseOverview({
      devices: [
        { kind: 'printer', state: 'user-action-needed', detail: 'paper-out', since: 'x' },
        { kind: 'idReader', state: 'online', detail: 'no-card', since: 'x' },
        { kind: 'toaster' },
      ],
      consumables: [
        { kind: 'blankKeys', count: 12 },
        { kind: 'paper', level: 'out' },
        { kind: 'toner', level: 'low' },
      ],
      queue: { depth: 3 },
      inDoubt: [{ id: 'J9', orderId: 'O9', step: 'certificate-issued' }, { nope: true }],
      reprints: [
        { id: 'R1', orderId: 'O1', queuedAt: '2025-03-03T08:02:00.000Z', holderNameMasked: '张*' },
        { id: 'R2', orderId: 'O2' },
      ],
      version: '0.1.0',
    });
    expect(o.devices.map((d) => [d.kind, d.detail])).toEqual([
      ['printer', 'paper-out'],
      // A detail the UI has no words for is dropped, never shown as it came.
      ['idReader', null],
    ]);
    expect(o.consumables).toEqual([
      { kind: 'blankKeys', count: 12 },
      { kind: 'paper', level: 'out' },
    ]);
    expect(o.queueDepth).toBe(3);
    expect(o.inDoubt).toEqual([{ id: 'J9', orderId: 'O9', step: 'certificate-issued' }]);
    expect(o.reprints).toEqual([
      { id: 'R1', orderId: 'O1', queuedAt: '2025-03-03T08:02:00.000Z', holderNameMasked: '张*' },
      { id: 'R2', orderId: 'O2' },
    ]);
    expect(o.version).toBe('0.1.0');
  });

  it('reads the top facts: kiosk, hall, central and the last sync; an unknown error code is dropped', () => {
    const kiosk = {
      applianceId: 'KIOSK-1',
      hall: 'SZ-FUTIAN',
      hallName: '福田区政务服务中心',
      timeZone: 'Asia/Shanghai',
      central: {
        state: 'unreachable',
        since: '2025-03-03T08:00:00.000Z',
        lastError: 'CENTRAL_UNAVAILABLE',
        lastErrorAt: '2025-03-03T08:01:00.000Z',
      },
      lastSyncAt: '2025-03-03T07:59:00.000Z',
    };
    expect(normaliseOverview({ kiosk }).kiosk).toEqual(kiosk);
    expect(
      normaliseOverview({
        kiosk: {
          applianceId: 'KIOSK-1',
          hall: 'SZ-FUTIAN',
          central: { state: 'odd', lastError: 'ECONNRESET' },
        },
      }).kiosk,
    ).toEqual({
      applianceId: 'KIOSK-1',
      hall: 'SZ-FUTIAN',
      hallName: 'SZ-FUTIAN',
      timeZone: '',
      central: { state: 'unknown' },
      lastSyncAt: null,
    });
    expect(normaliseOverview({ kiosk: { hall: 'x' } }).kiosk).toBeNull();
  });

  it('survives an empty or odd answer', () => {
    expect(normaliseOverview(null)).toEqual({
      kiosk: null,
      devices: [],
      consumables: [],
      queueDepth: null,
      inDoubt: [],
      reprints: [],
      version: '?',
      parkedEvents: null,
      spoiledKeys: null,
      staffAlarms: [],
      staffCalls: [],
      deviceInfo: [],
      blankKeyStock: null,
    });
  });

  it("reads applicants' open calls for staff", () => {
    const o = normaliseOverview({
      staffCalls: [
        { id: 'H1A2B3C', at: '2025-03-03T08:00:00.000Z', presses: 2, journeyRef: 'K3F9A2C', need: 'id-card' },
        { id: 'H4D5E6F', at: '2025-03-03T08:01:00.000Z' },
        { at: 'no id' },
        'odd',
      ],
    });
    expect(o.staffCalls).toEqual([
      { id: 'H1A2B3C', at: '2025-03-03T08:00:00.000Z', presses: 2, journeyRef: 'K3F9A2C', need: 'id-card' },
      { id: 'H4D5E6F', at: '2025-03-03T08:01:00.000Z', presses: 1 },
    ]);
  });

  it('reads staff alarms: lockouts and a store without an administrator', () => {
    const o = normaliseOverview({
      staffAlarms: [
        {
          kind: 'staff-lockout',
          staffId: 'S002',
          since: 'a',
          until: '2025-03-03T08:00:30.000Z',
          locked: true,
          failures: 5,
        },
        { kind: 'staff-no-administrator' },
        { kind: 'staff-lockout' },
        'odd',
      ],
    });
    expect(o.staffAlarms).toEqual([
      {
        kind: 'staff-lockout',
        staffId: 'S002',
        until: '2025-03-03T08:00:30.000Z',
        locked: true,
        failures: 5,
      },
      { kind: 'staff-no-administrator' },
    ]);
  });

  it('reads parked sync events and spoiled keys when the appliance reports them', () => {
    const o = normaliseOverview({
      parkedEvents: 2,
      spoiledKeys: [
        { serial: 'K1', journeyId: 'J1', at: '2025-01-01T08:00:00Z', reason: 'central refused the issuance' },
        { serial: 'K2' },
        { reason: 'no serial' },
      ],
    });
    expect(o.parkedEvents).toBe(2);
    expect(o.spoiledKeys).toEqual([
      { serial: 'K1', at: '2025-01-01T08:00:00Z', reason: 'central refused the issuance' },
      { serial: 'K2' },
    ]);
    expect(normaliseOverview({ parkedEvents: 0, spoiledKeys: [] })).toMatchObject({
      parkedEvents: 0,
      spoiledKeys: [],
    });
    expect(normaliseOverview({ parkedEvents: 'many' }).parkedEvents).toBeNull();
  });

  it("reads the appliance's in-doubt items: when they last changed and the certificate concerned", () => {
    const o = normaliseOverview({
      inDoubt: [
        {
          id: 'J7',
          orderId: 'O7',
          step: 'certificate-issued',
          updatedAt: '2025-01-01T09:00:00Z',
          certificateSerial: '5A3C',
          note: 'write failed',
        },
      ],
    });
    expect(o.inDoubt).toEqual([
      {
        id: 'J7',
        orderId: 'O7',
        step: 'certificate-issued',
        since: '2025-01-01T09:00:00Z',
        certificateSerial: '5A3C',
      },
    ]);
  });
});
