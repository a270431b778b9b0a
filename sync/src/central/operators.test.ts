// Operators log in to central with their own accounts (not the kiosk staff's, not a shared token): each attack on
// the login is performed here and must fail, and what an operator does is in the operator audit under their name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmListResponse } from '../contract/schemas.js';
import { ADMIN_SESSION_COOKIE, ADMIN_TOKEN_ACTOR } from './admin-auth.js';
import { OPERATOR_LOCK_MS, OPERATOR_MAX_FAILURES, type OperatorAuditEntry } from './operators.js';
import { type Harness, newApplianceKey, startHarness, TEST_ADMIN_TOKEN } from './testing.js';

const PASSWORD = 'correct horse battery staple';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.app.central.operators.setPassword('li.na', PASSWORD);
  await h.app.central.operators.setPassword('wang.fang', 'another long password 42');
});
afterAll(() => h.close());

const login = (body: Record<string, string>, form = false) =>
  h.app.inject({
    method: 'POST',
    url: '/admin/login',
    ...(form
      ? {
          payload: new URLSearchParams(body).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }
      : { payload: body }),
  });

function sessionOf(r: { cookies: { name: string; value: string }[] }): string | undefined {
  return r.cookies.find((c) => c.name === ADMIN_SESSION_COOKIE)?.value;
}

const asSession = (session: string, method: 'GET' | 'POST', url: string) =>
  h.app.inject({ method, url, cookies: { [ADMIN_SESSION_COOKIE]: session } });

async function auditOf(query = ''): Promise<OperatorAuditEntry[]> {
  const r = await h.admin('GET', `/admin/v1/operator-audit${query}`);
  expect(r.statusCode).toBe(200);
  return (r.json() as { entries: OperatorAuditEntry[] }).entries;
}

describe('operator login', () => {
  it('the right name and password open the ops API and pages with a session cookie', async () => {
    const r = await login({ operator: 'li.na', password: PASSWORD });
    expect(r.statusCode).toBe(200);
    const session = sessionOf(r)!;
    expect(session).toBeTruthy();
    expect(r.body).not.toContain(PASSWORD);
    expect((await asSession(session, 'GET', '/admin/v1/alarms')).statusCode).toBe(200);
    expect((await asSession(session, 'GET', '/fleet')).statusCode).toBe(200);
    expect((await auditOf('?actor=li.na&action=login'))[0]).toMatchObject({
      actor: 'li.na',
      action: 'login',
    });
  });

  it('the login form works the same and goes on to the fleet page', async () => {
    const page = await h.app.inject({ url: '/admin/login' });
    expect(page.body).toContain('name="operator"');
    expect(page.body).toContain('name="password"');
    const r = await login({ operator: 'wang.fang', password: 'another long password 42' }, true);
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/fleet');
    expect(sessionOf(r)).toBeTruthy();
    const wrong = await login({ operator: 'wang.fang', password: 'not it at all, sorry' }, true);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Wrong operator name or password.');
    expect(sessionOf(wrong)).toBeUndefined();
  });

  it('a wrong password and an unknown name get the same answer and no session (no probing for names)', async () => {
    const wrong = await login({ operator: 'li.na', password: 'wrong password here' });
    const unknown = await login({ operator: 'zhao.lei', password: 'wrong password here' });
    for (const r of [wrong, unknown]) {
      expect(r.statusCode).toBe(401);
      expect(sessionOf(r)).toBeUndefined();
    }
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json()).toMatchObject({ code: 'OPERATOR_LOGIN_FAILED' });
    // One failure does not lock: the right password still works.
    expect((await login({ operator: 'li.na', password: PASSWORD })).statusCode).toBe(200);
  });

  it(`${OPERATOR_MAX_FAILURES} wrong passwords lock the name, even for the right password, until the lock ends`, async () => {
    await h.app.central.operators.setPassword('guess.me', PASSWORD);
    for (let i = 0; i < OPERATOR_MAX_FAILURES; i++) {
      expect((await login({ operator: 'guess.me', password: `guess number ${i}!!` })).statusCode).toBe(401);
    }
    const locked = await login({ operator: 'guess.me', password: PASSWORD });
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'OPERATOR_LOCKED' });
    expect(sessionOf(locked)).toBeUndefined();
    h.clock.ms += OPERATOR_LOCK_MS + 1000;
    expect((await login({ operator: 'guess.me', password: PASSWORD })).statusCode).toBe(200);
    const failures = await auditOf('?actor=guess.me&action=login.failed');
    expect(failures).toHaveLength(OPERATOR_MAX_FAILURES);
  });

  it('keeps no password on disk: only a salted scrypt hash, different for the same password', async () => {
    await h.app.central.operators.setPassword('same.pw', PASSWORD);
    const rows = (await h.app.central.db.all(
      "SELECT name, password_hash FROM operators WHERE name IN ('li.na', 'same.pw')",
    )) as { name: string; password_hash: string }[];
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(rows[0]!.password_hash).not.toBe(rows[1]!.password_hash);
    // SQLite: nor anywhere in the file (PostgreSQL's files are the server's: the rows above are what it keeps).
    if (h.app.central.db.dialect === 'sqlite') {
      await h.app.central.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      const file = readFileSync(join(h.dir, 'central.sqlite'));
      expect(file.includes(Buffer.from(PASSWORD))).toBe(false);
    }
  });

  it('refuses a short password and a malformed name, and keeps what was there', async () => {
    const ops = h.app.central.operators;
    await expect(ops.setPassword('li.na', 'short')).rejects.toThrow(/at least 12/);
    await expect(ops.setPassword('Robert"); DROP', PASSWORD)).rejects.toThrow(/operator name/);
    expect((await login({ operator: 'li.na', password: PASSWORD })).statusCode).toBe(200);
  });

  it('kiosk staff credentials are not operator accounts', async () => {
    // The demo kiosk's staff administrator (appliance/src/staff/demo-accounts.ts: staff id S001, PIN 864213):
    // signs in at a kiosk, is nothing at central.
    const r = await login({ operator: 'S001', password: '864213' });
    expect(r.statusCode).toBe(401);
    expect(sessionOf(r)).toBeUndefined();
  });

  it('a disabled operator cannot log in, and their open sessions end', async () => {
    await h.app.central.operators.setPassword('leaving.soon', PASSWORD);
    const session = sessionOf(await login({ operator: 'leaving.soon', password: PASSWORD }))!;
    expect((await asSession(session, 'GET', '/admin/v1/alarms')).statusCode).toBe(200);
    await h.app.central.operators.disable('leaving.soon');
    expect((await asSession(session, 'GET', '/admin/v1/alarms')).statusCode).toBe(401);
    expect((await login({ operator: 'leaving.soon', password: PASSWORD })).statusCode).toBe(401);
  });

  it('sessions live in the store: a restarted central still honours one, and logout ends it for good', async () => {
    const session = sessionOf(await login({ operator: 'li.na', password: PASSWORD }))!;
    await h.restart();
    expect((await asSession(session, 'GET', '/admin/v1/alarms')).statusCode).toBe(200);
    const out = await asSession(session, 'POST', '/admin/logout');
    expect(out.statusCode).toBe(204);
    expect((await asSession(session, 'GET', '/admin/v1/alarms')).statusCode).toBe(401);
    // A made-up session id is nothing.
    expect((await asSession('A'.repeat(43), 'GET', '/admin/v1/alarms')).statusCode).toBe(401);
  });
});

describe('operator audit', () => {
  it('an acknowledged alarm is recorded with the operator who did it; the token is recorded as the token', async () => {
    const a = newApplianceKey('KIOSK-OPS-AUDIT');
    await h.enrol(a);
    await h.admin('POST', `/admin/v1/appliances/${a.id}/approve`);
    const beat = (parked: number) =>
      h.signed(
        'POST',
        '/v1/heartbeat',
        {
          softwareVersion: '1',
          devices: [],
          consumables: { paper: 'ok' },
          queueDepth: 0,
          parkedEvents: parked,
        },
        a,
      );
    await beat(2);
    const [alarm] = (
      (await h.admin('GET', `/admin/v1/alarms?applianceId=${a.id}`)).json() as AlarmListResponse
    ).alarms;
    const session = sessionOf(await login({ operator: 'wang.fang', password: 'another long password 42' }))!;
    const ack = await asSession(session, 'POST', `/admin/v1/alarms/${alarm!.id}/acknowledge`);
    expect(ack.statusCode).toBe(200);
    const [entry] = await auditOf('?action=POST%20%2Fadmin%2Fv1%2Falarms%2F%3AalarmId%2Facknowledge');
    expect(entry).toMatchObject({ actor: 'wang.fang', subject: `alarmId=${alarm!.id}` });

    // An appliance approved with the token (break-glass) is recorded as the token's.
    const b = newApplianceKey('KIOSK-OPS-AUDIT-2');
    await h.enrol(b);
    await h.admin('POST', `/admin/v1/appliances/${b.id}/approve`);
    const approvals = await auditOf(`?actor=${ADMIN_TOKEN_ACTOR}`);
    expect(approvals.some((e) => e.subject === `applianceId=${b.id}` && e.action.includes('approve'))).toBe(
      true,
    );
    // A refused request is no action: nothing recorded.
    const before = (await auditOf()).length;
    expect((await asSession(session, 'POST', '/admin/v1/alarms/999999/acknowledge')).statusCode).toBe(404);
    expect((await auditOf()).length).toBe(before);
  });

  it('the audit is for operators only', async () => {
    expect((await h.app.inject({ url: '/admin/v1/operator-audit' })).statusCode).toBe(401);
    expect((await h.signed('GET', '/admin/v1/operator-audit')).statusCode).toBe(401);
    const r = await h.app.inject({
      url: '/admin/v1/operator-audit',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}x` },
    });
    expect(r.statusCode).toBe(401);
  });
});
