// "Call staff" and reference numbers over HTTP: the API listening on 127.0.0.1 with a fake engine and a real
// staff store. An applicant's call stays open (one per session) until a member of staff acknowledges it; a
// journey's reference number shown on an error screen finds it again, masked.
import { HeartbeatRequestSchema } from '@certkiosk/sync';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import type { JourneyRecord } from '../journey/record.js';
import { StaffCalls, staffCallAlarms } from '../staff/calls.js';
import { createApplianceClient } from './client.js';
import { journeyRef, normaliseJourneyRef } from './journey-ref.js';
import { signIn, startTestApi, TEST_STAFF, type TestApi } from './testing-fakes.js';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function start(opts: Parameters<typeof startTestApi>[0] = {}) {
  api = await startTestApi(opts);
  return { api, c: createApplianceClient(api.url) };
}

const OPERATOR = TEST_STAFF.operator;

describe('call staff', () => {
  it('a press raises one open call; pressing again answers the same ref and raises nothing more', async () => {
    const { api, c } = await start();
    await c.startJourney();
    const scanned = await c.scan({ body: { code: 'CK1-DEMO' } });
    if (!scanned.ok) throw new Error('scan refused');
    const before = scanned.data;

    const first = await c.callStaff();
    if (!first.ok) throw new Error(`help refused: ${first.error.code}`);
    expect(first.data.ref).toMatch(/^H[0-9A-F]{6}$/);
    expect(first.data.journeyRef).toBe(before.ref);
    expect(Date.parse(first.data.at)).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      expect(await c.callStaff()).toMatchObject({
        ok: true,
        data: { ref: first.data.ref, at: first.data.at },
      });
    }

    // One audit record, by the applicant, with masked facts only.
    const called = api.audit.filter((a) => a.action === 'staff.called');
    expect(called).toEqual([
      {
        actor: 'applicant',
        action: 'staff.called',
        details: {
          callId: first.data.ref,
          at: first.data.at,
          journeyRef: before.ref,
          step: 'order-verified',
          status: 'active',
          need: 'confirm-order',
        },
      },
    ]);
    // The journey is neither ended nor changed.
    expect(api.engine.calls).toEqual(['start', 'scan:CK1-DEMO']);
    const state = await c.state();
    expect(state.ok && state.data.journey).toMatchObject({
      id: before.id,
      revision: before.revision,
      need: 'confirm-order',
    });
  });

  it('the open call is in the staff overview; staff acknowledge it (audited with their id) and it is gone', async () => {
    const { api, c } = await start();
    await c.startJourney();
    const call = await c.callStaff();
    if (!call.ok) throw new Error('help refused');
    const token = await signIn(c, OPERATOR);

    const overview = await c.staffOverview({ token });
    expect(overview.ok && overview.data.staffCalls).toEqual([
      {
        id: call.data.ref,
        at: call.data.at,
        presses: 1,
        journeyRef: call.data.journeyRef,
        step: 'scanned',
        status: 'active',
        need: 'scan',
      },
    ]);

    const ack = await c.ackStaffCall({ params: { id: call.data.ref }, token });
    expect(ack).toMatchObject({
      ok: true,
      data: { id: call.data.ref, acknowledgedBy: OPERATOR.staffId, journeyRef: call.data.journeyRef },
    });
    expect(api.audit.filter((a) => a.action === 'staff.call.ack')).toEqual([
      {
        actor: `staff:${OPERATOR.staffId}`,
        action: 'staff.call.ack',
        details: {
          callId: call.data.ref,
          raisedAt: call.data.at,
          presses: 1,
          journeyRef: call.data.journeyRef,
        },
      },
    ]);
    const after = await c.staffOverview({ token });
    expect(after.ok && after.data.staffCalls).toEqual([]);
    // Acknowledged once: a second acknowledgement finds nothing.
    expect(await c.ackStaffCall({ params: { id: call.data.ref }, token })).toMatchObject({
      ok: false,
      status: 404,
      error: { code: 'STAFF_CALL_UNKNOWN' },
    });
    // The applicant presses again after staff handled it: a new call.
    const again = await c.callStaff();
    expect(again.ok && again.data.ref).not.toBe(call.data.ref);
    expect(api.audit.filter((a) => a.action === 'staff.called')).toHaveLength(2);
  });

  it('an applicant cannot acknowledge a call (401), and the call stays open', async () => {
    const { api, c } = await start();
    const call = await c.callStaff();
    if (!call.ok) throw new Error('help refused');
    expect(call.data.journeyRef).toBeUndefined();
    const raw = await fetch(`${api.url}/api/staff/calls/${call.data.ref}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(raw.status).toBe(401);
    expect(await c.ackStaffCall({ params: { id: call.data.ref }, token: 'forged' })).toMatchObject({
      ok: false,
      status: 401,
      error: { code: 'STAFF_AUTH_REQUIRED' },
    });
    const token = await signIn(c, OPERATOR);
    const overview = await c.staffOverview({ token });
    expect(overview.ok && overview.data.staffCalls?.map((x) => x.id)).toEqual([call.data.ref]);
    expect(api.audit.filter((a) => a.action === 'staff.call.ack')).toEqual([]);
  });

  it('a call without a journey and one with a journey are separate sessions', async () => {
    const { c } = await start();
    const none = await c.callStaff();
    await c.startJourney();
    const withJourney = await c.callStaff();
    expect(none.ok && withJourney.ok).toBe(true);
    if (!none.ok || !withJourney.ok) return;
    expect(withJourney.data.ref).not.toBe(none.data.ref);
    expect(none.data.journeyRef).toBeUndefined();
    expect(withJourney.data.journeyRef).toMatch(/^K[0-9A-F]{6}$/);
  });
});

describe('reference numbers', () => {
  it('every journey view carries its short reference; staff look it up, typed loosely', async () => {
    const { api, c } = await start();
    const started = await c.startJourney();
    if (!started.ok) throw new Error('start refused');
    expect(started.data.ref).toBe(journeyRef(started.data.id));
    expect(started.data.ref).toMatch(/^K[0-9A-F]{6}$/);
    await c.scan({ body: { code: 'CK1-DEMO' } });
    const token = await signIn(c, OPERATOR);

    for (const typed of [
      started.data.ref,
      started.data.ref.toLowerCase(),
      ` ${started.data.ref.slice(1)} `,
    ]) {
      const found = await c.lookupJourney({ params: { ref: typed }, token });
      expect(found, typed).toMatchObject({
        ok: true,
        data: {
          ref: started.data.ref,
          id: started.data.id,
          status: 'active',
          step: 'order-verified',
          need: 'confirm-order',
          active: true,
          orderId: 'ORD-1',
          nameMasked: '张*',
        },
      });
    }
    expect(api.audit.filter((a) => a.action === 'journey.lookup').at(-1)).toEqual({
      actor: `staff:${OPERATOR.staffId}`,
      action: 'journey.lookup',
      details: { ref: started.data.ref, found: true },
    });
  });

  it('an unknown ref is 404 JOURNEY_REF_UNKNOWN; an applicant cannot look one up', async () => {
    const { c } = await start();
    const started = await c.startJourney();
    if (!started.ok) throw new Error('start refused');
    const token = await signIn(c, OPERATOR);
    const other = started.data.ref === 'K000000' ? 'K111111' : 'K000000';
    for (const ref of [other, 'nonsense-ref']) {
      expect(await c.lookupJourney({ params: { ref }, token }), ref).toMatchObject({
        ok: false,
        status: 404,
        error: { code: 'JOURNEY_REF_UNKNOWN' },
      });
    }
    const raw = await fetch(`${api!.url}/api/staff/journeys/${started.data.ref}`);
    expect(raw.status).toBe(401);
  });

  it('the lookup of an ended journey says why it ended, masked: no full name, no ID number, no hash', async () => {
    const { api, c } = await start();
    const id = '7c41d9e0-5b2a-4f3e-9d11-0a8b6c2e4f13';
    const idNumber = '440301199001011238';
    api.engine.records.push({
      id,
      kind: 'pickup',
      step: 'token-ready',
      status: 'failed',
      awaiting: 'none',
      attempt: 1,
      startedAt: '2025-03-03T08:00:00.000Z',
      updatedAt: '2025-03-03T08:05:00.000Z',
      order: {
        orderId: 'ORD-2025-000123',
        certificateType: 'natural-person',
        businessType: 'new',
        serviceYears: 1,
        identitySalt: 'c2FsdC1vZi10aGUtb3JkZXI=',
        holder: {
          nameMasked: '张*',
          nameHmac: 'aG1hYy1vZi10aGUtbmFtZQ==',
          idNumberHmac: 'aG1hYy1vZi10aGUtaWQ=',
        },
        holderVerifiedOnline: true,
      },
      identity: {
        attempts: 1,
        role: 'holder',
        nameMasked: '张*',
        idNumberMasked: '4403**********1238',
        idNumberHash: 'deadbeefcafe0123456789',
      },
      // The certificate's subject names the holder in full (an issued journey keeps it until it is closed).
      certificate: {
        serialNumber: '5A3C910E',
        pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        chainPem: [],
        notBefore: '2025-03-03T08:04:00.000Z',
        notAfter: '2027-03-03T08:04:00.000Z',
        subjectCommonName: '张伟',
        publicKeySha256: 'ab'.repeat(32),
      },
      error: { code: 'CENTRAL_REFUSED', message: 'refused', action: 'call-staff', retryable: false },
      note: `write failed after issuance for ${idNumber}`,
    } as unknown as JourneyRecord);
    const token = await signIn(c, OPERATOR);
    const found = await c.lookupJourney({ params: { ref: journeyRef(id) }, token });
    if (!found.ok) throw new Error(`lookup refused: ${found.error.code}`);
    expect(found.data).toMatchObject({
      ref: 'K7C41D9',
      status: 'failed',
      step: 'token-ready',
      need: 'none',
      active: false,
      errorCode: 'CENTRAL_REFUSED',
      orderId: 'ORD-2025-000123',
      nameMasked: '张*',
      updatedAt: '2025-03-03T08:05:00.000Z',
    });
    expect(Object.keys(found.data).sort()).toEqual(
      [
        'ref',
        'id',
        'status',
        'step',
        'need',
        'active',
        'errorCode',
        'note',
        'orderId',
        'nameMasked',
        'startedAt',
        'updatedAt',
      ].sort(),
    );
    const text = JSON.stringify(found.data);
    expect(found.data.note).toContain('4403**********1238');
    for (const secret of [
      idNumber,
      '张伟',
      'BEGIN CERTIFICATE',
      'deadbeefcafe',
      'c2FsdC1vZi10aGUtb3JkZXI=',
      'aG1hYy1vZi10aGUt',
      'Hmac',
      'Hash',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('normalises what staff type', () => {
    expect(normaliseJourneyRef('k3f9a2c')).toBe('K3F9A2C');
    expect(normaliseJourneyRef(' 3F9 A2C ')).toBe('K3F9A2C');
    expect(normaliseJourneyRef('K3F9-A2C')).toBe('K3F9A2C');
    expect(normaliseJourneyRef('K3F9A2')).toBe('KK3F9A2');
    expect(normaliseJourneyRef('')).toBeNull();
    expect(normaliseJourneyRef('K3F9A2C9')).toBeNull();
    expect(normaliseJourneyRef('%%%%%%')).toBeNull();
    expect(journeyRef('3f9a2c71-0b7e-4c55-8f0a-51d8e2a7c6b4')).toBe('K3F9A2C');
  });
});

describe('heartbeat alarms of open calls', () => {
  const alarmsSchema = (HeartbeatRequestSchema as { properties: { alarms: object } }).properties.alarms;
  const validate = new Ajv({ strict: false, validateFormats: false }).compile(alarmsSchema);

  it('each open call is a staff-call alarm: subject the journey reference or "no journey"; acknowledged ones are gone', () => {
    let t = Date.parse('2025-03-03T08:00:00.000Z');
    const calls = new StaffCalls({
      now: () => {
        t += 1000;
        return new Date(t);
      },
    });
    const a = calls.raise({ journeyId: 'j-1', journeyRef: 'K3F9A2C', step: 'scanned', need: 'scan' }).call;
    const b = calls.raise({}).call;
    expect(calls.raise({ journeyId: 'j-1', journeyRef: 'K3F9A2C' })).toMatchObject({
      raised: false,
      call: { id: a.id, presses: 2 },
    });
    const alarms = staffCallAlarms(calls.open());
    expect(alarms).toEqual([
      { kind: 'staff-call', subject: 'K3F9A2C', since: '2025-03-03T08:00:01.000Z' },
      { kind: 'staff-call', subject: 'no journey', since: '2025-03-03T08:00:02.000Z' },
    ]);
    // What central's heartbeat contract accepts.
    expect(validate(alarms), JSON.stringify(validate.errors)).toBe(true);
    calls.acknowledge(b.id, 'S002');
    expect(staffCallAlarms(calls.open()).map((x) => x.subject)).toEqual(['K3F9A2C']);
    calls.acknowledge(a.id.toLowerCase(), 'S001');
    expect(staffCallAlarms(calls.open())).toEqual([]);
  });

  it('open calls are bounded: beyond the limit a press counts on the newest call', () => {
    const calls = new StaffCalls({ maxOpen: 2 });
    const one = calls.raise({ journeyId: '1' }).call;
    const two = calls.raise({ journeyId: '2' }).call;
    const three = calls.raise({ journeyId: '3' });
    expect(three).toMatchObject({ raised: false, call: { id: two.id, presses: 2 } });
    expect(calls.open().map((c) => c.id)).toEqual([one.id, two.id]);
    expect(staffCallAlarms(calls.open(), 1)).toHaveLength(1);
  });
});
