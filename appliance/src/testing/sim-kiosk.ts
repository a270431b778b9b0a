// One kiosk for the in-process SoftHSM suites: a real central on loopback, the sim daemon (emulators over PTYs,
// SoftHSM2 as the keys) in a fresh folder, and the typed client's test wrapper — the set-up they all share.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLogLine } from '@certkiosk/config';
import type { PickupStep } from '../api/contract.js';
import { type SimDaemon, startSimDaemon } from '../sim/compose.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import {
  applianceClient,
  type CentralHandle,
  SIM_SECRETS_ENV,
  simConfig,
  startTestCentral,
  stopWithin,
  waitFor,
} from './kiosk-harness.js';

export interface SimKiosk {
  central: CentralHandle;
  daemon: SimDaemon;
  api: ReturnType<typeof applianceClient>;
  /** The kiosk's folder (config, store, sim). */
  dir: string;
  /** With `faultProxy`: the proxy between the kiosk and central (down, hang, 5xx… per route). */
  proxy?: FaultProxy;
  /** Pull the keys out of the writer right after `step` is durable (once), as an applicant walking off would. */
  pullKeyAfter(step: PickupStep | null): void;
  stop(): Promise<void>;
}

export async function startSimKiosk(
  name: string,
  opts: {
    heartbeatMs?: number;
    log?: (line: string) => void;
    /** Central's clock (e.g. to make codes that have expired by now). */
    centralNow?: () => number;
    /** Put a fault proxy between the kiosk and central (`kiosk.proxy`). Central calls keep the profile's timeout:
     *  the proxy's faults used here fail at once, and a short timeout failed calls on a busy machine. */
    faultProxy?: boolean;
  } = {},
): Promise<SimKiosk> {
  const dir = mkdtempSync(join(tmpdir(), `ck-${name}-`));
  const central = await startTestCentral(undefined, 0, opts.centralNow ? { now: opts.centralNow } : {});
  const proxy = opts.faultProxy ? await startFaultProxy(central.url) : undefined;
  const config = simConfig(dir, proxy?.url ?? central.url);
  let pullAfter: PickupStep | null = null;
  let daemon: SimDaemon | undefined;
  daemon = await startSimDaemon({
    config,
    port: 0,
    env: SIM_SECRETS_ENV,
    pollMs: 100,
    heartbeatMs: opts.heartbeatMs ?? 300,
    log: opts.log ?? (() => {}),
    afterStep: (step) => {
      if (step !== pullAfter) return;
      pullAfter = null;
      daemon?.sim.pullKeys();
    },
  });
  const started = daemon;
  return {
    central,
    daemon: started,
    api: applianceClient(started.url),
    dir,
    ...(proxy ? { proxy } : {}),
    pullKeyAfter: (step) => {
      pullAfter = step;
    },
    async stop() {
      await stopWithin('the daemon', () => started.stop());
      if (proxy) await stopWithin('the fault proxy', () => proxy.close());
      await central.stop();
    },
  };
}

/** A sim kiosk (fault proxy in front of central) once it enrolled with central: ready for its first central call. */
export async function startEnrolledSimKiosk(name: string, centralNow: () => number): Promise<SimKiosk> {
  let enrolled = false;
  const k = await startSimKiosk(name, {
    faultProxy: true,
    centralNow,
    log: (l) => {
      if (parseLogLine(l)?.msg === 'enrolled with central') enrolled = true;
      if (process.env['CK_DEBUG']) console.log(l);
    },
  });
  await waitFor(() => enrolled, 20_000, 'the kiosk enrolled with central');
  return k;
}
