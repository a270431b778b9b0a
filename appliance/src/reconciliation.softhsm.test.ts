// The kiosk's reconciliation against the real central (sim kiosk, SoftHSM keys): after a pickup whose events all
// reached central, the day has no line; a second pickup whose events never reach central (the proxy drops every
// POST /v1/events) shows exactly one difference — the kiosk activated the certificate, central did not — because the
// kiosk sends its own records (delivered ones from its ledger, queued ones from its outbox); once the events arrive
// the difference is gone. Staff only; a wrong day is refused with nothing sent; every run is audited.

import { parseLogLine } from '@certkiosk/config';
import { beijingDay, type KioskRecord } from '@certkiosk/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centralStore } from './testing/central-rows.js';
import { simStaffLogin, waitFor, ZHANG_WEI } from './testing/kiosk-harness.js';
import { type SimKiosk, startSimKiosk } from './testing/sim-kiosk.js';

let k: SimKiosk;
let token: string;
let applianceId: string;

beforeAll(async () => {
  let enrolled = false;
  k = await startSimKiosk('reconciliation', {
    faultProxy: true,
    log: (l) => {
      if (parseLogLine(l)?.msg === 'enrolled with central') enrolled = true;
      if (process.env['CK_DEBUG']) console.log(l);
    },
  });
  await waitFor(() => enrolled, 20_000, 'the kiosk enrolled with central');
  token = (await k.api.call('POST', '/api/staff/login', simStaffLogin('operator'))).body.token;
  applianceId = (await k.api.call('GET', '/api/kiosk')).body.applianceId;
}, 60_000);

afterAll(async () => k?.stop());

/** Collect an approved order at the kiosk, to the end (certificate written, PIN set, receipt printed). */
async function pickup(): Promise<{ orderId: string; serial: string }> {
  const { orderId, pickupCode } = await k.central.createApprovedOrder();
  k.daemon.sim.pullKeys();
  await k.daemon.sim.placeCard(null);
  await k.daemon.sim.scan(pickupCode);
  await k.api.until((j) => j?.need === 'confirm-order');
  await k.api.call('POST', '/api/journeys/current/confirm', {});
  await k.daemon.sim.placeCard('han-zhang-wei');
  await k.api.until((j) => j?.need === 'token');
  k.daemon.sim.insertBlankKey();
  await k.api.until((j) => j?.need === 'pin', 30_000);
  const done = await k.api.call('POST', '/api/journeys/current/pin', { pin: '385172' });
  expect(done.body).toMatchObject({ status: 'completed' });
  return { orderId, serial: done.body.certificate.serialNumber as string };
}

const staff = { authorization: () => `Bearer ${token}` };
const run = (body: unknown, auth = staff.authorization()) =>
  k.api.call('POST', '/api/staff/reconciliation', body, auth ? { authorization: auth } : {});
const reconciliationsSent = () => k.proxy!.log.filter((l) => l.includes('/v1/reconciliations')).length;

/** What central keeps of this kiosk's records of a day. */
async function keptRecords(day: string): Promise<KioskRecord[]> {
  const row = await centralStore(k.central).get<{ records_json: string }>(
    'SELECT records_json FROM reconciliation_kiosk_records WHERE appliance_id = ? AND day = ?',
    applianceId,
    day,
  );
  return row ? (JSON.parse(row.records_json) as KioskRecord[]) : [];
}

describe('reconciliation at the kiosk, against central', () => {
  it('a clean day has no line; a pickup whose events never reached central is exactly one difference', async () => {
    const today = beijingDay(Date.now());
    const first = await pickup();
    await k.daemon.agent.drain(15_000);
    const clean = await run({ day: today });
    expect(clean.status).toBe(200);
    expect(clean.body).toMatchObject({ run: { day: today, trigger: 'appliance' }, lines: [] });

    // The second pickup's events never reach central: each POST /v1/events is dropped, so they stay queued.
    k.proxy!.set([{ method: 'POST', path: '/v1/events', mode: 'down' }]);
    const second = await pickup();
    expect(k.daemon.agent.pendingCount()).toBeGreaterThan(0);
    const report = await run({ day: today });
    expect(report.status).toBe(200);
    expect(report.body.lines).toEqual([
      expect.objectContaining({
        kind: 'activation-differs',
        subject: 'certificate',
        orderId: second.orderId,
        applianceId: applianceId,
        central: expect.stringMatching(/^not activated/),
      }),
    ]);
    expect(report.body.run.lineCount).toBe(1);

    // The records sent: the first pickup's (delivered, pruned from the outbox: from the ledger) and the second's
    // (still queued), with nothing personal in them.
    const kept = await keptRecords(today);
    const ofOrder = (o: string) =>
      kept
        .filter((r) => r.orderId === o)
        .map((r) => r.type)
        .sort();
    const pickupTypes = [
      'certificate.activated',
      'certificate.issued',
      'certificate.written',
      'issuance.record',
    ];
    expect(ofOrder(first.orderId)).toEqual(pickupTypes);
    expect(ofOrder(second.orderId)).toEqual(pickupTypes);
    expect(
      kept.filter((r) => r.type === 'certificate.issued').map((r) => r.serialNumber?.toLowerCase()),
    ).toEqual(expect.arrayContaining([first.serial.toLowerCase(), second.serial.toLowerCase()]));
    const text = JSON.stringify(kept);
    for (const personal of [ZHANG_WEI.idNumber, ZHANG_WEI.name, ZHANG_WEI.idNumber.slice(-6)])
      expect(text).not.toContain(personal);

    // Central's newest report of the day, as the maintenance screen reads it.
    const read = await k.api.call('GET', `/api/staff/reconciliation?day=${today}`, undefined, {
      authorization: staff.authorization(),
    });
    expect(read).toMatchObject({
      status: 200,
      body: { run: { id: report.body.run.id }, lines: report.body.lines },
    });

    // The events arrive at last: the difference is gone.
    k.proxy!.set([]);
    k.daemon.agent.outbox.retryNow();
    await k.daemon.agent.drain(15_000);
    expect((await run({ day: today })).body.lines).toEqual([]);

    // Each run is in the kiosk's audit log with the staff id and the day.
    const runs: Array<{ actor: string; details: Record<string, unknown> }> = [];
    for await (const { data } of k.daemon.audit.read())
      if (data.action === 'reconciliation.run') runs.push({ actor: data.actor, details: data.details });
    expect(runs.map((r) => [r.actor, r.details.day, r.details.lines])).toEqual([
      ['staff:S002', today, 0],
      ['staff:S002', today, 1],
      ['staff:S002', today, 0],
    ]);
  }, 120_000);

  it('a staff-less call is refused (401) and a wrong day (400) before anything is sent', async () => {
    const before = reconciliationsSent();
    expect((await run({}, '')).status).toBe(401);
    expect((await run({}, 'Bearer forged')).status).toBe(401);
    expect((await k.api.call('GET', '/api/staff/reconciliation')).status).toBe(401);
    for (const day of ['2026-02-30', 'yesterday', '2999-01-01']) {
      const bad = await run({ day });
      expect(bad, day).toMatchObject({ status: 400, body: { code: 'RECONCILIATION_DAY_INVALID' } });
    }
    expect(reconciliationsSent()).toBe(before);
  });
});
