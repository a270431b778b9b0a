// The diagnostics bundle a technician takes away (GET /api/staff/diagnostics): what the kiosk runs, how its
// devices, store, sync queue and audit chain stand, the newest audit records, staff alarms and the
// configuration without secrets. It is built from counts and from data that is already masked, and then
// scrubbed once more as a whole: no name, ID number, phone number, PIN, pickup code, certificate or secret
// leaves the kiosk in it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CertkioskConfig } from '@certkiosk/config';
import { maskName } from '@certkiosk/config';
import type { DeviceStatusView } from '../api/contract.js';
import type { AuditRecord, AuditVerification } from '../audit/index.js';
import { maskIdNumbersInText, REDACTED, redactAuditDetails } from '../audit/index.js';
import type { StaffAlarm } from '../staff/index.js';
import type { LogEntry } from './log-ring.js';

/** How many of the newest audit records the bundle carries. */
export const DIAGNOSTICS_AUDIT_TAIL = 200;

/** What the bundle is built from: the daemon's parts (or a test's stand-ins for them). */
export interface DiagnosticsSource {
  softwareVersion: string;
  config: CertkioskConfig;
  devices(): DeviceStatusView[];
  /** Every journey the store keeps (only `status` and `step` are read). */
  journeys(): Iterable<{ status: string; step: string }>;
  /** Receipts to reprint (only `state` is read). */
  reprints(): Iterable<{ state: string }>;
  spoiledKeys(): number;
  inDoubt(): number;
  /** The sync agent's status, when there is one (SyncAgent.status()). */
  sync?(): {
    outbox: {
      pending: number;
      parked: number;
      delivered?: number;
      consecutiveFailures?: number;
      lastError?: string;
    };
    inbox?: object;
    heartbeat?: object;
  };
  /** The audit log: its head and its records from a sequence number on (AuditLog). */
  audit: {
    head(): { seq: number; hash: string };
    read(fromSeq?: number): AsyncIterable<{ seq: number; data: AuditRecord }>;
  };
  verifyAudit(): Promise<AuditVerification>;
  staffAlarms(): StaffAlarm[];
  staffSessions(): Array<{ staffId: string; since: string; lastSeenAt: string }>;
  /** The daemon's recent log lines (log-ring.ts), masked here before they go into the bundle. */
  recentLogs?(): LogEntry[];
  /** Versions beside the software's (default: `runtimeVersions()`). */
  versions?(): Record<string, string>;
  /** Blank keys in stock and the warning threshold, when the kiosk records them. */
  blankKeys?(): { count: number; lowThreshold: number; low: boolean };
  now?(): Date;
}

export interface DiagnosticsAuditRecord extends AuditRecord {
  /** A field was masked for the export: this copy no longer hashes to `hash` (the kiosk's own log does). */
  scrubbedForExport?: boolean;
}

export interface Diagnostics {
  kind: 'certkiosk-diagnostics';
  formatVersion: 1;
  generatedAt: string;
  generatedBy: string;
  softwareVersion: string;
  applianceId: string;
  hall: string;
  simulation: boolean;
  devices: DeviceStatusView[];
  store: {
    journeys: { total: number; byStatus: Record<string, number>; byStep: Record<string, number> };
    reprints: { total: number; byState: Record<string, number> };
    spoiledKeys: number;
    inDoubt: number;
  };
  sync?: {
    outboxPending: number;
    outboxParked: number;
    delivered?: number;
    consecutiveFailures?: number;
    lastError?: string;
    inbox?: Record<string, unknown>;
    heartbeat?: Record<string, unknown>;
  };
  auditChain: {
    ok: boolean;
    records: number;
    head?: { seq: number; hash: string };
    firstBadSeq?: number;
    problem?: string;
  };
  auditTail: DiagnosticsAuditRecord[];
  staffAlarms: StaffAlarm[];
  staffSessions: Array<{ staffId: string; since: string; lastSeenAt: string }>;
  config: Record<string, unknown>;
  /** The software, Node.js and native driver versions. */
  versions: Record<string, string>;
  /** The daemon's recent log lines, oldest first, with personal data masked. */
  recentLogs: Array<string | Record<string, unknown>>;
  blankKeys?: { count: number; lowThreshold: number; low: boolean };
}

// ---------- scrubbing ----------

// A mobile number of mainland China standing alone (with or without +86, written 3-4-4 or in one piece).
const PHONE_IN_TEXT = /(?<![0-9A-Za-z+])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![0-9A-Za-z])/g;
// Any PEM block (certificate, key, CSR), or the start of one cut short.
const PEM_IN_TEXT = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g;
// A signed pickup code as central issues it (base64url of its JSON payload `{"orderId"…` . signature), or a
// demo code of the UI's fake appliance (CK1-…).
const PICKUP_CODE_IN_TEXT =
  /(?<![A-Za-z0-9_-])(?:eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}|CK1-[A-Za-z0-9-]{4,})/g;

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}
const isNameKey = (key: string) => words(key).includes('name');
const isPhoneKey = (key: string) => words(key).some((w) => w === 'phone' || w === 'mobile' || w === 'tel');
const isPemKey = (key: string) =>
  words(key).some((w) => w === 'pem' || w === 'csr') || /^certificate$/i.test(key);
const isPickupKey = (key: string) => {
  const w = words(key);
  return w.includes('pickup') || w.includes('qr') || (w.length === 1 && w[0] === 'scanned');
};

/** The text with PEM blocks, pickup codes, ID numbers and mobile numbers masked. */
export function scrubText(text: string): string {
  return maskIdNumbersInText(
    text
      .replace(PEM_IN_TEXT, REDACTED)
      .replace(PICKUP_CODE_IN_TEXT, REDACTED)
      .replace(PHONE_IN_TEXT, (m) => {
        const digits = m.replace(/\D/g, '').slice(-11);
        return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
      }),
  );
}

function scrubValue(value: unknown, key: string | null, depth: number): unknown {
  if (typeof value === 'string') {
    if (key !== null) {
      if (isPemKey(key) || isPickupKey(key) || isPhoneKey(key)) return REDACTED;
      if (isNameKey(key)) return maskName(value);
    }
    return scrubText(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > 12) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, null, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = scrubValue(v, k, depth + 1);
  return out;
}

/** A copy for export: names masked; phone numbers, pickup codes, PEM blocks and ID numbers masked anywhere. */
export function scrubForExport<T>(value: T): T {
  return scrubValue(value, null, 0) as T;
}

/** Audit details for export: secrets by key (as the audit log's own redaction), then `scrubForExport`. */
export function scrubAuditDetails(details: Record<string, unknown>): Record<string, unknown> {
  return scrubForExport(redactAuditDetails(details));
}

// ---------- the configuration, without secrets ----------

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function urlWithoutSecrets(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return REDACTED;
  }
}

/** The configuration as a technician needs it: PEMs by fingerprint, secrets by how they are supplied only. */
export function configSummary(config: CertkioskConfig): Record<string, unknown> {
  const { token, idReader, printer, scanner } = config.devices;
  return {
    appliance: { id: config.appliance.id, hall: config.appliance.hall },
    central: {
      url: urlWithoutSecrets(config.central.url),
      publicKeySha256: sha256(config.central.publicKey.trim()),
      caCertificatePinned: config.central.caCertificate !== undefined,
      ...(config.central.caCertificate
        ? { caCertificateSha256: sha256(config.central.caCertificate.trim()) }
        : {}),
    },
    devices: {
      token: {
        transport: token.transport,
        module: token.module,
        blankLabelPrefix: token.blankLabelPrefix,
        applianceKeyTokenLabel: token.applianceKeyTokenLabel,
        applianceKeyTokenSerialPinned: token.applianceKeyTokenSerial !== undefined,
        applianceKeySpkiSha256: token.applianceKeySpkiSha256 ?? null,
        allowedModels: token.allowedModels,
        pollIntervalMs: token.pollIntervalMs,
      },
      idReader,
      printer,
      scanner,
    },
    pinPolicy: config.pinPolicy,
    timeouts: config.timeouts,
    store: { dir: config.store.dir },
    log: config.log,
    kiosk: config.kiosk,
    staff: {
      seedAccounts: config.staff.accounts.length,
      idleLogoutMs: config.staff.idleLogoutMs,
      maxSessionMs: config.staff.maxSessionMs,
    },
    simulation: config.simulation
      ? { enabled: config.simulation.enabled, blankKeys: config.simulation.blankKeys }
      : null,
    // Only how each secret is supplied, never where from or what it is.
    secrets: Object.fromEntries(
      Object.entries(config.secrets)
        .filter(([, source]) => source !== undefined)
        .map(([name, source]) => [name, source && 'env' in source ? 'env' : 'file']),
    ),
  };
}

// ---------- versions and logs ----------

const requireHere = createRequire(import.meta.url);
/** The installed version of a package, or 'unknown' (not installed, or its package.json not readable). */
function packageVersion(name: string): string {
  try {
    const entry = requireHere.resolve(name);
    const at = entry.lastIndexOf(`node_modules/${name}/`);
    const dir = at >= 0 ? entry.slice(0, at + `node_modules/${name}`.length) : null;
    if (!dir) return 'unknown';
    return (
      (JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { version?: string }).version ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

/** Node.js, OpenSSL, the platform and the native addons the drivers load (PKCS#11 binding, serial ports). */
export function runtimeVersions(): Record<string, string> {
  return {
    node: process.versions.node,
    openssl: process.versions.openssl ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
    pkcs11js: packageVersion('pkcs11js'),
    serialport: packageVersion('serialport'),
    '@serialport/bindings-cpp': packageVersion('@serialport/bindings-cpp'),
  };
}

// "pin=123456", "so-pin: 1234…", "PIN 385172" in a free text line.
const PIN_IN_TEXT = /\b((?:so[-_ ]?)?pin|puk|password|passcode)\b(?:\s*[:=]\s*[^\s,;]+|\s+\d{4,12}\b)/gi;

/** Log lines for export: objects as audit details (secrets by key, names masked), text through `scrubText`. */
export function scrubLogLines(lines: LogEntry[]): Array<string | Record<string, unknown>> {
  return lines.map((l) =>
    typeof l === 'string'
      ? scrubText(maskPinsInText(l))
      : scrubAuditDetails(maskPinsDeep(l, 0) as Record<string, unknown>),
  );
}

const maskPinsInText = (text: string) => text.replace(PIN_IN_TEXT, `$1=${REDACTED}`);
function maskPinsDeep(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskPinsInText(value);
  if (value === null || typeof value !== 'object' || depth > 12) return value;
  if (Array.isArray(value)) return value.map((v) => maskPinsDeep(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskPinsDeep(v, depth + 1)]));
}

// ---------- the bundle ----------

function countBy<T>(
  items: Iterable<T>,
  key: (item: T) => string,
): { total: number; by: Record<string, number> } {
  const by: Record<string, number> = {};
  let total = 0;
  for (const item of items) {
    total++;
    const k = key(item);
    by[k] = (by[k] ?? 0) + 1;
  }
  return { total, by };
}

async function auditTail(src: DiagnosticsSource, n: number): Promise<DiagnosticsAuditRecord[]> {
  const head = src.audit.head();
  const from = Math.max(1, head.seq - n + 1);
  const out: DiagnosticsAuditRecord[] = [];
  for await (const { data } of src.audit.read(from)) {
    const details = scrubAuditDetails(data.details);
    const changed = JSON.stringify(details) !== JSON.stringify(data.details);
    out.push({ ...data, details, ...(changed ? { scrubbedForExport: true } : {}) });
    if (out.length > n) out.shift();
  }
  return out;
}

/** Build the bundle; `generatedBy` is the `staff:<id>` who asked for it. */
export async function buildDiagnostics(src: DiagnosticsSource, generatedBy: string): Promise<Diagnostics> {
  const { config } = src;
  const journeys = [...src.journeys()];
  const status = countBy(journeys, (j) => j.status);
  const step = countBy(journeys, (j) => j.step);
  const reprints = countBy(src.reprints(), (r) => r.state);
  const verification = await src.verifyAudit();
  const sync = src.sync?.();
  const bundle: Diagnostics = {
    kind: 'certkiosk-diagnostics',
    formatVersion: 1,
    generatedAt: (src.now?.() ?? new Date()).toISOString(),
    generatedBy,
    softwareVersion: src.softwareVersion,
    applianceId: config.appliance.id,
    hall: config.appliance.hall,
    simulation: !!config.simulation?.enabled,
    devices: src.devices(),
    store: {
      journeys: { total: status.total, byStatus: status.by, byStep: step.by },
      reprints: { total: reprints.total, byState: reprints.by },
      spoiledKeys: src.spoiledKeys(),
      inDoubt: src.inDoubt(),
    },
    ...(sync
      ? {
          sync: {
            outboxPending: sync.outbox.pending,
            outboxParked: sync.outbox.parked,
            ...(sync.outbox.delivered !== undefined ? { delivered: sync.outbox.delivered } : {}),
            ...(sync.outbox.consecutiveFailures !== undefined
              ? { consecutiveFailures: sync.outbox.consecutiveFailures }
              : {}),
            ...(sync.outbox.lastError ? { lastError: sync.outbox.lastError } : {}),
            ...(sync.inbox ? { inbox: { ...sync.inbox } } : {}),
            ...(sync.heartbeat ? { heartbeat: { ...sync.heartbeat } } : {}),
          },
        }
      : {}),
    auditChain: verification.ok
      ? { ok: true, records: verification.records, head: verification.head }
      : {
          ok: false,
          records: verification.records,
          firstBadSeq: verification.firstBadSeq,
          problem: verification.problem,
        },
    auditTail: await auditTail(src, DIAGNOSTICS_AUDIT_TAIL),
    staffAlarms: src.staffAlarms(),
    staffSessions: src.staffSessions(),
    config: configSummary(config),
    versions: { software: src.softwareVersion, ...(src.versions?.() ?? runtimeVersions()) },
    recentLogs: scrubLogLines(src.recentLogs?.() ?? []),
    ...(src.blankKeys ? { blankKeys: src.blankKeys() } : {}),
  };
  // Everything once more through the export scrub (device details, sync errors, config strings…).
  return scrubForExport(bundle);
}
