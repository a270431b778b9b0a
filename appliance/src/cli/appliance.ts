#!/usr/bin/env node
// certkiosk-appliance --config FILE [--ui DIR] [--port N] [--log-level L] — the kiosk daemon on the real devices.
// The sim profile (emulators, key tray, /sim) has its own entry point: node appliance/dist/sim/cli.js.
import { startDaemon } from '../daemon.js';
import { parseDaemonArgs, runDaemon } from './run-daemon.js';

const { config, options } = parseDaemonArgs(
  'certkiosk-appliance --config FILE [--ui DIR] [--port N] [--log-level fatal|error|warn|info|debug|trace|silent]',
);
if (config.simulation?.enabled) {
  process.stderr.write(
    'certkiosk-appliance: this configuration is the sim profile (simulation.enabled); start it with ' +
      '`node appliance/dist/sim/cli.js --config FILE` or `make demo`.\n',
  );
  process.exit(2);
}
await runDaemon(() => startDaemon({ config, ...options }), options.logger);
