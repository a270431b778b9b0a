// The reconciliation calls through the signed client against a real central on loopback: a kiosk's run sends its own
// records and reads back only its lines, the newest report of a day is read again, and central's refusals (a wrong
// day, a day never run) keep their codes; an answer that does not match the contract is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beijingDay } from '../contract/reconciliation-day.js';
import { CentralClient } from './central-client.js';
import { type LoopbackCentral, refusalOf, startLoopbackCentral } from './loopback-central.js';

let central: LoopbackCentral;
let client: CentralClient;
let other: CentralClient;
beforeAll(async () => {
  central = await startLoopbackCentral();
  client = await central.newClient('KIOSK-REC-001');
  other = await central.newClient('KIOSK-REC-002');
});
afterAll(async () => {
  await central.close();
});

const today = () => beijingDay(Date.now());

describe('CentralClient reconciliation calls', () => {
  it('runs a day with the kiosk’s records and reads the same report back; another kiosk sees none of it', async () => {
    const record = {
      eventId: 'journey-rec-1:certificate.issued:1',
      type: 'certificate.issued' as const,
      orderId: 'ORD-NEVER-ISSUED',
      serialNumber: '7a0b1c2d3e4f',
    };
    const report = await client.runReconciliation(today(), [record]);
    expect(report.run).toMatchObject({ day: today(), trigger: 'appliance', applianceId: 'KIOSK-REC-001' });
    expect(report.lines).toEqual([
      expect.objectContaining({
        kind: 'missing-on-a-side',
        side: 'central',
        subject: 'certificate',
        certificateSerial: '7a0b1c2d3e4f',
        applianceId: 'KIOSK-REC-001',
      }),
    ]);
    expect(await client.reconciliation(today())).toEqual(report);

    const theirs = await other.runReconciliation(today());
    expect(theirs.lines).toEqual([]);
  });

  it('keeps central’s codes: a wrong day is refused (400), a day never run is not found (404)', async () => {
    for (const day of ['2026-02-30', 'yesterday', '2999-01-01']) {
      expect((await refusalOf(client.runReconciliation(day))).details).toMatchObject({
        status: 400,
        centralCode: 'RECONCILIATION_DAY_INVALID',
      });
    }
    expect((await refusalOf(client.reconciliation('2020-01-01'))).details).toMatchObject({
      status: 404,
      centralCode: 'RECONCILIATION_NOT_FOUND',
    });
  });

  it('refuses an answer that is not a report (CENTRAL_BAD_RESPONSE)', async () => {
    const liar = new CentralClient({
      baseUrl: 'http://127.0.0.1:9',
      applianceId: 'KIOSK-REC-001',
      signer: async () => Buffer.alloc(0),
      sessions: false, // the fake answers every request with the report, a session opening too
      fetch: async () =>
        new Response(JSON.stringify({ run: { day: today() }, lines: 'none' }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
    });
    expect((await refusalOf(liar.reconciliation(today()))).code).toBe('CENTRAL_BAD_RESPONSE');
  });
});
