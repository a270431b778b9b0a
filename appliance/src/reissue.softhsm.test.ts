// 补办 (replace a lost key) end to end through the kiosk API (issue 13): 巴特尔's approved reissue order is
// collected with its pickup code onto a new blank key — the real driver on SoftHSM2, the real central on
// loopback behind a fault proxy, the ID reader, scanner and printer emulators over PTYs. Central revokes the
// lost key's certificate before it signs the new one. What is checked is what a relying party sees (central's
// public CRL, signature verified), central's rows, the new key itself (C_Login with the holder's PIN, objects
// by id) and the printed receipt — also when the kiosk is killed at every side-effect boundary of the pickup
// table, and when central fails between its revocation and the signing.
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveTransportPin } from '@certkiosk/firmware-bridge';
import { normaliseCertificateSerial } from '@certkiosk/sync';
import * as x509 from '@peculiar/x509';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JourneyView } from './api/contract.js';
import { FAULT_POINTS, PICKUP_EFFECTS, type PickupEffect, RECOVERY_OUTCOME } from './journey/pickup-table.js';
import { type LostKeyReissue, lostKeyReissue } from './testing/after-sales.js';
import { centralStore, jsonText } from './testing/central-rows.js';
import { call, centralRows, HOLDER_PIN, play, startDaemonChild } from './testing/daemon-child.js';
import { SIM_SECRETS_ENV, startTestCentral, waitFor } from './testing/kiosk-harness.js';
import { type SimKiosk, startSimKiosk } from './testing/sim-kiosk.js';
import { inspectSimKeys } from './testing/token-inspect.js';

/** The card fixtures of 巴特尔 (BATU), the holder of every reissue order here, and of 张伟, who is not. */
const BATU_CARD = 'mongol-batu';
const ZHANG_WEI_CARD = 'han-zhang-wei';

let k: SimKiosk;
beforeAll(async () => {
  k = await startSimKiosk('reissue', {
    faultProxy: true,
    log: (l) => process.env['CK_DEBUG'] && console.log(l),
  });
}, 60_000);
afterAll(async () => k?.stop());

const masked = (serial: string) => `…${normaliseCertificateSerial(serial).slice(-8)}`;

const centralDb = () => centralStore(k.central);

/** The lost certificate as central keeps it, and how many revocations of it central recorded (change feed). */
async function lostAtCentral(serial: string): Promise<{
  revokedAt: string | null;
  reason: string | null;
  revocations: number;
}> {
  const db = centralDb();
  const row = await db.get<{ revoked_at: string | null; revocation_reason: string | null }>(
    'SELECT revoked_at, revocation_reason FROM certificates WHERE serial = ?',
    normaliseCertificateSerial(serial),
  );
  if (!row) throw new Error(`central has no certificate ${serial}`);
  const counted = await db.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM changes WHERE type = 'certificate.revoked' AND ${jsonText(db, 'payload_json', 'serialNumber')} = ?`,
    normaliseCertificateSerial(serial),
  );
  return { revokedAt: row.revoked_at, reason: row.revocation_reason, revocations: Number(counted?.n) };
}

/** The entries for `serial` in central's public CRL, as a relying party reads it: fetched, signature checked. */
async function crlEntries(serial: string): Promise<x509.X509CrlEntry[]> {
  const base = k.central.url;
  const crl = new x509.X509Crl(new Uint8Array(await (await fetch(`${base}/v1/ca/crl`)).arrayBuffer()));
  const ca = new x509.X509Certificate(
    new Uint8Array(await (await fetch(`${base}/v1/ca/issuing-ca.cer`)).arrayBuffer()),
  );
  expect(await crl.verify({ publicKey: ca.publicKey })).toBe(true);
  const want = normaliseCertificateSerial(serial);
  return crl.entries.filter((e) => normaliseCertificateSerial(e.serialNumber) === want);
}

/** Revoked once, for the lost key (keyCompromise): in central's row, its change feed and its public CRL. */
async function expectRevokedOnce(serial: string): Promise<void> {
  const lost = await lostAtCentral(serial);
  expect(lost).toMatchObject({ reason: 'keyCompromise', revocations: 1 });
  expect(lost.revokedAt).not.toBeNull();
  const entries = await crlEntries(serial);
  expect(entries).toHaveLength(1);
  expect(entries[0]?.reason).toBe(x509.X509CrlReason.keyCompromise);
}

async function expectNotRevoked(serial: string): Promise<void> {
  expect(await lostAtCentral(serial)).toEqual({ revokedAt: null, reason: null, revocations: 0 });
  expect(await crlEntries(serial)).toHaveLength(0);
}

/** Scan the reissue's pickup code, confirm the order and place `card`; the view once the card was judged. */
async function upToCard(r: LostKeyReissue, card: string): Promise<JourneyView | null> {
  await k.daemon.sim.scan(r.pickupCode);
  await k.api.until((j) => j?.need === 'confirm-order');
  expect((await k.api.call('POST', '/api/journeys/current/confirm', {})).body.need).toBe('id-card');
  await k.daemon.sim.placeCard(card);
  return k.api.until((j) => j?.need === 'token' || j?.identity?.state === 'mismatched');
}

describe('补办 through the kiosk API (one kiosk)', () => {
  afterEach(async () => {
    vi.restoreAllMocks();
    k.proxy?.set([]);
    await k.api.call('DELETE', '/api/journeys/current');
    k.daemon.sim.pullKeys();
    await k.daemon.sim.placeCard(null);
  });

  it('pickup code → order → 巴特尔’s card → blank key → PIN → done: the old certificate in the CRL once, the new one alone on the new key, the receipt says so', async () => {
    const r = await lostKeyReissue(k.central);
    await k.daemon.sim.scan(r.pickupCode);
    const summary = await k.api.until((j) => j?.need === 'confirm-order');
    expect(summary?.order).toEqual({
      orderId: r.orderId,
      certificateType: 'natural-person',
      businessType: 'reissue',
      serviceYears: 1,
      holderNameMasked: '巴*尔',
      replacesCertificate: { serialMasked: masked(r.lostSerial), revoked: false },
    });
    expect(JSON.stringify(summary)).not.toContain(normaliseCertificateSerial(r.lostSerial));
    await k.api.call('POST', '/api/journeys/current/confirm', {});
    await k.daemon.sim.placeCard(BATU_CARD);
    const matched = await k.api.until((j) => j?.need === 'token');
    expect(matched?.identity).toMatchObject({ state: 'matched', idNumberMasked: '1501**********0011' });
    // Nothing is revoked until the issuance is asked for: a holder who walks away now keeps the old one.
    await expectNotRevoked(r.lostSerial);

    k.daemon.sim.insertBlankKey();
    const written = await k.api.until((j) => j?.need === 'pin', 30_000);
    expect(written?.order?.replacesCertificate).toEqual({
      serialMasked: masked(r.lostSerial),
      revoked: true,
    });
    const done = await k.api.call('POST', '/api/journeys/current/pin', { pin: HOLDER_PIN });
    expect(done.body).toMatchObject({
      status: 'completed',
      need: 'take-items',
      receipt: { state: 'printed' },
      order: {
        businessType: 'reissue',
        replacesCertificate: { serialMasked: masked(r.lostSerial), revoked: true },
      },
    });
    const serial = done.body.certificate.serialNumber as string;

    // The relying party's view: the lost key's certificate is revoked (keyCompromise), once; the new one is not.
    await expectRevokedOnce(r.lostSerial);
    expect(await crlEntries(serial)).toHaveLength(0);
    // Central: one certificate for the order, good, and the order activated once the outbox drained.
    await k.daemon.agent.drain(15_000);
    expect(await k.central.order(r.orderId)).toMatchObject({
      status: 'activated',
      certificateSerial: serial,
    });
    const rows = (await centralRows(k.central, r.orderId)).certificates;
    expect(rows.map((c) => [c['serial'], c['revoked_at']])).toEqual([
      [normaliseCertificateSerial(serial), null],
    ]);

    // The new key: the holder's PIN opens it (C_Login); under its one key pair's id one leaf, the new
    // certificate — the lost key's certificate is nowhere on it.
    const usbKey = k.daemon.manager.usbKey();
    const info = await usbKey.info({ label: `CK-${r.orderId}`.slice(0, 32) }, HOLDER_PIN);
    expect(info.keys).toHaveLength(1);
    const keyId = info.keys[0]!.id;
    const objects = await usbKey.objectsById(
      { serial: info.token.serial },
      HOLDER_PIN,
      Buffer.from(keyId, 'hex'),
    );
    expect(objects.privateKeys).toBe(1);
    expect(objects.publicKeys).toBe(1);
    const leaves = objects.certificates.filter((c) => c.isLeaf);
    expect(leaves).toHaveLength(1);
    expect(
      normaliseCertificateSerial(new x509.X509Certificate(new Uint8Array(leaves[0]!.der)).serialNumber),
    ).toBe(normaliseCertificateSerial(serial));
    const onKey = info.certificates.map((c) => normaliseCertificateSerial(c.serial));
    expect(onKey).toContain(normaliseCertificateSerial(serial));
    expect(onKey).not.toContain(normaliseCertificateSerial(r.lostSerial));

    // The printed receipt: a reissue, the new serial in full, the old one revoked — masked.
    const text = k.daemon.sim
      .receipts()
      .at(-1)!
      .lines.map((l) => l.text)
      .join('\n');
    expect(text).toContain('业务类型 Business: 补办 Reissue');
    expect(text).toContain(`证书序列号 SN: ${serial}`);
    expect(text).toContain(`原证书已吊销 Old certificate revoked: ${masked(r.lostSerial)}`);
    expect(text).not.toContain(normaliseCertificateSerial(r.lostSerial));
  }, 60_000);

  it('张伟’s card on 巴特尔’s reissue is refused: nothing revoked, nothing issued, the order still collectable', async () => {
    const r = await lostKeyReissue(k.central);
    const refused = await upToCard(r, ZHANG_WEI_CARD);
    expect(refused, JSON.stringify(refused)).toMatchObject({
      need: 'id-card',
      identity: { state: 'mismatched' },
      error: { code: 'ID_MISMATCH_PERSON', params: { attemptsLeft: 2 } },
    });
    await expectNotRevoked(r.lostSerial);
    expect((await centralRows(k.central, r.orderId)).certificates).toHaveLength(0);
    expect((await k.central.order(r.orderId)).status).toBe('approved');

    // The holder leaves; the same code opens the order again (nothing was used up but one card try).
    expect((await k.api.call('DELETE', '/api/journeys/current')).status).toBe(204);
    await k.daemon.sim.placeCard(null);
    // Typed on the screen (the scanner drops a repeat of the same code within 1.5 s).
    const again = await k.api.call('POST', '/api/journeys/current/scan', { code: r.pickupCode });
    expect(again.body).toMatchObject({ need: 'confirm-order', order: { orderId: r.orderId } });
    await expectNotRevoked(r.lostSerial);
  }, 60_000);

  it('central fails between its revocation and the signing, and restarts: the kiosk waits, retries, and finishes — revoked once, one certificate', async () => {
    const r = await lostKeyReissue(k.central);
    expect((await upToCard(r, BATU_CARD))?.need).toBe('token');
    // Central's signer dies right after the revocation committed (central answers 500); from that moment
    // central is unreachable, so no retry can slip in before the state it left is looked at.
    const signer = vi.spyOn(x509.X509CertificateGenerator, 'create').mockImplementationOnce(async () => {
      k.proxy!.set([{ path: '/', mode: 'down' }]);
      throw new Error('central crashed while signing');
    });
    k.daemon.sim.insertBlankKey();
    const waiting = await k.api.until((j) => j?.error?.code === 'ISSUANCE_PENDING', 30_000);
    expect(signer).toHaveBeenCalledTimes(1);
    expect(waiting).toMatchObject({ status: 'active', need: 'wait', step: 'key-generated' });
    expect(waiting?.order?.replacesCertificate).toEqual({
      serialMasked: masked(r.lostSerial),
      revoked: false,
    });
    await expectRevokedOnce(r.lostSerial);
    const revokedAt = (await lostAtCentral(r.lostSerial)).revokedAt;
    expect((await centralRows(k.central, r.orderId)).certificates).toHaveLength(0);
    expect((await k.central.order(r.orderId)).status).toBe('approved');

    // Central restarts on its store; the kiosk's next try (here: the holder's "try now") is the same request.
    const port = Number(new URL(k.central.url).port);
    await k.central.app.close();
    Object.assign(k.central, await startTestCentral(k.central.dataDir, port));
    k.proxy!.set([]);
    await k.api.call('POST', '/api/journeys/current/retry', {});
    const written = await k.api.until((j) => j?.need === 'pin', 30_000);
    expect(written?.order?.replacesCertificate?.revoked).toBe(true);
    const done = await k.api.call('POST', '/api/journeys/current/pin', { pin: HOLDER_PIN });
    expect(done.body).toMatchObject({ status: 'completed', receipt: { state: 'printed' } });

    await expectRevokedOnce(r.lostSerial);
    expect((await lostAtCentral(r.lostSerial)).revokedAt).toBe(revokedAt);
    const rows = (await centralRows(k.central, r.orderId)).certificates;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.['serial']).toBe(normaliseCertificateSerial(done.body.certificate.serialNumber));
    expect(rows[0]?.['revoked_at']).toBeNull();
    await k.daemon.agent.drain(15_000);
    expect((await k.central.order(r.orderId)).status).toBe('activated');
  }, 90_000);

  it('central’s answer is lost after it revoked and issued: the kiosk asks by idempotency key and writes that certificate — never a second', async () => {
    const r = await lostKeyReissue(k.central);
    expect((await upToCard(r, BATU_CARD))?.need).toBe('token');
    k.proxy!.set([
      { method: 'POST', path: '/v1/certificates', mode: '5xx-after-commit', times: 1 },
      { method: 'POST', path: '/v1/certificates', mode: 'down' },
      { method: 'GET', path: '/v1/certificates/by-idempotency-key/', mode: 'down' },
    ]);
    k.daemon.sim.insertBlankKey();
    await k.api.until((j) => j?.error?.code === 'ISSUANCE_PENDING', 30_000);
    const committed = (await centralRows(k.central, r.orderId)).certificates;
    expect(committed).toHaveLength(1);
    await expectRevokedOnce(r.lostSerial);

    k.proxy!.set([]);
    await k.api.call('POST', '/api/journeys/current/retry', {});
    await k.api.until((j) => j?.need === 'pin', 30_000);
    const done = await k.api.call('POST', '/api/journeys/current/pin', { pin: HOLDER_PIN });
    expect(done.body.status).toBe('completed');
    expect(normaliseCertificateSerial(done.body.certificate.serialNumber)).toBe(committed[0]?.['serial']);
    expect((await centralRows(k.central, r.orderId)).certificates).toHaveLength(1);
    await expectRevokedOnce(r.lostSerial);
  }, 90_000);
});

// ---------- kill -9 at every side-effect boundary ----------
// A daemon child per fault point (its own folder, SoftHSM and store), against this file's central directly;
// the points run a few at a time.

/** The recovery outcome the restarted daemon must print, per fault point: its effect's rule. */
function expectedOutcome(point: string): string {
  const effect = point.split(':')[1] as PickupEffect;
  return RECOVERY_OUTCOME[PICKUP_EFFECTS[effect].recovery];
}

const pinsFor = (serial: string) => [
  HOLDER_PIN,
  deriveTransportPin(Buffer.from(SIM_SECRETS_ENV.CERTKIOSK_SO_PIN_MASTER), serial),
];

describe.concurrent('补办 killed at every side-effect boundary', () => {
  it.for(FAULT_POINTS)(
    'crash at %s: the journey resumes, the old certificate revoked once, one good certificate, one leaf on the key',
    { timeout: 120_000 },
    async (point, { expect }) => {
      const dir = mkdtempSync(join(tmpdir(), `ck-reissue-${point.replace(':', '-')}-`));
      const r = await lostKeyReissue(k.central);

      const first = await startDaemonChild(dir, k.central, { CERTKIOSK_FAULT_AT: point });
      await play(first, r.pickupCode, 40_000, {}, BATU_CARD);
      expect((await first.exited).signal, `the daemon should have been killed at ${point}`).toBe('SIGKILL');

      const second = await startDaemonChild(dir, k.central);
      try {
        const outcome = expectedOutcome(point);
        expect(second.recovered(), second.output.join('\n')).toEqual([outcome]);
        // Rolled back before the issuance was asked for: nothing revoked yet, collected again on a new key.
        if (outcome === 'rolled-back') {
          await expectNotRevoked(r.lostSerial);
          await call(second.base, 'POST', '/sim/token', { action: 'pull' });
        }
        const last = await play(second, r.pickupCode, 40_000, {}, BATU_CARD);
        expect(last?.status, second.output.slice(-30).join('\n')).toBe('completed');
        expect(last?.order?.replacesCertificate).toEqual({
          serialMasked: masked(r.lostSerial),
          revoked: true,
        });

        await waitFor(
          async () => (await k.central.order(r.orderId)).status === 'activated',
          20_000,
          'order activated at central',
        );
        const rows = await centralRows(k.central, r.orderId);
        expect(rows.certificates).toHaveLength(1);
        expect(rows.certificates[0]?.['revoked_at']).toBeNull();
        expect(rows.eventsByType).toMatchObject({ 'certificate.issued': 1, 'certificate.activated': 1 });
        await expectRevokedOnce(r.lostSerial);
      } finally {
        await second.stop();
      }

      // The keys: one carries a certificate, with one key pair and one leaf under its id, opened by the PIN.
      const keys = inspectSimKeys(join(dir, 'sim'), `CK-${r.orderId}`.slice(0, 32), pinsFor);
      const withCert = keys.filter((key) => key.certificates.length > 0);
      expect(withCert, JSON.stringify(keys)).toHaveLength(1);
      const key = withCert[0]!;
      expect(key.openedWith).toBe(HOLDER_PIN);
      expect(key).toMatchObject({ privateKeys: 1, publicKeys: 1 });
      expect(key.keyIds).toHaveLength(1);
      expect(key.certificates.filter((c) => c.id === key.keyIds[0])).toHaveLength(1);
    },
  );
});
