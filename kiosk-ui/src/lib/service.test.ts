import { describe, expect, it } from 'vitest';
import en from '../locales/en.json' with { type: 'json' };
import zh from '../locales/zh-CN.json' with { type: 'json' };
import { HOME_SERVICES, type ServiceView } from './contract.ts';
import { currentScreen, initialKioskState, parseServerEvent, reduceKiosk } from './kiosk-state.ts';
import {
  homeTiles,
  ORDER_STATUSES,
  orderStatusKey,
  renewalBanner,
  SERVICE_SCREENS,
  serviceScreenFor,
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
    expect(serviceScreenFor(service({ need: 'wait' }))).toBe('service-wait');
    expect(serviceScreenFor(service({ need: 'result' }))).toBe('service-result');
    expect(serviceScreenFor(service({ need: 'none' }))).toBe('service-wait');
  });

  it('show the result once completed and the error screen once failed, whatever the need', () => {
    expect(serviceScreenFor(service({ status: 'completed', need: 'none' }))).toBe('service-result');
    expect(serviceScreenFor(service({ status: 'failed', need: 'none' }))).toBe('service-error');
    expect(serviceScreenFor(service({ status: 'failed', need: 'activation-code' }))).toBe('service-error');
    expect(new Set(SERVICE_SCREENS).size).toBe(8);
  });

  it('win over the pickup screen while a service journey is open', () => {
    expect(currentScreen({ journey: null, service: null })).toBe('attract');
    expect(currentScreen({ journey: null, service: service({ need: 'pin' }) })).toBe('service-pin');
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
  it('offer every home service in order; pickup starts pickup, renew and replace only explain', () => {
    const tiles = homeTiles();
    expect(tiles.map((t) => t.tile)).toEqual([...HOME_SERVICES]);
    expect(tiles.find((t) => t.tile === 'pickup')?.does).toBe('pickup');
    expect(tiles.filter((t) => t.does === 'info').map((t) => t.tile)).toEqual(['renew', 'replace']);
    expect(tiles.filter((t) => t.does === 'service').map((t) => t.tile)).toEqual([
      'activate',
      'unlock',
      'lookup',
      'certificates',
    ]);
    for (const t of tiles) {
      expect(zh[`home.tile.${t.tile}` as keyof typeof zh]).toBeTruthy();
      expect(en[`home.note.${t.tile}` as keyof typeof en]).toBeTruthy();
    }
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
