// The diagnostics bundle, built from a daemon-like fixture that served 张伟 (ID, phone, pickup code, PIN and
// certificate all known): what a technician takes away holds counts, masked data and fingerprints only.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SECRETS, TEST_SECRETS } from '@certkiosk/config';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestStaffStore, simProfileConfig, TEST_STAFF } from '../api/testing-fakes.js';
import { AuditLog, verifyAuditLog } from '../audit/index.js';
import { DEMO_STAFF } from '../staff/demo-accounts.js';
import type { StaffStore } from '../staff/index.js';
import {
  buildDiagnostics,
  DIAGNOSTICS_AUDIT_TAIL,
  type DiagnosticsSource,
  runtimeVersions,
  scrubText,
} from './diagnostics.js';
import { LogRing } from './log-ring.js';

const HOLDER = { name: '张伟', idNumber: '440305198503071238', phone: '13800138000' };
const HOLDER_PIN = '385172';
// A pickup code as central signs it: base64url of its JSON payload, a dot, the signature.
const PICKUP_CODE = `${Buffer.from(
  JSON.stringify({ orderId: 'CK7Q2M', hall: 'SZ-FUTIAN', exp: 1893456000, nonce: 'n-41' }),
).toString('base64url')}.${Buffer.alloc(64, 7).toString('base64url')}`;
const CERT_PEM = `-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUS3Jx${'Q'.repeat(60)}\n-----END CERTIFICATE-----\n`;
const NEW_STAFF = { id: 'S003', name: '赵敏', pin: '381946' };

/** Appears nowhere as a token of its own (short numeric values may occur inside hashes by chance). */
const standsAlone = (text: string, value: string) =>
  new RegExp(`(?<![0-9A-Za-z])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9A-Za-z])`).test(text);

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function fixture(): Promise<{ source: DiagnosticsSource; audit: AuditLog; staff: StaffStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'ck-diag-'));
  const audit = await AuditLog.open(join(dir, 'audit'));
  closers.push(() => audit.close());
  const { store: staff } = await openTestStaffStore({
    audit: async (actor, action, details) => {
      await audit.append(actor, action, details);
    },
  });
  closers.push(() => staff.close());

  // What the daemon writes while it serves 张伟 (the engine audits masked data; the log masks ID numbers and
  // drops PINs itself) — and one careless record, which the export must clean all the same.
  await audit.append('system', 'daemon.start', { version: '0.1.0', simulation: true });
  await audit.append('applicant', 'journey.order-verified', {
    journeyId: 'J-1',
    orderId: 'CK7Q2M',
    need: 'id-card',
  });
  await audit.append('applicant', 'journey.identity-verified', {
    journeyId: 'J-1',
    idNumber: HOLDER.idNumber,
  });
  await audit.append('applicant', 'journey.pin-set', { journeyId: 'J-1', pin: HOLDER_PIN });
  await audit.append('applicant', 'journey.careless', {
    journeyId: 'J-1',
    holderName: HOLDER.name,
    phone: HOLDER.phone,
    pickupCode: PICKUP_CODE,
    certificatePem: CERT_PEM,
    message: `scanned ${PICKUP_CODE} for ${HOLDER.idNumber}, call 138 0013 8000 or ${HOLDER.phone}; ${CERT_PEM}`,
  });
  await audit.append('applicant', 'journey.completed', { journeyId: 'J-1', need: 'take-items' });

  // Staff: an administrator adds a colleague; someone guesses an operator's PIN until it locks.
  const admin = await staff.login(TEST_STAFF.administrator.staffId, TEST_STAFF.administrator.pin);
  await staff.addAccount(admin.token, {
    id: NEW_STAFF.id,
    name: NEW_STAFF.name,
    role: 'operator',
    pin: NEW_STAFF.pin,
  });
  for (const pin of ['916273', '402857', '739164', '265091', '847302']) {
    await staff.login(TEST_STAFF.operator.staffId, pin).catch(() => undefined);
  }

  const config = simProfileConfig();
  config.central.caCertificate = CERT_PEM;
  const journeys = [
    // Journey records as the store holds them: only status and step may be read.
    {
      id: 'J-1',
      status: 'completed',
      step: 'completed',
      identity: { name: HOLDER.name, idNumber: HOLDER.idNumber },
      applicant: { phone: HOLDER.phone },
      pickupCode: PICKUP_CODE,
      certificate: { pem: CERT_PEM },
    },
    { id: 'J-2', status: 'failed', step: 'token-ready', identity: { name: HOLDER.name } },
    { id: 'J-3', status: 'in-doubt', step: 'certificate-issued' },
  ];
  const source: DiagnosticsSource = {
    softwareVersion: '0.1.0',
    config,
    devices: () => [
      {
        kind: 'printer',
        state: 'user-action-needed',
        detail: 'paper-out',
        since: '2025-03-03T08:00:00.000Z',
      },
      {
        kind: 'token',
        state: 'online',
        // Not a detail code (the type allows none such): the export scrubs it all the same.
        detail: `holder ${HOLDER.phone}` as unknown as 'token-present',
        since: '2025-03-03T08:00:00.000Z',
      },
    ],
    journeys: () => journeys,
    reprints: () => [{ state: 'queued', receipt: { holderName: HOLDER.name } } as { state: string }],
    spoiledKeys: () => 1,
    inDoubt: () => 1,
    sync: () => ({
      outbox: {
        pending: 2,
        parked: 1,
        delivered: 7,
        consecutiveFailures: 0,
        lastError: `central refused the event of ${HOLDER.idNumber} (${HOLDER.phone})`,
      },
      heartbeat: { sent: 3, failures: 0, running: true },
    }),
    audit,
    verifyAudit: () => verifyAuditLog(join(dir, 'audit')),
    staffAlarms: () => staff.alarms(),
    staffSessions: () => staff.activeSessions(),
    // The daemon's recent log lines as the ring holds them (log-ring.ts): unmasked, text and pino-style JSON.
    recentLogs: () => {
      const ring = new LogRing(3);
      ring.record('enrol: central down; retrying in 10 s');
      // A name in free text cannot be told from other words: names go by key (as the audit log's do).
      ring.record(`card read for ${HOLDER.idNumber}, pin=${HOLDER_PIN}, phone ${HOLDER.phone}`);
      ring.record({
        level: 30,
        msg: 'pin set',
        holderName: HOLDER.name,
        idNumber: HOLDER.idNumber,
        pin: HOLDER_PIN,
      });
      ring.record({ level: 30, msg: `PIN ${HOLDER_PIN} accepted for ${HOLDER.idNumber}` });
      return ring.recent();
    },
    now: () => new Date('2025-03-03T09:00:00.000Z'),
  };
  return { source, audit, staff };
}

describe('diagnostics bundle', () => {
  it('holds no name, ID number, phone, PIN, pickup code, certificate or demo secret', async () => {
    const { source } = await fixture();
    const bundle = await buildDiagnostics(source, 'staff:S001');
    const json = JSON.stringify(bundle);

    for (const personal of [
      HOLDER.name,
      HOLDER.idNumber,
      HOLDER.phone,
      '138 0013 8000',
      PICKUP_CODE,
      'BEGIN',
      'CERTIFICATE-----',
    ]) {
      expect(json, personal).not.toContain(personal);
    }
    for (const staffName of [
      ...Object.values(TEST_STAFF).map((s) => s.name),
      ...Object.values(DEMO_STAFF).map((s) => s.name),
      NEW_STAFF.name,
    ]) {
      expect(json, staffName).not.toContain(staffName);
    }
    const pins = [
      HOLDER_PIN,
      NEW_STAFF.pin,
      ...Object.values(TEST_STAFF).map((s) => s.pin),
      ...Object.values(DEMO_STAFF).map((s) => s.pin),
    ];
    for (const pin of pins) expect(standsAlone(json, pin), pin).toBe(false);
    for (const secret of new Set([...Object.values(DEMO_SECRETS), ...Object.values(TEST_SECRETS)])) {
      if (secret.length >= 10) expect(json, secret).not.toContain(secret);
      else expect(standsAlone(json, secret), secret).toBe(false);
    }
    expect(json).not.toMatch(/scrypt|pinHash/);

    // What it does hold: who took it, what runs, counts, masked data, the chain's check and the alarms.
    expect(bundle).toMatchObject({
      kind: 'certkiosk-diagnostics',
      generatedAt: '2025-03-03T09:00:00.000Z',
      generatedBy: 'staff:S001',
      softwareVersion: '0.1.0',
      applianceId: 'KIOSK-SIM-001',
      hall: 'SZ-FUTIAN',
      simulation: true,
      store: {
        journeys: { total: 3, byStatus: { completed: 1, failed: 1, 'in-doubt': 1 } },
        reprints: { total: 1, byState: { queued: 1 } },
        spoiledKeys: 1,
        inDoubt: 1,
      },
      sync: { outboxPending: 2, outboxParked: 1, delivered: 7 },
      auditChain: { ok: true },
      staffAlarms: [{ kind: 'staff-lockout', staffId: 'S002', locked: true, failures: 5 }],
      staffSessions: [{ staffId: 'S001' }],
    });
    expect(json).toContain('4403**********1238');
    expect(bundle.devices.map((d) => d.detail)).toEqual(['paper-out', 'holder 138****8000']);
    expect(bundle.auditChain.records).toBe(bundle.auditTail.length);
    const careless = bundle.auditTail.find((r) => r.action === 'journey.careless')!;
    expect(careless.scrubbedForExport).toBe(true);
    expect(careless.details).toMatchObject({
      holderName: '张*',
      phone: '[redacted]',
      pickupCode: '[redacted]',
    });
    expect(bundle.auditTail.find((r) => r.action === 'journey.pin-set')).toMatchObject({
      details: { pin: '[redacted]' },
    });
    expect(bundle.auditTail.find((r) => r.action === 'journey.completed')?.scrubbedForExport).toBeUndefined();
    expect(bundle.auditTail.find((r) => r.action === 'staff.account.add')).toMatchObject({
      actor: 'staff:S001',
      details: { staffId: 'S003', name: '赵*' },
    });

    // The configuration: what a technician needs, secrets by how they are supplied only, PEMs as fingerprints.
    expect(bundle.config).toMatchObject({
      appliance: { id: 'KIOSK-SIM-001', hall: 'SZ-FUTIAN' },
      central: { url: 'http://127.0.0.1:7410/', caCertificatePinned: true },
      secrets: { soPinMasterSecret: 'env', applianceTokenPin: 'env', blankKeySoPin: 'env' },
      staff: { seedAccounts: 2 },
    });
    const central = bundle.config['central'] as Record<string, string>;
    expect(central['publicKeySha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(central['caCertificateSha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  it(`carries the newest ${DIAGNOSTICS_AUDIT_TAIL} audit records, oldest first, and a broken chain as such`, async () => {
    const { source, audit } = await fixture();
    for (let i = 0; i < 250; i++) await audit.append('system', 'test.tick', { i });
    const bundle = await buildDiagnostics(source, 'staff:S002');
    const head = audit.head();
    expect(bundle.auditTail).toHaveLength(DIAGNOSTICS_AUDIT_TAIL);
    expect(bundle.auditTail.at(-1)).toMatchObject({ seq: head.seq, hash: head.hash });
    expect(bundle.auditTail[0]!.seq).toBe(head.seq - DIAGNOSTICS_AUDIT_TAIL + 1);
    expect(bundle.auditChain).toMatchObject({ ok: true, records: head.seq, head });

    const broken = await buildDiagnostics(
      {
        ...source,
        verifyAudit: async () => ({
          ok: false,
          records: 41,
          firstBadSeq: 42,
          problem: 'edited',
          message: 'Record 42 was edited.',
          segment: '/store/audit/0001.log',
        }),
      },
      'staff:S002',
    );
    expect(broken.auditChain).toEqual({ ok: false, records: 41, firstBadSeq: 42, problem: 'edited' });
  });

  it('carries the recent log lines masked (ID numbers, PINs, names by key, phones) and the versions', async () => {
    const { source } = await fixture();
    const bundle = await buildDiagnostics(source, 'staff:S001');
    // The ring keeps the newest three: the first line fell out.
    expect(bundle.recentLogs).toHaveLength(3);
    const [text, object, pinText] = bundle.recentLogs as [
      string,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    expect(text).toContain('4403**********1238');
    expect(text).toContain('pin=[redacted]');
    expect(text).toContain('138****8000');
    expect(object).toMatchObject({
      msg: 'pin set',
      holderName: '张*',
      idNumber: '4403**********1238',
      pin: '[redacted]',
    });
    expect(pinText['msg']).toBe('PIN=[redacted] accepted for 4403**********1238');
    const json = JSON.stringify(bundle.recentLogs);
    expect(json).not.toContain(HOLDER.idNumber);
    expect(standsAlone(json, HOLDER_PIN)).toBe(false);
    expect(bundle.versions).toMatchObject({ software: '0.1.0', node: process.versions.node });
    expect(runtimeVersions()['pkcs11js']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('scrubs text: PEM blocks, pickup codes, ID numbers and mobile numbers, nothing else', () => {
    const key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(scrubText(`key ${key.trim()} end`)).toBe('key [redacted] end');
    expect(scrubText(`code ${PICKUP_CODE}.`)).toBe('code [redacted].');
    expect(scrubText('id 440305198503071238 / +86 13800138000 / 0755-8888 6666')).toBe(
      'id 4403**********1238 / 138****8000 / 0755-8888 6666',
    );
    const hash = 'a13800138000b'.padEnd(64, '0');
    expect(scrubText(hash)).toBe(hash);
    expect(scrubText('order CK7Q2M, serial 5A:3C:91:0E, 2025-03-03T08:00:00.000Z')).toBe(
      'order CK7Q2M, serial 5A:3C:91:0E, 2025-03-03T08:00:00.000Z',
    );
  });
});
