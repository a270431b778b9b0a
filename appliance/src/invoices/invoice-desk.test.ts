// The done screen's invoice over HTTP: the API listening on 127.0.0.1 with a fake engine and a recording central.
// Only a completed pickup still on screen may ask, for its own order; each typing slip gets its own code and
// nothing reaches central; a person's invoice is made out to 个人; central's answers and refusals come back in the
// appliance's terms.
import { CentralClientError, type InvoiceRequestBody, type InvoiceState } from '@certkiosk/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApplianceClient, createApplianceClient } from '../api/client.js';
import type { InvoiceRequestInput } from '../api/contract.js';
import { startTestApi, type TestApi } from '../api/testing-fakes.js';
import type { InvoiceSlipReprint } from '../journey/record.js';
import { type InvoiceCentralPort, InvoiceDesk } from './invoice-desk.js';

/** The fake engine's order (its scan always finds it). */
const ORDER_ID = 'ORD-1';
const TENCENT = { organisationName: '深圳市腾讯计算机系统有限公司', creditCode: '91440300708461136T' };
const AT = '2026-03-02T08:00:00.000Z';

/** A central that records what it was asked and answers as told (by default: requested, or none yet). */
function recordingCentral() {
  const asked: Array<{ call: 'request' | 'read'; orderId: string; body?: InvoiceRequestBody }> = [];
  let next: Error | null = null;
  let state: InvoiceState | null = null;
  const port: InvoiceCentralPort = {
    async requestInvoice(orderId, body) {
      asked.push({ call: 'request', orderId, body });
      if (next) throw next;
      state = {
        state: 'requested',
        orderId,
        titleType: body.titleType,
        title: body.titleType === 'person' ? '个*' : body.title,
        requestedAt: AT,
      };
      return state;
    },
    async invoice(orderId) {
      asked.push({ call: 'read', orderId });
      if (next) throw next;
      if (!state)
        throw new CentralClientError('CENTRAL_REFUSED', 'none', {
          status: 404,
          centralCode: 'INVOICE_NOT_REQUESTED',
        });
      return state;
    },
  };
  return {
    port,
    asked,
    /** Central refuses with this code (or is down) from now on; null: answers again. */
    refuse(centralCode: string | 'down' | null, status = 409) {
      next =
        centralCode === null
          ? null
          : centralCode === 'down'
            ? new CentralClientError('CENTRAL_UNAVAILABLE', 'down')
            : new CentralClientError('CENTRAL_REFUSED', `refused: ${centralCode}`, { status, centralCode });
    },
    issue() {
      if (state?.state !== 'requested') throw new Error('nothing requested');
      state = {
        ...state,
        state: 'issued',
        number: '2026-000042',
        amountFen: 10_000,
        issuedAt: AT,
        url: 'http://central.test/v1/invoices/2026-000042/tok.pdf',
      };
    },
  };
}

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function start(): Promise<{ c: ApplianceClient; central: ReturnType<typeof recordingCentral> }> {
  const central = recordingCentral();
  api = await startTestApi({ invoices: new InvoiceDesk(central.port) });
  return { c: createApplianceClient(api.url), central };
}

/** The fake engine's pickup from start to its done screen. */
async function toDoneScreen(c: ApplianceClient): Promise<void> {
  await c.startJourney();
  await c.scan({ body: { code: 'CK1-DEMO' } });
  await c.confirm();
  const done = await c.setPin({ body: { pin: '385172' } });
  expect(done).toMatchObject({ ok: true, data: { status: 'completed', need: 'take-items' } });
}

const organisation = (patch: Partial<InvoiceRequestInput> = {}): InvoiceRequestInput => ({
  title: 'organisation',
  ...TENCENT,
  email: 'finance@example.cn',
  ...patch,
});

describe('POST /api/journeys/current/invoice-request', () => {
  it('only a completed pickup still on screen may ask: none at all, one under way, one left — nothing sent', async () => {
    const { c, central } = await start();
    expect(await c.requestInvoice({ body: organisation() })).toMatchObject({
      ok: false,
      status: 409,
      error: { code: 'NO_ACTIVE_JOURNEY' },
    });
    await c.startJourney();
    await c.scan({ body: { code: 'CK1-DEMO' } });
    expect(await c.requestInvoice({ body: organisation() })).toMatchObject({
      ok: false,
      status: 409,
      error: { code: 'WRONG_STEP' },
    });
    expect(await c.invoice()).toMatchObject({ ok: false, error: { code: 'WRONG_STEP' } });
    await c.confirm();
    await c.setPin({ body: { pin: '385172' } });
    expect(await c.requestInvoice({ body: organisation() })).toMatchObject({ ok: true });
    await c.endJourney();
    expect(await c.requestInvoice({ body: organisation() })).toMatchObject({
      ok: false,
      error: { code: 'NO_ACTIVE_JOURNEY' },
    });
    expect(await c.invoice()).toMatchObject({ ok: false, error: { code: 'NO_ACTIVE_JOURNEY' } });
    expect(central.asked).toHaveLength(1);
  });

  it.each([
    ['no organisation name', { organisationName: '  ' }, 'INVOICE_ORGANISATION_NAME_INVALID', {}],
    ['a name too long', { organisationName: '单'.repeat(101) }, 'INVOICE_ORGANISATION_NAME_INVALID', {}],
    ['no credit code', { creditCode: ' - ' }, 'INVOICE_CREDIT_CODE_MISSING', {}],
    ['a code of 17 characters', { creditCode: '91440300708461136' }, 'USCC_WRONG_LENGTH', { length: 17 }],
    [
      'the letter O',
      { creditCode: '9144030070O461136T' },
      'USCC_FORBIDDEN_CHARACTER',
      { position: 11, character: 'O' },
    ],
    ['a wrong check character', { creditCode: '91440300708461136X' }, 'USCC_CHECK_MISMATCH', {}],
    [
      'an organisation code failing its check',
      { creditCode: '914403007084611373' },
      'USCC_ORGANISATION_CODE_MISMATCH',
      {},
    ],
    ['no e-mail', { email: '' }, 'INVOICE_EMAIL_INVALID', {}],
    ['an e-mail without a domain', { email: 'finance@example' }, 'INVOICE_EMAIL_INVALID', {}],
  ] as const)('%s: %s, with its params, and central is not asked', async (_what, patch, code, params) => {
    const { c, central } = await start();
    await toDoneScreen(c);
    const r = await c.requestInvoice({ body: organisation(patch) });
    expect(r).toMatchObject({ ok: false, status: 400, error: { code, retryable: true, action: 'retry' } });
    if (!r.ok) expect(r.error.params ?? {}).toMatchObject(params);
    expect(central.asked).toEqual([]);
  });

  it('a person’s request with an organisation’s details: 400, nothing sent; a body cannot name another order', async () => {
    const { c, central } = await start();
    await toDoneScreen(c);
    expect(
      await c.requestInvoice({ body: { title: 'person', creditCode: TENCENT.creditCode, email: 'a@b.cn' } }),
    ).toMatchObject({ ok: false, status: 400, error: { code: 'BAD_REQUEST' } });
    expect(central.asked).toEqual([]);
    // A field the contract lacks is dropped (Fastify's removeAdditional): the order is the done screen's.
    const extra = await fetch(`${api!.url}/api/journeys/current/invoice-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...organisation(), orderId: 'ORD-OTHER' }),
    });
    expect(extra.status).toBe(200);
    expect(central.asked.map((a) => a.orderId)).toEqual([ORDER_ID]);
  });

  it('sends an organisation’s request for the done screen’s order, the code normalised, the address trimmed', async () => {
    const { c, central } = await start();
    await toDoneScreen(c);
    const r = await c.requestInvoice({
      body: organisation({ creditCode: '9144 0300-7084 6113 6t', email: ' finance@example.cn ' }),
    });
    expect(r).toEqual({
      ok: true,
      status: 200,
      data: {
        state: 'requested',
        title: 'organisation',
        organisationName: TENCENT.organisationName,
        requestedAt: AT,
      },
    });
    expect(central.asked).toEqual([
      {
        call: 'request',
        orderId: ORDER_ID,
        body: {
          titleType: 'organisation',
          title: TENCENT.organisationName,
          taxId: TENCENT.creditCode,
          email: 'finance@example.cn',
        },
      },
    ]);
  });

  it('makes a person’s invoice out to 个人; the second request replaces the first; issued: number and link', async () => {
    const { c, central } = await start();
    await toDoneScreen(c);
    expect(await c.invoice()).toEqual({ ok: true, status: 200, data: { state: 'none' } });
    await c.requestInvoice({ body: organisation() });
    const person = await c.requestInvoice({ body: { title: 'person', email: 'zw@example.cn' } });
    expect(person).toMatchObject({
      ok: true,
      data: { state: 'requested', title: 'person', requestedAt: AT },
    });
    if (person.ok) expect(person.data).not.toHaveProperty('organisationName');
    expect(central.asked.at(-1)).toEqual({
      call: 'request',
      orderId: ORDER_ID,
      body: { titleType: 'person', title: '个人', email: 'zw@example.cn' },
    });
    central.issue();
    expect(await c.invoice()).toEqual({
      ok: true,
      status: 200,
      data: {
        state: 'issued',
        title: 'person',
        requestedAt: AT,
        number: '2026-000042',
        amountFen: 10_000,
        issuedAt: AT,
        url: 'http://central.test/v1/invoices/2026-000042/tok.pdf',
      },
    });
  });

  it.each([
    ['INVOICE_NOT_AVAILABLE', 409, 'INVOICE_NOT_AVAILABLE', 409],
    ['INVOICE_REQUEST_INVALID', 400, 'INVOICE_REQUEST_INVALID', 400],
    ['USCC_CHECK_MISMATCH', 400, 'USCC_CHECK_MISMATCH', 400],
    ['ORDER_NOT_FOUND', 404, 'ORDER_NOT_FOUND', 404],
    ['ORDER_ILLEGAL_TRANSITION', 409, 'CENTRAL_REFUSED', 409],
    ['APPLIANCE_NOT_APPROVED', 401, 'CENTRAL_UNAVAILABLE', 503],
    ['down', 0, 'CENTRAL_UNAVAILABLE', 503],
  ] as const)(
    'central refuses with %s (%i): the holder is told %s',
    async (centralCode, status, code, http) => {
      const { c, central } = await start();
      await toDoneScreen(c);
      central.refuse(centralCode, status);
      expect(await c.requestInvoice({ body: organisation() })).toMatchObject({
        ok: false,
        status: http,
        error: { code },
      });
      expect(await c.invoice()).toMatchObject({ ok: false, error: { code } });
    },
  );
});

describe('without an invoice desk', () => {
  it('answers INVOICE_NOT_AVAILABLE', async () => {
    api = await startTestApi();
    const c = createApplianceClient(api.url);
    await toDoneScreen(c);
    expect(await c.requestInvoice({ body: organisation() })).toMatchObject({
      ok: false,
      error: { code: 'INVOICE_NOT_AVAILABLE' },
    });
  });
});

describe('the invoice slip', () => {
  const KIOSK = { kioskId: 'KIOSK-T', hall: 'HALL-T' };
  it('prints only once an invoice was asked for; a printer that cannot print queues the slip for reprint', async () => {
    const central = recordingCentral();
    const printed: unknown[] = [];
    const queued: InvoiceSlipReprint[] = [];
    let paper = true;
    const desk = new InvoiceDesk(central.port, {
      kiosk: KIOSK,
      print: async (slip) => {
        if (!paper) throw new Error('paper out');
        printed.push(slip);
      },
      queue: async (item) => {
        queued.push(item);
      },
      now: () => new Date(AT),
    });
    await expect(desk.printSlip(ORDER_ID, 'J-1')).rejects.toMatchObject({ code: 'INVOICE_NOT_AVAILABLE' });
    expect(printed).toEqual([]);
    await desk.request(ORDER_ID, organisation());
    expect(await desk.printSlip(ORDER_ID, 'J-1')).toEqual({ state: 'printed' });
    expect(printed).toHaveLength(1);
    paper = false;
    expect(await desk.printSlip(ORDER_ID, 'J-1')).toEqual({ state: 'queued-for-reprint' });
    expect(queued).toEqual([
      expect.objectContaining({
        kind: 'invoice-slip',
        journeyId: 'J-1',
        queuedAt: AT,
        state: 'queued',
        slip: expect.objectContaining({ orderIdMasked: 'OR***', state: 'requested' }),
      }),
    ]);
    expect(JSON.stringify(queued)).not.toContain('finance@example.cn');
  });

  it('a desk without a printer answers PRINTER_UNAVAILABLE', async () => {
    await expect(new InvoiceDesk(recordingCentral().port).printSlip(ORDER_ID, 'J-1')).rejects.toMatchObject({
      code: 'PRINTER_UNAVAILABLE',
    });
  });
});
