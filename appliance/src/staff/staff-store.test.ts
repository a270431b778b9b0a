import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApplianceError } from '../errors.js';
import { staffStoreAuth } from './auth-adapter.js';
import { hashStaffPin } from './pin-hash.js';
import {
  ALL_STAFF,
  openStaffStore,
  type StaffLockoutAlarm,
  type StaffSeedAccount,
  type StaffStore,
  type StaffStoreOptions,
} from './staff-store.js';

const FAST = { N: 1024, r: 8, p: 1 };
const START = Date.parse('2025-03-03T08:00:00.000Z');
// PINs chosen so that their digits cannot occur by chance in times, counts or ids of the audit records.
const ADMIN_PIN = '583920';
const OPERATOR_PIN = '704158';
const WRONG_PINS = ['916273', '402857', '739164', '265091', '847302', '150946', '628417'];

let seed: StaffSeedAccount[];
beforeAll(async () => {
  seed = [
    { id: 'S001', name: '李娜', role: 'administrator', pinHash: await hashStaffPin(ADMIN_PIN, FAST) },
    { id: 'S002', name: '王强', role: 'operator', pinHash: await hashStaffPin(OPERATOR_PIN, FAST) },
  ];
});

type AuditCall = [actor: string, action: string, details: Record<string, unknown>];

function harness(extra: Partial<StaffStoreOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'staff-'));
  const file = join(dir, 'staff.json');
  const audits: AuditCall[] = [];
  const alarms: StaffLockoutAlarm[] = [];
  const clock = { t: START };
  const open = (more: Partial<StaffStoreOptions> = {}) =>
    openStaffStore({
      file,
      seed,
      audit: (actor, action, details) => {
        audits.push([actor, action, structuredClone(details)]);
      },
      onAlarm: (a) => alarms.push(a),
      now: () => new Date(clock.t),
      hashParams: FAST,
      sweepIntervalMs: 0,
      ...extra,
      ...more,
    });
  const advance = (ms: number) => {
    clock.t += ms;
  };
  return { dir, file, audits, alarms, clock, open, advance };
}

async function code(
  p: Promise<unknown>,
): Promise<{ code: string; params?: Record<string, string | number> }> {
  try {
    await p;
  } catch (e) {
    const err = e as ApplianceError;
    return { code: err.code, ...(err.params ? { params: err.params } : {}) };
  }
  throw new Error('expected a refusal');
}

async function guess(store: StaffStore, id: string, times: number) {
  const out = [];
  for (let i = 0; i < times; i++) out.push(await code(store.login(id, WRONG_PINS[i % WRONG_PINS.length]!)));
  return out;
}

describe('staff sign-in and lockout', () => {
  it('locks an id after 5 wrong PINs, refuses even the right PIN until the delay passes, and the delay grows', async () => {
    const h = harness();
    const store = await h.open();
    const first = await guess(store, 'S001', 5);
    expect(first.slice(0, 4)).toEqual(
      [4, 3, 2, 1].map((n) => ({ code: 'STAFF_PIN_WRONG', params: { attemptsLeft: n } })),
    );
    expect(first[4]).toEqual({ code: 'STAFF_LOCKED', params: { retryAfter: 30 } });

    // Locked: the right PIN is refused too, with the time left.
    expect(await code(store.login('S001', ADMIN_PIN))).toEqual({
      code: 'STAFF_LOCKED',
      params: { retryAfter: 30 },
    });
    h.advance(29_000);
    expect(await code(store.login('S001', ADMIN_PIN))).toEqual({
      code: 'STAFF_LOCKED',
      params: { retryAfter: 1 },
    });

    // Each further wrong PIN after a lock ends locks again for twice as long.
    h.advance(1_000);
    expect(await guess(store, 'S001', 1)).toEqual([{ code: 'STAFF_LOCKED', params: { retryAfter: 60 } }]);
    h.advance(60_000);
    expect(await guess(store, 'S001', 1)).toEqual([{ code: 'STAFF_LOCKED', params: { retryAfter: 120 } }]);
    h.advance(119_000);
    expect((await code(store.login('S001', ADMIN_PIN))).code).toBe('STAFF_LOCKED');

    // The alarm the heartbeat carries, raised when the lockout began.
    expect(store.alarms()).toContainEqual({
      kind: 'staff-lockout',
      staffId: 'S001',
      since: new Date(START).toISOString(),
      until: new Date(START + 30_000 + 60_000 + 120_000).toISOString(),
      locked: true,
      failures: 7,
    });
    expect(h.alarms.map((a) => a.staffId)).toEqual(['S001', 'S001', 'S001']);
    // Other ids are not affected.
    const op = await store.login('S002', OPERATOR_PIN);
    expect(op.role).toBe('operator');

    // After the delay the right PIN works and clears the counter and the alarm.
    h.advance(1_000);
    const ok = await store.login('S001', ADMIN_PIN);
    expect(ok).toMatchObject({ staffId: 'S001', role: 'administrator', name: '李娜' });
    expect(store.alarms().filter((a) => a.kind === 'staff-lockout' && a.staffId === 'S001')).toEqual([]);
    expect(await guess(store, 'S001', 1)).toEqual([{ code: 'STAFF_PIN_WRONG', params: { attemptsLeft: 4 } }]);
    await store.close();
  });

  it('caps the delay', async () => {
    const h = harness();
    const store = await h.open();
    await guess(store, 'S002', 5);
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      h.advance(3_600_000);
      const [r] = await guess(store, 'S002', 1);
      delays.push(Number(r!.params!.retryAfter));
    }
    expect(delays).toEqual([60, 120, 240, 480, 960, 1800, 1800, 1800, 1800]);
    await store.close();
  });

  it('keeps the lockout across a restart (the counters are on disk)', async () => {
    const h = harness();
    const store = await h.open();
    await guess(store, 'S001', 5);
    await store.close();

    const again = await h.open();
    h.advance(10_000);
    expect(await code(again.login('S001', ADMIN_PIN))).toEqual({
      code: 'STAFF_LOCKED',
      params: { retryAfter: 20 },
    });
    expect(again.alarms()).toContainEqual(
      expect.objectContaining({ kind: 'staff-lockout', staffId: 'S001' }),
    );
    h.advance(20_000);
    // Still in the lockout regime after the restart: the next wrong PIN locks for 60 s, not 30 s.
    expect(await guess(again, 'S001', 1)).toEqual([{ code: 'STAFF_LOCKED', params: { retryAfter: 60 } }]);
    await again.close();
  });

  it('counts wrong PINs for ids without an account the same way, and over all ids', async () => {
    const h = harness();
    const store = await h.open();
    const unknown = await guess(store, 'S999', 5);
    expect(unknown).toEqual([
      ...[4, 3, 2, 1].map((n) => ({ code: 'STAFF_PIN_WRONG', params: { attemptsLeft: n } })),
      { code: 'STAFF_LOCKED', params: { retryAfter: 30 } },
    ]);
    // 15 more over other ids (4 each, under the per-id limit) reach the counter over all ids: 20 in a row.
    await guess(store, 'S100', 4);
    await guess(store, 'S101', 4);
    await guess(store, 'S102', 4);
    const [last] = await guess(store, 'S103', 3).then((r) => r.slice(-1));
    expect(last).toEqual({ code: 'STAFF_LOCKED', params: { retryAfter: 30 } });
    // Every sign-in is now slowed, even a right PIN of an id never guessed.
    expect(await code(store.login('S002', OPERATOR_PIN))).toEqual({
      code: 'STAFF_LOCKED',
      params: { retryAfter: 30 },
    });
    expect(store.alarms()).toContainEqual(
      expect.objectContaining({ kind: 'staff-lockout', staffId: ALL_STAFF }),
    );
    h.advance(30_000);
    expect((await store.login('S002', OPERATOR_PIN)).staffId).toBe('S002');
    // Malformed ids count over all ids too.
    expect(await guess(store, 'not an id', 1)).toEqual([
      { code: 'STAFF_LOCKED', params: { retryAfter: 60 } },
    ]);
    await store.close();
  });

  it('answers a disabled account only once its PIN was right, and a wrong PIN for it counts', async () => {
    const h = harness();
    const store = await h.open();
    const admin = await store.login('S001', ADMIN_PIN);
    const op = await store.login('S002', OPERATOR_PIN);
    await store.setActive(admin.token, 'S002', false);
    await expect(store.authenticate(op.token)).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' });
    expect(await code(store.login('S002', OPERATOR_PIN))).toEqual({ code: 'STAFF_ACCOUNT_DISABLED' });
    expect(await guess(store, 'S002', 1)).toEqual([{ code: 'STAFF_PIN_WRONG', params: { attemptsLeft: 4 } }]);
    await store.setActive(admin.token, 'S002', true);
    expect((await store.login('S002', OPERATOR_PIN)).staffId).toBe('S002');
    await store.close();
  });

  it('takes the id in any case and with spaces around it', async () => {
    const h = harness();
    const store = await h.open();
    expect((await store.login(' s001 ', ADMIN_PIN)).staffId).toBe('S001');
    await store.close();
  });
});

describe('staff sessions', () => {
  it('signs out after the idle time; every authenticated request restarts it', async () => {
    const h = harness({ idleLogoutMs: 5 * 60_000 });
    const store = await h.open();
    const { token, idleExpiresAt } = await store.login('S002', OPERATOR_PIN);
    expect(idleExpiresAt).toBe(new Date(START + 300_000).toISOString());
    for (let i = 0; i < 5; i++) {
      h.advance(4 * 60_000);
      expect(await store.authenticate(token)).toMatchObject({ staffId: 'S002', role: 'operator' });
    }
    // A peek does not keep the session alive.
    h.advance(4 * 60_000);
    await store.authenticate(token, { refresh: false });
    h.advance(60_000);
    await expect(store.authenticate(token)).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' });
    expect(h.audits).toContainEqual([
      'staff:S002',
      'staff.logout.idle',
      { staffId: 'S002', idleMs: 300_000 },
    ]);
    // Gone for good, and audited once.
    await expect(store.authenticate(token)).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' });
    expect(h.audits.filter(([, a]) => a === 'staff.logout.idle')).toHaveLength(1);
    await store.close();
  });

  it('ends idle sessions on the sweep, without waiting for the next request', async () => {
    const h = harness();
    const store = await h.open();
    await store.login('S001', ADMIN_PIN);
    await store.login('S002', OPERATOR_PIN);
    h.advance(4 * 60_000);
    expect(await store.sweep()).toBe(0);
    h.advance(60_000);
    expect(await store.sweep()).toBe(2);
    expect(store.activeSessions()).toEqual([]);
    expect(
      h.audits
        .filter(([, a]) => a === 'staff.logout.idle')
        .map(([actor]) => actor)
        .sort(),
    ).toEqual(['staff:S001', 'staff:S002']);
    await store.close();
  });

  it('ends a session at its maximum lifetime however active', async () => {
    const h = harness({ maxSessionMs: 8 * 3_600_000 });
    const store = await h.open();
    const { token, expiresAt } = await store.login('S002', OPERATOR_PIN);
    expect(expiresAt).toBe(new Date(START + 8 * 3_600_000).toISOString());
    for (let t = 0; t < 8 * 60 - 4; t += 4) {
      h.advance(4 * 60_000);
      await store.authenticate(token);
    }
    h.advance(4 * 60_000);
    await expect(store.authenticate(token)).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' });
    expect(h.audits.map(([, a]) => a)).toContain('staff.logout.expired');
    await store.close();
  });

  it('logs out explicitly; the token is dead afterwards; other sessions stay', async () => {
    const h = harness();
    const store = await h.open();
    const a = await store.login('S002', OPERATOR_PIN);
    const b = await store.login('S002', OPERATOR_PIN);
    expect(a.token).not.toBe(b.token);
    expect(a.token.length).toBeGreaterThanOrEqual(43);
    await store.logout(a.token);
    await expect(store.authenticate(a.token)).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' });
    await expect(store.authenticate(b.token)).resolves.toMatchObject({ staffId: 'S002' });
    await store.logout(a.token); // again: nothing happens
    expect(h.audits.filter(([, x]) => x === 'staff.logout')).toEqual([
      ['staff:S002', 'staff.logout', { staffId: 'S002' }],
    ]);
    await expect(store.authenticate(undefined)).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' });
    await expect(store.authenticate('forged')).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' });
    await store.close();
  });

  it('forgets every session on restart', async () => {
    const h = harness();
    const store = await h.open();
    const { token } = await store.login('S001', ADMIN_PIN);
    await store.close();
    const again = await h.open();
    await expect(again.authenticate(token)).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' });
    await again.close();
  });
});

describe('staff administration', () => {
  it('refuses every management action to an operator', async () => {
    const h = harness();
    const store = await h.open();
    const { token } = await store.login('S002', OPERATOR_PIN);
    await expect(store.require(token, 'operator')).resolves.toMatchObject({ staffId: 'S002' });
    const forbidden = [
      () => store.require(token, 'administrator'),
      () => store.listAccounts(token),
      () => store.addAccount(token, { id: 'S003', name: '赵敏', role: 'administrator', pin: '261847' }),
      () => store.resetPin(token, 'S001', '261847'),
      () => store.setRole(token, 'S002', 'administrator'),
      () => store.setActive(token, 'S001', false),
      () => store.unlock(token, 'S002'),
    ];
    for (const attempt of forbidden) expect(await code(attempt())).toMatchObject({ code: 'STAFF_FORBIDDEN' });
    // Nothing changed.
    const admin = await store.login('S001', ADMIN_PIN);
    expect((await store.listAccounts(admin.token)).map((a) => [a.id, a.role, a.active])).toEqual([
      ['S001', 'administrator', true],
      ['S002', 'operator', true],
    ]);
    // Without a session at all.
    expect(await code(store.listAccounts(undefined))).toEqual({ code: 'STAFF_AUTH_REQUIRED' });
    await store.close();
  });

  it('never lets the last active administrator be disabled or demoted', async () => {
    const h = harness();
    const store = await h.open();
    const { token } = await store.login('S001', ADMIN_PIN);
    expect(await code(store.setActive(token, 'S001', false))).toMatchObject({
      code: 'STAFF_LAST_ADMINISTRATOR',
    });
    expect(await code(store.setRole(token, 'S001', 'operator'))).toMatchObject({
      code: 'STAFF_LAST_ADMINISTRATOR',
    });

    // A second administrator: now the first may step down, and the second is the last one.
    await store.addAccount(token, { id: 'S003', name: '赵敏', role: 'operator', pin: '261847' });
    await store.setRole(token, 'S003', 'administrator');
    await store.setRole(token, 'S001', 'operator');
    // S001's session now has the operator role.
    expect(await code(store.listAccounts(token))).toMatchObject({ code: 'STAFF_FORBIDDEN' });
    const s3 = await store.login('S003', '261847');
    expect(await code(store.setActive(s3.token, 'S003', false))).toMatchObject({
      code: 'STAFF_LAST_ADMINISTRATOR',
    });
    // A disabled administrator does not count as an active one.
    await store.setRole(s3.token, 'S001', 'administrator');
    await store.setActive(s3.token, 'S001', false);
    expect(await code(store.setRole(s3.token, 'S003', 'operator'))).toMatchObject({
      code: 'STAFF_LAST_ADMINISTRATOR',
    });
    expect(store.alarms().filter((a) => a.kind === 'staff-no-administrator')).toEqual([]);
    await store.close();
  });

  it('adds accounts, resets and changes PINs, and validates what it is given', async () => {
    const h = harness();
    const store = await h.open();
    const admin = await store.login('S001', ADMIN_PIN);
    const added = await store.addAccount(admin.token, {
      id: 's003',
      name: ' 赵敏 ',
      role: 'operator',
      pin: '261847',
    });
    expect(added).toMatchObject({
      actor: 'staff:S001',
      action: 'staff.account.add',
      staffId: 'S003',
      details: { staffId: 'S003', name: '赵敏', role: 'operator' },
    });
    expect(
      await code(store.addAccount(admin.token, { id: 'S003', name: 'x', role: 'operator', pin: '261847' })),
    ).toMatchObject({
      code: 'STAFF_ACCOUNT_EXISTS',
    });
    expect(
      await code(store.addAccount(admin.token, { id: 'X-1', name: 'x', role: 'operator', pin: '261847' })),
    ).toMatchObject({
      code: 'STAFF_ACCOUNT_INVALID',
      params: { field: 'id' },
    });
    expect(
      await code(store.addAccount(admin.token, { id: 'S004', name: ' ', role: 'operator', pin: '261847' })),
    ).toMatchObject({
      code: 'STAFF_ACCOUNT_INVALID',
      params: { field: 'name' },
    });
    expect(
      await code(
        store.addAccount(admin.token, { id: 'S004', name: 'x', role: 'root' as 'operator', pin: '261847' }),
      ),
    ).toMatchObject({ code: 'STAFF_ACCOUNT_INVALID', params: { field: 'role' } });
    for (const weak of ['8642', '12345', '111111', '123456', '654321', '121212', '12a456']) {
      expect(
        await code(store.addAccount(admin.token, { id: 'S004', name: 'x', role: 'operator', pin: weak })),
        weak,
      ).toMatchObject({ code: 'STAFF_PIN_TOO_WEAK' });
      expect(await code(store.resetPin(admin.token, 'S003', weak)), weak).toMatchObject({
        code: 'STAFF_PIN_TOO_WEAK',
      });
    }
    expect(await code(store.resetPin(admin.token, 'S404', '261847'))).toMatchObject({
      code: 'STAFF_ACCOUNT_UNKNOWN',
    });

    // Reset: the old PIN stops working, the account's sessions end, its lockout is cleared.
    const s3 = await store.login('S003', '261847');
    await guess(store, 'S003', 5);
    await store.resetPin(admin.token, 'S003', '390514');
    await expect(store.authenticate(s3.token)).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' });
    expect(await code(store.login('S003', '261847'))).toMatchObject({ code: 'STAFF_PIN_WRONG' });
    const s3b = await store.login('S003', '390514');

    // Own change: needs the current PIN; keeps the session it was made from.
    expect(await code(store.changeOwnPin(s3b.token, '261847', '472916'))).toMatchObject({
      code: 'STAFF_PIN_WRONG',
    });
    expect(await code(store.changeOwnPin(s3b.token, '390514', '111111'))).toMatchObject({
      code: 'STAFF_PIN_TOO_WEAK',
    });
    expect(await code(store.changeOwnPin(s3b.token, '390514', '390514'))).toMatchObject({
      code: 'STAFF_PIN_TOO_WEAK',
      params: { problems: 'unchanged' },
    });
    await store.changeOwnPin(s3b.token, '390514', '472916');
    await expect(store.authenticate(s3b.token)).resolves.toMatchObject({ staffId: 'S003' });
    expect((await store.login('S003', '472916')).staffId).toBe('S003');

    // The view never carries a hash.
    const list = await store.listAccounts(admin.token);
    expect(JSON.stringify(list)).not.toMatch(/scrypt|pinHash/);
    expect(list.map((a) => a.id)).toEqual(['S001', 'S002', 'S003']);
    await store.close();
  });

  it('lets an administrator end a lockout, of one id or of all sign-ins', async () => {
    const h = harness();
    const store = await h.open();
    const admin = await store.login('S001', ADMIN_PIN);
    await guess(store, 'S002', 5);
    expect((await store.listAccounts(admin.token)).find((a) => a.id === 'S002')?.lockout).toMatchObject({
      locked: true,
      failures: 5,
    });
    const change = await store.unlock(admin.token, 'S002');
    expect(change).toMatchObject({ actor: 'staff:S001', action: 'staff.lockout.cleared', staffId: 'S002' });
    expect((await store.login('S002', OPERATOR_PIN)).staffId).toBe('S002');
    expect(store.alarms()).toEqual([]);

    // Every sign-in locked by guesses over many ids: a signed-in administrator can lift it.
    for (const id of ['S100', 'S101', 'S102', 'S103', 'S104']) await guess(store, id, 4);
    expect(await code(store.login('S002', OPERATOR_PIN))).toMatchObject({ code: 'STAFF_LOCKED' });
    await store.unlock(admin.token, ALL_STAFF);
    expect((await store.login('S002', OPERATOR_PIN)).staffId).toBe('S002');
    expect(store.alarms().filter((a) => a.kind === 'staff-lockout' && a.staffId === ALL_STAFF)).toEqual([]);
    await store.close();
  });

  it('seeds from the config on first start only', async () => {
    const h = harness();
    const store = await h.open();
    const admin = await store.login('S001', ADMIN_PIN);
    await store.setActive(admin.token, 'S002', false);
    await store.close();
    const other: StaffSeedAccount[] = [
      { id: 'S777', name: 'x', role: 'administrator', pinHash: await hashStaffPin('261847', FAST) },
    ];
    const again = await h.open({ seed: other });
    const a2 = await again.login('S001', ADMIN_PIN);
    expect((await again.listAccounts(a2.token)).map((a) => [a.id, a.active])).toEqual([
      ['S001', true],
      ['S002', false],
    ]);
    expect(await code(again.login('S777', '261847'))).toMatchObject({ code: 'STAFF_PIN_WRONG' });
    expect(h.audits.filter(([, a]) => a === 'staff.accounts.seeded')).toEqual([
      ['system', 'staff.accounts.seeded', { staffIds: ['S001', 'S002'], source: 'config' }],
    ]);
    await again.close();
  });

  it('raises a no-administrator alarm when the store has none to sign in with', async () => {
    const h = harness({ seed: [] });
    const store = await h.open();
    expect(store.alarms()).toEqual([{ kind: 'staff-no-administrator' }]);
    expect(await code(store.login('S001', ADMIN_PIN))).toMatchObject({ code: 'STAFF_PIN_WRONG' });
    await store.close();
  });
});

describe('what is stored and what is audited', () => {
  it('writes no PIN to disk, only scrypt hashes, in a file only the daemon can read', async () => {
    const h = harness();
    const store = await h.open();
    const admin = await store.login('S001', ADMIN_PIN);
    await store.addAccount(admin.token, { id: 'S003', name: '赵敏', role: 'operator', pin: '261847' });
    await store.resetPin(admin.token, 'S002', '390514');
    await guess(store, 'S003', 3);
    await store.close();

    const text = readFileSync(h.file, 'utf8');
    for (const pin of [ADMIN_PIN, OPERATOR_PIN, '261847', '390514', ...WRONG_PINS])
      expect(text).not.toContain(pin);
    const stored = JSON.parse(text) as { accounts: Array<{ id: string; pinHash: string }> };
    expect(stored.accounts.map((a) => a.id)).toEqual(['S001', 'S002', 'S003']);
    for (const a of stored.accounts) {
      expect(a.pinHash).toMatch(/^\$scrypt\$N=\d+,r=\d+,p=\d+\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    }
    expect(statSync(h.file).mode & 0o077).toBe(0);
    expect(readdirSync(h.dir)).toEqual(['staff.json']); // no temp file left behind
  });

  it('audits every action with the acting staff id and never a PIN', async () => {
    const h = harness();
    const store = await h.open();
    const admin = await store.login('S001', ADMIN_PIN);
    const op = await store.login('S002', OPERATOR_PIN);
    await guess(store, 'S002', 5); // failed ×4, then failed + lockout
    await code(store.login('S002', OPERATOR_PIN)); // locked
    await store.unlock(admin.token, 'S002');
    await store.addAccount(admin.token, { id: 'S003', name: '赵敏', role: 'operator', pin: '261847' });
    await store.resetPin(admin.token, 'S003', '390514');
    await store.setRole(admin.token, 'S003', 'administrator');
    await store.setActive(admin.token, 'S003', false);
    await store.setActive(admin.token, 'S003', true);
    await store.changeOwnPin(op.token, OPERATOR_PIN, '472916');
    await store.logout(op.token);
    h.advance(5 * 60_000);
    await store.sweep(); // idle logout of S001

    const byAction = (action: string) => h.audits.filter(([, a]) => a === action);
    expect(byAction('staff.login').map(([actor, , d]) => [actor, d.staffId])).toEqual([
      ['staff:S001', 'S001'],
      ['staff:S002', 'S002'],
    ]);
    expect(byAction('staff.login.failed')).toHaveLength(5);
    for (const [actor, , d] of byAction('staff.login.failed')) {
      expect(actor).toBe('staff:S002');
      expect(d).toMatchObject({ staffId: 'S002', known: true });
    }
    expect(byAction('staff.lockout')).toEqual([
      ['staff:S002', 'staff.lockout', expect.objectContaining({ staffId: 'S002', failures: 5 })],
    ]);
    expect(byAction('staff.login.locked')).toEqual([
      ['staff:S002', 'staff.login.locked', { staffId: 'S002', scope: 'account', retryAfter: 30 }],
    ]);
    const management = [
      'staff.lockout.cleared',
      'staff.account.add',
      'staff.account.credential-reset',
      'staff.account.role',
      'staff.account.disable',
      'staff.account.enable',
    ];
    for (const action of management) {
      expect(byAction(action), action).toEqual([
        ['staff:S001', action, expect.objectContaining({ staffId: expect.any(String) })],
      ]);
    }
    expect(byAction('staff.account.credential-change')).toEqual([
      ['staff:S002', 'staff.account.credential-change', { staffId: 'S002' }],
    ]);
    expect(byAction('staff.logout')).toEqual([['staff:S002', 'staff.logout', { staffId: 'S002' }]]);
    expect(byAction('staff.logout.idle').map(([actor]) => actor)).toEqual(['staff:S001']);
    // The actor is always a staff id (or the system, for the seed), in the audit log's actor syntax.
    for (const [actor] of h.audits) expect(actor).toMatch(/^(system|staff:[A-Za-z0-9._-]{1,64})$/);

    const all = JSON.stringify(h.audits);
    for (const pin of [ADMIN_PIN, OPERATOR_PIN, '261847', '390514', '472916', ...WRONG_PINS]) {
      expect(all).not.toContain(pin);
    }
    expect(all).not.toMatch(/scrypt/);
    await store.close();
  });
});

describe('staffStoreAuth (the staff check of the API)', () => {
  it('signs in with { staffId, pin }, verifies bearer headers and signs out', async () => {
    const h = harness();
    const store = await h.open();
    const auth = staffStoreAuth(store);
    const s = await auth.login({ staffId: 'S002', pin: OPERATOR_PIN });
    expect(s).toMatchObject({ actor: 'staff:S002', staffId: 'S002', role: 'operator' });
    expect(await auth.verify(`Bearer ${s.token}`)).toMatchObject({ actor: 'staff:S002', role: 'operator' });
    expect(await auth.verify(s.token)).toBeNull();
    expect(await auth.verify(undefined)).toBeNull();
    expect(await code(auth.login({ staffId: 'S002', pin: WRONG_PINS[0]! }))).toMatchObject({
      code: 'STAFF_PIN_WRONG',
    });
    expect(await code(auth.login({ pin: OPERATOR_PIN }))).toMatchObject({ code: 'STAFF_ACCOUNT_INVALID' });
    await auth.logout(`Bearer ${s.token}`);
    expect(await auth.verify(`Bearer ${s.token}`)).toBeNull();
    await store.close();
  });
});
