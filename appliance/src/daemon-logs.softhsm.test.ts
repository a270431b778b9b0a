// The kiosk daemon's log as journald gets it: the sim daemon in a child process, its stdout read line by line.
// Every line is one JSON record (level, time, msg, the appliance's id and hall); --log-level filters (request
// records only at debug); a whole pickup (the card's ID number and name, the holder's PIN, the pickup code) and
// requests carrying an ID number or a PIN in their headers, query or body leave none of them in the log;
// a bad --log-level is refused before anything starts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LogRecord, parseLogLine } from '@certkiosk/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonChild, HOLDER_PIN, play, startDaemonChild } from './testing/daemon-child.js';
import { type CentralHandle, startTestCentral, waitFor, ZHANG_WEI } from './testing/kiosk-harness.js';

let central: CentralHandle;
beforeAll(async () => {
  central = await startTestCentral();
});
afterAll(async () => central?.stop());

/** Requests carrying the ID number and the PIN in every place a client can put them. */
async function sendSecrets(base: string): Promise<void> {
  const headers = {
    connection: 'close',
    'content-type': 'application/json',
    authorization: `Bearer ${ZHANG_WEI.idNumber}`,
    cookie: `pin=${HOLDER_PIN}`,
  };
  const body = JSON.stringify({ pin: HOLDER_PIN, idNumber: ZHANG_WEI.idNumber, name: ZHANG_WEI.name });
  await fetch(`${base}/api/journeys/current/pin?pin=${HOLDER_PIN}`, { method: 'POST', headers, body });
  await fetch(`${base}/api/staff/login`, { method: 'POST', headers, body });
  await fetch(`${base}/api/no-such-route?idNumber=${ZHANG_WEI.idNumber}`, { headers });
}

function records(child: DaemonChild): LogRecord[] {
  return child.stdout.map((line) => {
    const r = parseLogLine(line);
    expect(r, `not a JSON record: ${line}`).not.toBeNull();
    expect(new Date(r!.time).toISOString()).toBe(r!.time);
    expect(r).toMatchObject({
      daemon: 'appliance',
      applianceId: expect.any(String),
      hall: expect.any(String),
    });
    return r!;
  });
}

function expectNothingPersonal(text: string, pickupCode: string): void {
  for (const secret of [ZHANG_WEI.idNumber, ZHANG_WEI.name, HOLDER_PIN, pickupCode])
    expect(text).not.toContain(secret);
}

describe('the kiosk daemon with --log-level', () => {
  it('debug: JSON records with the progress and the requests; a whole pickup leaves nothing personal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-logs-debug-'));
    const { pickupCode } = await central.createApprovedOrder();
    const child = await startDaemonChild(dir, central, {}, { args: ['--log-level', 'debug'] });
    try {
      await waitFor(() => records(child).some((r) => r.msg === 'enrolled with central'), 20_000, 'enrolment');
      const done = await play(child, pickupCode);
      expect(done?.status).toBe('completed');
      await sendSecrets(child.base);
    } finally {
      await child.stop();
    }
    const rs = records(child);
    expect(rs.find((r) => r.msg === 'listening')).toMatchObject({ level: 'info', url: child.base });
    expect(rs.find((r) => r.msg === 'enrolled with central')?.['fingerprint']).toEqual(expect.any(String));
    // Request records at debug, with the route and without query values.
    const urls = rs.filter((r) => r.msg === 'incoming request').map((r) => (r['req'] as { url: string }).url);
    expect(urls).toContain('/api/state');
    expect(urls).toContain('/api/no-such-route?idNumber=[redacted]');
    // The routes that take a PIN log nothing below warn (register.ts: secret routes), even at debug.
    expect(urls.filter((u) => u.startsWith('/api/journeys/current/pin'))).toEqual([]);
    expect(rs.some((r) => r.level === 'debug')).toBe(true);
    expectNothingPersonal(child.output.join('\n'), pickupCode);
  }, 90_000);

  it('warn: nothing below warn, and still nothing personal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-logs-warn-'));
    const { pickupCode } = await central.createApprovedOrder();
    const child = await startDaemonChild(dir, central, {}, { args: ['--log-level', 'warn'] });
    try {
      await sendSecrets(child.base);
      // Long enough for the first heartbeat and outbox rounds (500 ms in the tests).
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await child.stop();
    }
    const rs = records(child);
    expect(rs.filter((r) => !['warn', 'error', 'fatal'].includes(r.level))).toEqual([]);
    expectNothingPersonal(child.output.join('\n'), pickupCode);
  }, 60_000);

  it('a bad --log-level is refused with the levels it takes, exit 2, nothing started', () => {
    for (const bin of ['../dist/sim/cli.js', '../dist/cli/appliance.js']) {
      const r = spawnSync(
        process.execPath,
        [
          fileURLToPath(new URL(bin, import.meta.url)),
          '--config',
          '/nonexistent.json',
          '--log-level',
          'chatty',
        ],
        { encoding: 'utf8', timeout: 20_000 },
      );
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        '--log-level must be one of fatal, error, warn, info, debug, trace, silent (got "chatty")',
      );
      expect(r.stdout).toBe('');
    }
  });
});
