// Attacks on the staff sign-in and the staff routes over HTTP: the API listening on 127.0.0.1 with a real staff
// store (accounts in a temporary folder, an injected clock) and fakes for the rest. Each test is named after
// what it tries.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLogLine } from '@certkiosk/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog, type AuditRecord } from '../audit/index.js';
import type { StaffStoreOptions } from '../staff/index.js';
import { type ApplianceClient, createApplianceClient } from './client.js';
import { ROUTES, type RouteName } from './routes.js';
import { rawRequest, signIn, startTestApi, TEST_STAFF, type TestApi } from './testing-fakes.js';

const START = Date.parse('2025-03-03T08:00:00.000Z');
const ADMIN = TEST_STAFF.administrator;
const OPERATOR = TEST_STAFF.operator;
// Wrong and new PINs whose digits cannot occur by chance in times, counts or ids of the audit records.
const WRONG = ['916273', '402857', '739164', '265091', '847302', '150946'];
const NEW_PINS = ['381946', '472691', '529163'];
const EVERY_PIN = [ADMIN.pin, OPERATOR.pin, ...WRONG, ...NEW_PINS];

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function start(opts: Parameters<typeof startTestApi>[0] = {}, staff: Partial<StaffStoreOptions> = {}) {
  const clock = { t: START };
  api = await startTestApi({ ...opts, staffStore: { now: () => new Date(clock.t), ...staff } });
  return { api, c: createApplianceClient(api.url), clock };
}

/** A valid call of every administrator route (so a refusal is about the role, never the body). */
const ADMIN_CALLS: Record<
  string,
  (c: ApplianceClient, token: string) => Promise<{ ok: boolean; status: number }>
> = {
  staffAccounts: (c, token) => c.staffAccounts({ token }),
  addStaffAccount: (c, token) =>
    c.addStaffAccount({
      body: { id: 'S009', name: '赵敏', role: 'administrator', pin: NEW_PINS[0]! },
      token,
    }),
  resetStaffPin: (c, token) =>
    c.resetStaffPin({ params: { id: 'S001' }, body: { pin: NEW_PINS[1]! }, token }),
  setStaffRole: (c, token) =>
    c.setStaffRole({ params: { id: 'S002' }, body: { role: 'administrator' }, token }),
  setStaffActive: (c, token) => c.setStaffActive({ params: { id: 'S001' }, body: { active: false }, token }),
  unlockStaff: (c, token) => c.unlockStaff({ params: { id: 'S001' }, token }),
  restartDaemon: (c, token) => c.restartDaemon({ body: { force: true }, token }),
};

describe('staff attacks over HTTP', () => {
  it('brute force of a staff PIN: locked after 5 tries; the 6th, with the right PIN, is refused with Retry-After', async () => {
    const { api, clock } = await start();
    const answers = [];
    for (const pin of WRONG.slice(0, 5)) {
      const r = await rawRequest(api.url, 'POST', '/api/staff/login', { staffId: ADMIN.staffId, pin });
      answers.push([r.status, r.body.code, r.body.params?.attemptsLeft ?? r.body.params?.retryAfter]);
    }
    expect(answers).toEqual([
      [401, 'STAFF_PIN_WRONG', 4],
      [401, 'STAFF_PIN_WRONG', 3],
      [401, 'STAFF_PIN_WRONG', 2],
      [401, 'STAFF_PIN_WRONG', 1],
      [429, 'STAFF_LOCKED', 30],
    ]);

    clock.t += 10_000;
    const right = await rawRequest(api.url, 'POST', '/api/staff/login', {
      staffId: ADMIN.staffId,
      pin: ADMIN.pin,
    });
    expect(right.status).toBe(429);
    expect(right.body).toMatchObject({ code: 'STAFF_LOCKED', params: { retryAfter: 20 } });
    expect(right.headers.get('retry-after')).toBe('20');
    expect(right.body.token).toBeUndefined();
    // Another id is not locked by it (but it counts towards the lock of every sign-in).
    expect(
      (
        await rawRequest(api.url, 'POST', '/api/staff/login', {
          staffId: OPERATOR.staffId,
          pin: OPERATOR.pin,
        })
      ).status,
    ).toBe(200);

    // The lockout is on disk before the answer (a restart does not reset it).
    const file = JSON.parse(readFileSync(api.staffFile, 'utf8'));
    expect(file.counters.S001).toMatchObject({ failures: 5 });

    // Once the delay has passed, the right PIN works again.
    clock.t += 20_000;
    const after = await rawRequest(api.url, 'POST', '/api/staff/login', {
      staffId: ADMIN.staffId,
      pin: ADMIN.pin,
    });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ staffId: 'S001', role: 'administrator' });

    const s001 = api.audit.filter((a) => a.actor === 'staff:S001').map((a) => a.action);
    expect(s001).toEqual([
      ...Array(5).fill('staff.login.failed'),
      'staff.lockout',
      'staff.login.locked',
      'staff.login',
    ]);
  });

  it('brute force over ids: an id without an account answers exactly as one with an account', async () => {
    const { api } = await start();
    const known = await rawRequest(api.url, 'POST', '/api/staff/login', { staffId: 'S001', pin: WRONG[0] });
    const unknown = await rawRequest(api.url, 'POST', '/api/staff/login', { staffId: 'S777', pin: WRONG[0] });
    expect([unknown.status, unknown.body.code, unknown.body.params]).toEqual([
      known.status,
      known.body.code,
      known.body.params,
    ]);
    const malformed = await rawRequest(api.url, 'POST', '/api/staff/login', { pin: ADMIN.pin });
    expect(malformed.status).toBe(400);
  });

  it('an operator token calling every administrator route: 403 STAFF_FORBIDDEN, nothing changed', async () => {
    const { api, c } = await start();
    const token = await signIn(c, OPERATOR);
    const adminRoutes = (Object.keys(ROUTES) as RouteName[]).filter(
      (n) => ROUTES[n].auth === 'administrator',
    );
    expect(adminRoutes.sort()).toEqual(Object.keys(ADMIN_CALLS).sort());
    for (const name of adminRoutes) {
      const r = await ADMIN_CALLS[name]!(c, token);
      expect(r, name).toMatchObject({ ok: false, status: 403, error: { code: 'STAFF_FORBIDDEN' } });
    }
    // Nothing was changed or audited as a change; the operator's own routes still work.
    expect(
      api.audit.filter((a) => a.action.startsWith('staff.account.') || a.action === 'staff.lockout.cleared'),
    ).toEqual([]);
    expect((await c.staffOverview({ token })).ok).toBe(true);
    const admin = await signIn(c, ADMIN);
    const list = await c.staffAccounts({ token: admin });
    expect(list.ok && list.data.accounts.map((a) => [a.id, a.role, a.active])).toEqual([
      ['S001', 'administrator', true],
      ['S002', 'operator', true],
    ]);
    // Without any token, the same routes ask for a sign-in.
    for (const name of adminRoutes) {
      expect(await ADMIN_CALLS[name]!(c, 'forged-token'), name).toMatchObject({ ok: false, status: 401 });
    }
    // A role given by an administrator takes effect on the operator's next request, with the same token.
    expect(
      (await c.setStaffRole({ params: { id: 'S002' }, body: { role: 'administrator' }, token: admin })).ok,
    ).toBe(true);
    expect((await c.staffAccounts({ token })).ok).toBe(true);
  });

  it('a token after logout is refused', async () => {
    const { api, c } = await start();
    const token = await signIn(c, ADMIN);
    expect((await c.staffOverview({ token })).ok).toBe(true);
    expect((await c.staffLogout({ token })).status).toBe(204);
    expect(await c.staffOverview({ token })).toMatchObject({
      ok: false,
      status: 401,
      error: { code: 'STAFF_AUTH_REQUIRED' },
    });
    expect(await c.staffAccounts({ token })).toMatchObject({ ok: false, status: 401 });
    expect(await c.endSession({ token })).toMatchObject({ ok: false, status: 401 });
    expect(await c.staffLogout({ token })).toMatchObject({ ok: false, status: 401 });
    expect(api.engine.calls).toEqual([]);
    expect(api.audit.filter((a) => a.action.startsWith('staff.logout'))).toEqual([
      { actor: 'staff:S001', action: 'staff.logout', details: { staffId: 'S001' } },
    ]);
  });

  it('a token after the idle time is refused (and one past its lifetime, however active)', async () => {
    const idleLogoutMs = 5 * 60_000;
    const { api, c, clock } = await start({}, { idleLogoutMs, maxSessionMs: 3_600_000 });
    const login = await c.staffLogin({ body: { staffId: ADMIN.staffId, pin: ADMIN.pin } });
    if (!login.ok) throw new Error('sign-in refused');
    const token = login.data.token;
    expect(Date.parse(login.data.idleExpiresAt)).toBe(clock.t + idleLogoutMs);
    expect(Date.parse(login.data.expiresAt)).toBe(clock.t + 3_600_000);

    clock.t += idleLogoutMs - 1000; // a request just in time refreshes the idle timer
    expect((await c.staffOverview({ token })).ok).toBe(true);
    clock.t += idleLogoutMs - 1000;
    expect((await c.staffOverview({ token })).ok).toBe(true);
    clock.t += idleLogoutMs;
    expect(await c.staffOverview({ token })).toMatchObject({
      ok: false,
      status: 401,
      error: { code: 'STAFF_AUTH_REQUIRED' },
    });
    expect(await c.staffOverview({ token })).toMatchObject({ ok: false, status: 401 });
    expect(api.audit.filter((a) => a.action === 'staff.logout.idle')).toEqual([
      {
        actor: 'staff:S001',
        action: 'staff.logout.idle',
        details: { staffId: 'S001', idleMs: idleLogoutMs },
      },
    ]);

    // Active all along, still signed out when the session's lifetime is over.
    const busy = await signIn(c, OPERATOR);
    const until = clock.t + 3_600_000;
    while (clock.t + 4 * 60_000 < until) {
      clock.t += 4 * 60_000;
      expect((await c.staffOverview({ token: busy })).ok).toBe(true);
    }
    clock.t = until;
    expect(await c.staffOverview({ token: busy })).toMatchObject({ ok: false, status: 401 });
    expect(api.audit.at(-1)).toMatchObject({ actor: 'staff:S002', action: 'staff.logout.expired' });
  });

  it('every staff action is audited with the staff id, and the audit log holds no PIN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-staff-audit-'));
    const log = await AuditLog.open(dir);
    try {
      const { api, c } = await start({
        auditSink: (actor, action, details) => log.append(actor, action, details),
      });
      api.engine.inDoubt.push({ id: 'J-1' });

      // Everything staff can do, by both roles, with refusals among it.
      const operator = await signIn(c, OPERATOR);
      const admin = await signIn(c, ADMIN);
      await c.staffLogin({ body: { staffId: OPERATOR.staffId, pin: WRONG[0]! } });
      await c.staffOverview({ token: operator });
      await c.resolveInDoubt({ params: { id: 'J-1' }, body: { action: 'mark-resolved' }, token: operator });
      await c.reprint({ params: { id: 'R-1' }, token: operator });
      await c.endSession({ token: operator });
      await c.staffDiagnostics({ token: operator });
      await c.addStaffAccount({
        body: { id: 'S003', name: '赵敏', role: 'operator', pin: NEW_PINS[0]! },
        token: admin,
      });
      await c.addStaffAccount({
        body: { id: 'S004', name: '钱进', role: 'operator', pin: '123456' },
        token: admin,
      });
      await c.resetStaffPin({ params: { id: 'S003' }, body: { pin: NEW_PINS[1]! }, token: admin });
      await c.setStaffRole({ params: { id: 'S003' }, body: { role: 'administrator' }, token: admin });
      await c.setStaffActive({ params: { id: 'S003' }, body: { active: false }, token: admin });
      await c.setStaffActive({ params: { id: 'S003' }, body: { active: true }, token: admin });
      await c.unlockStaff({ params: { id: 'S002' }, token: admin });
      await c.changeOwnStaffPin({ body: { currentPin: WRONG[1]!, newPin: NEW_PINS[2]! }, token: operator });
      await c.changeOwnStaffPin({
        body: { currentPin: OPERATOR.pin, newPin: NEW_PINS[2]! },
        token: operator,
      });
      await c.staffAccounts({ token: operator }); // refused: not audited as a change
      await c.staffLogout({ token: operator });
      await c.staffLogout({ token: admin });

      const actions = api.audit.map((a) => `${a.actor} ${a.action}`);
      expect(actions).toEqual([
        'system staff.accounts.seeded',
        'staff:S002 staff.login',
        'staff:S001 staff.login',
        'staff:S002 staff.login.failed',
        'staff:S002 in-doubt.resolve',
        'staff:S002 receipt.reprint',
        'staff:S002 session.end',
        'staff:S002 diagnostics.export',
        'staff:S001 staff.account.add',
        'staff:S001 staff.account.credential-reset',
        'staff:S001 staff.account.role',
        'staff:S001 staff.account.disable',
        'staff:S001 staff.account.enable',
        'staff:S001 staff.lockout.cleared',
        'staff:S002 staff.login.failed',
        'staff:S002 staff.account.credential-change',
        'staff:S002 staff.logout',
        'staff:S001 staff.logout',
      ]);
      // Each record names its staff member (the actor, and the account acted on where there is one).
      for (const a of api.audit.slice(1)) {
        expect(a.actor, a.action).toMatch(/^staff:S00[12]$/);
        if (a.action.startsWith('staff.')) expect(a.details['staffId'], a.action).toMatch(/^S00[1-3]$/);
      }

      // The audit log on disk: chained records with the staff ids, and no PIN, hash or PIN field anywhere.
      const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .map((f) => join(dir, f))
        .filter((f) => statSync(f).isFile());
      const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
      const records = text
        .split('\n')
        .filter(Boolean)
        .map((l) => parseLogLine<AuditRecord>(l)!.data);
      expect(records.map((r) => `${r.actor} ${r.action}`)).toEqual(actions);
      for (const pin of EVERY_PIN) {
        expect(text).not.toMatch(new RegExp(`(?<![0-9A-Za-z])${pin}(?![0-9A-Za-z])`));
        expect(JSON.stringify(api.audit)).not.toContain(pin);
      }
      expect(text).not.toMatch(/scrypt|"pin"|"newPin"|"currentPin"|pinHash/i);
    } finally {
      await log.close();
    }
  });
});
