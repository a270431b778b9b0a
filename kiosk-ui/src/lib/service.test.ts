import { describe, expect, it } from 'vitest';
import en from '../locales/en.json' with { type: 'json' };
import zh from '../locales/zh-CN.json' with { type: 'json' };
import { HOME_SERVICES, type JourneyView, SERVICE_STEPS, type ServiceView } from './contract.ts';
import { currentScreen, initialKioskState, parseServerEvent, reduceKiosk } from './kiosk-state.ts';
import {
  CURRENT_PIN_LENGTH,
  certificateTypeKey,
  countdownText,
  currentPinReady,
  currentPinWarning,
  HOME_GUIDES,
  homeTiles,
  ORDER_STATUSES,
  oldCertificateFate,
  orderStatusKey,
  paymentPhase,
  paymentSecondsLeft,
  RENEW_WORK_STEPS,
  renewalBanner,
  renewProgress,
  renewStepKey,
  SERVICE_SCREENS,
  serviceScreenFor,
  yuanText,
} from './service.ts';

const service = (over: Partial<ServiceView> = {}): ServiceView => ({
  id: 's1',
  ref: 'KS1',
  revision: 1,
  kind: 'activate',
  step: 'started',
  status: 'active',
  need: 'token',
  cancellable: true,
  ...over,
});

describe('service screens', () => {
  it('follow the need of an active service journey', () => {
    expect(serviceScreenFor(service({ need: 'token' }))).toBe('service-token');
    expect(serviceScreenFor(service({ need: 'activation-code' }))).toBe('service-code');
    expect(serviceScreenFor(service({ need: 'id-card' }))).toBe('service-id-card');
    expect(serviceScreenFor(service({ need: 'scan-or-id-card' }))).toBe('service-lookup');
    expect(serviceScreenFor(service({ need: 'pin' }))).toBe('service-pin');
    expect(serviceScreenFor(service({ kind: 'renew', need: 'payment' }))).toBe('service-payment');
    // A look-up's listed order paid here (在此支付): the same payment screen, then its list again.
    expect(
      serviceScreenFor(service({ kind: 'lookup', step: 'paying', need: 'payment', payingOrder: 3 })),
    ).toBe('service-payment');
    expect(
      serviceScreenFor(service({ kind: 'lookup', step: 'completed', status: 'completed', need: 'result' })),
    ).toBe('service-result');
    expect(serviceScreenFor(service({ kind: 'renew', need: 'current-pin' }))).toBe('service-current-pin');
    expect(serviceScreenFor(service({ need: 'wait' }))).toBe('service-wait');
    expect(serviceScreenFor(service({ need: 'result' }))).toBe('service-result');
    expect(serviceScreenFor(service({ need: 'none' }))).toBe('service-wait');
  });

  it('show the result once completed and the error screen once failed, whatever the need', () => {
    expect(serviceScreenFor(service({ status: 'completed', need: 'none' }))).toBe('service-result');
    expect(serviceScreenFor(service({ status: 'failed', need: 'none' }))).toBe('service-error');
    expect(serviceScreenFor(service({ status: 'failed', need: 'activation-code' }))).toBe('service-error');
    expect(new Set(SERVICE_SCREENS).size).toBe(10);
  });

  it('win over the pickup screen while a service journey is open', () => {
    expect(currentScreen({ journey: null, service: null })).toBe('attract');
    expect(currentScreen({ journey: null, service: service({ need: 'pin' }) })).toBe('service-pin');
  });
});

describe('paying at the kiosk', () => {
  const T0 = Date.parse('2026-03-01T08:00:00.000Z');
  const pending = {
    state: 'pending' as const,
    amountFen: 12800,
    codeUrl: 'weixin://wxpay/bizpayurl?pr=abc',
    expiresAt: new Date(T0 + 5 * 60_000).toISOString(),
  };

  it('says the amount in yuan and the time left as m:ss', () => {
    expect(yuanText(12800)).toBe('¥128.00');
    expect(yuanText(5)).toBe('¥0.05');
    expect(paymentSecondsLeft(pending.expiresAt, T0)).toBe(300);
    expect(paymentSecondsLeft(pending.expiresAt, T0 + 299_001)).toBe(1);
    expect(paymentSecondsLeft(pending.expiresAt, T0 + 400_000)).toBe(0);
    expect(paymentSecondsLeft(undefined, T0)).toBeNull();
    expect(countdownText(300)).toBe('5:00');
    expect(countdownText(65)).toBe('1:05');
    expect(countdownText(0)).toBe('0:00');
  });

  it('shows the code while it can be paid, expired when the appliance says so or the countdown ran out', () => {
    expect(paymentPhase(undefined, T0)).toBe('fetching');
    expect(paymentPhase({ state: 'due', amountFen: 12800 }, T0)).toBe('fetching');
    expect(paymentPhase(pending, T0)).toBe('showing');
    expect(paymentPhase(pending, T0 + 5 * 60_000)).toBe('expired');
    expect(paymentPhase({ state: 'expired', amountFen: 12800 }, T0)).toBe('expired');
    expect(paymentPhase({ ...pending, state: 'paid', paidAt: pending.expiresAt }, T0)).toBe('paid');
  });
});

describe('service events', () => {
  it('parse a service view or null, and refuse anything else', () => {
    expect(parseServerEvent('service', JSON.stringify(service()))).toEqual({
      type: 'service',
      data: service(),
    });
    expect(parseServerEvent('service', 'null')).toEqual({ type: 'service', data: null });
    expect(parseServerEvent('service', JSON.stringify({ ...service(), kind: 'pickup' }))).toBeNull();
    expect(parseServerEvent('service', '{"id":1}')).toBeNull();
  });

  it('are kept in state, never step back to an older revision, and are dropped by a wipe for good', () => {
    let s = reduceKiosk(initialKioskState(), {
      type: 'service',
      data: service({ revision: 2, need: 'pin' }),
    });
    expect(s.service?.need).toBe('pin');
    s = reduceKiosk(s, { type: 'service', data: service({ revision: 1, need: 'token' }) });
    expect(s.service?.need).toBe('pin');
    s = reduceKiosk(s, { type: 'wiped', data: { reason: 'cancelled' } });
    expect(s.service).toBeNull();
    // A late answer about the wiped journey cannot bring it back.
    s = reduceKiosk(s, { type: 'service', data: service({ revision: 2, need: 'pin' }) });
    expect(s.service).toBeNull();
    s = reduceKiosk(s, { type: 'service', data: service({ id: 's2', revision: 1 }) });
    expect(s.service?.id).toBe('s2');
    s = reduceKiosk(s, { type: 'service', data: null });
    expect(s.service).toBeNull();
  });

  it('come with the snapshot, and an abandoned one is no journey', () => {
    const s = reduceKiosk(initialKioskState(), {
      type: 'snapshot',
      journey: null,
      service: service({ need: 'result', status: 'completed' }),
      devices: [],
    });
    expect(s.service?.status).toBe('completed');
    const t = reduceKiosk(s, { type: 'service', data: service({ revision: 5, status: 'abandoned' }) });
    expect(t.service).toBeNull();
  });
});

describe('home tiles', () => {
  it('offer every home service in order; pickup starts pickup, replace opens its guide, the rest a service', () => {
    const tiles = homeTiles();
    expect(tiles.map((t) => t.tile)).toEqual([...HOME_SERVICES]);
    expect(tiles.find((t) => t.tile === 'pickup')?.does).toBe('pickup');
    expect(tiles.filter((t) => t.does === 'guide')).toEqual([
      { tile: 'replace', does: 'guide', guide: 'replace' },
    ]);
    expect(tiles.filter((t) => t.does === 'service').map((t) => t.tile)).toEqual([
      'activate',
      'renew',
      'unlock',
      'lookup',
      'certificates',
    ]);
    for (const t of tiles) if (t.does === 'service') expect(t.kind).toBe(t.tile);
    for (const t of tiles) {
      expect(zh[`home.tile.${t.tile}` as keyof typeof zh]).toBeTruthy();
      expect(en[`home.note.${t.tile}` as keyof typeof en]).toBeTruthy();
    }
    // Renew and replace are served now: no tile says "coming soon" any more.
    for (const t of tiles) {
      expect(zh[`home.note.${t.tile}` as keyof typeof zh]).not.toContain('即将');
      expect(en[`home.note.${t.tile}` as keyof typeof en]).not.toMatch(/coming soon/i);
    }
  });
});

describe('home guides (补办 replace)', () => {
  const journey = (over: Partial<JourneyView> = {}): JourneyView => ({
    id: 'j1',
    ref: 'KJ1',
    revision: 1,
    cancellable: true,
    kind: 'pickup',
    step: 'scanned',
    status: 'active',
    need: 'scan',
    progress: { steps: [] },
    ...over,
  });

  it('show from the home screen, and go back home', () => {
    let s = reduceKiosk(initialKioskState(), { type: 'guide', guide: 'replace' });
    expect(currentScreen(s)).toBe('guide-replace');
    s = reduceKiosk(s, { type: 'guide', guide: null });
    expect(currentScreen(s)).toBe('attract');
    expect(HOME_GUIDES).toEqual(['replace']);
  });

  it('give way to the pickup a scanned code starts, and are closed when it ends', () => {
    let s = reduceKiosk(initialKioskState(), { type: 'guide', guide: 'replace' });
    s = reduceKiosk(s, { type: 'journey', data: journey({ need: 'confirm-order' }) });
    expect(currentScreen(s)).toBe('order');
    expect(s.guide).toBeNull();
    s = reduceKiosk(s, { type: 'journey', data: null });
    expect(currentScreen(s)).toBe('attract');
  });

  it('are closed by a wipe (idle, or the staff ending the session)', () => {
    let s = reduceKiosk(initialKioskState(), { type: 'guide', guide: 'replace' });
    s = reduceKiosk(s, { type: 'wiped', data: { reason: 'idle' } });
    expect(s.guide).toBeNull();
    expect(currentScreen(s)).toBe('attract');
  });

  it('never open over a journey or a service', () => {
    let s = reduceKiosk(initialKioskState(), { type: 'service', data: service() });
    s = reduceKiosk(s, { type: 'guide', guide: 'replace' });
    expect(s.guide).toBeNull();
    expect(currentScreen(s)).toBe('service-token');
    let t = reduceKiosk(initialKioskState(), { type: 'journey', data: journey() });
    t = reduceKiosk(t, { type: 'guide', guide: 'replace' });
    expect(currentScreen(t)).toBe('scan');
  });
});

describe('renew progress', () => {
  const renew = (over: Partial<ServiceView> = {}) => service({ kind: 'renew', ...over });
  const states = (v: ServiceView) => renewProgress(v)?.map((s) => `${s.step}:${s.state}`);

  it('lists the machine part of SERVICE_STEPS.renew: after the holder, before completed', () => {
    expect(RENEW_WORK_STEPS).toEqual([
      'key-generated',
      'certificate-issued',
      'certificate-written',
      'verified',
      'old-removed',
      'old-revoked',
    ]);
    for (const step of RENEW_WORK_STEPS) expect(SERVICE_STEPS.renew).toContain(step);
  });

  it('is none before the current PIN was typed, and none for another service', () => {
    expect(renewProgress(renew({ step: 'started', need: 'token' }))).toBeNull();
    expect(renewProgress(renew({ step: 'key-read', need: 'wait' }))).toBeNull();
    expect(renewProgress(renew({ step: 'order-found', need: 'id-card' }))).toBeNull();
    expect(renewProgress(renew({ step: 'identity-verified', need: 'current-pin' }))).toBeNull();
    expect(renewProgress(service({ kind: 'unlock', step: 'pin-reset', need: 'wait' }))).toBeNull();
  });

  it('runs the step after the view’s step while the machine works', () => {
    expect(states(renew({ step: 'identity-verified', need: 'wait' }))).toEqual([
      'key-generated:running',
      'certificate-issued:pending',
      'certificate-written:pending',
      'verified:pending',
      'old-removed:pending',
      'old-revoked:pending',
    ]);
    expect(states(renew({ step: 'certificate-written', need: 'wait' }))).toEqual([
      'key-generated:done',
      'certificate-issued:done',
      'certificate-written:done',
      'verified:running',
      'old-removed:pending',
      'old-revoked:pending',
    ]);
    expect(states(renew({ step: 'old-removed', need: 'wait' }))?.slice(-2)).toEqual([
      'old-removed:done',
      'old-revoked:running',
    ]);
  });

  it('is all done once completed', () => {
    const done = renewProgress(renew({ step: 'completed', status: 'completed', need: 'result' }));
    expect(done?.every((s) => s.state === 'done')).toBe(true);
    expect(done).toHaveLength(RENEW_WORK_STEPS.length);
  });

  it('names every renew step in both languages; the last one as the profile’s rule has it', () => {
    for (const step of SERVICE_STEPS.renew)
      for (const rule of ['revoke-previous', 'let-expire'] as const) {
        const key = renewStepKey(step, rule);
        expect(zh[key], `zh ${key}`).toBeTruthy();
        expect(en[key], `en ${key}`).toBeTruthy();
      }
    expect(renewStepKey('old-revoked', 'revoke-previous')).toBe('service.renew.step.old-revoked');
    expect(renewStepKey('old-revoked', undefined)).toBe('service.renew.step.old-revoked');
    expect(renewStepKey('old-revoked', 'let-expire')).toBe('service.renew.step.old-revoked.let-expire');
    expect(renewStepKey('verified', 'let-expire')).toBe('service.renew.step.verified');
  });
});

describe('renew result', () => {
  it('says the old certificate was revoked, expires on its own, or is yet to be revoked', () => {
    expect(oldCertificateFate({ rule: 'revoke-previous', oldRevokedAt: '2025-06-01T08:00:00Z' })).toBe(
      'revoked',
    );
    expect(oldCertificateFate({ rule: 'revoke-previous' })).toBe('pending');
    expect(oldCertificateFate({ rule: 'let-expire' })).toBe('expires');
    for (const fate of ['revoked', 'expires', 'pending'] as const) {
      expect(zh[`service.renew.old.${fate}`]).toBeTruthy();
      expect(en[`service.renew.old.${fate}`]).toBeTruthy();
    }
  });

  it('names the renewal order’s certificate type, and leaves one it does not know as it is', () => {
    expect(certificateTypeKey('natural-person')).toBe('certType.natural-person');
    expect(certificateTypeKey('teleporter')).toBeNull();
  });
});

describe('current PIN (renew)', () => {
  it('is sent once it has the length of a key’s PIN, digits only', () => {
    expect(currentPinReady('')).toBe(false);
    expect(currentPinReady('1'.repeat(CURRENT_PIN_LENGTH.min - 1))).toBe(false);
    expect(currentPinReady('1'.repeat(CURRENT_PIN_LENGTH.min))).toBe(true);
    // The key judges it, not the policy for new PINs: a repeated or sequential old PIN is still sent.
    expect(currentPinReady('123456')).toBe(true);
    expect(currentPinReady('1'.repeat(CURRENT_PIN_LENGTH.max))).toBe(true);
    expect(currentPinReady('1'.repeat(CURRENT_PIN_LENGTH.max + 1))).toBe(false);
    expect(currentPinReady('12a456')).toBe(false);
  });

  it('says tries are few after a wrong PIN, or when the key says a wrong one was typed before', () => {
    const wrong: NonNullable<ServiceView['error']> = {
      code: 'CURRENT_PIN_WRONG',
      message: '',
      action: 'retry',
      retryable: true,
    };
    const renewal = {
      orderIdMasked: 'ORD-****01',
      certificateType: 'natural-person',
      rule: 'revoke-previous',
    } as const;
    expect(currentPinWarning({ renewal })).toBeNull();
    expect(currentPinWarning({ renewal, error: wrong })).toBe('wrong');
    expect(currentPinWarning({ renewal: { ...renewal, pinTriesLow: true } })).toBe('tries-low');
    expect(currentPinWarning({ renewal: { ...renewal, pinTriesLow: true }, error: wrong })).toBe('wrong');
    for (const messages of [zh, en]) {
      expect(messages['service.currentPin.wrong']).toBeTruthy();
      expect(messages['service.currentPin.triesLow']).toBeTruthy();
    }
  });
});

describe('renew errors', () => {
  // The codes renew can show: each has words in both languages.
  const RENEW_CODES = [
    'KEY_NOT_OURS',
    'RENEWAL_ORDER_NOT_FOUND',
    'RENEWAL_NOT_PAID',
    'CERTIFICATE_EXPIRED',
    'CERTIFICATE_REVOKED',
    'PICKUP_CODE_WRONG_HALL',
    'ID_MISMATCH_PERSON',
    'CURRENT_PIN_WRONG',
    'CURRENT_PIN_LOCKED',
  ];

  it('are put into words in both languages', () => {
    for (const messages of [zh, en] as Record<string, string>[])
      for (const code of RENEW_CODES) expect(messages[`error.${code}`], code).toBeTruthy();
    expect(zh['error.CURRENT_PIN_LOCKED']).toContain('解锁');
    expect(en['error.RENEWAL_ORDER_NOT_FOUND']).toMatch(/pay/i);
    expect(zh['error.CERTIFICATE_EXPIRED']).toContain('重新申请');
  });
});

describe('order statuses', () => {
  it("are central's, each with words in both languages", () => {
    for (const status of ORDER_STATUSES) {
      const key = orderStatusKey(status);
      expect(key).toBe(`orderStatus.${status}`);
      expect(zh[key as keyof typeof zh]).toBeTruthy();
      expect(en[key as keyof typeof en]).toBeTruthy();
    }
    expect(orderStatusKey('teleported')).toBeNull();
  });
});

describe('renewal banner', () => {
  it('says revoked above all, else the renewal notice', () => {
    expect(renewalBanner({ renewal: 'none', status: 'good' })).toBe('none');
    expect(renewalBanner({ renewal: 'offer', status: 'good' })).toBe('offer');
    expect(renewalBanner({ renewal: 'urgent', status: 'good' })).toBe('urgent');
    expect(renewalBanner({ renewal: 'expired', status: 'unknown' })).toBe('expired');
    expect(renewalBanner({ renewal: 'offer', status: 'revoked' })).toBe('revoked');
  });
});
