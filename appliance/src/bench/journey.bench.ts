import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, readSecret, recordBenchFigures } from '@certkiosk/config';
import { DeviceManager, type UsbKeyDriver } from '@certkiosk/firmware-bridge';
import { CentralClient, SyncAgent } from '@certkiosk/sync';
import type { JourneyView } from '../api/contract.js';
import { applianceKeyOn, applianceTokenRef, deriveApplianceSecrets } from '../appliance-key.js';
import { SOFTWARE_VERSION } from '../daemon.js';
import { kioskDevices } from '../devices/kiosk-devices.js';
import { PickupEngine } from '../journey/engine.js';
import type { CentralPort, EventSink, KioskDevices, StateStore } from '../journey/ports.js';
import { startSimulation } from '../sim/simulation.js';
import { openJourneyKeyring } from '../store/journey-keys.js';
import { openJourneyStore } from '../store/journey-store.js';
import { SIM_SECRETS_ENV, simConfig, startTestCentral } from '../testing/kiosk-harness.js';

const JOURNEYS = Number(process.env['BENCH_JOURNEYS'] ?? 11);
const HOLDER_PIN = '385172';

/** Milliseconds spent in each part during the current journey's timed section. */
interface Parts {
  token: number;
  central: number;
  /** PKCS#11 time inside central calls (request signing with the appliance key): token, not central. */
  tokenInCentral: number;
  idReader: number;
  printer: number;
  store: number;
  outbox: number;
  /** Wall time inside UsbKeyDriver methods (their PKCS#11 calls and the driver's own work around them). */
  driver: number;
  storeWrites: number;
}
const zero = (): Parts => ({
  token: 0,
  central: 0,
  tokenInCentral: 0,
  idReader: 0,
  printer: 0,
  store: 0,
  outbox: 0,
  driver: 0,
  storeWrites: 0,
});
let parts = zero();
let inCentral = false;

async function timed<T>(part: keyof Parts, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    parts[part] += performance.now() - t0;
  }
}

/** Time every C_* call of the module, sync and async (as firmware-bridge's token bench does). */
function instrumentPkcs11(driver: UsbKeyDriver): void {
  const api = driver.module.api as unknown as Record<string, (...a: unknown[]) => unknown>;
  const names = new Set<string>();
  // pkcs11js defines the *Async variants on the instance, the rest on the prototypes.
  for (let proto = api as object; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name.startsWith('C_')) names.add(name);
  }
  for (const name of names) {
    const fn = api[name]!;
    api[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      const done = () => {
        const dt = performance.now() - t0;
        parts.token += dt;
        if (inCentral) parts.tokenInCentral += dt;
      };
      const r = fn.apply(api, args);
      if (r instanceof Promise) return r.finally(done);
      done();
      return r;
    };
  }
}

/** Time the outermost UsbKeyDriver method calls (methods call each other, e.g. keygen → withSession). */
function instrumentDriver(driver: UsbKeyDriver): void {
  const methods = ['slots', 'withSession', 'initToken', 'prepareBlankKey', 'keygen', 'csr'];
  const target = driver as unknown as Record<string, (...a: unknown[]) => unknown>;
  let depth = 0;
  let t0 = 0;
  for (const name of [...methods, 'importCertificate', 'setPin', 'info']) {
    const fn = target[name]!.bind(driver);
    target[name] = (...args: unknown[]) => {
      if (depth++ === 0) t0 = performance.now();
      const done = () => {
        if (--depth === 0) parts.driver += performance.now() - t0;
      };
      let r: unknown;
      try {
        r = fn(...args);
      } catch (err) {
        done();
        throw err;
      }
      if (r instanceof Promise) return r.finally(done);
      done();
      return r;
    };
  }
}

async function centralCall<T>(fn: () => Promise<T>): Promise<T> {
  inCentral = true;
  try {
    return await timed('central', fn);
  } finally {
    inCentral = false;
  }
}

function expectNeed(v: JourneyView, need: JourneyView['need'], after: string): void {
  if (v.need !== need || v.status !== 'active')
    throw new Error(`after ${after} the journey needs "${v.need}" (${v.status}): ${JSON.stringify(v.error)}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ck-journey-bench-'));
  const central = await startTestCentral(join(dir, 'central'));
  const config = simConfig(dir, central.url);
  const secret = (name: keyof typeof config.secrets) =>
    readSecret(config.secrets[name]!, SIM_SECRETS_ENV).toString('utf8');
  const applianceTokenPin = secret('applianceTokenPin');
  const blankKeySoPin = secret('blankKeySoPin');

  const sim = await startSimulation({
    config,
    dir: config.simulation!.dir,
    applianceTokenPin,
    blankKeySoPin,
    blankKeys: JOURNEYS + 2,
  });
  // No idle checks during the run: keys are made visible by an explicit rescan before each timed section.
  const manager = new DeviceManager(config.devices, {
    pollIntervalMs: 600_000,
    deviceTimeoutMs: config.timeouts.deviceMs,
    tokenRescan: true,
  });
  manager.start();
  await manager.settled();
  const usbKey = manager.usbKey();
  instrumentPkcs11(usbKey);
  instrumentDriver(usbKey);

  const tokenRef = applianceTokenRef(config.devices.token);
  const applianceKey = await applianceKeyOn(
    usbKey,
    tokenRef,
    applianceTokenPin,
    config.devices.token.applianceKeySpkiSha256,
  );
  const client = new CentralClient({
    baseUrl: config.central.url,
    applianceId: config.appliance.id,
    signer: applianceKey.sign,
    timeoutMs: config.timeouts.centralMs,
  });
  await client.enrol({
    applianceId: config.appliance.id,
    hall: config.appliance.hall,
    publicKeyPem: applianceKey.publicKeyPem,
    softwareVersion: SOFTWARE_VERSION,
  });

  const secrets = await deriveApplianceSecrets(applianceKey);
  const keyring = await openJourneyKeyring(config.store.dir, secrets.journalKek);
  const journeyStore = await openJourneyStore(config.store.dir, { keyring });
  const store: StateStore = {
    get data() {
      return journeyStore.data;
    },
    write: () => {
      parts.storeWrites++;
      return timed('store', () => journeyStore.write());
    },
    useNonce: (nonce, used) => journeyStore.useNonce(nonce, used),
    releaseNonce: (nonce) => journeyStore.releaseNonce(nonce),
  };
  // The agent is not started: events stay queued, so no delivery runs beside the timed journeys.
  const agent = await SyncAgent.open({ dir: join(config.store.dir, 'sync'), client });
  const events: EventSink = { enqueue: (e) => timed('outbox', () => agent.enqueue(e)) };
  const centralPort: CentralPort = {
    checkPickupCode: (code) => centralCall(() => client.checkPickupCode(code)),
    reportIdentityFailure: (code, reason) => centralCall(() => client.reportIdentityFailure(code, reason)),
    voidCertificate: (serial, req) => centralCall(() => client.voidCertificate(serial, req)),
    issueCertificate: (req) => centralCall(() => client.issueCertificate(req)),
    getCertificateByIdempotencyKey: (key) => centralCall(() => client.getCertificateByIdempotencyKey(key)),
  };
  const real = kioskDevices(manager, config.devices.token);
  const devices: KioskDevices = {
    ...real,
    readIdCard: () => timed('idReader', () => real.readIdCard()),
    printReceipt: (r) => timed('printer', () => real.printReceipt(r)),
  };
  const engine = new PickupEngine(store, centralPort, events, devices, applianceKey, {
    applianceId: config.appliance.id,
    hall: config.appliance.hall,
    centralUrl: config.central.url,
    pickupPublicKeyPem: config.central.publicKey,
    pinPolicy: config.pinPolicy,
    idHashKey: secrets.idHashKey,
    soPinMasterSecret: Buffer.from(secret('soPinMasterSecret')),
    blankKeySoPin,
    maxIdAttempts: config.kiosk.maxIdAttempts,
  });

  interface Sample extends Parts {
    total: number;
  }
  const samples: Sample[] = [];
  // Journey 0 warms up (first-call costs of the module, the JIT and the sockets) and is not recorded.
  for (let run = 0; run <= JOURNEYS; run++) {
    await engine.close();
    sim.pullKeys();
    const { pickupCode } = await central.createApprovedOrder();
    await sim.placeCard('han-zhang-wei');
    sim.insertBlankKey();
    await usbKey.module.rescanAsync();

    parts = zero();
    const t0 = performance.now();
    expectNeed(await engine.scan(pickupCode), 'confirm-order', 'the scan');
    expectNeed(await engine.confirm(), 'id-card', 'confirming the order');
    expectNeed(await engine.readIdentity(), 'token', 'reading the ID card');
    expectNeed(await engine.personaliseToken(), 'pin', 'personalising the key');
    const done = await engine.setPin(HOLDER_PIN);
    const total = performance.now() - t0;
    if (done.status !== 'completed' || done.receipt?.state !== 'printed')
      throw new Error(`the journey ended ${done.status}, receipt ${done.receipt?.state}`);
    if (run > 0) samples.push({ ...parts, total });
  }

  const m = (f: (s: Sample) => number) => median(samples.map(f));
  const token = m((s) => s.token);
  const central_ = m((s) => s.central - s.tokenInCentral);
  const other = m((s) => s.total - s.token - (s.central - s.tokenInCentral));
  const total = m((s) => s.total);
  const row = (name: string, ms: number, note = '') =>
    console.log(`${name.padEnd(22)} ${ms.toFixed(1).padStart(8)}  ${note}`);
  console.log(
    `pickup journey scan → receipt on SoftHSM2 (natural person, EC P-256), median of ${samples.length} (ms)`,
  );
  row('journey.total.ms', total);
  row('journey.token.ms', token, 'PKCS#11 calls, incl. request signing with the appliance key');
  row('journey.central.ms', central_, 'CentralPort calls on loopback, less their PKCS#11 time');
  row('journey.other.ms', other, 'target < 100');
  row(
    '  of which ID reader',
    m((s) => s.idReader),
    'read over the PTY pair',
  );
  row(
    '  of which printer',
    m((s) => s.printer),
    'receipt over the PTY pair',
  );
  row(
    '  of which store',
    m((s) => s.store),
    `${m((s) => s.storeWrites)} durable journal appends per journey`,
  );
  row(
    '  of which outbox',
    m((s) => s.outbox),
    'durable event appends',
  );
  row(
    '  of which the rest',
    m(
      (s) => s.total - s.token - (s.central - s.tokenInCentral) - s.idReader - s.printer - s.store - s.outbox,
    ),
    'engine, CSR/X.509 work, receipt layout',
  );
  row(
    '    driver JS in the rest',
    m((s) => s.driver - s.token),
    'UsbKeyDriver work around its PKCS#11 calls (DER, CSR building)',
  );
  row(
    '  token in central',
    m((s) => s.tokenInCentral),
    '(counted as token)',
  );
  recordBenchFigures({
    'journey.total.ms': { value: +total.toFixed(2), unit: 'ms' },
    'journey.token.ms': { value: +token.toFixed(2), unit: 'ms' },
    'journey.central.ms': { value: +central_.toFixed(2), unit: 'ms' },
    'journey.other.ms': { value: +other.toFixed(2), unit: 'ms' },
  });
  console.log(other < 100 ? 'other < 100 ms: met' : 'other < 100 ms: NOT met');

  await agent.close();
  await manager.stop();
  await sim.stop();
  await central.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
