// The invoice screen's form: each field offers only keys that can go into it and stops where the field does, a
// refusal points at its field, what is sent is what the contract takes; the screen itself opens only over the
// done screen of a completed pickup and closes with it; the issued invoice's QR code reads back as its link.
import jsqr from 'jsqr';
import { describe, expect, it } from 'vitest';
import { isValidUscc } from '../../../sync/src/contract/uscc.ts';
import { APPLIANCE_ERROR_CODES, type JourneyView, type ServiceView } from './contract.ts';
import {
  CREDIT_CODE_LENGTH,
  EMAIL_MAX,
  emptyInvoiceForm,
  eraseFrom,
  FIELD_KEYS,
  groupedCode,
  INVOICE_FIELDS,
  invoiceErrorField,
  invoiceFormReady,
  invoiceInput,
  ORGANISATION_NAME_MAX,
  SPACE_KEY,
  typeInto,
  yuan,
} from './invoice.ts';
import { currentScreen, initialKioskState, type KioskEvent, reduceKiosk } from './kiosk-state.ts';
import { QR_QUIET_ZONE, qrPicture } from './qr.ts';

const typeAll = (field: 'name' | 'code' | 'email', keys: string[], from = '') =>
  keys.reduce((v, k) => typeInto(field, v, k), from);

describe('the invoice form', () => {
  it('asks a person for the address only, an organisation for its name, credit code and address', () => {
    expect(INVOICE_FIELDS.person).toEqual(['email']);
    expect(INVOICE_FIELDS.organisation).toEqual(['name', 'code', 'email']);
    expect(emptyInvoiceForm()).toEqual({ title: 'person', name: '', code: '', email: '' });
    expect(emptyInvoiceForm('深圳市示例科技有限公司')).toMatchObject({
      title: 'organisation',
      name: '深圳市示例科技有限公司',
    });
  });

  it('offers a credit code only the letters of its alphabet, and stops at 18 characters', () => {
    expect(FIELD_KEYS.code.join('')).toBe('ABCDEFGHJKLMNPQRTUWXY');
    for (const never of 'IOZSV') expect(FIELD_KEYS.code).not.toContain(never);
    const code = typeAll('code', [...'91440300708461136t', '9', 'X']);
    expect(code).toBe('91440300708461136T');
    expect(code).toHaveLength(CREDIT_CODE_LENGTH);
    expect(isValidUscc(code)).toBe(true);
    expect(typeInto('code', '', '@')).toBe('');
  });

  it('types an address in small letters, one @ only, the usual domains whole, and never past its length', () => {
    expect(typeAll('email', [...'ZW2026', '@qq.com'])).toBe('zw2026@qq.com');
    expect(typeAll('email', [...'finance', '@', ...'example', '.cn'])).toBe('finance@example.cn');
    expect(typeAll('email', [...'a', '@', 'b', '@163.com'])).toBe('a@b');
    expect(typeAll('email', ['a', '@', '@'])).toBe('a@');
    expect(typeInto('email', 'x'.repeat(EMAIL_MAX), 'y')).toHaveLength(EMAIL_MAX);
    for (const k of ['@', '.', '-', '_', '@qq.com', '@163.com']) expect(FIELD_KEYS.email).toContain(k);
  });

  it('types a name without a leading or doubled space, up to central’s longest title', () => {
    expect(typeAll('name', [SPACE_KEY, 'A', SPACE_KEY, SPACE_KEY, 'B', '&', 'C'])).toBe('A B&C');
    const long = typeAll('name', Array(ORGANISATION_NAME_MAX + 5).fill('N'));
    expect(long).toHaveLength(ORGANISATION_NAME_MAX);
    expect(eraseFrom('深圳市')).toBe('深圳');
    expect(eraseFrom('')).toBe('');
  });

  it('is ready once every field of its title is filled, and sends what the contract takes', () => {
    const org = { title: 'organisation' as const, name: ' 示例公司 ', code: '91440300708461136T', email: '' };
    expect(invoiceFormReady(org)).toBe(false);
    const filled = { ...org, email: ' finance@example.cn ' };
    expect(invoiceFormReady(filled)).toBe(true);
    expect(invoiceInput(filled)).toEqual({
      title: 'organisation',
      organisationName: '示例公司',
      creditCode: '91440300708461136T',
      email: 'finance@example.cn',
    });
    // A person sends no organisation's details, whatever was typed before switching.
    expect(invoiceInput({ ...filled, title: 'person' })).toEqual({
      title: 'person',
      email: 'finance@example.cn',
    });
    expect(invoiceFormReady({ ...org, title: 'person', email: 'a@b.cn' })).toBe(true);
  });

  it('points each refusal about what was typed at its field', () => {
    expect(invoiceErrorField('USCC_CHECK_MISMATCH')).toBe('code');
    expect(invoiceErrorField('USCC_FORBIDDEN_CHARACTER')).toBe('code');
    expect(invoiceErrorField('INVOICE_CREDIT_CODE_MISSING')).toBe('code');
    expect(invoiceErrorField('INVOICE_ORGANISATION_NAME_INVALID')).toBe('name');
    expect(invoiceErrorField('INVOICE_EMAIL_INVALID')).toBe('email');
    expect(invoiceErrorField('CENTRAL_UNAVAILABLE')).toBeNull();
    const fieldCodes = APPLIANCE_ERROR_CODES.filter((c) => invoiceErrorField(c) !== null);
    expect(fieldCodes.every((c) => c.startsWith('USCC_') || c.startsWith('INVOICE_'))).toBe(true);
  });

  it('shows amounts in yuan and a code in groups of four', () => {
    expect(yuan(20_000)).toBe('200.00');
    expect(yuan(12_345)).toBe('123.45');
    expect(groupedCode('91440300708461136T')).toBe('9144 0300 7084 6113 6T');
  });
});

const done = (over: Partial<JourneyView> = {}): JourneyView => ({
  id: 'J1',
  ref: 'KJ1',
  revision: 9,
  cancellable: false,
  kind: 'pickup',
  step: 'completed',
  status: 'completed',
  need: 'take-items',
  progress: { steps: [] },
  order: {
    orderId: 'ORD-1',
    certificateType: 'organisation',
    businessType: 'new',
    serviceYears: 1,
    organisationName: '示例公司',
  },
  ...over,
});
const run = (...events: KioskEvent[]) => events.reduce(reduceKiosk, initialKioskState());

describe('the invoice screen in the kiosk state', () => {
  it('opens over the done screen of a completed pickup only, and closes back to it', () => {
    let s = run({ type: 'journey', data: done() }, { type: 'invoice', open: true });
    expect(currentScreen(s)).toBe('invoice');
    s = reduceKiosk(s, { type: 'invoice', open: false });
    expect(currentScreen(s)).toBe('done');
    expect(currentScreen(run({ type: 'invoice', open: true }))).toBe('attract');
    const underWay = run(
      { type: 'journey', data: done({ status: 'active', step: 'order-verified', need: 'confirm-order' }) },
      { type: 'invoice', open: true },
    );
    expect(currentScreen(underWay)).toBe('order');
  });

  it('stays with its journey: a newer view of it keeps it, a wipe or another journey closes it', () => {
    const open = run({ type: 'journey', data: done() }, { type: 'invoice', open: true });
    expect(currentScreen(reduceKiosk(open, { type: 'journey', data: done({ revision: 10 }) }))).toBe(
      'invoice',
    );
    expect(reduceKiosk(open, { type: 'wiped', data: { reason: 'idle' } }).invoice).toBe(false);
    expect(reduceKiosk(open, { type: 'journey', data: null }).invoice).toBe(false);
    const next = reduceKiosk(open, {
      type: 'journey',
      data: done({ id: 'J2', ref: 'KJ2', revision: 1 }),
    });
    expect(currentScreen(next)).toBe('done');
  });
});

const result = (over: Partial<ServiceView> = {}): ServiceView => ({
  id: 'S1',
  ref: 'KS1',
  revision: 5,
  kind: 'lookup',
  step: 'completed',
  status: 'completed',
  need: 'result',
  cancellable: false,
  orders: [
    {
      orderIdMasked: 'ORD-****01',
      kind: 'new',
      certificateType: 'natural-person',
      status: 'approved',
      history: [],
      updatedAt: '2026-03-01T00:00:00.000Z',
    },
    {
      orderIdMasked: 'ORD-****02',
      kind: 'new',
      certificateType: 'natural-person',
      status: 'activated',
      history: [],
      updatedAt: '2026-03-01T00:00:00.000Z',
      invoiceOffered: true,
    },
  ],
  ...over,
});

describe('the invoice screen over a service’s result', () => {
  it('a look-up: only for a listed order it offers an invoice for, with that order’s position', () => {
    const open = run({ type: 'service', data: result() }, { type: 'invoice', open: true, order: 1 });
    expect(currentScreen(open)).toBe('invoice');
    expect(open.invoiceOrder).toBe(1);
    for (const order of [0, 2]) {
      const refused = run({ type: 'service', data: result() }, { type: 'invoice', open: true, order });
      expect(currentScreen(refused)).toBe('service-result');
      expect(refused.invoiceOrder).toBeNull();
    }
    const closed = reduceKiosk(open, { type: 'invoice', open: false });
    expect([currentScreen(closed), closed.invoiceOrder]).toEqual(['service-result', null]);
  });

  it('a completed renewal: its order (0) only; a renewal still running or an unlock: none', () => {
    const renewal = {
      orderIdMasked: 'ORD-****03',
      certificateType: 'natural-person',
      rule: 'revoke-previous',
    } as const;
    const renewed = result({ kind: 'renew', orders: undefined, renewal });
    expect(
      currentScreen(run({ type: 'service', data: renewed }, { type: 'invoice', open: true, order: 0 })),
    ).toBe('invoice');
    expect(
      currentScreen(run({ type: 'service', data: renewed }, { type: 'invoice', open: true, order: 1 })),
    ).toBe('service-result');
    const running = result({ kind: 'renew', status: 'active', need: 'wait', orders: undefined, renewal });
    expect(run({ type: 'service', data: running }, { type: 'invoice', open: true }).invoice).toBe(false);
    const unlocked = result({ kind: 'unlock', orders: undefined });
    expect(run({ type: 'service', data: unlocked }, { type: 'invoice', open: true }).invoice).toBe(false);
  });

  it('stays with its service result: a newer view keeps it; leaving, another service or a wipe closes it', () => {
    const open = run({ type: 'service', data: result() }, { type: 'invoice', open: true, order: 1 });
    expect(currentScreen(reduceKiosk(open, { type: 'service', data: result({ revision: 6 }) }))).toBe(
      'invoice',
    );
    for (const next of [
      reduceKiosk(open, { type: 'service', data: null }),
      reduceKiosk(open, { type: 'service', data: result({ id: 'S2', ref: 'KS2', revision: 1 }) }),
      reduceKiosk(open, { type: 'wiped', data: { reason: 'idle' } }),
    ]) {
      expect(next.invoice).toBe(false);
      expect(next.invoiceOrder).toBeNull();
    }
  });
});

describe('the issued invoice’s QR code', () => {
  it('reads back as the link it was drawn from', () => {
    const url = 'http://127.0.0.1:7410/v1/invoices/2026-000123/q8PZ0hT2k3vYbW1nM4xR7A.pdf';
    const { size, path } = qrPicture(url);
    const scale = 6;
    const px = size * scale;
    const rgba = new Uint8ClampedArray(px * px * 4).fill(255);
    // Paint each run of the path (M x y h w v1 h-w z) at `scale` pixels per module.
    for (const [, x, y, w] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
      for (let dy = 0; dy < scale; dy++)
        for (let dx = 0; dx < Number(w) * scale; dx++) {
          const i = ((Number(y) * scale + dy) * px + Number(x) * scale + dx) * 4;
          rgba[i] = rgba[i + 1] = rgba[i + 2] = 0;
        }
    }
    expect(path.startsWith(`M${QR_QUIET_ZONE} ${QR_QUIET_ZONE}`)).toBe(true);
    expect(jsqr(rgba, px, px)?.data).toBe(url);
  });
});
