// Appliance trust at central: an appliance enrols only with the one-time code an operator registered it with
// (for its id and hall, once, before it expires), and is approved against the key fingerprint the operator
// checked. Auto-approve (no code) exists for the loopback demo only. Each test is named after the attack it
// stops and fails if the attack works.
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint, publicKeySha256 } from '../contract/identity.js';
import type { AdminAppliance, RegisterApplianceResponse } from '../contract/schemas.js';
import { autoApproveProblem } from './admin-auth.js';
import { buildCentral } from './app.js';
import { enrolmentCodeHash, normaliseEnrolmentCode } from './appliances.js';
import { type Harness, newApplianceKey, startHarness } from './testing.js';

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'ck-enrolment-'));
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

const applianceRow = async (id: string) => h.app.central.appliances.row(id);
const listed = async (id: string) =>
  ((await h.admin('GET', '/admin/v1/appliances')).json() as { appliances: AdminAppliance[] }).appliances.find(
    (a) => a.applianceId === id,
  );

describe('registration and one-time enrolment codes', () => {
  it('an operator registers an appliance and gets a human-typable 80-bit code once; central keeps only its hash', async () => {
    const r = await h.admin('POST', '/admin/v1/appliances', {
      applianceId: 'KIOSK-REG-1',
      hall: 'SZ-FUTIAN',
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.headers['cache-control']).toBe('no-store');
    const body = r.json() as RegisterApplianceResponse;
    expect(body).toMatchObject({ applianceId: 'KIOSK-REG-1', hall: 'SZ-FUTIAN' });
    expect(body.enrolmentCode).toMatch(/^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}$/);
    expect(Date.parse(body.expiresAt) - h.clock.ms).toBe(7 * 24 * 3600 * 1000);
    const stored = JSON.stringify(await h.app.central.db.all('SELECT * FROM enrolment_codes'));
    expect(stored).not.toContain(body.enrolmentCode);
    expect(stored).not.toContain(normaliseEnrolmentCode(body.enrolmentCode));
    expect(stored).toContain(enrolmentCodeHash(body.enrolmentCode));
    // codes differ every time
    const again = (
      await h.admin('POST', '/admin/v1/appliances', { applianceId: 'KIOSK-REG-2', hall: 'SZ-FUTIAN' })
    ).json() as RegisterApplianceResponse;
    expect(again.enrolmentCode).not.toBe(body.enrolmentCode);
    // the operator route needs the admin token
    const anon = await h.app.inject({
      method: 'POST',
      url: '/admin/v1/appliances',
      payload: { applianceId: 'KIOSK-X', hall: 'SZ-FUTIAN' },
    });
    expect(anon.statusCode).toBe(401);
  });

  it('a rogue appliance with no enrolment code is refused and leaves no trace', async () => {
    const rogue = newApplianceKey('KIOSK-ROGUE');
    const r = await h.enrol(rogue, null);
    expect(r.json()).toMatchObject({ statusCode: 401, code: 'ENROLMENT_CODE_REQUIRED' });
    expect(await applianceRow('KIOSK-ROGUE')).toBeUndefined();
    // nor with a made-up code
    expect((await h.enrol(rogue, 'AAAA-BBBB-CCCC-DDDD')).json()).toMatchObject({
      statusCode: 403,
      code: 'ENROLMENT_CODE_INVALID',
    });
    expect(await applianceRow('KIOSK-ROGUE')).toBeUndefined();
    // nor with a genuine code registered for another appliance id
    const other = await h.register('KIOSK-ROGUE-OTHER', 'SZ-FUTIAN');
    expect((await h.enrol(rogue, other)).json()).toMatchObject({
      statusCode: 403,
      code: 'ENROLMENT_CODE_INVALID',
    });
    expect(await applianceRow('KIOSK-ROGUE')).toBeUndefined();
    expect((await h.signed('GET', '/v1/changes', undefined, rogue)).json()).toMatchObject({
      statusCode: 401,
      code: 'AUTH_UNKNOWN_APPLIANCE',
    });
  });

  it('an appliance with a code registered for another hall is refused (and the code still works for its own hall)', async () => {
    const code = await h.register('KIOSK-HALL', 'GZ-TIANHE');
    const elsewhere = newApplianceKey('KIOSK-HALL', 'SZ-FUTIAN');
    expect((await h.enrol(elsewhere, code)).json()).toMatchObject({
      statusCode: 403,
      code: 'ENROLMENT_HALL_MISMATCH',
    });
    expect(await applianceRow('KIOSK-HALL')).toBeUndefined();
    const right = newApplianceKey('KIOSK-HALL', 'GZ-TIANHE');
    expect((await h.enrol(right, code)).json()).toMatchObject({ hall: 'GZ-TIANHE', status: 'pending' });
    // once enrolled for a hall, re-enrolling the same key for another hall is refused too
    expect((await h.enrol({ ...right, hall: 'SZ-FUTIAN' }, null)).json()).toMatchObject({
      code: 'ENROLMENT_HALL_MISMATCH',
    });
  });

  it('a code used twice is refused the second time: it cannot enrol a second key', async () => {
    const code = await h.register('KIOSK-ONCE', 'SZ-FUTIAN');
    const first = newApplianceKey('KIOSK-ONCE');
    const ok = await h.enrol(first, code);
    expect(ok.json()).toMatchObject({ applianceId: 'KIOSK-ONCE', status: 'pending' });
    const second = newApplianceKey('KIOSK-ONCE');
    expect((await h.enrol(second, code)).json()).toMatchObject({
      statusCode: 403,
      code: 'ENROLMENT_CODE_USED',
    });
    expect((await applianceRow('KIOSK-ONCE'))?.public_key_pem).toBe(first.publicKeyPem);
    // the first key re-enrolling (a kiosk restart) is a retry, not a second use
    expect((await h.enrol(first, code)).statusCode).toBe(200);
    expect((await h.enrol(first, null)).statusCode).toBe(200);
    // a typed code: case, spaces and dashes do not matter (and it is still used up)
    expect((await h.enrol(second, ` ${code.toLowerCase().replaceAll('-', ' ')} `)).json()).toMatchObject({
      code: 'ENROLMENT_CODE_USED',
    });
  });

  it('an expired code is refused, and so is a code replaced by a newer registration', async () => {
    const stale = await h.register('KIOSK-LATE', 'SZ-FUTIAN');
    h.clock.ms += 7 * 24 * 3600 * 1000 + 1;
    const late = newApplianceKey('KIOSK-LATE');
    expect((await h.enrol(late, stale)).json()).toMatchObject({
      statusCode: 410,
      code: 'ENROLMENT_CODE_EXPIRED',
    });
    const old = await h.register('KIOSK-LATE', 'SZ-FUTIAN');
    const fresh = await h.register('KIOSK-LATE', 'SZ-FUTIAN');
    expect((await h.enrol(late, old)).json()).toMatchObject({
      statusCode: 403,
      code: 'ENROLMENT_CODE_INVALID',
    });
    expect(await applianceRow('KIOSK-LATE')).toBeUndefined();
    expect((await h.enrol(late, fresh)).statusCode).toBe(200);
  });

  it('re-keying needs a fresh code from an operator; the new key waits for approval again', async () => {
    const a = newApplianceKey('KIOSK-REKEY');
    await h.enrol(a);
    await h.admin('POST', '/admin/v1/appliances/KIOSK-REKEY/approve');
    const b = newApplianceKey('KIOSK-REKEY');
    expect((await h.enrol(b, null)).json()).toMatchObject({ statusCode: 409, code: 'ENROL_KEY_MISMATCH' });
    expect((await applianceRow('KIOSK-REKEY'))?.status).toBe('approved');
    const code = await h.register('KIOSK-REKEY', 'SZ-FUTIAN');
    expect((await h.enrol(b, code)).json()).toMatchObject({
      status: 'pending',
      keyFingerprint: keyFingerprint(b.publicKeyPem),
    });
    // the old key is out
    expect((await h.signed('GET', '/v1/changes', undefined, a)).json()).toMatchObject({
      code: 'AUTH_BAD_SIGNATURE',
    });
  });
});

describe('approval against the key fingerprint', () => {
  it('the admin list shows the enrolled key fingerprint (SHA-256 of the SPKI DER, grouped) and approve refuses a mismatch', async () => {
    const a = newApplianceKey('KIOSK-FP');
    const enrolled = (await h.enrol(a)).json() as { keyFingerprint: string };
    const der = createPublicKey(a.publicKeyPem).export({ type: 'spki', format: 'der' });
    const hex = createHash('sha256').update(der).digest('hex');
    expect(publicKeySha256(a.publicKeyPem)).toBe(hex);
    expect(enrolled.keyFingerprint).toBe(hex.match(/.{4}/g)!.join(' '));
    expect((await listed('KIOSK-FP'))?.keyFingerprint).toBe(enrolled.keyFingerprint);
    const page = await h.app.inject({ url: '/fleet', headers: { authorization: 'Bearer test-admin-token' } });
    expect(page.body).toContain(`data-fingerprint="${enrolled.keyFingerprint}"`);

    const impostorFp = keyFingerprint(newApplianceKey('X').publicKeyPem);
    const refused = await h.admin('POST', '/admin/v1/appliances/KIOSK-FP/approve', {
      keyFingerprint: impostorFp,
    });
    expect(refused.json()).toMatchObject({ statusCode: 409, code: 'APPLIANCE_FINGERPRINT_MISMATCH' });
    expect((await applianceRow('KIOSK-FP'))?.status).toBe('pending');
    // as read aloud from the kiosk: upper case, colons — the same key
    const typed = hex.toUpperCase().match(/.{2}/g)!.join(':');
    const ok = await h.admin('POST', '/admin/v1/appliances/KIOSK-FP/approve', { keyFingerprint: typed });
    expect(ok.json()).toMatchObject({ status: 'approved' });
    expect((await h.admin('POST', '/admin/v1/appliances/KIOSK-FP/approve', { other: 1 })).statusCode).toBe(
      400,
    );
  });
});

describe('auto-approve is for the loopback demo only', () => {
  it('auto-approve on a non-loopback address refuses to start (one line); loopback listens', async () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'central.example']) {
      const problem = autoApproveProblem(host);
      expect(problem, host).toMatch(
        /^refusing to listen on .* \(not loopback\) with --auto-approve-appliances/,
      );
      expect(problem).not.toContain('\n');
    }
    expect(autoApproveProblem(undefined)).toMatch(/socket path/);
    for (const host of ['127.0.0.1', '::1', 'localhost']) expect(autoApproveProblem(host)).toBeNull();

    const strong = 'a3f1'.repeat(8); // the admin-token rule is not what refuses here
    const app = await buildCentral({
      dataDir: join(dir, 'auto'),
      adminToken: strong,
      autoApproveAppliances: true,
    });
    try {
      await expect(app.listen({ host: '0.0.0.0', port: 0 })).rejects.toThrow(
        /refusing to listen on 0\.0\.0\.0 \(not loopback\) with --auto-approve-appliances/,
      );
      expect(app.server.listening).toBe(false);
      await expect(app.listen({ host: '10.0.0.5', port: 0 })).rejects.toThrow(/auto-approve/);
      expect(app.server.listening).toBe(false);
    } finally {
      await app.close();
    }
    const local = await buildCentral({
      dataDir: join(dir, 'auto-local'),
      adminToken: 'dev',
      autoApproveAppliances: true,
    });
    try {
      await local.listen({ host: '127.0.0.1', port: 0 });
      expect(local.server.listening).toBe(true);
      expect(local.central.autoApproveAppliances()).toBe(true);
    } finally {
      await local.close();
    }
    // without auto-approve, a strong token may listen anywhere
    const open = await buildCentral({ dataDir: join(dir, 'no-auto'), adminToken: strong });
    try {
      await open.listen({ host: '0.0.0.0', port: 0 });
      expect(open.server.listening).toBe(true);
      expect(open.central.autoApproveAppliances()).toBe(false);
    } finally {
      await open.close();
    }
  });

  it('code required unless auto-approve on loopback: with it, a new appliance enrols approved without a code; a wrong code is still refused', async () => {
    const demo = await startHarness({ central: { autoApproveAppliances: true } });
    try {
      expect(demo.app.central.autoApproveAppliances()).toBe(true);
      const k = newApplianceKey('KIOSK-DEMO');
      expect((await demo.enrol(k, null)).json()).toMatchObject({
        applianceId: 'KIOSK-DEMO',
        status: 'approved',
      });
      expect((await demo.signed('GET', '/v1/changes', undefined, k)).statusCode).toBe(200);
      const k2 = newApplianceKey('KIOSK-DEMO-2');
      expect((await demo.enrol(k2, 'WRNG-CODE-WRNG-CODE')).json()).toMatchObject({
        code: 'ENROLMENT_CODE_INVALID',
      });
      // a second key for an enrolled id still needs a fresh code, demo or not
      expect((await demo.enrol(newApplianceKey('KIOSK-DEMO'), null)).json()).toMatchObject({
        code: 'ENROL_KEY_MISMATCH',
      });
    } finally {
      await demo.close();
    }
    // and the same central without auto-approve (this harness) demands the code
    expect(h.app.central.autoApproveAppliances()).toBe(false);
    expect((await h.enrol(newApplianceKey('KIOSK-NOAUTO'), null)).json()).toMatchObject({
      code: 'ENROLMENT_CODE_REQUIRED',
    });
  });
});
