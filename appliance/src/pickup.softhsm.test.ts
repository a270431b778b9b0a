// The whole pickup journey through the HTTP API: real central on loopback, real drivers against the
// emulators over PTYs, SoftHSM2 as the USB keys.
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { signPickupCode } from '@certkiosk/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimDaemon as Daemon } from './sim/compose.js';
import {
  type applianceClient,
  type CentralHandle,
  simStaffLogin,
  startTestCentral,
  waitFor,
} from './testing/kiosk-harness.js';
import { startSimKiosk } from './testing/sim-kiosk.js';

let central: CentralHandle;
let daemon: Daemon;
let api: ReturnType<typeof applianceClient>;
let dir: string;

beforeAll(async () => {
  ({ central, daemon, api, dir } = await startSimKiosk('pickup'));
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await central?.stop();
});

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((f) => join(root, f))
    .filter((f) => statSync(f).isFile());
}

describe('pickup journey', () => {
  it('scans, verifies identity, personalises a blank key, sets the PIN, prints the receipt, reports to central', async () => {
    const { orderId, pickupCode } = await central.createApprovedOrder();
    const devices = (await api.state()).devices;
    expect(devices.map((d) => `${d.kind}:${d.state}`).sort()).toEqual([
      'idReader:online',
      'printer:online',
      'scanner:online',
      'token:online',
    ]);

    // The applicant shows the QR code to the scanner.
    await daemon.sim.scan(pickupCode);
    const summary = await api.until((j) => j?.need === 'confirm-order');
    expect(summary?.order).toMatchObject({
      orderId,
      certificateType: 'natural-person',
      holderNameMasked: '张*',
    });

    expect((await api.call('POST', '/api/journeys/current/confirm', {})).body.need).toBe('id-card');

    // A card of someone else is refused with the reason; the holder's card matches.
    await daemon.sim.placeCard('mongol-batu');
    const refused = await api.until((j) => j?.identity?.state === 'mismatched');
    expect(refused?.error).toMatchObject({ code: 'ID_MISMATCH_PERSON', params: { attemptsLeft: 2 } });
    await daemon.sim.placeCard('han-zhang-wei');
    const matched = await api.until((j) => j?.need === 'token');
    expect(matched?.identity).toMatchObject({ state: 'matched', idNumberMasked: '4403**********1238' });
    expect(matched?.cancellable).toBe(true);

    daemon.sim.insertBlankKey();
    const written = await api.until((j) => j?.need === 'pin', 30_000);
    expect(written?.step).toBe('certificate-written');
    expect(written?.progress.steps.every((s) => s.state === 'done')).toBe(true);

    // The certificate is on the key: the applicant can no longer cancel (finish, or call staff).
    expect(written?.cancellable).toBe(false);
    const cancel = await api.call('DELETE', '/api/journeys/current');
    expect(cancel.status).toBe(409);
    expect(cancel.body).toMatchObject({ code: 'CANCEL_NOT_ALLOWED' });
    expect((await api.state()).journey).toMatchObject({ status: 'active', need: 'pin' });

    const weak = await api.call('POST', '/api/journeys/current/pin', { pin: '123456' });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: 'TOKEN_PIN_POLICY' });

    const done = await api.call('POST', '/api/journeys/current/pin', { pin: '385172' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: 'completed',
      need: 'take-items',
      receipt: { state: 'printed' },
    });
    const serial = done.body.certificate.serialNumber as string;

    // The receipt: masked ID number only, the certificate serial, a QR code for order lookup.
    const receipt = daemon.sim.receipts().at(-1)!;
    const text = receipt.lines.map((l) => l.text).join('\n');
    expect(text).toContain('4403**********1238');
    expect(text).not.toContain('440305198503071238');
    expect(text).toContain(serial);
    expect(receipt.qrCodes[0]?.payload).toContain(orderId);

    // Central: one certificate, and the order activated once the outbox drained.
    await daemon.agent.drain(15_000);
    const order = await central.order(orderId);
    expect(order).toMatchObject({ status: 'activated', certificateSerial: serial });

    // The key: the holder's PIN works and the certificate is on it, bound to the on-token key.
    const report = await daemon.manager.usbKey().info({ label: `CK-${orderId}`.slice(0, 32) }, '385172');
    expect(report.certificates.map((c) => c.serial.toLowerCase())).toContain(serial.toLowerCase());
    expect(report.keys[0]?.evidence).toMatchObject({ local: true, neverExtractable: true });

    // Nothing on disk holds the PIN or the full ID number.
    for (const f of filesUnder(join(dir, 'store'))) {
      const content = readFileSync(f, 'utf8');
      expect(content, f).not.toContain('385172');
      expect(content, f).not.toContain('440305198503071238');
    }

    const verify = await api.call('POST', '/api/staff/login', simStaffLogin('administrator'));
    const audit = await api.call('GET', '/api/staff/audit/verify', undefined, {
      authorization: `Bearer ${verify.body.token}`,
    });
    expect(audit.body).toMatchObject({ ok: true });
    expect(audit.body.records).toBeGreaterThan(8);

    // The diagnostics bundle a technician takes away: the journey is counted, nothing personal is in it.
    const diagnostics = await api.call('GET', '/api/staff/diagnostics', undefined, {
      authorization: `Bearer ${verify.body.token}`,
    });
    expect(diagnostics.body).toMatchObject({
      kind: 'certkiosk-diagnostics',
      generatedBy: 'staff:S001',
      auditChain: { ok: true },
      store: { journeys: { byStatus: { completed: 1 } } },
    });
    const exported = JSON.stringify(diagnostics.body);
    for (const personal of ['张伟', '440305198503071238', '13800138000', pickupCode, '-----BEGIN']) {
      expect(exported).not.toContain(personal);
    }
    for (const pin of ['385172', simStaffLogin('administrator').pin]) {
      expect(exported).not.toMatch(new RegExp(`(?<![0-9A-Za-z])${pin}(?![0-9A-Za-z])`));
    }

    await api.call('DELETE', '/api/journeys/current');
    expect((await api.state()).journey).toBeNull();

    // The holder takes the key away (a new pickup does not start while it is in the writer).
    daemon.sim.pullKeys();
    // The same code again: used here already.
    const again = await api.call('POST', '/api/journeys/current/scan', { code: pickupCode });
    expect(again.body.error).toMatchObject({ code: 'PICKUP_CODE_USED' });
    await api.call('DELETE', '/api/journeys/current');
  });

  it('refuses forged, reused and wrong codes with their own messages', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const impostor = generateKeyPairSync('ed25519').privateKey;
    const forgedCode = signPickupCode({ orderId: 'ORD-X', hall: 'SZ-FUTIAN', exp, nonce: 'n1' }, impostor);
    const forged = await api.call('POST', '/api/journeys/current/scan', { code: forgedCode });
    expect(forged.body.error).toMatchObject({ code: 'PICKUP_CODE_FORGED', action: 'call-staff' });
    const key = readFileSync(
      new URL('../../sync/fixtures/sim-pickup-signing.key.pem', import.meta.url),
      'utf8',
    );
    const elsewhere = signPickupCode({ orderId: 'ORD-X', hall: 'BJ-CHAOYANG', exp, nonce: 'n2' }, key);
    expect(
      (await api.call('POST', '/api/journeys/current/scan', { code: elsewhere })).body.error,
    ).toMatchObject({ code: 'PICKUP_CODE_WRONG_HALL' });
    const stale = signPickupCode({ orderId: 'ORD-X', hall: 'SZ-FUTIAN', exp: exp - 7200, nonce: 'n3' }, key);
    expect((await api.call('POST', '/api/journeys/current/scan', { code: stale })).body.error).toMatchObject({
      code: 'PICKUP_CODE_EXPIRED',
    });
    const junk = await api.call('POST', '/api/journeys/current/scan', { code: 'hello' });
    expect(junk.body.error).toMatchObject({ code: 'PICKUP_CODE_MALFORMED' });
    await api.call('DELETE', '/api/journeys/current');
  });

  it('says so when central is unreachable, and changes nothing', async () => {
    const { pickupCode } = await central.createApprovedOrder();
    await central.app.close();
    try {
      const r = await api.call('POST', '/api/journeys/current/scan', { code: pickupCode });
      expect(r.body.error).toMatchObject({ code: 'CENTRAL_UNAVAILABLE', action: 'come-back-later' });
      expect(r.body.need).toBe('scan');
    } finally {
      central = await startTestCentral(central.dataDir, Number(new URL(central.url).port));
    }
    await api.call('DELETE', '/api/journeys/current');
    await waitFor(
      async () =>
        (await api.call('POST', '/api/journeys/current/scan', { code: pickupCode })).body.need ===
        'confirm-order',
      10_000,
      'order fetched after central returned',
    );
    await api.call('DELETE', '/api/journeys/current');
  });
});
