// What both daemon entry points share: the command line, the records logged at start, and a clean stop.
// The daemon logs JSON records on stdout (config/src/logging.ts): `journey recovered`, `emulator control`,
// `listening`, then what it does; a start that fails is one `cannot start` record at fatal.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type CertkioskConfig,
  createLogger,
  type Logger,
  LogLevelError,
  loadConfigOrExit,
  parseLogLevel,
} from '@certkiosk/config';
import type { Daemon, DaemonOptions } from '../daemon.js';
import { record as recordLogLine } from '../diagnostics/log-ring.js';
import { RESTART_EXIT_CODE } from '../staff/kiosk-control.js';

export interface DaemonCommandLine {
  config: CertkioskConfig;
  options: Omit<DaemonOptions, 'config'> & { logger: Logger };
  phonePageUrl?: string;
}

export function parseDaemonArgs(usage: string): DaemonCommandLine {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      ui: { type: 'string' },
      port: { type: 'string' },
      'phone-page': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const configFile = values.config ?? process.env['CERTKIOSK_CONFIG'];
  if (values.help || !configFile) {
    process.stderr.write(`usage: ${usage}\n`);
    process.exit(values.help ? 0 : 2);
  }
  // --log-level wins over the config's `log.level` (default info); checked before anything else is read.
  let given: ReturnType<typeof parseLogLevel> | undefined;
  try {
    given = values['log-level'] === undefined ? undefined : parseLogLevel(values['log-level']);
  } catch (err) {
    if (!(err instanceof LogLevelError)) throw err;
    process.stderr.write(`${err.message}\nusage: ${usage}\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit(configFile);
  const logger = createLogger({
    daemon: 'appliance',
    level: given ?? config.log.level,
    base: { applianceId: config.appliance.id, hall: config.appliance.hall },
    // Each line also goes to the ring of recent lines the diagnostics bundle takes (masked when it is built).
    onLine: recordLogLine,
  });
  const number = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const pollMs = number('CERTKIOSK_POLL_MS');
  const heartbeatMs = number('CERTKIOSK_HEARTBEAT_MS');
  return {
    config,
    options: {
      configFile,
      logger,
      uiDir: values.ui ?? fileURLToPath(new URL('../../../kiosk-ui/dist', import.meta.url)),
      ...(values.port ? { port: Number(values.port) } : {}),
      ...(pollMs ? { pollMs } : {}),
      ...(heartbeatMs ? { heartbeatMs } : {}),
    },
    ...(values['phone-page'] ? { phonePageUrl: values['phone-page'] } : {}),
  };
}

/** Start, log what a supervisor (or a test) waits for, and stop cleanly on SIGINT/SIGTERM. */
export async function runDaemon(
  start: () => Promise<Daemon & { sim?: unknown }>,
  logger: Logger,
): Promise<void> {
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
    logger.fatal({ reason: `${message}${hint}`, code: e.code }, 'cannot start');
    process.exit(1);
  }
  // Recovery outcomes first: whoever waits for the "listening" record has them by then.
  for (const r of daemon.recovered) logger.info({ journeyId: r.id, outcome: r.outcome }, 'journey recovered');
  if ('sim' in daemon && daemon.sim) logger.info({ url: `${daemon.url}/sim` }, 'emulator control');
  logger.info({ url: daemon.url }, 'listening');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping');
    daemon.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Staff asked for a restart: flush and close everything, then exit with RESTART_EXIT_CODE (75); the
  // supervisor (systemd Restart=on-failure, or the demo) starts the daemon again.
  void daemon.restartRequested?.then(() => {
    if (stopping) return;
    stopping = true;
    logger.info({ exitCode: RESTART_EXIT_CODE }, 'restarting');
    daemon.stop().then(
      () => process.exit(RESTART_EXIT_CODE),
      () => process.exit(1),
    );
  });
}
