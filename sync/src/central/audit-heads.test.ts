// Audit anchoring: heartbeats carry the appliance audit log's head, signed by the appliance key. Central
// alarms when the head goes back (truncation) or a seq comes back with another hash (fork), and refuses (and
// alarms on) a head whose signature does not verify. Each test is named after the attack it catches.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditHeadBytes, signAuditHead } from '../contract/identity.js';
import { createKeySigner } from '../contract/request-signing.js';
import type { AdminAppliance, Alarm, AlarmListResponse, AuditHead } from '../contract/schemas.js';
import { type Harness, newApplianceKey, startHarness, type TestAppliance } from './testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const hashOf = (s: string) => createHash('sha256').update(s).digest('hex');

async function kiosk(id: string): Promise<TestAppliance> {
  const a = newApplianceKey(id);
  await h.enrol(a);
  await h.admin('POST', `/admin/v1/appliances/${id}/approve`);
  return a;
}

const head = (a: TestAppliance, seq: number, hash = hashOf(`record-${seq}`), signer = a) =>
  signAuditHead(
    { applianceId: a.id, seq, hash, at: new Date(h.clock.ms).toISOString() },
    createKeySigner(signer.privateKey),
  );

const beat = (a: TestAppliance, auditHead?: AuditHead) =>
  h.signed(
    'POST',
    '/v1/heartbeat',
    {
      softwareVersion: '0.9.0',
      devices: [],
      consumables: { paper: 'ok' },
      queueDepth: 0,
      parkedEvents: 0,
      ...(auditHead ? { auditHead } : {}),
    },
    a,
  );

const alarmsOf = async (id: string): Promise<Alarm[]> =>
  ((await h.admin('GET', `/admin/v1/alarms?applianceId=${id}`)).json() as AlarmListResponse).alarms;
const adminView = async (id: string) =>
  ((await h.admin('GET', '/admin/v1/appliances')).json() as { appliances: AdminAppliance[] }).appliances.find(
    (x) => x.applianceId === id,
  )!;
const fleet = async () =>
  (await h.app.inject({ url: '/fleet', headers: { authorization: 'Bearer test-admin-token' } })).body;

describe('audit heads in heartbeats', () => {
  it('a head moving forward is stored and raises nothing; the admin view shows it', async () => {
    const a = await kiosk('KIOSK-AUDIT-OK');
    for (const seq of [1, 5, 5, 9]) expect((await beat(a, await head(a, seq))).statusCode).toBe(200);
    expect((await beat(a)).statusCode).toBe(200); // a heartbeat without a head is fine too
    expect(await alarmsOf(a.id)).toEqual([]);
    const view = await adminView(a.id);
    expect(view.alarms).toEqual([]);
    await beat(a, await head(a, 10));
    expect((await adminView(a.id)).auditHead).toMatchObject({ seq: 10, hash: hashOf('record-10') });
  });

  it('an audit head going backwards raises a truncation alarm, visible in the alarm list, the admin view and the fleet page', async () => {
    const a = await kiosk('KIOSK-AUDIT-CUT');
    await beat(a, await head(a, 40));
    const r = await beat(a, await head(a, 12)); // the tail after record 12 was cut off
    expect(r.statusCode).toBe(200); // the kiosk is not silenced: central keeps hearing it
    const alarms = await alarmsOf(a.id);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      kind: 'audit-truncated',
      applianceId: a.id,
      details: { highestSeq: 40, seq: 12 },
      occurrences: 1,
    });
    expect((await adminView(a.id)).alarms.map((x) => x.kind)).toEqual(['audit-truncated']);
    const page = await fleet();
    expect(page).toMatch(new RegExp(`data-appliance="${a.id}"[\\s\\S]*?class="bad" data-alarms="1">`));
    expect(page).toContain('audit-truncated');
    expect(page).toMatch(/data-open-alarms="\d+"/);
    // while it stays open, repeats are counted on the same alarm
    await beat(a, await head(a, 13));
    expect((await alarmsOf(a.id))[0]).toMatchObject({ occurrences: 2 });
    // acknowledged: the current head becomes the baseline; going on from there raises nothing
    const ack = await h.admin('POST', `/admin/v1/alarms/${alarms[0]!.id}/acknowledge`);
    expect(ack.json()).toMatchObject({ acknowledgedAt: expect.any(String) });
    await beat(a, await head(a, 14));
    expect(await alarmsOf(a.id)).toEqual([]);
    const all = (
      (await h.admin('GET', `/admin/v1/alarms?applianceId=${a.id}&all=true`)).json() as AlarmListResponse
    ).alarms;
    expect(all).toHaveLength(1);
  });

  it('a head with the same seq but a different hash raises a fork alarm', async () => {
    const a = await kiosk('KIOSK-AUDIT-FORK');
    await beat(a, await head(a, 7, hashOf('original-7')));
    await beat(a, await head(a, 7, hashOf('rewritten-7')));
    const alarms = await alarmsOf(a.id);
    expect(alarms.map((x) => x.kind)).toEqual(['audit-forked']);
    expect(alarms[0]!.details).toMatchObject({
      seq: 7,
      seenHash: hashOf('original-7'),
      newHash: hashOf('rewritten-7'),
    });
    expect(await fleet()).toContain('audit-forked');
  });

  it('a head with a bad signature is refused (AUDIT_HEAD_BAD_SIGNATURE) and alarmed; the heartbeat is not recorded', async () => {
    const a = await kiosk('KIOSK-AUDIT-SIG');
    await beat(a, await head(a, 3));
    const recorded = (await h.app.central.appliances.row(a.id))?.heartbeat_json;
    // signed by another key (a copied-off log replayed from elsewhere) …
    const forged = await head(a, 30, hashOf('x'), newApplianceKey('ELSEWHERE'));
    const r = await beat(a, forged);
    expect(r.json()).toMatchObject({ statusCode: 400, code: 'AUDIT_HEAD_BAD_SIGNATURE' });
    expect((await h.app.central.appliances.row(a.id))?.heartbeat_json).toBe(recorded);
    // … or a genuine signature over other values
    const genuine = await head(a, 4);
    expect((await beat(a, { ...genuine, seq: 400 })).json()).toMatchObject({
      code: 'AUDIT_HEAD_BAD_SIGNATURE',
    });
    expect((await beat(a, { ...genuine, signature: 'AAAA' })).json()).toMatchObject({
      code: 'AUDIT_HEAD_BAD_SIGNATURE',
    });
    const alarms = await alarmsOf(a.id);
    expect(alarms.map((x) => x.kind)).toEqual(['audit-bad-signature']);
    expect(alarms[0]!.occurrences).toBe(3);
    // a refused head does not count as seen: the genuine one is accepted and raises nothing else
    expect((await beat(a, genuine)).statusCode).toBe(200);
    expect((await alarmsOf(a.id)).map((x) => x.kind)).toEqual(['audit-bad-signature']);
  });

  it('the head already kept, sent again byte for byte, is renewed without a new check; any byte changed is checked again', async () => {
    const a = await kiosk('KIOSK-AUDIT-SAME');
    const kept = await head(a, 12);
    expect((await beat(a, kept)).statusCode).toBe(200);
    h.clock.ms += 30_000;
    expect((await beat(a, kept)).statusCode).toBe(200);
    const row = await h.app.central.db.get<{ received_at: string; n: number }>(
      'SELECT MAX(received_at) AS received_at, COUNT(*) AS n FROM audit_heads WHERE appliance_id = ?',
      a.id,
    );
    expect(row).toEqual({ received_at: new Date(h.clock.ms).toISOString(), n: 1 });
    // The kept seq and hash with a signature that is not the kept one, or another time under the kept signature:
    // not the kept head, so checked, refused and alarmed.
    const other = await head(a, 13);
    for (const tampered of [
      { ...kept, signature: other.signature },
      { ...kept, at: new Date(h.clock.ms).toISOString() },
    ]) {
      expect((await beat(a, tampered)).json()).toMatchObject({ code: 'AUDIT_HEAD_BAD_SIGNATURE' });
    }
    expect((await alarmsOf(a.id)).map((x) => x.kind)).toEqual(['audit-bad-signature']);
  });

  it('heads arriving at once (one statement for all of them on PostgreSQL): each kiosk is judged on its own', async () => {
    const kiosks = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => kiosk(`KIOSK-AUDIT-AT-ONCE-${n}`)));
    const [steady, forking, cutting, forging, moving, quiet] = kiosks as TestAppliance[] as [
      TestAppliance,
      TestAppliance,
      TestAppliance,
      TestAppliance,
      TestAppliance,
      TestAppliance,
    ];
    const kept = await Promise.all(kiosks.map((k) => head(k, 20)));
    for (const [i, k] of kiosks.entries()) expect((await beat(k, kept[i])).statusCode).toBe(200);
    const heartbeatAt = async (k: TestAppliance) =>
      (await h.app.central.appliances.row(k.id))?.last_heartbeat_at;
    const before = await heartbeatAt(forging);
    h.clock.ms += 30_000;
    const answers = await Promise.all([
      beat(steady, kept[0]),
      beat(steady, kept[0]),
      beat(forking, kept[1]),
      beat(forking, await head(forking, 20, hashOf('another record 20'))),
      beat(cutting, await head(cutting, 7)),
      beat(forging, await head(forging, 21, hashOf('x'), newApplianceKey('ELSEWHERE'))),
      beat(moving, await head(moving, 25)),
      beat(quiet, kept[5]),
    ]);
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 400, 200, 200]);
    expect(answers[5]!.json()).toMatchObject({ code: 'AUDIT_HEAD_BAD_SIGNATURE' });
    for (const k of [steady, moving, quiet]) expect(await alarmsOf(k.id)).toEqual([]);
    expect((await alarmsOf(forking.id)).map((x) => x.kind)).toEqual(['audit-forked']);
    expect((await alarmsOf(cutting.id)).map((x) => x.kind)).toEqual(['audit-truncated']);
    expect((await alarmsOf(forging.id)).map((x) => x.kind)).toEqual(['audit-bad-signature']);
    // Every heartbeat accepted is kept; the refused one is not.
    const now = new Date(h.clock.ms).toISOString();
    for (const k of [steady, forking, cutting, moving, quiet]) expect(await heartbeatAt(k)).toBe(now);
    expect(await heartbeatAt(forging)).toBe(before);
    const headsOf = (k: TestAppliance) =>
      h.app.central.db.all<{ seq: number; received_at: string }>(
        'SELECT seq, received_at FROM audit_heads WHERE appliance_id = ? ORDER BY seq',
        k.id,
      );
    // The repeated heads are renewed, the new one kept beside the old, the forged one not kept.
    for (const k of [steady, quiet]) expect(await headsOf(k)).toEqual([{ seq: 20, received_at: now }]);
    expect((await headsOf(moving)).map((x) => x.seq)).toEqual([20, 25]);
    expect((await headsOf(forging)).map((x) => x.seq)).toEqual([20]);
  });

  it('the signed bytes are canonical JSON of {applianceId, seq, hash, at}, bound to the appliance id', async () => {
    const at = '2026-03-01T08:00:00.000Z';
    expect(auditHeadBytes({ seq: 3, at, hash: 'ab', applianceId: 'K1' }).toString('utf8')).toBe(
      `{"applianceId":"K1","at":"${at}","hash":"ab","seq":3}`,
    );
    // another kiosk's genuinely signed head, sent as its own by this kiosk: refused
    const a = await kiosk('KIOSK-AUDIT-BIND-A');
    const b = await kiosk('KIOSK-AUDIT-BIND-B');
    const fromB = await head(b, 5);
    expect((await beat(a, fromB)).json()).toMatchObject({ code: 'AUDIT_HEAD_BAD_SIGNATURE' });
  });

  it('refuses a malformed head by the contract', async () => {
    const a = await kiosk('KIOSK-AUDIT-SHAPE');
    const good = await head(a, 1);
    for (const bad of [
      { ...good, seq: -1 },
      { ...good, hash: 'XYZ' },
      { ...good, at: 'now' },
      { ...good, extra: 1 },
    ]) {
      expect((await beat(a, bad as AuditHead)).statusCode, JSON.stringify(bad)).toBe(400);
    }
  });
});

describe('alarms the appliance reports', () => {
  it('a staff lockout in the heartbeat is an open alarm at central, counted while it repeats', async () => {
    const a = await kiosk('KIOSK-STAFF-LOCK');
    const body = {
      softwareVersion: '0.9.0',
      devices: [],
      consumables: { paper: 'ok' },
      queueDepth: 0,
      parkedEvents: 0,
      alarms: [{ kind: 'staff-lockout', subject: 'S002', since: new Date(h.clock.ms).toISOString() }],
    };
    expect((await h.signed('POST', '/v1/heartbeat', body, a)).statusCode).toBe(200);
    expect((await h.signed('POST', '/v1/heartbeat', body, a)).statusCode).toBe(200);
    const alarms = await alarmsOf(a.id);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ kind: 'staff-lockout', details: { subject: 'S002' }, occurrences: 2 });
    const unknown = { ...body, alarms: [{ kind: 'made-up', since: body.alarms[0]!.since }] };
    expect((await h.signed('POST', '/v1/heartbeat', unknown, a)).statusCode).toBe(400);
  });

  it("an applicant's open call for staff in the heartbeat is an open alarm at central, with the journey reference", async () => {
    const a = await kiosk('KIOSK-STAFF-CALL');
    const body = {
      softwareVersion: '0.9.0',
      devices: [],
      consumables: { paper: 'ok' },
      queueDepth: 0,
      parkedEvents: 0,
      alarms: [{ kind: 'staff-call', subject: 'K3F9A2C', since: new Date(h.clock.ms).toISOString() }],
    };
    expect((await h.signed('POST', '/v1/heartbeat', body, a)).statusCode).toBe(200);
    expect((await h.signed('POST', '/v1/heartbeat', body, a)).statusCode).toBe(200);
    const alarms = await alarmsOf(a.id);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ kind: 'staff-call', details: { subject: 'K3F9A2C' }, occurrences: 2 });
  });
});
