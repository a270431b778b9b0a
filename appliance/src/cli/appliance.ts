#!/usr/bin/env node
// certkiosk-appliance --config FILE [--ui DIR] [--port N] [--phone-page URL] — the kiosk daemon.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@certkiosk/config';
import { startDaemon } from '../daemon.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    ui: { type: 'string' },
    port: { type: 'string' },
    'phone-page': { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help || !(values.config ?? process.env['CERTKIOSK_CONFIG'])) {
  process.stderr.write('usage: certkiosk-appliance --config FILE [--ui DIR] [--port N] [--phone-page URL]\n');
  process.exit(values.help ? 0 : 2);
}
const configFile = (values.config ?? process.env['CERTKIOSK_CONFIG'])!;
const config = loadConfigOrExit(configFile);
const uiDir = values.ui ?? fileURLToPath(new URL('../../../kiosk-ui/dist', import.meta.url));
const daemon = await startDaemon({
  config,
  configFile,
  uiDir,
  ...(values.port ? { port: Number(values.port) } : {}),
  ...(values['phone-page'] ? { phonePageUrl: values['phone-page'] } : {}),
  ...(process.env['CERTKIOSK_CRASH_AFTER'] ? { crashAfter: process.env['CERTKIOSK_CRASH_AFTER'] } : {}),
  ...(process.env['CERTKIOSK_POLL_MS'] ? { pollMs: Number(process.env['CERTKIOSK_POLL_MS']) } : {}),
  ...(process.env['CERTKIOSK_HEARTBEAT_MS']
    ? { heartbeatMs: Number(process.env['CERTKIOSK_HEARTBEAT_MS']) }
    : {}),
});
// Recovery outcomes first: whoever waits for the "listening" line has them by then.
for (const r of daemon.recovered) process.stdout.write(`recovered journey ${r.id}: ${r.outcome}\n`);
if (daemon.sim) process.stdout.write(`emulator control: ${daemon.url}/sim\n`);
process.stdout.write(`certkiosk appliance ${config.appliance.id} listening on ${daemon.url}\n`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  daemon.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
