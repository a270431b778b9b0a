// certkiosk-central's log as journald gets it: the built CLI in a child process, its stdout read line by line.
// Every line is one JSON record (level, time, msg); --log-level filters; requests carrying an ID number, a PIN,
// a phone-page token or credentials in their URL, headers or body never show them; a bad level is refused.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LogRecord, parseLogLine } from '@certkiosk/config';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/central.js', import.meta.url));
const ADMIN = 'a3f1'.repeat(8);
const ID = '440305198503071238';
const PIN = '385172';
const VIEW_TOKEN = 'viewtokenSECRET123';
const SESSION = 'sessioncookieSECRET';

let dir: string;
const running: ChildProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-central-logs-'));
});
afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill('SIGTERM');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

async function startCentral(level: string, args = ['--log-level', level]) {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, '--port', String(port), '--data', join(dir, level), ...args], {
    env: { ...process.env, CERTKIOSK_CENTRAL_ADMIN_TOKEN: ADMIN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => {
    stdout += d;
  });
  proc.stderr!.on('data', (d) => {
    stderr += d;
  });
  const base = `http://127.0.0.1:${port}`;
  const end = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`central exited: ${stderr}`);
    if (Date.now() > end) throw new Error(`central did not answer:\n${stdout}\n${stderr}`);
    try {
      if ((await fetch(`${base}/openapi.json`, { headers: { connection: 'close' } })).ok) break;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

/** Requests that carry personal data and secrets every way a client can. */
async function sendSecrets(base: string): Promise<void> {
  const headers = {
    connection: 'close',
    'content-type': 'application/json',
    authorization: `Bearer ${ID}`,
    cookie: `ck_session=${SESSION}`,
    'x-holder-id': ID,
  };
  const body = JSON.stringify({ idNumber: ID, name: '张伟', pin: PIN, newPin: PIN });
  await fetch(`${base}/v1/pickup/lookup?idNumber=${ID}&pin=${PIN}`, { method: 'POST', headers, body });
  await fetch(`${base}/admin/login`, { method: 'POST', headers, body: JSON.stringify({ password: PIN }) });
  await fetch(`${base}/p/${VIEW_TOKEN}?pin=${PIN}`, { headers });
  await fetch(`${base}/openapi.json?holder=${ID}`, { headers });
}

function records(stdout: string): LogRecord[] {
  const lines = stdout.split('\n');
  expect(lines.at(-1)).toBe('');
  return lines.slice(0, -1).map((l) => {
    const r = parseLogLine(l);
    expect(r, `not a JSON record: ${l}`).not.toBeNull();
    expect(typeof r!.time).toBe('string');
    expect(r!.daemon).toBe('central');
    return r!;
  });
}

function expectNothingSecret(text: string): void {
  for (const secret of [ID, PIN, '张伟', VIEW_TOKEN, SESSION, ADMIN]) expect(text).not.toContain(secret);
}

describe('certkiosk-central --log-level (built CLI)', () => {
  it('debug: JSON records on stdout, request records included, nothing personal or secret in them', async () => {
    const c = await startCentral('debug');
    await sendSecrets(c.base);
    await c.stop();
    const rs = records(c.stdout());
    expect(rs.find((r) => r.msg === 'listening')).toMatchObject({ level: 'info', url: c.base });
    const requests = rs.filter((r) => r.msg === 'incoming request');
    expect(requests.length).toBeGreaterThanOrEqual(4);
    // The URLs are there, without their query values and the phone page's token.
    const urls = requests.map((r) => (r['req'] as { url: string }).url);
    expect(urls).toContain('/v1/pickup/lookup?idNumber=[redacted]&pin=[redacted]');
    expect(urls).toContain('/p/[redacted]?pin=[redacted]');
    // Each request's records carry its id: its completion names a request that came in.
    const incoming = new Set(requests.map((r) => r['reqId']));
    expect(incoming.size).toBe(requests.length);
    const completed = rs.filter((r) => r.msg === 'request completed');
    expect(completed.length).toBeGreaterThanOrEqual(4);
    expect(completed.every((r) => typeof r['reqId'] === 'string' && incoming.has(r['reqId']))).toBe(true);
    expect(rs.at(-1)?.msg).toBe('stopping');
    expectNothingSecret(c.stdout());
    expectNothingSecret(c.stderr());
  }, 30_000);

  it('warn: no info records (neither requests nor progress), still nothing secret', async () => {
    const c = await startCentral('warn');
    await sendSecrets(c.base);
    await c.stop();
    const rs = c.stdout() === '' ? [] : records(c.stdout());
    expect(rs.filter((r) => r.level === 'info' || r.level === 'debug')).toEqual([]);
    expectNothingSecret(c.stdout());
  }, 30_000);

  it('the old --log switch still starts central, as --log-level info; both together are refused', async () => {
    const c = await startCentral('old-log', ['--log']);
    await fetch(`${c.base}/openapi.json`, { headers: { connection: 'close' } });
    await c.stop();
    const rs = records(c.stdout());
    expect(rs.some((r) => r.msg === 'listening' && r.level === 'info')).toBe(true);
    expect(rs.some((r) => r.msg === 'incoming request')).toBe(true);
    expect(rs.some((r) => r.level === 'debug')).toBe(false);
    const both = spawnSync(
      process.execPath,
      [CLI, '--port', '0', '--data', join(dir, 'both'), '--log', '--log-level', 'debug'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('certkiosk-central: give --log-level or --log, not both.');
  }, 30_000);

  it('a bad --log-level is refused with the levels it takes, exit 2, nothing started', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, '--port', '0', '--data', join(dir, 'bad'), '--log-level', 'loud'],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      'certkiosk-central: --log-level must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    );
    expect(r.stdout).toBe('');
  });
});
