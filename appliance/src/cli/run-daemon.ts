// What both daemon entry points share: the command line, the lines printed at start, and a clean stop.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type CertkioskConfig, loadConfigOrExit } from '@certkiosk/config';
import type { Daemon, DaemonOptions } from '../daemon.js';

export interface DaemonCommandLine {
  config: CertkioskConfig;
  options: Omit<DaemonOptions, 'config'>;
  phonePageUrl?: string;
}

export function parseDaemonArgs(usage: string): DaemonCommandLine {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      ui: { type: 'string' },
      port: { type: 'string' },
      'phone-page': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const configFile = values.config ?? process.env['CERTKIOSK_CONFIG'];
  if (values.help || !configFile) {
    process.stderr.write(`usage: ${usage}\n`);
    process.exit(values.help ? 0 : 2);
  }
  const config = loadConfigOrExit(configFile);
  const number = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const pollMs = number('CERTKIOSK_POLL_MS');
  const heartbeatMs = number('CERTKIOSK_HEARTBEAT_MS');
  return {
    config,
    options: {
      configFile,
      uiDir: values.ui ?? fileURLToPath(new URL('../../../kiosk-ui/dist', import.meta.url)),
      ...(values.port ? { port: Number(values.port) } : {}),
      ...(pollMs ? { pollMs } : {}),
      ...(heartbeatMs ? { heartbeatMs } : {}),
    },
    ...(values['phone-page'] ? { phonePageUrl: values['phone-page'] } : {}),
  };
}

/** Start, print what a supervisor (or a test) waits for, and stop cleanly on SIGINT/SIGTERM. */
export async function runDaemon(start: () => Promise<Daemon & { sim?: unknown }>, id: string): Promise<void> {
  let daemon: Daemon;
  try {
    daemon = await start();
  } catch (err) {
    // One line a person can act on (a read-only or full store, a missing token…), not a stack trace.
    const e = err as NodeJS.ErrnoException & { details?: { cause?: string } };
    const what = `${e.code ?? ''} ${e.details?.cause ?? ''} ${e.message}`;
    const hint = /ENOSPC/.test(what)
      ? ' (the disk is full: free space under the store directory)'
      : /EROFS|EACCES|EPERM/.test(what)
        ? ' (the store directory is not writable: check the mount and its permissions)'
        : '';
    const message = (e.message ?? String(err)).split('\n')[0];
    process.stderr.write(`certkiosk appliance ${id} cannot start: ${message}${hint}\n`);
    process.exit(1);
  }
  // Recovery outcomes first: whoever waits for the "listening" line has them by then.
  for (const r of daemon.recovered) process.stdout.write(`recovered journey ${r.id}: ${r.outcome}\n`);
  if ('sim' in daemon && daemon.sim) process.stdout.write(`emulator control: ${daemon.url}/sim\n`);
  process.stdout.write(`certkiosk appliance ${id} listening on ${daemon.url}\n`);
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
}
