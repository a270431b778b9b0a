// One kiosk for the in-process SoftHSM suites: a real central on loopback, the sim daemon (emulators over PTYs,
// SoftHSM2 as the keys) in a fresh folder, and the typed client's test wrapper — the set-up they all share.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PickupStep } from '../api/contract.js';
import { type SimDaemon, startSimDaemon } from '../sim/compose.js';
import {
  applianceClient,
  type CentralHandle,
  SIM_SECRETS_ENV,
  simConfig,
  startTestCentral,
} from './kiosk-harness.js';

export interface SimKiosk {
  central: CentralHandle;
  daemon: SimDaemon;
  api: ReturnType<typeof applianceClient>;
  /** The kiosk's folder (config, store, sim). */
  dir: string;
  /** Pull the keys out of the writer right after `step` is durable (once), as an applicant walking off would. */
  pullKeyAfter(step: PickupStep | null): void;
  stop(): Promise<void>;
}

export async function startSimKiosk(
  name: string,
  opts: { heartbeatMs?: number; log?: (line: string) => void } = {},
): Promise<SimKiosk> {
  const dir = mkdtempSync(join(tmpdir(), `ck-${name}-`));
  const central = await startTestCentral();
  let pullAfter: PickupStep | null = null;
  let daemon: SimDaemon | undefined;
  daemon = await startSimDaemon({
    config: simConfig(dir, central.url),
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
    pullKeyAfter: (step) => {
      pullAfter = step;
    },
    async stop() {
      await started.stop();
      await central.stop();
    },
  };
}
