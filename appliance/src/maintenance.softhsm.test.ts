// The maintenance screen's device self-tests, blank-key stock and diagnostics export on the sim daemon: the real
// drivers against the emulators over PTYs, SoftHSM2 as the USB keys, a real central on loopback. A real pickup
// (张伟, PIN typed) runs first; what it left is then looked for in the exported bundle.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimDaemon as Daemon } from './sim/compose.js';
import {
  type applianceClient,
  type CentralHandle,
  simStaffLogin,
  ZHANG_WEI,
} from './testing/kiosk-harness.js';
import { type SimKiosk, startSimKiosk } from './testing/sim-kiosk.js';

const HOLDER_PIN = '385172';
let kiosk: SimKiosk;
let central: CentralHandle;
let daemon: Daemon;
let api: ReturnType<typeof applianceClient>;
let token: string;
const auth = () => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  kiosk = await startSimKiosk('maintenance', { heartbeatMs: 300 });
  ({ central, daemon, api } = kiosk);
  const staff = await api.call('POST', '/api/staff/login', simStaffLogin('operator'));
  token = staff.body.token;
}, 60_000);

afterAll(async () => {
  await kiosk?.stop();
});

const overview = async () => (await api.call('GET', '/api/staff/overview', undefined, auth())).body;
const selfTest = (kind: string, headers: Record<string, string> = auth()) =>
  api.call('POST', `/api/staff/devices/${kind}/self-test`, {}, headers);
const stockFile = () =>
  JSON.parse(readFileSync(daemon.blankKeys.path, 'utf8')) as { count: number; counted: string[] };
interface CentralAlarm {
  kind: string;
  details: Record<string, unknown>;
  occurrences: number;
  clearedAt?: string;
  acknowledgedAt?: string;
}
const alarms = async (kind: string): Promise<CentralAlarm[]> =>
  ((await central.admin('GET', '/admin/v1/alarms?all=true')).alarms as CentralAlarm[]).filter(
    (a) => a.kind === kind,
  );
const audited = async (action: string) => {
  const out: Array<{ actor: string; details: Record<string, unknown> }> = [];
  for await (const { data } of daemon.audit.read(1)) if (data.action === action) out.push(data);
  return out;
};

async function pickup(): Promise<string> {
  const { pickupCode } = await central.createApprovedOrder({
    applicant: { name: ZHANG_WEI.name, phone: '13800138000' },
  });
  const scanned = await api.call('POST', '/api/journeys/current/scan', { code: pickupCode });
  expect(scanned.body?.need).toBe('confirm-order');
  await api.call('POST', '/api/journeys/current/confirm', {});
  await api.until((j) => j?.need === 'id-card');
  await daemon.sim.placeCard('han-zhang-wei');
  await api.until((j) => j?.need === 'token');
  await daemon.sim.placeCard(null);
  daemon.sim.insertBlankKey();
  const atPin = await api.until((j) => j?.need === 'pin', 30_000);
  const done = await api.call('POST', '/api/journeys/current/pin', { pin: HOLDER_PIN });
  expect(done.body.status).toBe('completed');
  await api.call('DELETE', '/api/journeys/current');
  await api.until((j) => j === null);
  daemon.sim.pullKeys();
  return atPin!.id;
}

describe('blank-key stock', () => {
  it('a real pickup takes exactly one key off the recorded stock, tied to its journey; the heartbeat carries it', async () => {
    const before = (await overview()).blankKeyStock.count as number;
    const journeyId = await pickup();
    await expect.poll(async () => (await overview()).blankKeyStock.count).toBe(before - 1);
    expect(stockFile().counted).toContain(journeyId);
    expect(stockFile().count).toBe(before - 1);
    // Counting again (a resumed journey, a status event seen twice) does not take another key.
    expect(await daemon.blankKeys.countWritten(daemon.engine.journeys())).toBe(0);
    expect(stockFile().count).toBe(before - 1);
    // The overview's consumables and the heartbeat say the recorded count, and it is low (below 20): the
    // heartbeat's consumables (central's low-stock) and the appliance's own blank-keys-low alarm with the count.
    const o = await overview();
    expect(o.consumables).toContainEqual({ kind: 'blankKeys', count: before - 1 });
    expect(o.blankKeyStock).toMatchObject({ low: true, lowThreshold: 20 });
    await expect
      .poll(async () => (await alarms('low-stock')).find((a) => !a.clearedAt)?.details['blankKeys'], {
        timeout: 10_000,
      })
      .toBe(before - 1);
    await expect
      .poll(async () => (await alarms('blank-keys-low')).at(0)?.details['subject'], { timeout: 10_000 })
      .toBe(String(before - 1));
  }, 120_000);

  it('a refill is recorded and audited with the staff id; the low warning clears at central', async () => {
    const before = stockFile().count;
    const r = await api.call('POST', '/api/staff/consumables/blank-keys', { count: 40 }, auth());
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ count: before + 40, low: false, lowThreshold: 20 });
    expect(stockFile().count).toBe(before + 40);
    const records = await audited('consumables.blank-keys.refill');
    expect(records.at(-1)).toMatchObject({
      actor: `staff:${simStaffLogin('operator').staffId}`,
      details: { added: 40, count: before + 40 },
    });
    // The next heartbeats carry the new count (central's low-stock clears) and no blank-keys-low any more.
    await expect
      .poll(async () => (await alarms('low-stock')).every((a) => a.clearedAt), { timeout: 10_000 })
      .toBe(true);
    const seen = (await alarms('blank-keys-low')).map((a) => a.occurrences);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await alarms('blank-keys-low')).map((a) => a.occurrences)).toEqual(seen);
  }, 60_000);

  it('a refill without a staff token, or with a bad count, is refused and changes nothing', async () => {
    const before = stockFile();
    const anonymous = await api.call('POST', '/api/staff/consumables/blank-keys', { count: 5 });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('STAFF_AUTH_REQUIRED');
    for (const count of [0, -3, 2.5, 1001, 1e9, '5', null, true]) {
      const r = await api.call('POST', '/api/staff/consumables/blank-keys', { count }, auth());
      expect(r.status, `count ${JSON.stringify(count)}`).toBe(400);
      expect(r.body.code).toBe('BLANK_KEY_COUNT_INVALID');
    }
    expect(stockFile()).toEqual(before);
  });
});

describe('device self-tests through the real drivers', () => {
  it('printer: a test page comes out; out of paper answers PRINTER_OUT_OF_PAPER and prints nothing', async () => {
    const printed = daemon.sim.receipts().length;
    const ok = await selfTest('printer');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ device: 'printer', ok: true, printed: true });
    expect(daemon.sim.receipts().length).toBe(printed + 1);
    daemon.sim.setPrinter({ paper: 'out' });
    try {
      await expect
        .poll(async () => (await api.state()).devices.find((d) => d.kind === 'printer')?.detail)
        .toBe('paper-out');
      const out = await selfTest('printer');
      expect(out.status).toBe(409);
      expect(out.body.code).toBe('PRINTER_OUT_OF_PAPER');
      expect(daemon.sim.receipts().length).toBe(printed + 1);
      expect(daemon.engine.journeys().length).toBeGreaterThan(0);
    } finally {
      daemon.sim.setPrinter({ paper: 'ok' });
    }
    const records = await audited('device.self-test');
    expect(records.slice(-2).map((r) => [r.actor, r.details])).toEqual([
      [`staff:${simStaffLogin('operator').staffId}`, { device: 'printer', outcome: 'ok' }],
      [`staff:${simStaffLogin('operator').staffId}`, { device: 'printer', outcome: 'PRINTER_OUT_OF_PAPER' }],
    ]);
  }, 60_000);

  it('ID reader: the card is shown masked only, and nothing of it is kept or audited', async () => {
    const none = await selfTest('idReader');
    expect(none.body.code).toBe('ID_CARD_NOT_PRESENT');
    await daemon.sim.placeCard('han-zhang-wei');
    try {
      const r = await selfTest('idReader');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        device: 'idReader',
        ok: true,
        card: { nameMasked: '张*', idNumberMasked: '4403**********1238' },
      });
      expect(JSON.stringify(r.body)).not.toContain(ZHANG_WEI.idNumber);
    } finally {
      await daemon.sim.placeCard(null);
    }
    for (const rec of await audited('device.self-test')) {
      expect(JSON.stringify(rec)).not.toContain(ZHANG_WEI.name);
      expect(JSON.stringify(rec)).not.toContain(ZHANG_WEI.idNumber);
    }
  }, 60_000);

  it("USB key: the writer's slot and the inserted key's model and serial", async () => {
    const empty = await selfTest('token');
    expect(empty.status).toBe(200);
    expect(empty.body.key).toBeNull();
    // The tray names the key by its folder; SoftHSM's token serial is that id's last 16 hex digits.
    const folder = daemon.sim.insertBlankKey();
    const serial = folder.replace(/-/g, '').slice(-16);
    try {
      await expect
        .poll(async () => (await selfTest('token')).body.key?.serial, { timeout: 15_000 })
        .toBe(serial);
      const r = await selfTest('token');
      expect(r.body).toMatchObject({ device: 'token', ok: true, key: { serial, model: expect.any(String) } });
      expect(r.body.slot.slotId).toEqual(expect.any(String));
    } finally {
      daemon.sim.pullKeys();
    }
  }, 60_000);

  it('scanner: the next code is measured, not stored, and starts no journey; nothing scanned is a typed error', async () => {
    const { pickupCode } = await central.createApprovedOrder({
      applicant: { name: ZHANG_WEI.name, phone: '13800138000' },
    });
    const pending = selfTest('scanner');
    await new Promise((r) => setTimeout(r, 300));
    await daemon.sim.scan(pickupCode);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      device: 'scanner',
      ok: true,
      scanned: { length: pickupCode.length, kind: 'pickup-code' },
    });
    await new Promise((res) => setTimeout(res, 500));
    expect((await api.state()).journey).toBeNull();
    const audit = await audited('device.self-test');
    expect(JSON.stringify(audit)).not.toContain(pickupCode);
  }, 60_000);

  it('a self-test without a staff token, or during an applicant session, is refused and touches no device', async () => {
    const printed = daemon.sim.receipts().length;
    for (const kind of ['printer', 'idReader', 'token', 'scanner']) {
      const anonymous = await selfTest(kind, {});
      expect(anonymous.status, kind).toBe(401);
      expect(anonymous.body.code).toBe('STAFF_AUTH_REQUIRED');
      const forged = await selfTest(kind, { authorization: 'Bearer forged' });
      expect(forged.status, kind).toBe(401);
    }
    const { pickupCode } = await central.createApprovedOrder({
      applicant: { name: ZHANG_WEI.name, phone: '13800138000' },
    });
    await api.call('POST', '/api/journeys/current/scan', { code: pickupCode });
    await api.until((j) => j?.need === 'confirm-order');
    try {
      for (const kind of ['printer', 'idReader', 'token', 'scanner']) {
        const r = await selfTest(kind);
        expect(r.status, kind).toBe(409);
        expect(r.body.code).toBe('SELF_TEST_SESSION_OPEN');
      }
      expect(daemon.sim.receipts().length).toBe(printed);
      expect((await audited('device.self-test.refused')).length).toBeGreaterThanOrEqual(4);
    } finally {
      await api.call('DELETE', '/api/journeys/current');
      await api.until((j) => j === null);
    }
  }, 60_000);
});

describe('the diagnostics bundle after a real pickup', () => {
  it('carries versions, device statuses and recent logs, and no ID number, name or PIN of the pickup', async () => {
    const r = await fetch(`${daemon.url}/api/staff/diagnostics`, { headers: auth() });
    expect(r.status).toBe(200);
    const text = await r.text();
    const bundle = JSON.parse(text);
    expect(bundle.versions).toMatchObject({ software: expect.any(String), node: process.versions.node });
    expect(bundle.versions.pkcs11js).toMatch(/^\d+\.\d+/);
    expect(bundle.devices.map((d: { kind: string }) => d.kind).sort()).toEqual([
      'idReader',
      'printer',
      'scanner',
      'token',
    ]);
    expect(Array.isArray(bundle.recentLogs)).toBe(true);
    expect(bundle.recentLogs.length).toBeGreaterThan(0);
    expect(bundle.blankKeys).toMatchObject({ count: stockFile().count, lowThreshold: 20 });
    expect(text).not.toContain(ZHANG_WEI.idNumber);
    expect(text).not.toContain(ZHANG_WEI.name);
    expect(new RegExp(`(?<![0-9A-Za-z+/])${HOLDER_PIN}(?![0-9A-Za-z+/])`).test(text)).toBe(false);
  }, 60_000);
});
