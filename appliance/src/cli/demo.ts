#!/usr/bin/env node
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// certkiosk-demo (`make demo`): the reference central service with an approved demo order, the kiosk daemon
// in the sim profile with its four emulators, and the URLs a person needs to play the applicant.
// `--smoke` plays one whole journey through the /sim control routes and the kiosk API, then stops.
import {
  DEMO_OPERATOR,
  DEMO_RENEWAL_KEY_PIN,
  DEMO_SECRETS,
  type LogLevel,
  LogLevelError,
  parseLogLevel,
} from '@certkiosk/config';
import { deriveSoPin, deriveTransportPin } from '@certkiosk/firmware-bridge';
import { normaliseCertificateSerial } from '@certkiosk/sync';
import { DEMO_FACTS_FILE, type DemoFacts, readDemoFacts } from '@certkiosk/sync/central';
import type { JourneyView } from '../api/contract.js';
import type { ServiceView } from '../api/service-contract.js';
import { heldKey, makeHeldKey } from '../sim/held-keys.js';
import { DEMO_STAFF } from '../staff/demo-accounts.js';
import { RESTART_EXIT_CODE } from '../staff/kiosk-control.js';
import { humanLogLine } from './log-lines.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const repo = (p: string) => join(REPO, p);

const CENTRAL_BIN = repo('sync/dist/cli/central.js');
const KIOSK_BIN = repo('appliance/dist/sim/cli.js');
const SIM_MODULE = repo('firmware-bridge/dist/native/libcertkiosk-usbkey-sim.so');
const SIM_PROFILE = repo('config/profiles/sim.json');
const PICKUP_KEY = repo('sync/fixtures/sim-pickup-signing.key.pem');
const KIOSK_UI_INDEX = repo('kiosk-ui/dist/index.html');

/** Fixed development secrets: the demo store is made with them, so they must not change between runs. */
export { DEMO_SECRETS };
export const DEMO_ADMIN_TOKEN = 'dev';
/** The holder of the seeded order; the emulator's ID-card fixture han-zhang-wei is this person. */
const DEMO_HOLDER = { name: '张伟', idNumber: '440305198503071238' };
const DEMO_HOLDER_PIN = '385172';

const USAGE = `usage: certkiosk-demo [--reset] [--dir DIR] [--central-port N] [--kiosk-port N] [--payment-seconds N] [--smoke]
                     [--log-level L] [--json-logs]
  --reset             wipe the demo folder first (a fresh central store, SoftHSM and kiosk store)
  --dir DIR           demo folder (default: .demo at the repository root)
  --central-port N    port of the reference central service (default 7410)
  --kiosk-port N      port of the kiosk daemon (default 7420)
  --payment-seconds N how long a kiosk payment's QR code can be paid (central's --wechatpay-payment-seconds;
                      default 300)
  --smoke             play one whole pickup journey automatically, print the outcome and stop
  --log-level L       the daemons' --log-level (fatal|error|warn|info|debug|trace|silent; default info); at
                      debug and trace the demo also shows central's and the kiosk's request records
  --json-logs         pass the daemons' JSON records through as they are (default: one short line each)`;

interface DemoOptions {
  dir: string;
  centralPort: number;
  kioskPort: number;
  reset: boolean;
  smoke: boolean;
  /** Central's --wechatpay-payment-seconds, when given. */
  paymentSeconds?: string;
  /** The daemons' --log-level, when given. */
  logLevel?: LogLevel;
  jsonLogs: boolean;
}

class DemoError extends Error {}

function parseOptions(): DemoOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        reset: { type: 'boolean', default: false },
        smoke: { type: 'boolean', default: false },
        dir: { type: 'string' },
        'central-port': { type: 'string', default: '7410' },
        'kiosk-port': { type: 'string', default: '7420' },
        'payment-seconds': { type: 'string' },
        'log-level': { type: 'string' },
        'json-logs': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const port = (name: string) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      process.stderr.write(`demo: --${name} must be a port number 1–65535, not "${values[name]}".\n`);
      process.exit(2);
    }
    return n;
  };
  let logLevel: LogLevel | undefined;
  try {
    logLevel = values['log-level'] === undefined ? undefined : parseLogLevel(values['log-level'] as string);
  } catch (err) {
    if (!(err instanceof LogLevelError)) throw err;
    process.stderr.write(`demo: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const centralPort = port('central-port');
  const kioskPort = port('kiosk-port');
  if (centralPort === kioskPort) {
    process.stderr.write('demo: the central and the kiosk need two different ports.\n');
    process.exit(2);
  }
  return {
    dir: resolve((values.dir as string | undefined) ?? repo('.demo')),
    centralPort,
    kioskPort,
    reset: values.reset === true,
    smoke: values.smoke === true,
    // Checked by central (a whole number of seconds).
    ...(typeof values['payment-seconds'] === 'string' ? { paymentSeconds: values['payment-seconds'] } : {}),
    ...(logLevel ? { logLevel } : {}),
    jsonLogs: values['json-logs'] === true,
  };
}

// ---------- child processes ----------

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

const children: Child[] = [];
let stopping = false;

/** How the daemons' lines are shown: their JSON records as short lines (log-lines.ts), or as they are. */
let show: (line: string) => string | null = (line) => line;

function forwardLines(from: Readable, to: Writable, prefix: string, onLine?: (line: string) => void): void {
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => {
    const shown = show(line);
    if (shown !== null) to.write(`${prefix}${shown}\n`);
    onLine?.(line);
  });
}

function startChild(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  /** The exit code after which the child is started again (the kiosk daemon's staff restart). */
  restartOnExit?: number,
): Child {
  // Own process group: a terminal's Ctrl-C reaches only the demo, which stops the kiosk before central.
  const proc = spawn(process.execPath, args, {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  forwardLines(proc.stdout!, process.stdout, `[${name}] `);
  forwardLines(proc.stderr!, process.stderr, `[${name}] `);
  const child = { name, proc, exited };
  children.push(child);
  void exited.then((code) => {
    if (stopping) return;
    if (restartOnExit !== undefined && code === restartOnExit) {
      // Like systemd's Restart=: staff restarted the daemon from the maintenance screen.
      process.stderr.write(`demo: the ${name} asked to be restarted; starting it again.\n`);
      children.splice(children.indexOf(child), 1);
      startChild(name, args, env, restartOnExit);
      return;
    }
    process.stderr.write(`demo: the ${name} process stopped unexpectedly (exit code ${code}).\n`);
    void shutdown(1);
  });
  return child;
}

const isRunning = (c: Child) => c.proc.exitCode === null && c.proc.signalCode === null;

/** SIGTERM, then SIGKILL to its whole group (socat pairs included) after 5 s. */
async function stopChild(c: Child): Promise<void> {
  if (!isRunning(c)) return;
  c.proc.kill('SIGTERM');
  const outcome = await Promise.race([c.exited.then(() => 'exited'), sleep(5000).then(() => 'timeout')]);
  if (outcome === 'timeout') {
    process.stderr.write(`demo: the ${c.name} did not stop within 5 s; killing it.\n`);
    killGroup(c);
    await c.exited;
  }
}

function killGroup(c: Child): void {
  try {
    process.kill(-c.proc.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // The kiosk first, so its last outbox delivery still finds central.
    for (const c of [...children].reverse()) await stopChild(c);
  }
  process.exit(code);
}

// A crash of the demo itself must not leave the daemons holding the ports.
process.on('exit', () => {
  for (const c of children) if (isRunning(c)) killGroup(c);
});

// ---------- waiting and HTTP ----------

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => done(true)));
  });
}

// An idle keep-alive socket from the demo would hold a child's graceful close open for seconds.
const NO_KEEP_ALIVE = { connection: 'close' };

async function waitForHttp(url: string, child: Child, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!isRunning(child))
      throw new DemoError(`the ${child.name} exited while starting (see its output above).`);
    try {
      const r = await fetch(url, { headers: NO_KEEP_ALIVE, signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
  throw new DemoError(`the ${child.name} did not answer ${url} within ${timeoutMs / 1000} s.`);
}

async function http<T>(method: string, url: string, body?: unknown, token?: string): Promise<T> {
  const r = await fetch(url, {
    method,
    headers: {
      ...NO_KEEP_ALIVE,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await r.text();
  if (!r.ok)
    throw new DemoError(`${method} ${new URL(url).pathname} answered ${r.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** What central seeded (DIR/demo-facts.json), once it has written it. */
async function waitForFacts(file: string, child: Child, timeoutMs: number): Promise<DemoFacts> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!isRunning(child))
      throw new DemoError(`the ${child.name} exited while starting (see its output above).`);
    if (existsSync(file)) {
      try {
        return readDemoFacts(file);
      } catch {
        // being written
      }
    }
    await sleep(150);
  }
  throw new DemoError(`central answered but wrote no ${file} within ${timeoutMs / 1000} s.`);
}

// ---------- the demo order ----------

interface AdminOrder {
  id: string;
  status: string;
  hall: string;
  delivery: string;
  certificateType: string;
  holder?: { name: string; idNumber: string };
}

/**
 * The phone page of an approved kiosk order for the demo holder: the one central seeded in an empty store,
 * else one still approved in the store, else a fresh one (the last was collected already).
 */
async function demoPhonePage(centralUrl: string, hall: string, printed: string | null): Promise<string> {
  if (printed) return printed;
  const admin = <T>(method: string, path: string, body?: unknown) =>
    http<T>(method, `${centralUrl}/admin/v1${path}`, body, DEMO_ADMIN_TOKEN);
  const { orders } = await admin<{ orders: AdminOrder[] }>('GET', '/orders?status=approved');
  let order = orders.find(
    (o) =>
      o.holder?.idNumber === DEMO_HOLDER.idNumber &&
      o.delivery === 'kiosk' &&
      o.hall === hall &&
      o.certificateType === 'natural-person',
  );
  if (!order) {
    order = await admin<AdminOrder>('POST', '/orders', {
      certificateType: 'natural-person',
      businessType: 'new',
      serviceYears: 1,
      hall,
      delivery: 'kiosk',
      applicant: { name: DEMO_HOLDER.name, phone: '13800138000' },
      holder: DEMO_HOLDER,
    });
    for (const action of ['request-payment', 'pay-wechat', 'request-identity', 'verify-identity', 'approve'])
      await admin('POST', `/orders/${order.id}/actions`, { action });
    process.stdout.write(`[demo] created a fresh approved order ${order.id} for ${DEMO_HOLDER.name}\n`);
  }
  const { path } = await admin<{ path: string }>('GET', `/orders/${order.id}/phone-page`);
  return `${centralUrl}${path}`;
}

// ---------- the after-sales demo keys ----------

/** The keys central's demo seed certified (`<central data>/demo-tokens/<file>.{key,cert}.pem`), as held keys. */
const DEMO_KEYS = [
  { name: 'couriered', file: 'courier', holder: '王淑芬', card: 'long-term-wang-shufen', pin: null },
  // 张伟 set his PIN when he collected it a year ago: renew asks for it.
  { name: 'renewal', file: 'renewal', holder: '张伟', card: 'han-zhang-wei', pin: DEMO_RENEWAL_KEY_PIN },
] as const;

/**
 * Put each seeded demo certificate and its private key onto a SoftHSM token held in the sim's tray (inserted
 * from /sim: "Insert the couriered key"), initialised with the SO-PIN and transport PIN the kiosk derives from
 * the token's serial, and record that token serial at central. Made once per certificate: a restarted demo
 * finds the key as it was left (activated, its PIN set…). Returns the names of the keys ready.
 */
async function prepareDemoKeys(opts: DemoOptions, centralUrl: string): Promise<string[]> {
  const tokens = join(opts.dir, 'central', 'demo-tokens');
  const trayDir = join(opts.dir, 'sim', 'key-tray');
  const chain = ['issuing', 'root']
    .map((n) => join(opts.dir, 'central', 'ca', `${n}.cert.pem`))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8'));
  const master = Buffer.from(DEMO_SECRETS.CERTKIOSK_SO_PIN_MASTER);
  const ready: string[] = [];
  for (const k of DEMO_KEYS) {
    const keyFile = join(tokens, `${k.file}.key.pem`);
    const certFile = join(tokens, `${k.file}.cert.pem`);
    if (!existsSync(keyFile) || !existsSync(certFile)) continue;
    const certPem = readFileSync(certFile, 'utf8');
    const serial = normaliseCertificateSerial(new X509Certificate(certPem).serialNumber);
    let record = heldKey(trayDir, k.name);
    if (record?.certificateSerial !== serial) {
      // A new central store (or a first run): the old key, wherever it lies, goes; a new one is made.
      if (record) {
        for (const where of [join(trayDir, 'pulled'), join(opts.dir, 'sim', 'softhsm', 'tokens')])
          rmSync(join(where, record.folder), { recursive: true, force: true });
      }
      const made = makeHeldKey(trayDir, k.name);
      record = made.load({
        keyPem: readFileSync(keyFile, 'utf8'),
        certPem,
        chainPems: chain,
        soPin: deriveSoPin(master, made.tokenSerial),
        userPin: k.pin ?? deriveTransportPin(master, made.tokenSerial),
      });
      process.stdout.write(
        `[demo] put the ${k.name} key (certificate ${serial}) on token ${record.tokenSerial}\n`,
      );
    }
    await http(
      'POST',
      `${centralUrl}/admin/v1/certificates/${serial}/token`,
      { tokenSerial: record.tokenSerial },
      DEMO_ADMIN_TOKEN,
    );
    ready.push(k.name);
  }
  return ready;
}

// ---------- the kiosk's configuration ----------

/** The sim profile with every path moved under the demo folder and the two ports applied. */
function writeKioskConfig(opts: DemoOptions, centralUrl: string): { file: string; hall: string } {
  // biome-ignore lint/suspicious/noExplicitAny: raw profile JSON; the daemon validates it when it loads it
  const config: any = JSON.parse(readFileSync(SIM_PROFILE, 'utf8'));
  config.central.url = centralUrl;
  config.store.dir = join(opts.dir, 'store');
  config.simulation.dir = join(opts.dir, 'sim');
  for (const device of ['idReader', 'printer', 'scanner'])
    config.devices[device].port = join(opts.dir, 'pty', device === 'idReader' ? 'id-reader' : device);
  config.devices.token.module = SIM_MODULE;
  config.kiosk.listenPort = opts.kioskPort;
  const file = join(opts.dir, 'kiosk-config.json');
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return { file, hall: config.appliance.hall };
}

// ---------- smoke: one journey played through the control routes ----------

async function playOneJourney(kioskUrl: string, phonePage: string): Promise<JourneyView> {
  const api = <T = JourneyView>(method: string, path: string, body?: unknown) =>
    http<T>(method, `${kioskUrl}${path}`, body);
  const until = async (what: string, pred: (j: JourneyView | null) => boolean, timeoutMs = 20_000) => {
    const end = Date.now() + timeoutMs;
    let last: JourneyView | null = null;
    while (Date.now() < end) {
      last = (await api<{ journey: JourneyView | null }>('GET', '/api/state')).journey;
      if (pred(last)) return last;
      if (last?.status === 'failed' || last?.status === 'in-doubt')
        throw new DemoError(
          `the journey ended ${last.status} while waiting for ${what}: ${last.error?.code}`,
        );
      await sleep(100);
    }
    throw new DemoError(`timed out waiting for ${what}; last journey state: ${JSON.stringify(last)}`);
  };

  // Every POST/DELETE to the kiosk is JSON (bodiless ones send {}): the appliance refuses others (415).
  await http('DELETE', `${kioskUrl}/api/journeys/current`, {});
  // The last holder took their key (a new pickup does not start while one is left in the writer).
  await api('POST', '/sim/token', { action: 'pull' });
  await api('POST', '/sim/scan', { phonePageUrl: phonePage });
  await until('the order summary', (j) => j?.need === 'confirm-order');
  const confirmed = await api('POST', '/api/journeys/current/confirm', {});
  if (confirmed.need !== 'id-card')
    throw new DemoError(`after confirming, the kiosk needs "${confirmed.need}"`);
  await api('POST', '/sim/id-card', { fixture: 'han-zhang-wei' });
  await until('the ID card to match', (j) => j?.need === 'token');
  await api('POST', '/sim/token', { action: 'insert' });
  await until('the certificate to be written', (j) => j?.need === 'pin', 45_000);
  const done = await api('POST', '/api/journeys/current/pin', { pin: DEMO_HOLDER_PIN });
  if (done.status !== 'completed')
    throw new DemoError(`after the PIN the journey is ${done.status}: ${done.error?.code ?? ''}`);
  // The holder takes the key away.
  await api('POST', '/sim/token', { action: 'pull' });
  return done;
}

/** Smoke: activate the couriered key (王淑芬's) with its code; an earlier run may have activated it already. */
async function activateCourieredKey(kioskUrl: string, code: string): Promise<string> {
  const api = <T = ServiceView>(method: string, path: string, body?: unknown) =>
    http<T>(method, `${kioskUrl}${path}`, body);
  const state = async () => (await api<{ service: ServiceView | null }>('GET', '/api/state')).service;
  const until = async (what: string, pred: (v: ServiceView | null) => boolean) => {
    const end = Date.now() + 30_000;
    let last: ServiceView | null = null;
    while (Date.now() < end) {
      last = await state();
      if (pred(last)) return last;
      await sleep(100);
    }
    throw new DemoError(`timed out waiting for ${what}; last service state: ${JSON.stringify(last)}`);
  };
  await api('POST', '/api/services', { kind: 'activate' });
  await api('POST', '/sim/token', { action: 'insert', key: 'couriered' });
  const found = await until(
    'the couriered order',
    (v) => v?.need === 'activation-code' || v?.status === 'failed',
  );
  let outcome: string;
  if (found?.status === 'failed') {
    if (found.error?.code !== 'ACTIVATION_ALREADY_DONE')
      throw new DemoError(`the couriered key cannot be activated: ${found.error?.code}`);
    outcome = 'already activated';
  } else {
    await api('POST', '/api/services/current/code', { code });
    const done = await api('POST', '/api/services/current/pin', { pin: DEMO_HOLDER_PIN });
    if (done.status !== 'completed')
      throw new DemoError(`after the PIN the activation is ${done.status}: ${done.error?.code ?? ''}`);
    outcome = `activated (certificate ${done.certificate?.serialNumber})`;
  }
  await http('DELETE', `${kioskUrl}/api/services/current`, {});
  await api('POST', '/sim/token', { action: 'pull' });
  return outcome;
}

// ---------- main ----------

function staffLine(a: { staffId: string; role: string; pin: string }): string {
  return `${a.staffId} PIN ${a.pin}  ${a.role.padEnd(13)}`;
}

function afterSalesLines(
  keys: string[],
  activationCode: string | null,
  reissuePhonePage: string | null,
  renewalPhonePage: string | null,
  payAtKioskPhonePage: string | null,
): string[] {
  if (!keys.length) return [];
  const has = (k: string) => keys.includes(k);
  return [
    'After-sales (home screen tiles; the keys are on /sim under "USB key writer"):',
    ...(has('couriered')
      ? [
          `  激活 activate      "Insert the couriered key" (王淑芬's), type the code ${activationCode ?? 'printed by [central]'}, set a PIN`,
        ]
      : []),
    ...(has('renewal')
      ? [
          `  我的证书 certificates "Insert the renewal key" (张伟's certificate, 45 days left: renewal offered)`,
          `  续期 renew         "Insert the renewal key", place han-zhang-wei: the kiosk shows a WeChat Pay QR code;`,
          `                     pay it with "模拟微信支付 (演示) / Pay (demo)" on ${renewalPhonePage ?? "the renewal order's phone page"}`,
          `                     (WeChat Pay simulator), then type the key's PIN ${DEMO_RENEWAL_KEY_PIN}`,
        ]
      : []),
    ...(reissuePhonePage
      ? [
          `  补办 replace       巴特尔 lost his key: open ${reissuePhonePage}`,
          '                     scan its QR code, place mongol-batu, insert a blank key, set a PIN',
        ]
      : []),
    `  解锁 unlock        "Lock its PIN" for a key, tap unlock, insert the key, place the holder's card`,
    '                     (long-term-wang-shufen for the couriered key, han-zhang-wei for the renewal key), set a PIN',
    `  查询 lookup        scan the phone page's QR code, or place a card (han-zhang-wei: 张伟's orders)`,
    ...(payAtKioskPhonePage
      ? [
          `                     place long-term-wang-shufen: 王淑芬's reissue (补办) awaits payment — tap 在此支付 (Pay here)`,
          `                     and pay it with "模拟微信支付 (演示) / Pay (demo)" on ${payAtKioskPhonePage}`,
        ]
      : []),
  ];
}

function banner(urls: {
  kiosk: string;
  central: string;
  phonePage: string;
  heldKeys: string[];
  activationCode: string | null;
  reissuePhonePage: string | null;
  renewalPhonePage: string | null;
  payAtKioskPhonePage: string | null;
}): string {
  return [
    '',
    '================ certkiosk demo is running — Ctrl-C stops it ================',
    `  kiosk UI            ${urls.kiosk}/`,
    `  applicant's phone   ${urls.phonePage}`,
    `  emulator control    ${urls.kiosk}/sim`,
    `  fleet view          ${urls.central}/fleet   (operator "${DEMO_OPERATOR.name}", password "${DEMO_OPERATOR.password}"; or the admin token "${DEMO_ADMIN_TOKEN}")`,
    `  staff sign-in       ${staffLine(DEMO_STAFF.administrator)}   (maintenance screen: hold the`,
    `                      ${staffLine(DEMO_STAFF.operator)}    top-left corner for 3 s)`,
    '  The staff PINs, the central admin token "dev" and the other demo secrets are fixed development',
    '  values for this demo only.',
    `How to play: open the phone page and the kiosk UI; on /sim press "Scan the phone page's QR code", confirm`,
    `the order on the kiosk, place ${DEMO_HOLDER.name}'s card (han-zhang-wei), insert a blank key, then set a`,
    `6-digit PIN on the kiosk (e.g. ${DEMO_HOLDER_PIN}). The receipt shows under "Receipt printer" on /sim.`,
    ...afterSalesLines(
      urls.heldKeys,
      urls.activationCode,
      urls.reissuePhonePage,
      urls.renewalPhonePage,
      urls.payAtKioskPhonePage,
    ),
    ...(existsSync(KIOSK_UI_INDEX)
      ? []
      : [
          'Note: kiosk-ui/dist is not built, so the kiosk UI page is empty: npm run build -w @certkiosk/kiosk-ui',
        ]),
    '============================================================================',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const opts = parseOptions();
  for (const file of [CENTRAL_BIN, KIOSK_BIN, SIM_MODULE])
    if (!existsSync(file)) throw new DemoError(`${file} is missing; run "make setup" first.`);
  for (const [port, what, flag] of [
    [opts.centralPort, 'the central service', '--central-port'],
    [opts.kioskPort, 'the kiosk', '--kiosk-port'],
  ] as const) {
    if (!(await portFree(port)))
      throw new DemoError(
        `port ${port} (for ${what}) is taken on 127.0.0.1 — is a demo already running? Stop it, or pick another port with ${flag}.`,
      );
  }
  if (opts.reset) {
    rmSync(opts.dir, { recursive: true, force: true });
    process.stdout.write(`[demo] wiped ${opts.dir}\n`);
  }
  mkdirSync(opts.dir, { recursive: true });

  const centralUrl = `http://127.0.0.1:${opts.centralPort}`;
  // The daemons log JSON records; the demo shows each as a short line (request records only at debug/trace).
  const requests = opts.logLevel === 'debug' || opts.logLevel === 'trace';
  if (!opts.jsonLogs) show = (line) => humanLogLine(line, { requests });
  const logLevelArgs = opts.logLevel ? ['--log-level', opts.logLevel] : [];
  // Central writes what it seeded (phone pages, the activation code) to DIR/demo-facts.json once the seeding
  // is done, after it began to answer HTTP: the demo keys are read from disk only after that file is there.
  const factsFile = join(opts.dir, 'central', DEMO_FACTS_FILE);
  rmSync(factsFile, { force: true });
  const central = startChild(
    'central',
    [
      CENTRAL_BIN,
      '--port',
      String(opts.centralPort),
      '--data',
      join(opts.dir, 'central'),
      '--pickup-key',
      PICKUP_KEY,
      '--admin-token',
      DEMO_ADMIN_TOKEN,
      '--seed-demo',
      '--auto-approve-appliances',
      ...(opts.paymentSeconds ? ['--wechatpay-payment-seconds', opts.paymentSeconds] : []),
      ...logLevelArgs,
    ],
    process.env,
  );
  await waitForHttp(`${centralUrl}/openapi.json`, central, 30_000);
  const facts = await waitForFacts(factsFile, central, 30_000);
  const afterSales = facts.afterSales;
  const activationCode = afterSales?.activation.code ?? null;
  const reissuePhonePage = afterSales?.reissue.phonePage ?? null;
  const renewalPhonePage = afterSales?.renewal.phonePage ?? null;
  const payAtKioskPhonePage = afterSales?.payAtKiosk.phonePage ?? null;

  const { file: configFile, hall } = writeKioskConfig(opts, centralUrl);
  const phonePage = await demoPhonePage(centralUrl, hall, facts.phonePage);
  const heldKeys = await prepareDemoKeys(opts, centralUrl);

  const kioskUrl = `http://127.0.0.1:${opts.kioskPort}`;
  const kiosk = startChild(
    'kiosk',
    [KIOSK_BIN, '--config', configFile, '--phone-page', phonePage, ...logLevelArgs],
    {
      ...process.env,
      ...DEMO_SECRETS,
      // The smoke run need not wait on human-speed polls.
      ...(opts.smoke ? { CERTKIOSK_POLL_MS: '100' } : {}),
    },
    RESTART_EXIT_CODE,
  );
  await waitForHttp(`${kioskUrl}/api/state`, kiosk, 90_000);

  if (opts.smoke) {
    const done = await playOneJourney(kioskUrl, phonePage);
    process.stdout.write(
      `demo smoke: journey completed (order ${done.order?.orderId}, certificate ${done.certificate?.serialNumber})\n`,
    );
    if (heldKeys.includes('couriered') && activationCode) {
      const activated = await activateCourieredKey(kioskUrl, activationCode);
      process.stdout.write(`demo smoke: couriered key ${activated}\n`);
    }
    await shutdown(0);
  }
  process.stdout.write(
    banner({
      kiosk: kioskUrl,
      central: centralUrl,
      phonePage,
      heldKeys,
      activationCode,
      reissuePhonePage,
      renewalPhonePage,
      payAtKioskPhonePage,
    }),
  );
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));

main().catch(async (err: unknown) => {
  process.stderr.write(`demo: ${err instanceof DemoError ? err.message : ((err as Error).stack ?? err)}\n`);
  await shutdown(1);
});
