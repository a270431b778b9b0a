// The sim composition: starts the emulators, the SoftHSM2 key tray and the /sim control routes, and hands
// them to the daemon as its DeviceHarness. The production entry point (cli/appliance.ts) never imports this.
import { readSecret } from '@certkiosk/config';
import { type Daemon, type DaemonOptions, startDaemon } from '../daemon.js';
import { simRoutes } from './routes.js';
import { type Simulation, startSimulation } from './simulation.js';

export interface SimDaemon extends Daemon {
  sim: Simulation;
}

export async function startSimDaemon(
  opts: Omit<DaemonOptions, 'harness'> & { phonePageUrl?: string },
): Promise<SimDaemon> {
  const { config } = opts;
  if (!config.simulation?.enabled) {
    throw new Error('startSimDaemon needs a configuration with simulation.enabled (the sim profile).');
  }
  const env = opts.env ?? process.env;
  const secret = (name: keyof typeof config.secrets) => {
    const source = config.secrets[name];
    return source ? readSecret(source, env).toString('utf8') : null;
  };
  const sim = await startSimulation({
    config,
    dir: config.simulation.dir,
    applianceTokenPin: secret('applianceTokenPin') ?? '',
    blankKeySoPin: secret('blankKeySoPin') ?? 'blank-factory-so-pin',
    blankKeys: config.simulation.blankKeys,
  });
  try {
    const daemon = await startDaemon({
      ...opts,
      harness: {
        blankKeysLeft: () => sim.tray.blanksLeft(),
        plugins: [
          simRoutes({
            sim,
            centralUrl: config.central.url,
            ...(opts.phonePageUrl ? { phonePageUrl: opts.phonePageUrl } : {}),
          }),
        ],
        tokenRescan: true,
        stop: () => sim.stop(),
      },
    });
    return Object.assign(daemon, { sim });
  } catch (err) {
    await sim.stop();
    throw err;
  }
}
