// The service engine against in-memory fakes of its ports (journey/testing-fakes.ts): the side-effect table
// walked and recovered at every boundary, the PIN rules, the store failing, the key hanging, the one-journey
// rule. Each case well under a second; the real drivers and central: after-sales*.softhsm.test.ts.
import { describe, expect, it } from 'vitest';
import type { ServiceView } from '../api/service-contract.js';
import { emptyState } from '../journey/record.js';
import {
  type CallLog,
  FakeApplianceKey,
  FakeCentral,
  FakeClock,
  FakeDevices,
  FakeEventSink,
  FakeStore,
  FakeUsbKey,
  HALL,
  HOLDER,
  type KeyCertificate,
  PIN_POLICY,
  residentCard,
} from '../journey/testing-fakes.js';
import { ServiceEngine, type ServiceEngineOptions } from './engine.js';
import {
  SERVICE_EFFECTS,
  SERVICE_FAULT_POINTS,
  SERVICE_RECOVERY_OUTCOME,
  type ServiceEffect,
  type ServiceFaultPoint,
} from './service-table.js';

const MASTER = Buffer.alloc(32, 7);
const NEW_PIN = '620471';
const CODE = '246810';

interface Kiosk {
  log: CallLog;
  clock: FakeClock;
  store: FakeStore;
  central: FakeCentral;
  events: FakeEventSink;
  driver: FakeUsbKey;
  devices: FakeDevices;
  engine: ServiceEngine;
  options: ServiceEngineOptions;
  key: KeyCertificate;
  newEngine(durable?: string): ServiceEngine;
}

async function kiosk(
  opts: {
    courier?: boolean;
    locked?: boolean;
    engine?: Partial<ServiceEngineOptions>;
    pickup?: ServiceEngineOptions['pickup'];
  } = {},
): Promise<Kiosk> {
  const log: CallLog = [];
  const clock = new FakeClock();
  const central = await FakeCentral.create(log, clock, HALL);
  const store = new FakeStore(emptyState());
  const events = new FakeEventSink(log);
  const driver = new FakeUsbKey(log);
  const devices = new FakeDevices(log, driver);
  // The holder's key, certified by central (made outside the writer).
  const token = driver.insertBlank();
  driver.pull();
  const key = await central.certifyKey(token, MASTER, opts.courier ? { courier: { code: CODE } } : {});
  if (opts.locked) token.userPinLocked = true;
  const options: ServiceEngineOptions = {
    applianceId: 'KIOSK-TEST-01',
    pinPolicy: PIN_POLICY,
    soPinMasterSecret: MASTER,
    now: clock.now,
    ...(opts.pickup ? { pickup: opts.pickup } : {}),
    ...opts.engine,
  };
  void FakeApplianceKey;
  const k: Kiosk = {
    log,
    clock,
    store,
    central,
    events,
    driver,
    devices,
    options,
    key,
    engine: undefined as unknown as ServiceEngine,
    newEngine(durable) {
      if (durable !== undefined) k.store = new FakeStore(durable);
      k.engine = new ServiceEngine(k.store, central, events, devices, options);
      return k.engine;
    },
  };
  k.newEngine();
  return k;
}

const holderToken = (k: Kiosk) => k.driver.tokens.find((t) => t.serial === k.key.tokenSerial)!;

/** Do once what the holder (or the autopilot) would for what the view needs. */
async function act(k: Kiosk, kind: 'activate' | 'unlock'): Promise<ServiceView | null> {
  const v = k.engine.view();
  if (!v) return k.engine.start(kind);
  if (v.status !== 'active') return v;
  switch (v.need) {
    case 'token':
      k.driver.insert(holderToken(k));
      return k.engine.readKey();
    case 'activation-code':
      return k.engine.submitCode(CODE);
    case 'id-card':
      k.devices.card = residentCard(HOLDER.name, HOLDER.idNumber);
      return k.engine.readCard();
    case 'pin':
      return k.engine.setPin(NEW_PIN);
    case 'wait':
    case 'result':
      return k.engine.retry();
    default:
      throw new Error(`nothing to do for need ${v.need}`);
  }
}

async function drive(k: Kiosk, kind: 'activate' | 'unlock', max = 20): Promise<ServiceView | null> {
  for (let i = 0; i < max; i++) {
    const v = await act(k, kind);
    if (v && v.status !== 'active') return v;
  }
  throw new Error(`the service did not end: ${JSON.stringify(k.engine.view())}`);
}

describe('activate', () => {
  it('key → code → PIN: activated once, the holder’s PIN on the key, one event, no PIN try spent', async () => {
    const k = await kiosk({ courier: true });
    const v = await drive(k, 'activate');
    expect(v).toMatchObject({ status: 'completed', need: 'result', keyInWriter: true });
    expect(holderToken(k).userPin).toBe(NEW_PIN);
    expect(k.central.keyCertificates.get(k.key.serialNumber)?.courier?.usedBy).toBe('KIOSK-TEST-01');
    expect(k.events.ofType('certificate.activated')).toHaveLength(1);
    expect(k.events.ofType('certificate.activated')[0]?.orderId).toBeUndefined();
    expect(k.driver.wrongUserPinTries).toBe(0);
    expect(JSON.stringify(k.store.durable())).not.toContain(NEW_PIN);
    expect(JSON.stringify(k.store.durable())).not.toContain(CODE);
  });

  it('a key whose transport PIN does not open it: the SO-PIN resets it, and the holder’s PIN is set', async () => {
    const k = await kiosk({ courier: true });
    holderToken(k).userPin = 'someone-else';
    const v = await drive(k, 'activate');
    expect(v?.status).toBe('completed');
    expect(holderToken(k).userPin).toBe(NEW_PIN);
    expect(k.log).toContain('usbKey.unlock');
  });

  it('an activation code that is not 6 digits is refused before central is asked', async () => {
    const k = await kiosk({ courier: true });
    await k.engine.start('activate');
    k.driver.insert(holderToken(k));
    await k.engine.readKey();
    await expect(k.engine.submitCode('12ab')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(k.log).not.toContain('central.activate');
  });

  it('C_SetPIN hangs: TOKEN_NOT_RESPONDING, the intent stays, and the next PIN resets first (no try spent)', async () => {
    const k = await kiosk({ courier: true, engine: { tokenStepLimitMs: 50 } });
    await k.engine.start('activate');
    k.driver.insert(holderToken(k));
    await k.engine.readKey();
    await k.engine.submitCode(CODE);
    const release = k.driver.hangNext('setPin');
    const hung = await k.engine.setPin(NEW_PIN);
    expect(hung).toMatchObject({ need: 'pin', error: { code: 'TOKEN_NOT_RESPONDING' } });
    expect(k.store.data.services[hung!.id]?.pending?.effect).toBe('activation-pin');
    // The wedged call returns at last (a real key's jobs are one at a time): it may not record anything.
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(k.store.data.services[hung!.id]?.step).toBe('code-accepted');
    const done = await k.engine.setPin(NEW_PIN);
    expect(done?.status).toBe('completed');
    expect(holderToken(k).userPin).toBe(NEW_PIN);
    expect(k.driver.wrongUserPinTries).toBe(0);
  });

  it('the idle wipe after the code was used ends it abandoned, saying so for staff (the holder may not cancel)', async () => {
    const k = await kiosk({ courier: true });
    await k.engine.start('activate');
    k.driver.insert(holderToken(k));
    await k.engine.readKey();
    const v = await k.engine.submitCode(CODE);
    expect(v?.cancellable).toBe(false);
    expect(k.engine.cancellable()).toBe(false);
    const id = v!.id;
    await k.engine.wipe('idle');
    const j = k.store.data.services[id]!;
    expect(j.status).toBe('abandoned');
    expect(j.note).toMatch(/committed/);
    expect(k.engine.current()).toBeNull();
  });
});

describe('unlock', () => {
  it('locked → card → grant → C_InitPIN with the new PIN: unlocked, one grant, one event, nothing of the card kept', async () => {
    const k = await kiosk({ locked: true });
    const v = await drive(k, 'unlock');
    expect(v).toMatchObject({ status: 'completed', unlocksLeftToday: 2 });
    expect(holderToken(k).userPin).toBe(NEW_PIN);
    expect(holderToken(k).userPinLocked).toBe(false);
    expect(k.central.unlocks.map((u) => u.outcome)).toEqual(['granted']);
    expect(k.events.ofType('token.unlocked')).toHaveLength(1);
    const disk = k.store.durable();
    for (const secret of [HOLDER.idNumber, HOLDER.name, NEW_PIN]) expect(disk).not.toContain(secret);
  });

  it('a key whose PIN is not locked: PIN_NOT_LOCKED, central not asked', async () => {
    const k = await kiosk();
    const v = await drive(k, 'unlock');
    expect(v?.error?.code).toBe('PIN_NOT_LOCKED');
    expect(k.log).not.toContain('central.requestUnlock');
  });

  it('central’s answer lost after it granted: the same unlockId again, counted once', async () => {
    const k = await kiosk({ locked: true });
    k.central.loseNextUnlockAnswer();
    await k.engine.start('unlock');
    await act(k, 'unlock'); // key
    const lost = await act(k, 'unlock'); // card: granted at central, answer lost
    expect(lost).toMatchObject({ need: 'id-card', error: { code: 'CENTRAL_UNAVAILABLE' } });
    await k.engine.retry();
    const granted = await k.engine.readCard();
    expect(granted?.need).toBe('pin');
    expect(k.central.unlocks).toHaveLength(1);
  });
});

// ---------- crash at every boundary ----------

/**
 * Run the service until the engine reaches `point` and "kill -9" it there: the engine never goes on, and what
 * was on disk at that moment is returned.
 */
async function crashAt(
  kind: 'activate' | 'unlock',
  point: ServiceFaultPoint,
): Promise<{ k: Kiosk; disk: string }> {
  let crash: ((durable: string) => void) | undefined;
  const crashed = new Promise<string>((resolve) => {
    crash = resolve;
  });
  let k: Kiosk | undefined;
  k = await kiosk({
    courier: kind === 'activate',
    locked: kind === 'unlock',
    engine: {
      fault: (p) => {
        if (p !== point || !crash || !k) return;
        const c = crash;
        crash = undefined;
        c(k.store.durable());
        return new Promise<never>(() => undefined);
      },
    },
  });
  const kk = k;
  const disk = await Promise.race([
    crashed,
    drive(kk, kind).then(() => {
      throw new Error(`the journey never reached ${point}`);
    }),
  ]);
  return { k: kk, disk };
}

const pointsOf = (kind: 'activate' | 'unlock') =>
  SERVICE_FAULT_POINTS.filter((p) => SERVICE_EFFECTS[p.split(':')[1] as ServiceEffect].kind === kind);

describe('recover() after a crash with an intent durable and its result not', () => {
  it.each([...pointsOf('activate'), ...pointsOf('unlock')])('crash at %s', async (point) => {
    const effect = point.split(':')[1] as ServiceEffect;
    const kind = SERVICE_EFFECTS[effect].kind as 'activate' | 'unlock';
    const { k, disk } = await crashAt(kind, point);
    const engine = k.newEngine(disk);
    const outcomes = await engine.recover();
    expect(outcomes.map((o) => o.outcome)).toEqual([
      SERVICE_RECOVERY_OUTCOME[SERVICE_EFFECTS[effect].recovery],
    ]);
    const v = await drive(k, kind);
    expect(v?.status).toBe('completed');
    expect(holderToken(k).userPin).toBe(NEW_PIN);
    expect(k.driver.wrongUserPinTries).toBe(0);
    if (kind === 'activate') {
      expect(k.central.keyCertificates.get(k.key.serialNumber)?.courier).toMatchObject({ wrong: 0 });
      expect(k.events.distinct().filter((e) => e.type === 'certificate.activated')).toHaveLength(1);
    } else {
      expect(k.central.unlocks.map((u) => u.outcome)).toEqual(['granted']);
      expect(k.events.distinct().filter((e) => e.type === 'token.unlocked')).toHaveLength(1);
    }
  });
});

describe('the store failing', () => {
  it('a failed write advances nothing: STORE_UNAVAILABLE on screen, central not asked, on again once it writes', async () => {
    const k = await kiosk({ courier: true });
    await k.engine.start('activate');
    k.driver.insert(holderToken(k));
    await k.engine.readKey();
    k.store.breakAtWrite(1);
    const v = await k.engine.submitCode(CODE);
    expect(v?.error?.code).toBe('STORE_UNAVAILABLE');
    expect(k.engine.stalled).toBe(true);
    expect(k.log).not.toContain('central.activate');
    expect(k.store.data.services[v!.id]?.pending).toBeUndefined();
    k.store.repair();
    await k.engine.resumeAfterStoreFault();
    expect(k.engine.stalled).toBe(false);
    expect(k.engine.view()?.need).toBe('activation-code');
  });
});

describe('one journey at a time', () => {
  it('refused beside an open pickup (JOURNEY_BUSY) and while the last holder’s key is in the writer (TAKE_KEY_FIRST)', async () => {
    let pickupOpen = true;
    let keyLeft = false;
    const k = await kiosk({ pickup: { open: () => pickupOpen, keyLeftBehind: () => keyLeft } });
    await expect(k.engine.start('certificates')).rejects.toMatchObject({ code: 'JOURNEY_BUSY' });
    pickupOpen = false;
    keyLeft = true;
    await expect(k.engine.start('certificates')).rejects.toMatchObject({ code: 'TAKE_KEY_FIRST' });
    keyLeft = false;
    const v = await k.engine.start('certificates');
    expect(v.need).toBe('token');
    await expect(k.engine.start('lookup')).rejects.toMatchObject({ code: 'JOURNEY_BUSY' });
    // Its own key left in the writer after the result: the next service waits for it to be taken.
    k.driver.insert(holderToken(k));
    const done = await k.engine.readKey();
    expect(done?.status).toBe('completed');
    await k.engine.close();
    await expect(k.engine.start('lookup')).rejects.toMatchObject({ code: 'TAKE_KEY_FIRST' });
    k.driver.pull();
    expect((await k.engine.start('lookup')).need).toBe('scan-or-id-card');
  });
});
