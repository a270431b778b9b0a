#!/usr/bin/env node
// certkiosk-central: run the reference central service on a port with its data in one directory.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, DEMO_OPERATOR, type Logger, LogLevelError, parseLogLevel } from '@certkiosk/config';
import {
  adminTokenProblem,
  autoApproveProblem,
  isLoopbackHost,
  readAdminTokenFile,
} from '../central/admin-auth.js';
import { buildCentral } from '../central/app.js';
import { ApplianceRegistry, ENROLMENT_CODE_VALIDITY_DAYS } from '../central/appliances.js';
import { demoFacts, writeDemoFacts } from '../central/demo-facts.js';
import { DEFAULT_LOW_STOCK_BLANK_KEYS, DEFAULT_STALE_HEARTBEAT_SECONDS } from '../central/fleet-alarms.js';
import { isPostgresUrl, openCentralStore } from '../central/open-store.js';
import { Operators } from '../central/operators.js';
import { NOTIFY_PATH, WECHATPAY_SIM_PREFIX, type WechatPayOptions } from '../central/payments/index.js';
import { KIOSK_PAYMENT_VALIDITY_MS } from '../central/payments/payments.js';
import { prepareSimulatorKeys, SIM_KEY_DIR } from '../central/payments/sim-keys.js';
import { WECHATPAY_BASE_URL } from '../central/payments/wechatpay-api.js';
import { seedDemo } from '../central/seed-demo.js';

const USAGE = `usage: certkiosk-central --port P --data DIR [--host 127.0.0.1] [--public-url URL] [--pickup-key FILE]
       [--admin-token-file FILE] [--public-rate-limit N] [--seed-demo] [--hall SZ-FUTIAN]
       [--auto-approve-appliances] [--log-level L] [WeChat Pay: --wechatpay-* below]
       certkiosk-central --data DIR --register-appliance ID:HALL [--code-days 7]
  --database URL             postgres://… : the store is PostgreSQL (migrated on start; several central
                             processes may share it); or env CERTKIOSK_CENTRAL_DATABASE (keeps a password out
                             of the process list). Default: SQLite in DIR/central.sqlite. DIR still holds the
                             keys (CA, pickup codes, person index): processes sharing a database share DIR's keys.
  --log-level L              fatal|error|warn|info|debug|trace|silent (default info): JSON records, one a line,
                             on stdout (journald-friendly), request logs included; personal data redacted
                             (--log, the old switch for request logs, is the same as --log-level info)
  --host H                   listen address (default 127.0.0.1); any other than loopback needs a >= 128-bit
                             admin token (32 hex / 22 base64url random characters) and, if a wildcard
                             (0.0.0.0, ::), --public-url
  --public-url URL           base URL clients reach central at; issued certificates point at URL/v1/ca/crl and
                             URL/v1/ca/issuing-ca.cer (default: the listen address)
  --pickup-key FILE          Ed25519 private key (PEM) for pickup codes (default: DIR/pickup-signing.key.pem, made once)
  --admin-token-file FILE    file holding the operator token; or env CERTKIOSK_CENTRAL_ADMIN_TOKEN; default:
                             DIR/admin-token (random, made once, mode 0600). Operators log in at /fleet with it
                             or send it as Authorization: Bearer; it is never accepted in a URL.
  --admin-token T            loopback demo only (visible in the process list): the token itself
  --public-rate-limit N      requests per minute per client IP on each unauthenticated endpoint (default 1000; 0 = off)
  --seed-demo                create demo orders in an empty store (pickup, and the after-sales keys and orders:
                             couriered key with its activation code, renewal, reissue; key files in
                             DIR/demo-tokens) and write the phone-page URLs and the after-sales facts to
                             DIR/demo-facts.json (0600; not logged)
  --hall H                   hall of the demo orders (default SZ-FUTIAN)
  --auto-approve-appliances  demo only, loopback --host only: approve appliances as they enrol, no enrolment code
  --add-operator NAME        add an operator of the ops console (or set a new password for one) in DIR's store
                             and exit; the password (at least 12 characters) is read from env
                             CERTKIOSK_OPERATOR_PASSWORD or the first line of stdin, never from the command line
  --register-appliance ID:HALL  register appliance ID for HALL in DIR's store, print its one-time enrolment
                             code (single use; only its hash is kept) and exit; central may be running
  --code-days N              days the enrolment code stays valid (default ${ENROLMENT_CODE_VALIDITY_DAYS}, at most 30)
  --stale-heartbeat-seconds N  an approved appliance silent this long raises a heartbeat-stale alarm
                             (default ${DEFAULT_STALE_HEARTBEAT_SECONDS})
  --low-stock-blank-keys N   fewer blank keys than this in a kiosk raises a low-stock alarm (default ${DEFAULT_LOW_STOCK_BLANK_KEYS})
  Kiosk payments by WeChat Pay (API v3). Without these, a WeChat Pay simulator is mounted at ${WECHATPAY_SIM_PREFIX}
  (demo only; keys made once in DIR/${SIM_KEY_DIR}). With any, all but the last two are required:
  --wechatpay-mchid ID                 merchant id (商户号)
  --wechatpay-appid APPID              the AppID bound to the merchant (Native orders name one)
  --wechatpay-merchant-key FILE        merchant API private key (apiclient_key.pem): signs requests
  --wechatpay-merchant-serial S        serial of the merchant API certificate
  --wechatpay-platform-public-key FILE WeChat Pay platform public key (or certificate), PEM
  --wechatpay-platform-serial SERIAL   its serial or public-key id (PUB_KEY_ID_…), as Wechatpay-Serial names it
  --wechatpay-apiv3-key-file FILE      file holding the 32-character APIv3 key
  --wechatpay-base-url URL             default ${WECHATPAY_BASE_URL}
  --wechatpay-notify-url URL           default <public URL>${NOTIFY_PATH} (WeChat Pay needs https)
  --wechatpay-payment-seconds N        how long a kiosk payment's QR code can be paid (default ${KIOSK_PAYMENT_VALIDITY_MS / 1000};
                                       at least 60 with WeChat Pay, shorter only with the simulator)`;

/** The --wechatpay-* flags that must all be given for the real provider. */
const WECHATPAY_REQUIRED = [
  'wechatpay-mchid',
  'wechatpay-appid',
  'wechatpay-merchant-key',
  'wechatpay-merchant-serial',
  'wechatpay-platform-public-key',
  'wechatpay-platform-serial',
  'wechatpay-apiv3-key-file',
] as const;
const WECHATPAY_OPTIONAL = ['wechatpay-base-url', 'wechatpay-notify-url'] as const;

function fail(msg: string): never {
  process.stderr.write(`certkiosk-central: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

/** --database, else env CERTKIOSK_CENTRAL_DATABASE; a usage error unless a postgres:// URL. */
function databaseOf(values: Record<string, string | boolean | undefined>): string | undefined {
  const url = (values.database as string | undefined) ?? process.env.CERTKIOSK_CENTRAL_DATABASE;
  if (url === undefined || url === '') return undefined;
  if (!isPostgresUrl(url)) fail('--database takes a postgres:// URL (default: SQLite in --data).');
  return url;
}

/** One line on stderr and exit 1: a refusal that is not a usage mistake (weak token on a public address …). */
function refuse(msg: string): never {
  process.stderr.write(`certkiosk-central: ${msg}\n`);
  process.exit(1);
}

/** `--flag N` as `{ [key]: N }` (a whole number, at least `min`), `{}` when not given; a usage error otherwise. */
function wholeNumberFlag<K extends string>(
  values: Record<string, string | boolean | undefined>,
  flag: string,
  key: K,
  min: number,
): Partial<Record<K, number>> {
  const v = values[flag];
  if (v === undefined) return {};
  const n = Number(v);
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v) || n < min)
    fail(`--${flag} must be a whole number, at least ${min}.`);
  return { [key]: n } as Partial<Record<K, number>>;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** DIR/admin-token: a random 256-bit token, created once (0600) and reused. */
function dataDirToken(dir: string): { token: string; path: string; created: boolean } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'admin-token');
  if (existsSync(path)) return { token: readAdminTokenFile(path), path, created: false };
  const token = randomBytes(32).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { token, path, created: true };
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        data: { type: 'string' },
        database: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        'public-url': { type: 'string' },
        'pickup-key': { type: 'string' },
        'admin-token-file': { type: 'string' },
        'admin-token': { type: 'string' },
        'public-rate-limit': { type: 'string' },
        'seed-demo': { type: 'boolean', default: false },
        hall: { type: 'string', default: 'SZ-FUTIAN' },
        'auto-approve-appliances': { type: 'boolean', default: false },
        'register-appliance': { type: 'string' },
        'add-operator': { type: 'string' },
        'code-days': { type: 'string' },
        'stale-heartbeat-seconds': { type: 'string' },
        'low-stock-blank-keys': { type: 'string' },
        'wechatpay-payment-seconds': { type: 'string' },
        ...Object.fromEntries(
          [...WECHATPAY_REQUIRED, ...WECHATPAY_OPTIONAL].map((f) => [f, { type: 'string' as const }]),
        ),
        log: { type: 'boolean', default: false },
        'log-level': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values['add-operator'] !== undefined) {
    if (!values.data) fail('--data DIR is required.');
    await addOperator(String(values.data), databaseOf(values), String(values['add-operator']));
    return;
  }
  if (values['register-appliance'] !== undefined) {
    if (!values.data) fail('--data DIR is required.');
    await registerAppliance(
      String(values.data),
      databaseOf(values),
      String(values['register-appliance']),
      values['code-days'] as string | undefined,
    );
    return;
  }
  let level: ReturnType<typeof parseLogLevel>;
  try {
    if (values.log === true && values['log-level'] !== undefined)
      fail('give --log-level or --log, not both.');
    level = parseLogLevel(values['log-level'] as string | undefined);
  } catch (err) {
    if (!(err instanceof LogLevelError)) throw err;
    fail(`${err.message}.`);
  }
  const port = Number(values.port);
  if (!values.port || !Number.isInteger(port) || port < 0 || port > 65535)
    fail('--port must be a number 0–65535.');
  if (!values.data) fail('--data DIR is required.');
  const dataDir = String(values.data);
  const host = String(values.host);
  const loopback = isLoopbackHost(host);
  if (values['auto-approve-appliances'] === true) {
    const problem = autoApproveProblem(host);
    if (problem) refuse(problem);
  }
  const publicUrl = values['public-url'] as string | undefined;
  if (WILDCARDS.has(host) && !publicUrl)
    refuse(
      `--host ${host} is a wildcard address: give --public-url (the URL clients reach central at; it goes into every issued certificate).`,
    );
  let rateLimit: { max: number; timeWindowMs: number } | false | undefined;
  if (values['public-rate-limit'] !== undefined) {
    const n = Number(values['public-rate-limit']);
    if (!Number.isInteger(n) || n < 0) fail('--public-rate-limit must be a whole number (0 = off).');
    rateLimit = n === 0 ? false : { max: n, timeWindowMs: 60_000 };
  }
  const fleetAlarms = {
    ...wholeNumberFlag(values, 'stale-heartbeat-seconds', 'staleHeartbeatSeconds', 1),
    ...wholeNumberFlag(values, 'low-stock-blank-keys', 'lowStockBlankKeys', 0),
  };
  let pickupKeyPem: string | undefined;
  if (values['pickup-key']) {
    try {
      pickupKeyPem = readFileSync(String(values['pickup-key']), 'utf8');
    } catch (err) {
      fail(`cannot read the pickup key: ${(err as Error).message}`);
    }
  }

  const wechatpay = wechatpayOptions(values);
  const paymentSeconds = paymentValiditySeconds(
    values['wechatpay-payment-seconds'] as string | undefined,
    !!wechatpay,
  );

  // The admin token: a file, the environment, or (loopback demo only) the command line; else DIR/admin-token.
  const tokenFile = values['admin-token-file'] as string | undefined;
  const tokenArg = values['admin-token'] as string | undefined;
  if (tokenFile !== undefined && tokenArg !== undefined)
    fail('give --admin-token-file or --admin-token, not both.');
  if (tokenArg !== undefined && !loopback)
    refuse(
      '--admin-token is for the loopback demo only (it shows in the process list); use --admin-token-file or CERTKIOSK_CENTRAL_ADMIN_TOKEN.',
    );
  let adminToken: string;
  let tokenSource: string;
  try {
    if (tokenFile !== undefined) {
      adminToken = readAdminTokenFile(tokenFile);
      tokenSource = tokenFile;
      if (statSync(tokenFile).mode & 0o077)
        process.stderr.write(
          `certkiosk-central: warning: ${tokenFile} is readable by other users; chmod 600 it.\n`,
        );
    } else if (tokenArg !== undefined) {
      adminToken = tokenArg;
      tokenSource = '--admin-token';
    } else if (process.env.CERTKIOSK_CENTRAL_ADMIN_TOKEN) {
      adminToken = process.env.CERTKIOSK_CENTRAL_ADMIN_TOKEN;
      tokenSource = 'CERTKIOSK_CENTRAL_ADMIN_TOKEN';
    } else {
      const made = dataDirToken(dataDir);
      adminToken = made.token;
      tokenSource = `${made.path}${made.created ? ' (generated)' : ''}`;
    }
  } catch (err) {
    refuse(`cannot read the admin token: ${(err as Error).message}`);
  }
  const problem = adminTokenProblem(host, adminToken);
  if (problem) refuse(problem);

  const logger: Logger = createLogger({ daemon: 'central', level, secretPathPrefixes: ['/p/'] });
  const database = databaseOf(values);
  const app = await buildCentral({
    dataDir,
    ...(database ? { database } : {}),
    pickupKeyPem,
    adminToken,
    ...(publicUrl ? { publicBaseUrl: publicUrl } : {}),
    ...(rateLimit !== undefined ? { publicRateLimit: rateLimit } : {}),
    autoApproveAppliances: values['auto-approve-appliances'] === true,
    fleetAlarms,
    payments: {
      ...(wechatpay ? { wechatpay } : {}),
      ...(paymentSeconds !== undefined ? { validityMs: paymentSeconds * 1000 } : {}),
    },
    logger,
  });
  const address = await app.listen({ port, host });
  const ctx = app.central;
  // Nothing logged here carries the admin token (only where it comes from): operators log in on the fleet page.
  const payments = wechatpay
    ? {
        provider: 'wechatpay',
        mchid: wechatpay.mchid,
        baseUrl: wechatpay.baseUrl ?? WECHATPAY_BASE_URL,
        notifyUrl: wechatpay.notifyUrl ?? `${ctx.publicBaseUrl()}${NOTIFY_PATH}`,
      }
    : {
        // The demo's merchant and platform keys, made at first start and reused.
        provider: 'simulator',
        simulatorUrl: `${address}${WECHATPAY_SIM_PREFIX}`,
        demoPay: `POST ${address}${WECHATPAY_SIM_PREFIX}/demo/pay {"out_trade_no": "<order id>"} with the admin token`,
        simulatorKeys: join(dataDir, SIM_KEY_DIR),
      };
  // The simulator's keys are made now, off the event loop, not at the first payment or daily reconciliation
  // (RSA key generation would stall every request for a few hundred milliseconds).
  const simulatorReady = wechatpay
    ? Promise.resolve()
    : prepareSimulatorKeys(dataDir).catch((err: unknown) =>
        logger.error({ err }, 'the payment simulator keys could not be made'),
      );
  if (values['seed-demo']) await simulatorReady;
  logger.info(
    {
      url: address,
      openapi: `${address}/openapi.json`,
      fleet: `${address}/fleet`,
      adminTokenFrom: tokenSource,
      store: ctx.db.location,
      publicUrl: ctx.publicBaseUrl(),
      appliances: ctx.autoApproveAppliances()
        ? 'auto-approved (loopback demo only)'
        : 'enrolment code, then approval',
      payments,
      pickupPublicKey: ctx.pickup.publicKeyPem.trimEnd(),
    },
    'listening',
  );
  if (wechatpay && !payments.notifyUrl?.startsWith('https://'))
    logger.warn(
      { notifyUrl: payments.notifyUrl },
      'WeChat Pay delivers notifications to https URLs only (--public-url or --wechatpay-notify-url)',
    );
  if (values['seed-demo']) {
    if (!(await ctx.operators.names()).includes(DEMO_OPERATOR.name))
      await ctx.operators.setPassword(DEMO_OPERATOR.name, DEMO_OPERATOR.password);
    const seeded = await seedDemo(ctx, String(values.hall), { tokenDir: join(dataDir, 'demo-tokens') });
    // The phone pages (pickup codes) and the activation code go to a 0600 file, not into the log.
    const file = writeDemoFacts(dataDir, demoFacts(address, seeded, DEMO_OPERATOR));
    logger.info(
      {
        created: seeded.created,
        orders: seeded.orders.length,
        afterSales: !!seeded.afterSales,
        factsFile: file,
      },
      'demo orders seeded',
    );
  }
  const stop = async () => {
    logger.info('stopping');
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** The --wechatpay-* flags as central's options (files read), or undefined when none is given. */
function wechatpayOptions(
  values: Record<string, string | boolean | undefined>,
): WechatPayOptions | undefined {
  const given = [...WECHATPAY_REQUIRED, ...WECHATPAY_OPTIONAL].filter((f) => values[f] !== undefined);
  if (given.length === 0) return undefined;
  const missing = WECHATPAY_REQUIRED.filter((f) => values[f] === undefined);
  if (missing.length > 0)
    fail(`WeChat Pay needs all of its settings; missing: ${missing.map((f) => `--${f}`).join(', ')}.`);
  const v = (f: (typeof WECHATPAY_REQUIRED)[number] | (typeof WECHATPAY_OPTIONAL)[number]) =>
    values[f] as string | undefined;
  const file = (f: (typeof WECHATPAY_REQUIRED)[number]) => {
    try {
      return readFileSync(v(f)!, 'utf8');
    } catch (err) {
      return fail(`cannot read --${f} ${v(f)}: ${(err as Error).message}`);
    }
  };
  return {
    mchid: v('wechatpay-mchid')!,
    appid: v('wechatpay-appid')!,
    merchantPrivateKeyPem: file('wechatpay-merchant-key'),
    merchantSerial: v('wechatpay-merchant-serial')!,
    platformPublicKeyPem: file('wechatpay-platform-public-key'),
    platformSerial: v('wechatpay-platform-serial')!,
    apiV3Key: file('wechatpay-apiv3-key-file').trim(),
    ...(v('wechatpay-base-url') ? { baseUrl: v('wechatpay-base-url')! } : {}),
    ...(v('wechatpay-notify-url') ? { notifyUrl: v('wechatpay-notify-url')! } : {}),
  };
}

/** --wechatpay-payment-seconds: a whole number of seconds (WeChat Pay's time_expire is at least a minute away). */
function paymentValiditySeconds(raw: string | undefined, realProvider: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const min = realProvider ? 60 : 1;
  if (!/^\d+$/.test(raw) || n < min || n > 7200)
    fail(
      `--wechatpay-payment-seconds must be a whole number ${min}–7200${realProvider ? ' (WeChat Pay wants at least a minute)' : ''}.`,
    );
  return n;
}

/** --register-appliance ID:HALL: register in the store (the running central sees it at once) and print the code. */
/** The operator's password from CERTKIOSK_OPERATOR_PASSWORD or stdin's first line; stored as a scrypt hash. */
async function addOperator(dataDir: string, database: string | undefined, name: string): Promise<void> {
  const fromEnv = process.env.CERTKIOSK_OPERATOR_PASSWORD;
  const password = (fromEnv ?? readFileSync(0, 'utf8').split('\n')[0] ?? '').replace(/\r$/, '');
  const db = await openCentralStore({ dataDir, ...(database ? { database } : {}) });
  try {
    await new Operators(db, Date.now).setPassword(name, password);
    process.stdout.write(
      `operator ${name} can log in at /fleet (central keeps only a scrypt hash of the password)\n`,
    );
  } catch (err) {
    refuse((err as Error).message);
  } finally {
    await db.close();
  }
}

async function registerAppliance(
  dataDir: string,
  database: string | undefined,
  spec: string,
  daysArg: string | undefined,
): Promise<void> {
  const m = /^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9._-]{1,64})$/.exec(spec);
  if (!m) fail('--register-appliance takes ID:HALL (letters, digits, . _ -), e.g. KIOSK-FT-001:SZ-FUTIAN.');
  const days = daysArg === undefined ? ENROLMENT_CODE_VALIDITY_DAYS : Number(daysArg);
  if (!Number.isInteger(days) || days < 1 || days > 30) fail('--code-days must be a whole number 1–30.');
  const db = await openCentralStore({ dataDir, ...(database ? { database } : {}) });
  try {
    const r = await new ApplianceRegistry(db, Date.now).register(m[1]!, m[2]!, days);
    process.stdout.write(
      `appliance ${r.applianceId} registered for hall ${r.hall}\n` +
        `  enrolment code: ${r.enrolmentCode}\n` +
        `  single use, valid until ${r.expiresAt}; shown only now (central keeps its hash). Give it to the kiosk\n` +
        `  for its enrolment, then approve the appliance once its key fingerprint matches the kiosk's.\n`,
    );
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`certkiosk-central: ${(err as Error).message}\n`);
  process.exit(1);
});
