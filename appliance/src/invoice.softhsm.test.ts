// The invoice of the order just collected, end to end: a real pickup on the sim kiosk (SoftHSM keys, emulated
// devices), a real central behind a proxy that logs every call. On the done screen a wrong credit code is refused
// by the kiosk before central is asked; the right one reaches central's invoice_requests; a second request (a
// person's, made out to 个人) replaces it until an operator issues the invoice, whose link the kiosk then shows;
// after that central's refusal comes back as INVOICE_NOT_AVAILABLE. The kiosk's disk keeps none of it, and once
// the done screen is left there is no order to ask about.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centralStore, expectStoreHoldsNone } from './testing/central-rows.js';
import { HOLDER_PIN } from './testing/daemon-child.js';
import { type SimKiosk, startSimKiosk } from './testing/sim-kiosk.js';

let k: SimKiosk;
beforeAll(async () => {
  k = await startSimKiosk('invoice', { faultProxy: true });
}, 60_000);
afterAll(async () => {
  await k?.stop();
});

const TENCENT = { organisationName: '深圳市腾讯计算机系统有限公司', creditCode: '91440300708461136T' };
const ORG_EMAIL = 'finance.invoice@example.cn';
const PERSON_EMAIL = 'zhang.wei.invoice@example.cn';

interface RequestRow {
  title: string;
  tax_id: string | null;
  email: string;
  requested_at: string;
  updated_at: string;
}
const requestRow = (orderId: string) =>
  centralStore(k.central).get<RequestRow>('SELECT * FROM invoice_requests WHERE order_id = ?', orderId);
/** The calls the kiosk made about this order's invoice, as the proxy in front of central saw them. */
const invoiceCalls = (orderId: string) =>
  k.proxy!.log.filter((l) => l.includes(`/v1/orders/${orderId}/invoice`));

describe('the done screen’s invoice', () => {
  it('checks before asking, records at central, replaces until issued, then shows the link', async () => {
    const { central, daemon, api } = k;
    const { orderId, pickupCode } = await central.createApprovedOrder();
    await daemon.sim.scan(pickupCode);
    await api.until((j) => j?.need === 'confirm-order');
    // Before the pickup is done there is nothing to invoice yet.
    const early = await api.api.requestInvoice({
      body: { title: 'organisation', ...TENCENT, email: ORG_EMAIL },
    });
    expect(early).toMatchObject({ ok: false, error: { code: 'WRONG_STEP' } });
    await api.call('POST', '/api/journeys/current/confirm', {});
    await daemon.sim.placeCard('han-zhang-wei');
    await api.until((j) => j?.need === 'token');
    daemon.sim.insertBlankKey();
    await api.until((j) => j?.need === 'pin', 30_000);
    const done = await api.call('POST', '/api/journeys/current/pin', { pin: HOLDER_PIN });
    expect(done.body).toMatchObject({ status: 'completed', need: 'take-items' });

    // A wrong check character: its own code, and not a call to central.
    const wrong = await api.api.requestInvoice({
      body: { title: 'organisation', ...TENCENT, creditCode: '91440300708461136X', email: ORG_EMAIL },
    });
    expect(wrong).toMatchObject({ ok: false, status: 400, error: { code: 'USCC_CHECK_MISMATCH' } });
    const noAddress = await api.api.requestInvoice({
      body: { title: 'organisation', ...TENCENT, email: 'finance@' },
    });
    expect(noAddress).toMatchObject({ ok: false, status: 400, error: { code: 'INVOICE_EMAIL_INVALID' } });
    expect(invoiceCalls(orderId)).toEqual([]);
    expect(await requestRow(orderId)).toBeUndefined();

    // None asked for yet; then the organisation's request, the code as typed with spaces.
    expect(await api.api.invoice()).toEqual({ ok: true, status: 200, data: { state: 'none' } });
    const org = await api.api.requestInvoice({
      body: {
        title: 'organisation',
        organisationName: TENCENT.organisationName,
        creditCode: '9144 0300 7084 6113 6T',
        email: ORG_EMAIL,
      },
    });
    expect(org).toMatchObject({
      ok: true,
      data: { state: 'requested', title: 'organisation', organisationName: TENCENT.organisationName },
    });
    const first = await requestRow(orderId);
    expect(first).toMatchObject({
      title: TENCENT.organisationName,
      tax_id: TENCENT.creditCode,
      email: ORG_EMAIL,
    });

    // A person's request replaces it (the same request, its details changed), made out to 个人.
    const person = await api.api.requestInvoice({ body: { title: 'person', email: PERSON_EMAIL } });
    expect(person).toMatchObject({ ok: true, data: { state: 'requested', title: 'person' } });
    const second = await requestRow(orderId);
    expect(second).toMatchObject({ title: '个人', tax_id: null, email: PERSON_EMAIL });
    expect(second?.requested_at).toBe(first?.requested_at);
    expect(await api.api.invoice()).toMatchObject({
      ok: true,
      data: { state: 'requested', title: 'person' },
    });

    // The kiosk's report makes the certificate activated; finance issues the invoice.
    await daemon.agent.drain(15_000);
    const issuedAtCentral = (await central.admin('POST', `/admin/v1/orders/${orderId}/invoice`)) as {
      number: string;
      url: string;
      email: string;
    };
    expect(issuedAtCentral.email).toBe(PERSON_EMAIL);
    const issued = await api.api.invoice();
    expect(issued).toMatchObject({
      ok: true,
      data: { state: 'issued', title: 'person', number: issuedAtCentral.number, url: issuedAtCentral.url },
    });
    expect(issued.ok && issued.data.state === 'issued' && issued.data.amountFen).toBeGreaterThan(0);
    const pdf = await fetch(issuedAtCentral.url);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');

    // An invoiced order takes no further request: central's refusal, in the kiosk's words.
    const late = await api.api.requestInvoice({ body: { title: 'person', email: PERSON_EMAIL } });
    expect(late).toMatchObject({ ok: false, status: 409, error: { code: 'INVOICE_NOT_AVAILABLE' } });
    expect((await requestRow(orderId))?.email).toBe(PERSON_EMAIL);

    // Nothing typed was kept on the kiosk's disk.
    expectStoreHoldsNone(join(k.dir, 'store'), [
      ORG_EMAIL,
      PERSON_EMAIL,
      TENCENT.creditCode,
      TENCENT.organisationName,
      issuedAtCentral.url,
    ]);

    // The done screen left: no order to ask about any more.
    daemon.sim.pullKeys();
    await api.call('DELETE', '/api/journeys/current', {});
    expect(await api.api.invoice()).toMatchObject({ ok: false, error: { code: 'NO_ACTIVE_JOURNEY' } });
  }, 90_000);
});
