// The kiosk daemon: wires config, devices, the durable store, the audit log, the sync agent, the journey
// engine and the API into one process listening on 127.0.0.1. It imports no emulator: a composition (the
// production CLI, or sim/compose.ts) hands it what it adds to the devices (DeviceHarness).
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CertkioskConfig,
  createLogger,
  demoSecretProblems,
  type Logger,
  type LogLevel,
  readSecret,
} from '@certkiosk/config';
import { DeviceManager } from '@certkiosk/firmware-bridge';
import { CentralClient, groupFingerprint, SyncAgent } from '@certkiosk/sync';
import type { FastifyInstance } from 'fastify';
import type { DeviceStatusView, KioskSettings } from './api/contract.js';
import { buildApplianceApi } from './api/server.js';
import { applianceKeyOn, applianceTokenRef, deriveApplianceSecrets } from './appliance-key.js';
import { AuditLog, verifyAuditLog } from './audit/index.js';
import { connectionModel, DeviceErrorHistory, type DeviceInfoView } from './devices/device-info.js';
import { kioskDevices } from './devices/kiosk-devices.js';
import { runSelfTest, ScanCatcher } from './devices/self-test.js';
import { buildDiagnostics } from './diagnostics/diagnostics.js';
import { recentLog, record as recordLogLine } from './diagnostics/log-ring.js';
import { InvoiceDesk } from './invoices/invoice-desk.js';
import { JourneyAutopilot } from './journey/autopilot.js';
import { type EngineOptions, PickupEngine } from './journey/engine.js';
import { OneAtATime } from './journey/one-at-a-time.js';
import type { FaultPoint } from './journey/pickup-table.js';
import { DailyReconciliation } from './reconciliation/daily-run.js';
import { ReconciliationDesk } from './reconciliation/desk.js';
import { kioskRecordsOfDay } from './reconciliation/kiosk-records.js';
import { RecordLedger, recordingEvents } from './reconciliation/record-ledger.js';
import { ServiceEngine, type ServiceEngineOptions } from './services/engine.js';
import type { ServiceFaultPoint } from './services/service-table.js';
import { BlankKeyStock, keysTaken } from './staff/blank-key-stock.js';
import {
  openStaffStore,
  paperLevel,
  reprintQueued,
  type StaffAlarm,
  StaffCalls,
  type StaffStore,
  staffCallAlarms,
  staffOverviewFacts,
  staffStoreAuth,
} from './staff/index.js';
import { KioskControl } from './staff/kiosk-control.js';
import { openJourneyKeyring } from './store/journey-keys.js';
import { openJourneyStore } from './store/journey-store.js';

/** What a composition adds around the real devices (the sim: emulators, a key tray, its control routes). */
export interface DeviceHarness {
  /** Blank keys in the composition's own tray (the sim): seeds the recorded stock on the kiosk's first start. */
  blankKeysLeft?(): number;
  /** Extra routes on the same server. */
  plugins?: Array<(app: FastifyInstance) => Promise<void> | void>;
  /** The token module only notices tokens added by another process after re-initialising (SoftHSM). */
  tokenRescan?: boolean;
  stop?(): Promise<void>;
}

export const SOFTWARE_VERSION = '0.1.0';

/** The store must take writes before anything starts: one clear sentence, not a stack trace, when not. */
function ensureWritableStore(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    const probe = join(dir, '.write-probe');
    writeFileSync(probe, 'ok');
    rmSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw Object.assign(
      new Error(
        code === 'ENOSPC'
          ? `the store directory ${dir} is on a full disk (${code})`
          : `the store directory ${dir} is not writable (${code})`,
      ),
      { code },
    );
  }
}

export interface DaemonOptions {
  config: CertkioskConfig;
  /** Path of the config file, recorded (hashed) in the audit log at start. */
  configFile?: string;
  uiDir?: string;
  /** Port override (0 = any free port, for tests). */
  port?: number;
  env?: NodeJS.ProcessEnv;
  harness?: DeviceHarness;
  /** Fault injection (test compositions only): called at every side-effect boundary (pickup and services). */
  fault?: (point: FaultPoint | ServiceFaultPoint) => void | Promise<void>;
  /** Waiting on central after the issuance request (tests shorten it). */
  centralRetry?: EngineOptions['centralRetry'];
  centralWaitLimitMs?: number;
  /** Test hook: awaited right after each journey step is durable. */
  afterStep?: EngineOptions['afterStep'];
  /** Test hook: awaited right after each service journey step is durable. */
  afterServiceStep?: ServiceEngineOptions['afterStep'];
  /** The daemon's logger (its own records and the API's); default: JSON lines on stdout at `logLevel`. */
  logger?: Logger;
  /** Level of the default logger (`--log-level`; default: the config's `log.level`). */
  logLevel?: LogLevel;
  /** Where the default logger's JSON lines go instead of stdout (tests read them). */
  log?: (line: string) => void;
  /** Poll intervals (tests shorten them). */
  pollMs?: number;
  heartbeatMs?: number;
}

export interface Daemon {
  app: FastifyInstance;
  url: string;
  /** The daemon's logger (run-daemon logs its start and stop through it). */
  logger: Logger;
  engine: PickupEngine;
  /** The after-sales service journeys (activate, certificates, unlock, lookup). */
  services: ServiceEngine;
  manager: DeviceManager;
  agent: SyncAgent;
  audit: AuditLog;
  /** The staff accounts of the maintenance screen (per-person sign-in, lockout, sessions, roles). */
  staff: StaffStore;
  /** Staff sign-in lockouts in force and a store without an administrator (for the heartbeat). */
  staffAlarms(): StaffAlarm[];
  /** Applicants' calls for staff not yet acknowledged (in memory; the heartbeat carries them as alarms). */
  staffCalls: StaffCalls;
  /** The recorded blank-key stock (refills, one key off per written key, the low warning). */
  blankKeys: BlankKeyStock;
  recovered: Array<{ id: string; outcome: string }>;
  /** Out of service or not (staff; kept in the store directory across restarts). */
  control: KioskControl;
  /** Resolves when staff asked for a restart (the CLI then stops and exits with RESTART_EXIT_CODE). */
  restartRequested: Promise<void>;
  stop(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { config } = opts;
  const env = opts.env ?? process.env;
  const logger =
    opts.logger ??
    createLogger({
      daemon: 'appliance',
      level: opts.logLevel ?? config.log.level,
      base: { applianceId: config.appliance.id, hall: config.appliance.hall },
      ...(opts.log ? { write: opts.log } : {}),
      // Every line also goes to the in-memory ring the diagnostics bundle takes (masked when it is built).
      onLine: recordLogLine,
    });
  const secret = (name: keyof CertkioskConfig['secrets']) => {
    const source = config.secrets[name];
    return source ? readSecret(source, env).toString('utf8') : null;
  };
  // The repository's demo secrets are public: a production profile that uses one does not start.
  const shipped = demoSecretProblems(config, (source) => readSecret(source, env));
  if (shipped.length) throw new Error(shipped.join('; '));
  const applianceTokenPin = secret('applianceTokenPin')!;
  const blankKeySoPin = secret('blankKeySoPin');
  ensureWritableStore(config.store.dir);
  const harness = opts.harness ?? {};

  const pollMs = opts.pollMs ?? config.devices.token.pollIntervalMs;
  const manager = new DeviceManager(config.devices, {
    pollIntervalMs: pollMs,
    deviceTimeoutMs: config.timeouts.deviceMs,
    // SoftHSM notices tokens added by another process only after re-initialising.
    tokenRescan:
      !!harness.tokenRescan ||
      config.devices.token.module.includes('softhsm') ||
      config.devices.token.module.includes('usbkey-sim'),
  });
  manager.start();
  await manager.settled();

  const tokenRef = applianceTokenRef(config.devices.token);
  const applianceKey = await applianceKeyOn(
    manager.usbKey(),
    tokenRef,
    applianceTokenPin,
    config.devices.token.applianceKeySpkiSha256,
  );

  const client = new CentralClient({
    baseUrl: config.central.url,
    applianceId: config.appliance.id,
    signer: applianceKey.sign,
    timeoutMs: config.timeouts.centralMs,
    // A production profile pins central's CA (the config loader refuses one without it, or an http central).
    ...(config.central.caCertificate ? { caPem: config.central.caCertificate } : {}),
  });
  const audit = await AuditLog.open(join(config.store.dir, 'audit'));
  const secrets = await deriveApplianceSecrets(applianceKey);
  const keyring = await openJourneyKeyring(config.store.dir, secrets.journalKek);
  const store = await openJourneyStore(config.store.dir, { keyring });
  // Staff accounts: seeded from the config on first start; every sign-in and change is in the audit log.
  const startedAt = new Date().toISOString();
  const staffStore = await openStaffStore({
    file: join(config.store.dir, 'staff.json'),
    seed: config.staff.accounts,
    idleLogoutMs: config.staff.idleLogoutMs,
    maxSessionMs: config.staff.maxSessionMs,
    audit: async (actor, action, details) => {
      await audit.append(actor, action, details);
    },
  });

  const deviceView = (): DeviceStatusView[] => manager.status();
  const control = await KioskControl.open({
    file: join(config.store.dir, 'kiosk-service.json'),
    ...(config.kiosk.hallName ? { hallName: config.kiosk.hallName } : {}),
  });
  let requestRestart = () => {};
  const restartRequested = new Promise<void>((resolve) => {
    requestRestart = resolve;
  });
  // The last time each device was not fine, for the maintenance screen (from start on).
  const deviceErrors = new DeviceErrorHistory();
  for (const s of manager.status()) deviceErrors.note(s);
  manager.on('status', (s) => deviceErrors.note(s));
  // The recorded blank-key stock: seeded once from the sim's tray (a real kiosk starts at 0 until staff record a
  // refill), then lowered by one per key taken (written, by journey id; spoiled, by serial) and raised by refills.
  const blankKeys = await BlankKeyStock.open({
    file: join(config.store.dir, 'blank-keys.json'),
    seed: harness.blankKeysLeft?.() ?? 0,
    lowThreshold: config.kiosk.blankKeysLowThreshold,
    journeys: () => keysTaken(store.data),
  });
  const countWrittenKeys = () =>
    blankKeys
      .countWritten(keysTaken(store.data))
      .catch((err) => logger.error({ err }, 'blank-key stock not saved'));
  const staffCalls = new StaffCalls();
  const agent = await SyncAgent.open({
    dir: join(config.store.dir, 'sync'),
    client,
    heartbeat: {
      intervalMs: opts.heartbeatMs ?? 30_000,
      collect: async () => ({
        softwareVersion: SOFTWARE_VERSION,
        // The audit chain's head, signed: central keeps the heads and alarms on one going back or forking.
        auditHead: await client.currentAuditHead(audit.head()),
        // Staff sign-in locked after wrong PINs, no administrator left, an applicant's call for staff not yet
        // acknowledged (subject: the journey's reference or 'no journey'): central keeps each open.
        alarms: [
          ...staffStore
            .alarms()
            .map((a) =>
              a.kind === 'staff-lockout'
                ? { kind: a.kind, subject: a.staffId, since: a.since }
                : { kind: a.kind, since: startedAt },
            ),
          ...staffCallAlarms(staffCalls.open()),
          ...(control.since() ? [{ kind: 'out-of-service' as const, since: control.since()! }] : []),
          // Central keeps it open until a heartbeat comes without it (a refill).
          ...(blankKeys.lowSince()
            ? [
                {
                  kind: 'blank-keys-low' as const,
                  subject: String(blankKeys.count()),
                  since: blankKeys.lowSince()!,
                },
              ]
            : []),
        ],
        devices: deviceView().map((d) => ({
          device: d.kind,
          status: d.state,
          ...(d.detail ? { detail: d.detail } : {}),
        })),
        consumables: {
          blankKeys: blankKeys.count(),
          paper: paperLevel(manager.statusOf('printer')),
        },
      }),
    },
    onError: (part, err) => logger.warn({ part, err }, 'sync failed'),
  });

  // Every event the engines hand to the outbox is noted in the kiosk's record ledger (reconciliation reads it after
  // the outbox pruned what central acknowledged).
  const ledger = await RecordLedger.open(join(config.store.dir, 'reconciliation'));
  await ledger.prune(Date.now());
  const events = recordingEvents(agent, ledger);
  const reconciliation = new ReconciliationDesk({
    central: client,
    records: (day) => kioskRecordsOfDay(day, { ledger, outbox: agent.outbox }),
  });
  const dailyReconciliation = new DailyReconciliation({
    run: async (day) => {
      await reconciliation.run(day);
      await ledger.prune(Date.now());
    },
    onRun: (day, outcome) =>
      outcome.ok
        ? logger.info({ day }, 'reconciliation sent')
        : logger.warn({ day, err: outcome.error }, 'reconciliation failed; trying again later'),
  });

  // One device adapter for the engines and the autopilot; one writer of the store at a time.
  const devices = kioskDevices(manager, config.devices.token);
  const one = new OneAtATime();
  const audited = async (actor: 'applicant' | 'system', action: string, details: Record<string, unknown>) => {
    await audit.append(actor, action, details);
  };
  // What the receipt and the invoice slip print of the kiosk's configuration.
  const receiptOptions = {
    ...(config.kiosk.hallName ? { hallName: config.kiosk.hallName } : {}),
    timeZone: config.kiosk.timeZone,
    serviceHotline: config.kiosk.serviceHotline,
  };
  // One journey at a time: the pickup and the services each refuse to start beside the other.
  let services: ServiceEngine | undefined;
  const engine = new PickupEngine(store, client, events, devices, applianceKey, {
    exclusive: one,
    serviceOpen: () => !!services?.open(),
    serviceKeyLeftBehind: () => !!services?.keyLeftBehind(),
    applianceId: config.appliance.id,
    hall: config.appliance.hall,
    centralUrl: config.central.url,
    pickupPublicKeyPem: config.central.publicKey,
    pinPolicy: config.pinPolicy,
    soPinMasterSecret: Buffer.from(secret('soPinMasterSecret')!),
    blankKeySoPin,
    idHashKey: secrets.idHashKey,
    allowedTokenModels: config.devices.token.allowedModels,
    maxIdAttempts: config.kiosk.maxIdAttempts,
    receipt: receiptOptions,
    ...(opts.fault ? { fault: opts.fault } : {}),
    ...(opts.centralRetry ? { centralRetry: opts.centralRetry } : {}),
    ...(opts.centralWaitLimitMs ? { centralWaitLimitMs: opts.centralWaitLimitMs } : {}),
    ...(opts.afterStep ? { afterStep: opts.afterStep } : {}),
    audit: audited,
  });
  services = new ServiceEngine(store, client, events, devices, {
    applianceId: config.appliance.id,
    applianceKey,
    pinPolicy: config.pinPolicy,
    soPinMasterSecret: Buffer.from(secret('soPinMasterSecret')!),
    exclusive: one,
    pickup: {
      open: () => engine.current()?.status === 'active',
      keyLeftBehind: () => engine.ownKeyLeftBehind(),
    },
    ...(opts.fault ? { fault: opts.fault } : {}),
    ...(opts.afterServiceStep ? { afterStep: opts.afterServiceStep } : {}),
    audit: audited,
  });
  const serviceEngine = services;

  const configHash = opts.configFile
    ? createHash('sha256').update(readFileSync(opts.configFile)).digest('hex')
    : null;
  await audit.append('system', 'daemon.start', {
    version: SOFTWARE_VERSION,
    configSha256: configHash,
    simulation: !!config.simulation?.enabled,
    faultInjection: !!opts.fault,
  });

  // Enrol (idempotent: the same key is accepted again). Central may be down or hang: the daemon does not
  // wait for it (it serves offline), and keeps trying in the background.
  let enrolTimer: NodeJS.Timeout | undefined;
  const enrol = async (): Promise<void> => {
    try {
      await client.enrol(
        {
          applianceId: config.appliance.id,
          hall: config.appliance.hall,
          publicKeyPem: applianceKey.publicKeyPem,
          softwareVersion: SOFTWARE_VERSION,
        },
        secret('enrolmentCode') ?? undefined,
      );
      // The operator approving this appliance at central compares this fingerprint with the one central shows.
      logger.info({ fingerprint: groupFingerprint(applianceKey.spkiSha256) }, 'enrolled with central');
    } catch (err) {
      logger.warn({ err, retryInMs: 10_000 }, 'enrol failed; retrying');
      enrolTimer = setTimeout(() => void enrol(), 10_000);
      enrolTimer.unref();
    }
  };
  void enrol();

  const recovered = [...(await engine.recover()), ...(await serviceEngine.recover())];
  for (const r of recovered) await audit.append('system', 'journey.recovered', r);
  // Keys written before a crash and not counted yet; then each key as its journey records it written.
  await countWrittenKeys();
  engine.on('journey', () => void countWrittenKeys());

  const autopilot = new JourneyAutopilot(engine, devices, {
    idPollMs: Math.max(200, Math.min(pollMs, 700)),
    tokenPollMs: Math.max(200, pollMs),
    log: (m, err) => logger.warn({ err }, m),
    services: serviceEngine,
  });
  // Out of service: a scan does not start a journey (one already open still takes it). A scanner self-test
  // waiting takes the next code first; the journeys never see it.
  const scans = new ScanCatcher();
  manager.on('scan', (code) => {
    if (scans.offer(code)) return;
    if (control.outOfService && engine.current()?.status !== 'active' && !serviceEngine.current()) return;
    void autopilot.onScan(code);
  });
  autopilot.start();
  agent.start();
  dailyReconciliation.start();

  const settings: KioskSettings = {
    applianceId: config.appliance.id,
    hall: config.appliance.hall,
    languages: ['zh-CN', 'en'],
    idleWarningMs: config.timeouts.idleWarningMs,
    idleWipeMs: config.timeouts.idleWipeMs,
    elderlyTimeoutFactor: config.kiosk.elderlyTimeoutFactor,
    pinPolicy: config.pinPolicy,
    serviceHotline: config.kiosk.serviceHotline,
    ...(config.simulation?.enabled ? { simControlUrl: '/sim' } : {}),
  };

  const verifyAudit = () => verifyAuditLog(join(config.store.dir, 'audit'));
  // Model and firmware as far as each driver reports them (device-info.ts), and each device's last error.
  const deviceInfo = (): DeviceInfoView[] => {
    const key = devices.keyInWriter();
    return (['token', 'idReader', 'printer', 'scanner'] as const).map((kind) => ({
      kind,
      model:
        kind === 'token'
          ? key
            ? `${key.token.manufacturer} ${key.token.model}`.trim()
            : null
          : connectionModel(config.devices[kind]),
      firmware: null,
      lastError: deviceErrors.of(kind),
    }));
  };
  const app = await buildApplianceApi({
    logger,
    engine,
    services: serviceEngine,
    // Invoice slips print through the receipt printer; one it cannot print waits in the reprint queue.
    invoices: new InvoiceDesk(client, {
      kiosk: { kioskId: config.appliance.id, hall: config.appliance.hall, ...receiptOptions },
      print: (slip) => devices.printReceipt(slip),
      queue: (item) =>
        one.run(async () => {
          store.data.reprints.push(item);
          await store.write();
        }),
    }),
    reconciliation,
    devices: manager,
    settings,
    ...(opts.uiDir ? { uiDir: opts.uiDir } : {}),
    staffAuth: staffStoreAuth(staffStore),
    staffCalls,
    staff: {
      overview: () => ({
        ...staffOverviewFacts({
          softwareVersion: SOFTWARE_VERSION,
          kiosk: {
            applianceId: config.appliance.id,
            hall: config.appliance.hall,
            timeZone: config.kiosk.timeZone,
            ...(config.kiosk.hallName ? { hallName: config.kiosk.hallName } : {}),
          },
          state: () => store.data,
          sync: agent,
          printer: () => manager.statusOf('printer'),
          blankKeysLeft: () => blankKeys.count(),
        }),
        deviceInfo: deviceInfo(),
        blankKeyStock: blankKeys.view(),
      }),
      selfTest: (kind) =>
        runSelfTest(
          kind,
          {
            printTestPage: (page) => devices.printReceipt(page),
            readIdCard: () => devices.readIdCard(),
            slots: () => manager.usbKey().slots(),
            keyInWriter: () => devices.keyInWriter(),
            nextScan: (ms) => scans.next(ms),
          },
          { applianceId: config.appliance.id },
        ),
      refillBlankKeys: (count) => blankKeys.refill(count),
      reprint: (id) =>
        reprintQueued(
          store.data.reprints,
          id,
          (receipt) => manager.withDevice('printer', (p) => p.print(receipt)),
          () => store.write(),
        ),
      verifyAudit: async () => {
        const r = await verifyAudit();
        return r.ok
          ? { ok: true, records: r.records, head: r.head }
          : { ok: false, records: r.records, firstBadSeq: r.firstBadSeq, reason: r.problem };
      },
      audit: async (actor, action, details) => {
        await audit.append(
          actor.startsWith('staff:') || actor === 'applicant'
            ? (actor as `staff:${string}` | 'applicant')
            : 'system',
          action,
          details,
        );
      },
      diagnostics: (generatedBy) =>
        buildDiagnostics(
          {
            softwareVersion: SOFTWARE_VERSION,
            config,
            devices: deviceView,
            journeys: () => Object.values(store.data.journeys),
            reprints: () => store.data.reprints,
            spoiledKeys: () => store.data.spoiledKeys.length,
            inDoubt: () => engine.inDoubt().length,
            sync: () => agent.status(),
            audit,
            verifyAudit,
            staffAlarms: () => staffStore.alarms(),
            staffSessions: () => staffStore.activeSessions(),
            recentLogs: () => recentLog.recent(),
            blankKeys: () => {
              const v = blankKeys.view();
              return { count: v.count, lowThreshold: v.lowThreshold, low: v.low };
            },
          },
          generatedBy,
        ),
    },
    plugins: harness.plugins ?? [],
    maintenance: {
      control,
      restart: () => requestRestart(),
      auditNewestFirst: (before) => audit.readNewestFirst(before),
      sync: {
        status: () => agent.status(),
        pendingCount: () => agent.pendingCount(),
        parked: () => agent.outbox.parked(),
        retryParked: (id) => agent.outbox.retryParked(id),
        discardParked: (id) => agent.outbox.discardParked(id),
        deliverOnce: () => agent.outbox.deliverOnce(),
        ...(agent.heartbeat ? { beatOnce: () => agent.heartbeat!.beatOnce() } : {}),
      },
    },
  });
  const address = await app.listen({ host: '127.0.0.1', port: opts.port ?? config.kiosk.listenPort });

  return {
    app,
    url: address,
    logger,
    engine,
    services: serviceEngine,
    manager,
    agent,
    audit,
    staff: staffStore,
    staffAlarms: () => staffStore.alarms(),
    staffCalls,
    blankKeys,
    recovered,
    control,
    restartRequested,
    async stop() {
      clearTimeout(enrolTimer);
      autopilot.stop();
      await dailyReconciliation.stop();
      await app.close();
      await staffStore.close();
      await agent.close();
      await ledger.close();
      await manager.stop();
      await audit.close();
      await store.close();
      await harness.stop?.();
    },
  };
}
