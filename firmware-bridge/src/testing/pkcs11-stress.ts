// PKCS#11 stress run: every kind of caller the appliance has, at once, on one module, for a while.
// Run as a child process by src/token/pkcs11-stress.softhsm.test.ts (a crash in native code then fails the
// test instead of killing the runner): `node dist/testing/pkcs11-stress.js` with SOFTHSM2_CONF set.
//
//   keygen + sign jobs   through the driver, key generation and signatures on libuv worker threads (*Async)
//   appliance signer     a second token signing every few ms, as the daemon's request signer does
//   device polls         slot list, isPresent and SlotWatcher ticks, as the device manager makes them
//   rescans              SoftHSM re-initialisation (C_Finalize + C_Initialize), as the watcher makes them
//
// Environment: CERTKIOSK_STRESS_MS (default 120000), CERTKIOSK_STRESS_JOBS (parallel job loops, default 3),
// CERTKIOSK_PKCS11_MODULE (default: the usbkey-sim module). Prints one JSON line; exits 1 on any error.
import { createHash, randomBytes, verify } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { UsbKeyDriver } from '../token/driver.js';
import type { KeyAlgorithm } from '../token/public-key.js';
import { spkiKey } from '../token/public-key.js';
import { USBKEY_SIM_MODULE } from '../token/softhsm.js';

export interface StressReport {
  durationMs: number;
  /** Operations that entered the module and completed. */
  ops: number;
  byKind: Record<string, number>;
  /** Sync polls that found the module busy and answered from the last listing instead of entering it. */
  pollsDeferred: number;
  errors: string[];
}

const PIN = '246813';
const SO_PIN = 'stress-so-pin';
const APPLIANCE_KEY = Buffer.from('a1', 'hex');

export async function runStress(opts: {
  modulePath: string;
  durationMs: number;
  jobs: number;
}): Promise<StressReport> {
  const driver = UsbKeyDriver.open(opts.modulePath);
  const byKind: Record<string, number> = {};
  const errors: string[] = [];
  let pollsDeferred = 0;
  const done = (kind: string) => {
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  };
  const fail = (kind: string, err: unknown) => {
    const e = err as { code?: string; message?: string };
    if (errors.length < 50) errors.push(`${kind}: ${e.code ?? ''} ${e.message ?? String(err)}`);
  };

  // Set-up, before anything runs concurrently: the appliance token and one token per job loop.
  const newToken = (label: string) => {
    const free = driver.slots().find((s) => s.token && !s.token.flags.initialized);
    if (!free) throw new Error('SoftHSM offers no free slot');
    return driver.initToken(free.slotId, { label, soPin: SO_PIN, userPin: PIN });
  };
  const appliance = newToken('stress-appliance');
  const applianceRef = { serial: appliance.serial };
  const applianceSpki = (
    await driver.keygen(applianceRef, PIN, { algorithm: 'ec-p256', id: APPLIANCE_KEY, label: 'appliance' })
  ).spki;
  const jobTokens = Array.from({ length: opts.jobs }, (_, i) => newToken(`stress-job-${i + 1}`));

  const t0 = performance.now();
  const until = t0 + opts.durationMs;
  const running = () => performance.now() < until;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  // Keygen + sign jobs: EC mostly, every eighth RSA-2048 (a long generation on a worker thread).
  const jobLoop = async (serial: string, loop: number) => {
    const ref = { serial };
    for (let i = 0; running(); i++) {
      const algorithm: KeyAlgorithm = i % 8 === 7 ? 'rsa2048' : 'ec-p256';
      const id = Buffer.from([loop, ...randomBytes(4)]);
      try {
        const kp = await driver.keygen(ref, PIN, { algorithm, id, label: `job ${i}` });
        done('keygen');
        const data = randomBytes(64);
        const sig = await driver.withSession(ref, PIN, (s) => s.signer(id).sign(data));
        if (!verify('sha256', data, spkiKey(kp.spki), sig)) throw new Error('job signature does not verify');
        done('job-sign');
        await driver.withSession(ref, PIN, (s) => s.destroyObjects(id));
        done('destroy');
      } catch (err) {
        fail('job', err);
      }
    }
  };

  // The appliance's own signer: a signature every few ms, one at a time, from the main thread.
  const applianceLoop = async () => {
    const key = spkiKey(applianceSpki);
    while (running()) {
      const data = createHash('sha256').update(randomBytes(16)).digest();
      try {
        const sig = await driver.withSession(applianceRef, PIN, (s) => s.signer(APPLIANCE_KEY).sign(data));
        if (!verify('sha256', data, key, sig)) throw new Error('appliance signature does not verify');
        done('appliance-sign');
      } catch (err) {
        fail('appliance-sign', err);
      }
      await sleep(3);
    }
  };

  // Device polls as the device manager and the engine make them. Sync calls on timers (they enter an idle
  // module, and answer from the last listing while it is busy), the queued forms, and a SlotWatcher that
  // rescans on every tick as it does for SoftHSM.
  const serials = [appliance.serial, ...jobTokens.map((t) => t.serial)];
  const checkListing = (slots: Array<{ token?: { serial: string; flags: { initialized: boolean } } }>) => {
    const seen = slots.filter((s) => s.token?.flags.initialized && serials.includes(s.token.serial)).length;
    if (seen < serials.length) throw new Error(`slot list shows ${seen} of ${serials.length} keys`);
  };
  const watcher = driver.watch({ intervalMs: 7, rescan: true });
  watcher.on('error', (err) => fail('watcher', err));
  watcher.on('event', (e) => fail('watcher', new Error(`unexpected slot event ${JSON.stringify(e)}`)));
  let p = 0;
  const pollTimer = setInterval(() => {
    const serial = serials[p++ % serials.length]!;
    const entered = !driver.module.busy;
    try {
      checkListing(driver.slots());
      if (!driver.module.isPresent(serial)) throw new Error(`key ${serial} is reported absent`);
      if (entered) done('poll-sync');
      else pollsDeferred++;
    } catch (err) {
      fail('poll-sync', err);
    }
  }, 4);
  const tickTimer = setInterval(() => {
    if (!driver.module.busy) done('watcher-tick');
    watcher.tick();
  }, 5);
  const queuedPollLoop = async () => {
    while (running()) {
      try {
        checkListing(await driver.slotsAsync());
        done('poll-queued');
        if (!(await driver.module.isPresentAsync(serials[p % serials.length]!)))
          throw new Error('a key in the writer is reported absent');
        done('is-present-queued');
      } catch (err) {
        fail('poll-queued', err);
      }
      await sleep(5);
    }
  };

  // Rescans (SoftHSM only sees new tokens after re-initialising), in the queue.
  const rescanLoop = async () => {
    while (running()) {
      try {
        if (await driver.module.rescanAsync()) done('rescan');
        else throw new Error('rescan skipped in its own turn');
      } catch (err) {
        fail('rescan', err);
      }
      await sleep(20);
    }
  };

  await Promise.all([
    ...jobTokens.map((t, i) => jobLoop(t.serial, i)),
    applianceLoop(),
    queuedPollLoop(),
    rescanLoop(),
  ]);
  clearInterval(pollTimer);
  clearInterval(tickTimer);
  watcher.stop();
  const durationMs = performance.now() - t0;
  driver.close();
  const ops = Object.values(byKind).reduce((a, b) => a + b, 0);
  return { durationMs: Math.round(durationMs), ops, byKind, pollsDeferred, errors };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runStress({
    modulePath: process.env['CERTKIOSK_PKCS11_MODULE'] ?? USBKEY_SIM_MODULE,
    durationMs: Number(process.env['CERTKIOSK_STRESS_MS'] ?? 120_000),
    jobs: Number(process.env['CERTKIOSK_STRESS_JOBS'] ?? 3),
  });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = report.errors.length ? 1 : 0;
}
