#!/usr/bin/env node
// node appliance/dist/sim/cli.js --config FILE [--ui DIR] [--port N] [--phone-page URL] [--log-level L]
// The kiosk daemon in the sim profile: emulated ID reader, printer and scanner on PTY pairs, a SoftHSM2 tray
// of blank keys, and the /sim control page. Fault injection (tests only): CERTKIOSK_FAULT_AT names the
// side-effect boundaries (pickup-table.ts FaultPoint, comma-separated) at which the process SIGKILLs itself.
import { parseDaemonArgs, runDaemon } from '../cli/run-daemon.js';
import { startSimDaemon } from './compose.js';
import { faultHookFromEnv } from './fault-hook.js';

const { config, options, phonePageUrl } = parseDaemonArgs(
  'node appliance/dist/sim/cli.js --config FILE [--ui DIR] [--port N] [--phone-page URL] [--log-level L]',
);
const fault = faultHookFromEnv(process.env, (line) => options.logger.warn(line));
await runDaemon(
  () =>
    startSimDaemon({
      config,
      ...options,
      ...(phonePageUrl ? { phonePageUrl } : {}),
      ...(fault ? { fault } : {}),
    }),
  options.logger,
);
