// kill -9 at every step boundary: the daemon runs a pickup journey in a child process that SIGKILLs itself
// right after the chosen step is durable (CERTKIOSK_CRASH_AFTER). It is restarted on the same store, SoftHSM
// and outbox, the journey is finished the way a person would, and central is checked: at most one
// certificate for the order, the order activated, and every event there exactly once.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JourneyView, PICKUP_STEPS } from './api/contract.js';
import {
  type CentralHandle,
  SIM_SECRETS_ENV,
  startTestCentral,
  waitFor,
  writeSimConfigFile,
} from './testing/kiosk-harness.js';

const DAEMON = new URL('../dist/cli/appliance.js', import.meta.url).pathname;
const HOLDER_PIN = '385172';

let central: CentralHandle;
beforeAll(async () => {
  central = await startTestCentral();
});
afterAll(async () => central?.stop());

interface Child {
  proc: ChildProcess;
  base: string;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let nextPort = 17_500 + Math.floor(Math.random() * 1000);

async function startChild(dir: string, crashAfter?: string): Promise<Child> {
  const port = nextPort++;
  const config = writeSimConfigFile(dir, central.url, port);
  const proc = spawn(process.execPath, [DAEMON, '--config', config], {
    env: {
      ...process.env,
      ...SIM_SECRETS_ENV,
      CERTKIOSK_POLL_MS: '100',
      CERTKIOSK_HEARTBEAT_MS: '500',
      ...(crashAfter ? { CERTKIOSK_CRASH_AFTER: crashAfter } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  proc.stdout!.on('data', (d) => output.push(...d.toString().split('\n').filter(Boolean)));
  proc.stderr!.on('data', (d) => output.push(...d.toString().split('\n').filter(Boolean)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.on('exit', (code, signal) => r({ code, signal })),
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    () => output.some((l) => l.includes('listening on')) || proc.exitCode !== null,
    30_000,
    'the daemon to listen',
  );
  if (proc.exitCode !== null) throw new Error(`daemon exited at start:\n${output.join('\n')}`);
  return { proc, base, output, exited };
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const r = await fetch(`${base}${path}`, {
    method,
    ...(body !== undefined
      ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
      : {}),
  });
  const text = await r.text();
  return text ? JSON.parse(text) : null;
}

async function journey(base: string): Promise<JourneyView | null> {
  return (await call(base, 'GET', '/api/state')).journey;
}

/** Play the applicant from wherever the journey stands until it completes (or the process dies). */
async function play(child: Child, code: string): Promise<void> {
  const { base } = child;
  const deadline = Date.now() + 40_000;
  let lastNeed = '';
  let last: JourneyView | null = null;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    let j: JourneyView | null;
    try {
      j = await journey(base);
    } catch {
      return; // the process died under us
    }
    last = j;
    const need = j?.need ?? 'start';
    if (j?.status === 'completed') return;
    if (need !== lastNeed) {
      lastNeed = need;
      try {
        if (need === 'start' || need === 'scan') await call(base, 'POST', '/sim/scan', { code });
        else if (need === 'confirm-order') await call(base, 'POST', '/api/journeys/current/confirm', {});
        else if (need === 'id-card') await call(base, 'POST', '/sim/id-card', { fixture: 'han-zhang-wei' });
        else if (need === 'token') await call(base, 'POST', '/sim/token', { action: 'insert' });
        else if (need === 'pin') await call(base, 'POST', '/api/journeys/current/pin', { pin: HOLDER_PIN });
      } catch {
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `journey did not complete; last state ${JSON.stringify(last)}\n${child.output.slice(-40).join('\n')}`,
  );
}

// Every step boundary but the last ('completed' ends the journey).
const STEPS: string[] = PICKUP_STEPS.slice(0, -1);

describe('kill -9 at every step boundary', () => {
  it.each(STEPS)(
    'crash right after "%s" is durable: nothing lost, nothing doubled',
    async (step) => {
      const dir = mkdtempSync(join(tmpdir(), `ck-crash-${step}-`));
      const { orderId, pickupCode } = await central.createApprovedOrder();

      const first = await startChild(dir, step);
      await play(first, pickupCode);
      const end = await first.exited;
      expect(end.signal, `the daemon should have been killed after ${step}`).toBe('SIGKILL');

      const second = await startChild(dir);
      try {
        const recovered = second.output.find((l) => l.startsWith('recovered journey'));
        expect(recovered, second.output.join('\n')).toBeDefined();
        const outcome = recovered!.split(': ').at(-1)!;
        // Before issuance the journey is rolled back (the order can be collected again); from issuance on it
        // resumes, because the key with the key pair is still in the writer.
        const issued = STEPS.indexOf(step) >= STEPS.indexOf('certificate-issued');
        expect(outcome).toBe(
          issued
            ? STEPS.indexOf(step) >= STEPS.indexOf('verified')
              ? 'completed'
              : 'resumed'
            : 'rolled-back',
        );
        if (!issued) await call(second.base, 'POST', '/sim/token', { action: 'pull' });
        await play(second, pickupCode);
        const done = await journey(second.base);
        expect(done?.status ?? 'closed').toMatch(/completed|closed/);

        // Central: the order is activated, one certificate, every event once.
        await waitFor(
          async () => (await central.order(orderId)).status === 'activated',
          20_000,
          'order activated at central',
        );
        const db = new Database(join(central.dataDir, 'central.sqlite'), { readonly: true });
        try {
          const certs = db
            .prepare('SELECT count(*) AS n FROM certificates WHERE order_id = ?')
            .get(orderId) as { n: number };
          expect(certs.n).toBe(1);
          await waitFor(
            () =>
              (
                db
                  .prepare("SELECT count(*) AS n FROM events WHERE order_id = ? AND type = 'issuance.record'")
                  .get(orderId) as { n: number }
              ).n === 1,
            20_000,
            'issuance record at central',
          );
          const rows = db
            .prepare('SELECT type, count(*) AS n FROM events WHERE order_id = ? GROUP BY type')
            .all(orderId) as Array<{ type: string; n: number }>;
          const byType = Object.fromEntries(rows.map((r) => [r.type, r.n]));
          expect(byType).toMatchObject({
            'certificate.issued': 1,
            'certificate.written': 1,
            'receipt.printed': 1,
            'issuance.record': 1,
            'certificate.activated': 1,
          });
          // A journey rolled back after the order was fetched reports its failure (with the order id).
          expect(byType['journey.failed'] ?? 0).toBe(issued || step === 'scanned' ? 0 : 1);
        } finally {
          db.close();
        }
      } finally {
        second.proc.kill('SIGTERM');
        await second.exited;
      }
    },
    90_000,
  );
});
