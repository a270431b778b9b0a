// Attack: a stolen kiosk disk (issue 11). After five journeys that end every way a journey ends (completed,
// abandoned, in doubt, failed, paper out), every file under the kiosk's data dir, its log lines and the
// outbox are searched for each ID number, full name, phone number and PIN, and an ID number is brute-forced
// from every hash-like value on disk. Both must find nothing. Real central on loopback, emulators over PTYs,
// SoftHSM2 as the USB keys.
import { createHash, createHmac } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimDaemon as Daemon } from './sim/compose.js';
import {
  type applianceClient,
  type CentralHandle,
  SIM_SECRETS_ENV,
  simStaffLogin,
  ZHANG_WEI,
} from './testing/kiosk-harness.js';
import { type SimKiosk, startSimKiosk } from './testing/sim-kiosk.js';

const PHONE = '13800138000';
const HOLDER_PIN = '385172';
/** The people whose cards are read in these journeys (firmware-bridge/test/fixtures/cards). */
const PEOPLE = [
  { fixture: 'han-zhang-wei', name: ZHANG_WEI.name, idNumber: ZHANG_WEI.idNumber },
  { fixture: 'mongol-batu', name: '巴特尔', idNumber: '150102197911230011' },
  { fixture: 'hmt-chan-tai-man', name: '陈大文', idNumber: '810000198806180010' },
  { fixture: 'long-term-wang-shufen', name: '王淑芬', idNumber: '110101195804020040' },
];

let central: CentralHandle;
let daemon: Daemon;
let api: ReturnType<typeof applianceClient>;
let dir: string;
const logLines: string[] = [];
let kiosk: SimKiosk;

beforeAll(async () => {
  kiosk = await startSimKiosk('privacy', { heartbeatMs: 500, log: (line) => logLines.push(line) });
  ({ central, daemon, api, dir } = kiosk);
}, 60_000);

afterAll(async () => kiosk?.stop());

/** A file the daemon renamed or removed between the listing and the look (a `.tmp` of an atomic write). */
const vanished = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((f) => join(root, f))
    .filter((f) => {
      try {
        return statSync(f).isFile();
      } catch (err) {
        if (vanished(err)) return false;
        throw err;
      }
    });
}

/** The file's text, or null when it vanished meanwhile (its content lives on under the final name). */
function textOf(f: string): string | null {
  try {
    return readFileSync(f).toString('utf8');
  } catch (err) {
    if (vanished(err)) return null;
    throw err;
  }
}

async function scanAndConfirm(): Promise<void> {
  const { pickupCode } = await central.createApprovedOrder({
    applicant: { name: ZHANG_WEI.name, phone: PHONE },
  });
  const scanned = await api.call('POST', '/api/journeys/current/scan', { code: pickupCode });
  if (scanned.body?.need !== 'confirm-order')
    throw new Error(`scan: ${scanned.status} ${JSON.stringify(scanned.body)}`);
  await api.call('POST', '/api/journeys/current/confirm', {});
  await api.until((j) => j?.need === 'id-card');
}

async function toPin(): Promise<void> {
  await scanAndConfirm();
  await daemon.sim.placeCard('han-zhang-wei');
  await api.until((j) => j?.need === 'token');
  await daemon.sim.placeCard(null);
  daemon.sim.insertBlankKey();
  await api.until((j) => j?.need === 'pin', 30_000);
}

async function endSession(): Promise<void> {
  await api.call('DELETE', '/api/journeys/current');
  await api.until((j) => j === null);
  daemon.sim.pullKeys();
}

/** Every run of 64 hex digits and every base64 blob of 32+ bytes in `text`, decoded to hex. */
function hashLikeValues(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/[0-9a-fA-F]{64}/g)) out.add(m[0].toLowerCase());
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{43,}={0,2}/g)) {
    const b = Buffer.from(m[0].replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    for (let i = 0; i + 32 <= b.length; i += 32) out.add(b.subarray(i, i + 32).toString('hex'));
  }
  return out;
}

/**
 * The brute force a thief would run: every ID number of the holder's district born in the holder's birth year
 * (the masked number on a receipt gives away the rest), hashed as SHA-256, salted SHA-256 and HMAC under every
 * salt-like string found beside it. Returns the ID numbers whose hash is among `found`.
 */
function bruteForce(found: Set<string>, salts: string[]): string[] {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const checks = '10X98765432';
  const hits: string[] = [];
  const start = Date.UTC(1985, 0, 1);
  for (let day = 0; day < 365; day++) {
    const d = new Date(start + day * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
    for (let seq = 0; seq < 1000; seq++) {
      const body = `440305${d}${String(seq).padStart(3, '0')}`;
      const sum = [...body].reduce((s, c, i) => s + Number(c) * (weights[i] ?? 0), 0);
      const id = body + checks[sum % 11];
      const candidates = [createHash('sha256').update(id).digest('hex')];
      for (const salt of salts) {
        candidates.push(createHash('sha256').update(`${salt}:${id}`).digest('hex'));
        candidates.push(createHmac('sha256', salt).update(id).digest('hex'));
      }
      if (candidates.some((c) => found.has(c))) hits.push(id);
    }
  }
  return hits;
}

describe('a stolen kiosk disk gives no one away', () => {
  it('after completed, abandoned, in-doubt, failed and paper-out journeys, nothing on disk names a person', async () => {
    // 1. Completed.
    await toPin();
    expect((await api.call('POST', '/api/journeys/current/pin', { pin: HOLDER_PIN })).body.status).toBe(
      'completed',
    );
    await endSession();

    // 2. Abandoned: the applicant cancels after the card was read.
    await scanAndConfirm();
    await daemon.sim.placeCard('han-zhang-wei');
    await api.until((j) => j?.need === 'token');
    await daemon.sim.placeCard(null);
    await endSession();

    // 3. In doubt: the key is pulled once the certificate is issued, and the applicant walks away.
    await scanAndConfirm();
    await daemon.sim.placeCard('han-zhang-wei');
    await api.until((j) => j?.need === 'token');
    await daemon.sim.placeCard(null);
    // The key is pulled once the certificate is issued, and the applicant walks away.
    kiosk.pullKeyAfter('certificate-issued');
    daemon.sim.insertBlankKey();
    await api.until((j) => j?.status === 'in-doubt', 30_000);
    await endSession();

    // 4. Failed: three wrong ID cards.
    await scanAndConfirm();
    for (const [i, p] of PEOPLE.slice(1).entries()) {
      await daemon.sim.placeCard(p.fixture);
      await api.until((j) => j?.status === 'failed' || j?.error?.params?.['attemptsLeft'] === 2 - i);
      await daemon.sim.placeCard(null);
    }
    expect((await api.state()).journey?.status).toBe('failed');
    await endSession();

    // 5. Paper out: completed, its receipt queued for reprint.
    daemon.sim.setPrinter({ paper: 'out' });
    await toPin();
    const done = await api.call('POST', '/api/journeys/current/pin', { pin: HOLDER_PIN });
    expect(done.body).toMatchObject({ status: 'completed', receipt: { state: 'queued-for-reprint' } });
    await endSession();
    daemon.sim.setPrinter({ paper: 'ok' });
    await daemon.agent.drain(15_000);
    // Each way a journey ends happened (read through the engine, which holds the unsealed records).
    const statuses = daemon.engine
      .journeys()
      .map((j) => j.status)
      .sort();
    expect(statuses).toEqual(['abandoned', 'completed', 'completed', 'failed', 'in-doubt']);

    // The thief's view: every file under the data dir (store, journal, outbox, audit, staff) and the log lines.
    const files = filesUnder(dir).filter(
      (f) => !f.includes(`${join('sim', 'softhsm')}`) && !f.includes('key-tray'),
    );
    expect(files.some((f) => f.includes('journal'))).toBe(true);
    expect(files.some((f) => f.includes('sync'))).toBe(true);
    // …and the diagnostics bundle a technician takes away.
    const staff = await api.call('POST', '/api/staff/login', simStaffLogin('administrator'));
    const diagnostics = await api.call('GET', '/api/staff/diagnostics', undefined, {
      authorization: `Bearer ${staff.body.token}`,
    });
    expect(diagnostics.status).toBe(200);
    const texts = [
      ...files.flatMap((f) => {
        const text = textOf(f);
        return text === null ? [] : [{ where: f, text }];
      }),
      { where: 'log lines', text: logLines.join('\n') },
      { where: 'diagnostics export', text: JSON.stringify(diagnostics.body) },
    ];
    const secrets = [...PEOPLE.flatMap((p) => [p.name, p.idNumber]), PHONE];
    // Six-digit PINs only where they stand alone: inside a hash or a sealed record they are chance, not a leak.
    const pins = [
      HOLDER_PIN,
      SIM_SECRETS_ENV.CERTKIOSK_APPLIANCE_TOKEN_PIN,
      simStaffLogin('administrator').pin,
    ];
    for (const { where, text } of texts) {
      for (const s of secrets) expect(text.includes(s), `${s} found in ${where}`).toBe(false);
      for (const pin of pins) {
        expect(
          new RegExp(`(?<![0-9A-Za-z+/])${pin}(?![0-9A-Za-z+/])`).test(text),
          `PIN ${pin} in ${where}`,
        ).toBe(false);
      }
    }

    // The brute force finds nothing; on a record made the old way (salted SHA-256 with the salt beside it) it
    // finds the holder at once, so the search itself works.
    const all = texts.map((t) => t.text).join('\n');
    const salts = [...new Set(all.match(/\b[0-9a-f]{32}\b/g) ?? [])].slice(0, 5);
    expect(bruteForce(hashLikeValues(all), salts)).toEqual([]);
    const plantedSalt = 'a3f1c2d4e5b60718293a4b5c6d7e8f90';
    const planted = createHash('sha256').update(`${plantedSalt}:${ZHANG_WEI.idNumber}`).digest('hex');
    expect(bruteForce(new Set([planted]), [plantedSalt])).toEqual([ZHANG_WEI.idNumber]);
  }, 240_000);
});
