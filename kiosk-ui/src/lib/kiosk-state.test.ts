import { describe, expect, it } from 'vitest';
import type { DeviceStatusView, JourneyView } from './contract.ts';
import {
  deviceAlerts,
  initialKioskState,
  issuanceRequested,
  type KioskEvent,
  parseServerEvent,
  reduceKiosk,
  screenFor,
  secondsUntil,
  waitProblem,
} from './kiosk-state.ts';

const journey = (over: Partial<JourneyView> = {}): JourneyView => ({
  id: 'J1',
  ref: 'KJ1',
  revision: 1,
  cancellable: true,
  kind: 'pickup',
  step: 'scanned',
  status: 'active',
  need: 'scan',
  progress: { steps: [] },
  ...over,
});
const device = (over: Partial<DeviceStatusView>): DeviceStatusView => ({
  kind: 'token',
  state: 'online',
  detail: null,
  since: '2025-01-01T00:00:00Z',
  ...over,
});
const run = (...events: KioskEvent[]) => events.reduce(reduceKiosk, initialKioskState());

describe('kiosk state reducer', () => {
  it('takes the journey and its idle deadline from journey events', () => {
    const s = run({ type: 'journey', data: journey({ idleWipeAt: '2025-01-01T00:01:00Z' }) });
    expect(s.journey?.id).toBe('J1');
    expect(s.serverWipeAt).toBe(Date.parse('2025-01-01T00:01:00Z'));
  });

  it('never steps back to an older view of the same journey (an action answer arriving after the stream)', () => {
    const s = run(
      { type: 'journey', data: journey({ revision: 5, need: 'token' }) },
      { type: 'journey', data: journey({ revision: 4, need: 'id-card' }) },
    );
    expect(s.journey?.need).toBe('token');
    const t = run(
      { type: 'journey', data: journey({ revision: 5, need: 'token' }) },
      { type: 'journey', data: journey({ revision: 6, need: 'pin' }) },
    );
    expect(t.journey?.need).toBe('pin');
  });

  it('keeps one status per device, the latest', () => {
    const s = run(
      { type: 'snapshot', journey: null, devices: [device({}), device({ kind: 'printer' })] },
      { type: 'device', data: device({ detail: 'token-absent', state: 'user-action-needed' }) },
    );
    expect(s.devices.token?.detail).toBe('token-absent');
    expect(s.devices.printer?.state).toBe('online');
  });

  it('keeps a device event that overtook the snapshot answer (the newer status wins)', () => {
    const paperOut = device({
      kind: 'printer',
      state: 'user-action-needed',
      detail: 'paper-out',
      since: '2025-01-01T00:00:05Z',
    });
    const s = run(
      { type: 'device', data: paperOut },
      { type: 'snapshot', journey: null, devices: [device({}), device({ kind: 'printer' })] },
    );
    expect(s.devices.printer?.detail).toBe('paper-out');
    const t = run(
      { type: 'device', data: device({ kind: 'printer', since: '2024-12-31T23:59:00Z' }) },
      { type: 'snapshot', journey: null, devices: [paperOut] },
    );
    expect(t.devices.printer?.detail).toBe('paper-out');
  });

  it('forgets the journey on a wipe and ignores late news about it', () => {
    const s = run(
      {
        type: 'journey',
        data: journey({
          order: { orderId: 'O1', certificateType: 'organisation', businessType: 'new', serviceYears: 1 },
        }),
      },
      { type: 'wiped', data: { reason: 'idle' } },
      { type: 'journey', data: journey({ need: 'confirm-order' }) },
    );
    expect(s.journey).toBeNull();
    expect(s.wipes).toBe(1);
    expect(s.serverWipeAt).toBeNull();
    expect(
      run(
        { type: 'journey', data: journey() },
        { type: 'wiped', data: { reason: 'idle' } },
        { type: 'journey', data: journey({ id: 'J2' }) },
      ).journey?.id,
    ).toBe('J2');
  });

  it('shows a wiped journey again once the appliance has moved it on (staff reactivated it)', () => {
    const late = run(
      { type: 'journey', data: journey({ revision: 7 }) },
      { type: 'wiped', data: { reason: 'staff' } },
      { type: 'journey', data: journey({ revision: 7 }) },
    );
    expect(late.journey).toBeNull();
    const reactivated = run(
      { type: 'journey', data: journey({ revision: 7 }) },
      { type: 'wiped', data: { reason: 'staff' } },
      { type: 'journey', data: journey({ revision: 8, need: 'token' }) },
    );
    expect(reactivated.journey?.need).toBe('token');
  });

  it('moves the server deadline on an idle warning or a touch, only while a journey runs', () => {
    expect(run({ type: 'idle-warning', data: { wipeAt: '2025-01-01T00:00:30Z' } }).serverWipeAt).toBeNull();
    const s = run(
      { type: 'journey', data: journey() },
      { type: 'touched', idleWipeAt: '2025-01-01T00:00:30Z' },
    );
    expect(s.serverWipeAt).toBe(Date.parse('2025-01-01T00:00:30Z'));
  });

  it('treats an abandoned journey as none', () => {
    expect(run({ type: 'journey', data: journey({ status: 'abandoned' }) }).journey).toBeNull();
  });
});

describe('parseServerEvent', () => {
  it('accepts the contract events', () => {
    expect(parseServerEvent('journey', JSON.stringify(journey()))?.type).toBe('journey');
    expect(parseServerEvent('journey', 'null')).toEqual({ type: 'journey', data: null });
    expect(parseServerEvent('device', JSON.stringify(device({}))))?.toMatchObject({ type: 'device' });
    expect(parseServerEvent('wiped', '{"reason":"idle"}')).toEqual({
      type: 'wiped',
      data: { reason: 'idle' },
    });
    expect(parseServerEvent('idle-warning', '{"wipeAt":"x"}')).toEqual({
      type: 'idle-warning',
      data: { wipeAt: 'x' },
    });
  });

  it('takes a wipe by staff like any other wipe, and an unknown reason still as a wipe', () => {
    expect(parseServerEvent('wiped', '{"reason":"staff"}')).toEqual({
      type: 'wiped',
      data: { reason: 'staff' },
    });
    expect(parseServerEvent('wiped', '{"reason":"power-cut"}')?.type).toBe('wiped');
    const s = run(
      { type: 'journey', data: journey({ need: 'confirm-order' }) },
      parseServerEvent('wiped', '{"reason":"staff"}') as KioskEvent,
    );
    expect(s.journey).toBeNull();
    expect(screenFor(s.journey)).toBe('attract');
  });

  it('drops what it does not understand', () => {
    expect(parseServerEvent('journey', '{')).toBeNull();
    expect(parseServerEvent('journey', '{"id":1}')).toBeNull();
    expect(parseServerEvent('device', '{"kind":"toaster"}')).toBeNull();
    expect(parseServerEvent('hello', '{}')).toBeNull();
  });
});

describe('screenFor', () => {
  it('follows what the journey needs', () => {
    expect(screenFor(null)).toBe('attract');
    expect(screenFor(journey())).toBe('scan');
    expect(screenFor(journey({ need: 'confirm-order' }))).toBe('order');
    expect(screenFor(journey({ need: 'id-card' }))).toBe('id-card');
    expect(screenFor(journey({ need: 'token' }))).toBe('token');
    expect(screenFor(journey({ need: 'wait', step: 'token-ready' }))).toBe('progress');
    expect(screenFor(journey({ need: 'pin', step: 'certificate-written' }))).toBe('pin');
    expect(screenFor(journey({ need: 'wait', step: 'pin-set' }))).toBe('verify');
    expect(screenFor(journey({ need: 'take-items', step: 'receipt-printed' }))).toBe('done');
  });

  it('shows the error screen for a failed or in-doubt journey', () => {
    expect(screenFor(journey({ status: 'failed', need: 'none' }))).toBe('error');
    expect(screenFor(journey({ status: 'in-doubt', need: 'none' }))).toBe('error');
  });
});

describe('deviceAlerts', () => {
  const pulled = { token: device({ state: 'user-action-needed', detail: 'token-absent' }) };
  it('reports a pulled key while the key is in use', () => {
    expect(
      deviceAlerts({ journey: journey({ need: 'wait', step: 'key-generated' }), devices: pulled }),
    ).toEqual(['token-pulled']);
    expect(
      deviceAlerts({ journey: journey({ need: 'pin', step: 'certificate-written' }), devices: pulled }),
    ).toEqual(['token-pulled']);
  });

  it('says nothing about the key before it is asked for or when it is taken at the end', () => {
    expect(
      deviceAlerts({ journey: journey({ need: 'token', step: 'identity-verified' }), devices: pulled }),
    ).toEqual([]);
    expect(
      deviceAlerts({ journey: journey({ need: 'take-items', step: 'receipt-printed' }), devices: pulled }),
    ).toEqual([]);
    expect(deviceAlerts({ journey: null, devices: pulled })).toEqual([]);
  });

  it('reports paper out until the receipt is printed or queued for a reprint', () => {
    const devices = {
      printer: device({ kind: 'printer', state: 'user-action-needed', detail: 'paper-out' }),
    };
    expect(deviceAlerts({ journey: journey({ need: 'id-card' }), devices })).toEqual(['paper-out']);
    expect(deviceAlerts({ journey: journey({ receipt: { state: 'queued-for-reprint' } }), devices })).toEqual(
      [],
    );
  });
});

describe('waitProblem', () => {
  const pending = {
    code: 'ISSUANCE_PENDING',
    message: 'waiting',
    action: 'retry',
    retryable: true,
  } as const;
  const waiting = { on: 'central', since: '2025-01-01T00:00:00Z', attempts: 3 } as const;

  it('is nothing while the machine simply works', () => {
    expect(waitProblem(journey({ need: 'wait', step: 'key-generated' }))).toBeNull();
    expect(waitProblem(null)).toBeNull();
  });

  it('offers "try now" while the journey waits on central, even before an error is reported', () => {
    expect(waitProblem(journey({ need: 'wait', step: 'key-generated', waiting, error: pending }))).toEqual({
      waiting,
      error: pending,
      canRetry: true,
    });
    expect(waitProblem(journey({ need: 'wait', step: 'key-generated', waiting }))?.canRetry).toBe(true);
  });

  it('shows any error on a machine step (never a spinner alone), with retry only when it may help', () => {
    const hiccup = { code: 'TOKEN_FAILED', message: '', action: 'call-staff', retryable: true } as const;
    expect(waitProblem(journey({ need: 'wait', step: 'token-ready', error: hiccup }))).toEqual({
      waiting: null,
      error: hiccup,
      canRetry: true,
    });
    const stuck = { ...hiccup, code: 'CENTRAL_REFUSED', retryable: false } as const;
    expect(waitProblem(journey({ need: 'wait', error: stuck }))?.canRetry).toBe(false);
  });

  it('leaves ended journeys and applicant steps to their own screens', () => {
    expect(waitProblem(journey({ status: 'failed', need: 'none', error: pending }))).toBeNull();
    expect(waitProblem(journey({ need: 'pin', error: pending }))).toBeNull();
  });
});

describe('issuanceRequested', () => {
  const steps = (state: 'pending' | 'running' | 'done') => ({
    steps: [
      { step: 'key-generated', state: 'done' },
      { step: 'certificate-issued', state },
    ] as JourneyView['progress']['steps'],
  });

  it('is false before the issuance request, so a cancel simply clears the session', () => {
    expect(issuanceRequested(null)).toBe(false);
    expect(issuanceRequested(journey({ need: 'id-card', step: 'order-verified' }))).toBe(false);
    expect(
      issuanceRequested(journey({ need: 'wait', step: 'token-ready', progress: steps('pending') })),
    ).toBe(false);
  });

  it('is true once the request is on its way, waiting on central, or the certificate was issued', () => {
    expect(
      issuanceRequested(journey({ need: 'wait', step: 'key-generated', progress: steps('running') })),
    ).toBe(true);
    expect(
      issuanceRequested(
        journey({
          need: 'wait',
          step: 'key-generated',
          waiting: { on: 'central', since: '2025-01-01T00:00:00Z', attempts: 1 },
        }),
      ),
    ).toBe(true);
    expect(issuanceRequested(journey({ need: 'pin', step: 'certificate-written' }))).toBe(true);
  });
});

describe('secondsUntil', () => {
  it('counts whole seconds down to the next automatic retry, never below zero', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(secondsUntil('2025-01-01T00:00:04.200Z', now)).toBe(5);
    expect(secondsUntil('2024-12-31T23:59:00Z', now)).toBe(0);
    expect(secondsUntil(undefined, now)).toBeNull();
    expect(secondsUntil('not a time', now)).toBeNull();
  });
});
