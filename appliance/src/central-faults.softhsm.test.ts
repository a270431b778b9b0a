// Central misbehaving during issuance, through a fault proxy on loopback: down, answering 5xx after it has
// committed, resetting the connection after it has committed, hanging at start. Only central's answer or a
// staff decision ends a journey whose issuance was requested; staff's revoke-and-void revokes (CRL) and
// returns the order to approved, so the holder collects again with a new key.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JourneyView } from './api/contract.js';
import { type SimDaemon, startSimDaemon } from './sim/compose.js';
import { call, centralRows, inDoubt, journeyOf, play, staffLogin } from './testing/daemon-child.js';
import { type FaultProxy, startFaultProxy } from './testing/fault-proxy.js';
import {
  type CentralHandle,
  SIM_SECRETS_ENV,
  simConfig,
  startTestCentral,
  waitFor,
} from './testing/kiosk-harness.js';

let central: CentralHandle;
let proxy: FaultProxy;
let daemon: SimDaemon | undefined;

beforeAll(async () => {
  central = await startTestCentral();
  proxy = await startFaultProxy(central.url);
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  proxy.set([]);
  proxy.log.length = 0;
});
afterAll(async () => {
  await proxy?.close();
  await central?.stop();
});

async function start(): Promise<SimDaemon> {
  const config = simConfig(mkdtempSync(join(tmpdir(), 'ck-central-faults-')), proxy.url);
  config.timeouts.centralMs = 1_500;
  daemon = await startSimDaemon({
    config,
    port: 0,
    env: SIM_SECRETS_ENV,
    pollMs: 100,
    heartbeatMs: 60_000,
    log: (l) => process.env['CK_DEBUG'] && console.log(l),
    centralRetry: { initialMs: 200, maxMs: 400 },
    centralWaitLimitMs: 120_000,
  });
  // Enrolment goes through the proxy too: wait until central knows the appliance.
  await waitFor(async () => (await call(daemon!.url, 'GET', '/api/state')).status === 200, 10_000, 'the API');
  return daemon;
}

const ISSUE = { method: 'POST', path: '/v1/certificates' } as const;
const LOOKUP = { method: 'GET', path: '/v1/certificates/by-idempotency-key/' } as const;

/** Play up to the moment the journey waits on central after sending the issuance. */
async function untilWaiting(
  d: SimDaemon,
  pickupCode: string,
): Promise<{ view: JourneyView; player: Promise<JourneyView | null>; stop: { now?: boolean } }> {
  const stop: { now?: boolean } = {};
  const player = play({ base: d.url }, pickupCode, 90_000, stop);
  player.catch(() => null);
  const view = await waitFor(
    async () => {
      const j = await journeyOf(d.url);
      return j?.waiting && j.waiting.attempts >= 2 ? j : undefined;
    },
    30_000,
    'the journey to wait on central',
  );
  return { view, player, stop };
}

async function activeCertificates(orderId: string) {
  return (await centralRows(central, orderId)).certificates.filter((c) => c['revoked_at'] === null);
}

async function crlSerials(): Promise<string> {
  // Fetched, not curl'ed: central runs in this process and must keep answering.
  const pem = await (await fetch(`${central.url}/v1/ca/crl?format=pem`)).text();
  const file = join(mkdtempSync(join(tmpdir(), 'ck-crl-')), 'crl.pem');
  writeFileSync(file, pem);
  return execFileSync('openssl', ['crl', '-in', file, '-noout', '-text'], { encoding: 'utf8' }).toLowerCase();
}

describe('central misbehaves during issuance', () => {
  it('down: the journey waits and says so, retries by itself with backoff, and finishes when central is back', async () => {
    const d = await start();
    const { orderId, pickupCode } = await central.createApprovedOrder();
    proxy.set([
      { ...ISSUE, mode: 'down' },
      { ...LOOKUP, mode: 'down' },
    ]);
    const { view: waiting, player } = await untilWaiting(d, pickupCode);
    expect(waiting.status).toBe('active');
    expect(waiting.need).toBe('wait');
    expect(waiting.error?.code).toBe('ISSUANCE_PENDING');
    expect(waiting.error?.retryable).toBe(true);
    expect(await activeCertificates(orderId)).toHaveLength(0);
    const tries = proxy.log.filter((l) => l.startsWith('POST /v1/certificates ')).length;
    expect(tries).toBeGreaterThanOrEqual(2);

    proxy.set([]);
    const done = await player;
    expect(done?.status).toBe('completed');
    expect(await activeCertificates(orderId)).toHaveLength(1);
  }, 90_000);

  for (const mode of ['5xx-after-commit', 'reset-after-commit'] as const) {
    it(`${mode}: the certificate central committed is the one written — never a second`, async () => {
      const d = await start();
      const { orderId, pickupCode } = await central.createApprovedOrder();
      // Central commits the first request; the answer is lost and, for a while, so is every lookup.
      proxy.set([
        { ...ISSUE, mode, times: 1 },
        { ...ISSUE, mode: 'down' },
        { ...LOOKUP, mode: 'down' },
      ]);
      const { player } = await untilWaiting(d, pickupCode);
      const committed = (await centralRows(central, orderId)).certificates;
      expect(committed).toHaveLength(1);

      proxy.set([]);
      const done = await player;
      expect(done?.status).toBe('completed');
      const rows = await centralRows(central, orderId);
      expect(rows.certificates).toHaveLength(1);
      expect(rows.certificates[0]?.['serial']).toBe(committed[0]?.['serial']);
      expect(done?.certificate?.serialNumber.toLowerCase()).toBe(
        String(committed[0]?.['serial']).toLowerCase(),
      );
    }, 90_000);
  }

  it('cancel while central has the certificate but the kiosk does not: in doubt for staff, revoke-and-void, collected again', async () => {
    const d = await start();
    const { orderId, pickupCode } = await central.createApprovedOrder();
    proxy.set([
      { ...ISSUE, mode: 'reset-after-commit', times: 1 },
      { ...ISSUE, mode: 'down' },
      { ...LOOKUP, mode: 'down' },
    ]);
    const { player, stop } = await untilWaiting(d, pickupCode);
    // The applicant gives up: nothing is abandoned, the case goes to staff.
    stop.now = true;
    await player;
    await call(d.url, 'DELETE', '/api/journeys/current');
    const staff = await staffLogin(d.url);
    const [item] = await inDoubt(d.url, staff);
    expect(item?.orderId).toBe(orderId);
    expect((await centralRows(central, orderId)).certificates).toHaveLength(1);

    // Central comes back: the kiosk learns which certificate was issued under the journey's key.
    proxy.set([]);
    await waitFor(
      async () => (await inDoubt(d.url, staff)).find((i) => i.id === item?.id)?.certificateSerial,
      20_000,
      'the in-doubt journey to learn its certificate from central',
    );
    const serial = String((await centralRows(central, orderId)).certificates[0]?.['serial']);

    const resolved = await call(
      d.url,
      'POST',
      `/api/staff/in-doubt/${item?.id}/resolve`,
      { action: 'revoke-void', note: 'holder left before the key was written' },
      staff,
    );
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect((await inDoubt(d.url, staff)).map((i) => i.id)).not.toContain(item?.id);
    expect((await central.order(orderId)).status).toBe('approved');
    expect(await crlSerials()).toContain(serial.toLowerCase().replace(/^0+/, ''));
    // The staff action is in the audit log.
    const verify = await call(d.url, 'GET', '/api/staff/audit/verify', undefined, staff);
    expect(verify.body.ok).toBe(true);

    // The holder collects again with the same code and a new key.
    await call(d.url, 'POST', '/sim/token', { action: 'pull' });
    const done = await play({ base: d.url }, pickupCode, 60_000);
    expect(done?.status).toBe('completed');
    expect(await activeCertificates(orderId)).toHaveLength(1);
    expect((await centralRows(central, orderId)).certificates).toHaveLength(2);
    await waitFor(async () => (await central.order(orderId)).status === 'activated', 20_000, 'activation');
  }, 120_000);

  it('staff cannot void a journey in doubt while central cannot say what it issued', async () => {
    const d = await start();
    const { orderId, pickupCode } = await central.createApprovedOrder();
    proxy.set([
      { ...ISSUE, mode: 'down' },
      { ...LOOKUP, mode: 'down' },
    ]);
    const { player, stop } = await untilWaiting(d, pickupCode);
    stop.now = true;
    await player;
    await call(d.url, 'DELETE', '/api/journeys/current');
    const staff = await staffLogin(d.url);
    const [item] = await inDoubt(d.url, staff);
    const refused = await call(
      d.url,
      'POST',
      `/api/staff/in-doubt/${item?.id}/resolve`,
      { action: 'revoke-void' },
      staff,
    );
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('CENTRAL_UNAVAILABLE');
    expect((await inDoubt(d.url, staff)).map((i) => i.id)).toContain(item?.id);
    // Central back: nothing was issued under the key, so voiding just closes the case; the order stays open.
    proxy.set([]);
    const ok = await call(
      d.url,
      'POST',
      `/api/staff/in-doubt/${item?.id}/resolve`,
      { action: 'revoke-void' },
      staff,
    );
    expect(ok.status).toBe(200);
    expect((await central.order(orderId)).status).toBe('approved');
    expect((await centralRows(central, orderId)).certificates).toHaveLength(0);
  }, 90_000);

  it('a daemon starts and serves while central hangs', async () => {
    proxy.log.length = 0;
    proxy.set([{ path: '/', mode: 'hang' }]);
    const d = await start();
    const state = await call(d.url, 'GET', '/api/state');
    expect(state.status).toBe(200);
    // Nothing central answered yet: everything it was asked is still hanging.
    expect(proxy.log.length).toBeGreaterThan(0);
    expect(proxy.log.every((l) => l.endsWith('hang'))).toBe(true);
  }, 60_000);
});
