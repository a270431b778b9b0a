import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimDaemon as Daemon } from './sim/compose.js';
import { centralStore } from './testing/central-rows.js';
import { type applianceClient, type CentralHandle, simStaffLogin, waitFor } from './testing/kiosk-harness.js';
import { type SimKiosk, startSimKiosk } from './testing/sim-kiosk.js';

let central: CentralHandle;
let daemon: Daemon;
let api: ReturnType<typeof applianceClient>;
let kiosk: SimKiosk;

beforeAll(async () => {
  kiosk = await startSimKiosk('pull', { heartbeatMs: 1000 });
  ({ central, daemon, api } = kiosk);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await central?.stop();
});

async function toTokenStep(pickupCode: string) {
  // The last holder took their key (a new pickup does not start while a written key is in the writer).
  daemon.sim.pullKeys();
  await api.call('POST', '/api/journeys/current/scan', { code: pickupCode });
  await api.call('POST', '/api/journeys/current/confirm', {});
  await daemon.sim.placeCard('han-zhang-wei');
  await api.until((j) => j?.need === 'token');
}

async function staffToken(): Promise<string> {
  return (await api.call('POST', '/api/staff/login', simStaffLogin('operator'))).body.token;
}

async function certificatesAtCentral(orderId: string): Promise<number> {
  const row = await centralStore(central).get<{ n: number }>(
    'SELECT COUNT(*) AS n FROM certificates WHERE order_id = ?',
    orderId,
  );
  return Number(row?.n);
}

describe('USB key pulled mid-journey', () => {
  it('before issuance: the applicant is asked for a key again, and a new blank key finishes the journey', async () => {
    const { orderId, pickupCode } = await central.createApprovedOrder();
    await toTokenStep(pickupCode);
    kiosk.pullKeyAfter('token-ready');
    daemon.sim.insertBlankKey();
    const asked = await api.until((j) => j?.need === 'token' && j.error?.code === 'TOKEN_REMOVED', 20_000);
    expect(asked?.error).toMatchObject({ action: 'retry', retryable: true });
    expect(asked?.status).toBe('active');

    daemon.sim.insertBlankKey();
    await api.until((j) => j?.need === 'pin', 20_000);
    const done = await api.call('POST', '/api/journeys/current/pin', { pin: '385172' });
    expect(done.body).toMatchObject({ status: 'completed' });
    expect(await certificatesAtCentral(orderId)).toBe(1);
    await api.call('DELETE', '/api/journeys/current');
  });

  it('after issuance, before the write: in doubt for staff, then finished with the same certificate', async () => {
    const { orderId, pickupCode } = await central.createApprovedOrder();
    await toTokenStep(pickupCode);
    kiosk.pullKeyAfter('certificate-issued');
    daemon.sim.insertBlankKey();
    const doubt = await api.until((j) => j?.status === 'in-doubt', 20_000);
    expect(doubt?.error).toMatchObject({ code: 'ISSUANCE_IN_DOUBT', action: 'call-staff' });

    const token = await staffToken();
    const auth = { authorization: `Bearer ${token}` };
    const overview = await api.call('GET', '/api/staff/overview', undefined, auth);
    const item = overview.body.inDoubt.find((d: { orderId: string }) => d.orderId === orderId);
    expect(item).toMatchObject({ step: 'certificate-issued' });
    expect(item.note).toMatch(/issued, write failed: TOKEN_REMOVED/);

    // Without the key, staff are told to insert it; with it back, the write is retried and the journey resumes.
    const early = await api.call(
      'POST',
      `/api/staff/in-doubt/${item.id}/resolve`,
      { action: 'retry-write' },
      auth,
    );
    expect(early.body).toMatchObject({ code: 'TOKEN_ABSENT' });
    daemon.sim.tray.reinsertPulled();
    const resumed = await waitFor(
      async () => {
        const r = await api.call(
          'POST',
          `/api/staff/in-doubt/${item.id}/resolve`,
          { action: 'retry-write' },
          auth,
        );
        return r.status === 200 ? r.body : undefined;
      },
      10_000,
      'the key to be seen again',
    );
    expect(resumed.journey).toMatchObject({ status: 'active', need: 'pin', step: 'certificate-written' });

    const done = await api.call('POST', '/api/journeys/current/pin', { pin: '385172' });
    expect(done.body).toMatchObject({ status: 'completed' });
    expect(done.body.certificate.serialNumber).toBe(doubt?.certificate?.serialNumber);
    expect(await certificatesAtCentral(orderId)).toBe(1);
    await api.call('DELETE', '/api/journeys/current');
  });

  it('paper out: the journey completes, the receipt waits for staff to reprint it', async () => {
    const { pickupCode } = await central.createApprovedOrder();
    await toTokenStep(pickupCode);
    daemon.sim.insertBlankKey();
    await api.until((j) => j?.need === 'pin', 20_000);
    daemon.sim.setPrinter({ paper: 'out' });
    await waitFor(
      async () => (await api.state()).devices.find((d) => d.kind === 'printer')?.detail === 'paper-out',
      10_000,
      'paper-out status',
    );
    const done = await api.call('POST', '/api/journeys/current/pin', { pin: '385172' });
    expect(done.body).toMatchObject({ status: 'completed', receipt: { state: 'queued-for-reprint' } });
    const printedBefore = daemon.sim.receipts().length;

    const auth = { authorization: `Bearer ${await staffToken()}` };
    const queued = (await api.call('GET', '/api/staff/overview', undefined, auth)).body.reprints;
    expect(queued).toHaveLength(1);
    daemon.sim.setPrinter({ paper: 'ok' });
    await waitFor(
      async () => (await api.state()).devices.find((d) => d.kind === 'printer')?.state === 'online',
      10_000,
      'printer online',
    );
    expect((await api.call('POST', `/api/staff/reprints/${queued[0].id}`, {}, auth)).body).toEqual({
      state: 'printed',
    });
    expect(daemon.sim.receipts().length).toBe(printedBefore + 1);
    expect((await api.call('GET', '/api/staff/overview', undefined, auth)).body.reprints).toHaveLength(0);
    await api.call('DELETE', '/api/journeys/current');
  });

  it('serves its contract as OpenAPI', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/journeys/current/pin', '/api/staff/login', '/api/events']),
    );
  });

  it('a session wiped at the ID step leaves nothing personal behind and the order collectable', async () => {
    const { pickupCode } = await central.createApprovedOrder();
    daemon.sim.pullKeys();
    await api.call('POST', '/api/journeys/current/scan', { code: pickupCode });
    await api.call('POST', '/api/journeys/current/confirm', {});
    const id = (await api.state()).journey!.id;
    expect((await api.call('DELETE', '/api/journeys/current')).status).toBe(204);
    expect((await api.state()).journey).toBeNull();
    const record = daemon.engine.journey(id)!;
    expect(record.status).toBe('abandoned');
    expect(record.order?.holder?.nameMasked).toBe('张*');
    expect(record.order?.identitySalt).toBe('');
    expect(JSON.stringify(record)).not.toContain('440305198503071238');
    // The code was not consumed: it can be scanned again.
    const again = await api.call('POST', '/api/journeys/current/scan', { code: pickupCode });
    expect(again.body.need).toBe('confirm-order');
    await api.call('DELETE', '/api/journeys/current');
  });
});
