// Two central processes on one PostgreSQL database (the PostgreSQL run only: CENTRAL_TEST_DATABASE, see
// vitest.config.ts): they share no memory, yet a nonce used on one is refused by the other, the public rate limit
// counts a client across both, an operator session made on one opens the other, and a heartbeat sent to one shows
// in the other's fleet. Both run the built CLI with the same --data folder (its keys) and the same schema.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeySigner, signRequest } from '../contract/request-signing.js';
import { TEST_DATABASE_ENV } from './open-store.js';
import { healthyHeartbeat, newApplianceKey } from './testing.js';

const CLI = fileURLToPath(new URL('../../dist/cli/central.js', import.meta.url));
const TOKEN = 'two-centrals-admin';
const LIMIT = 6;

interface Running {
  url: string;
  child: ChildProcess;
}

async function startCentral(dataDir: string): Promise<Running> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      '--port',
      '0',
      '--data',
      dataDir,
      '--admin-token',
      TOKEN,
      '--public-rate-limit',
      String(LIMIT),
      '--auto-approve-appliances',
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"msg":"listening"')) continue;
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) => reject(new Error(`central exited (${code}) before listening: ${err}`)));
  });
  return { url, child };
}

async function stop(r: Running): Promise<void> {
  if (r.child.exitCode !== null) return;
  const exited = new Promise((resolve) => r.child.once('exit', resolve));
  r.child.kill('SIGTERM');
  await exited;
}

const kiosk = newApplianceKey('KIOSK-TWO-001');
const HEARTBEAT = healthyHeartbeat({
  softwareVersion: '2.0.0-two',
  consumables: { paper: 'ok', blankKeys: 33 },
});

async function signedHeaders(method: string, path: string, body: string): Promise<Record<string, string>> {
  return {
    ...(await signRequest({ applianceId: kiosk.id, method, path, body }, createKeySigner(kiosk.privateKey))),
    'content-type': 'application/json',
  };
}

describe('two central processes on one PostgreSQL database', () => {
  let dir: string;
  let a: Running;
  let b: Running;
  beforeAll(async () => {
    expect(process.env[TEST_DATABASE_ENV]).toMatch(/^postgres/);
    dir = mkdtempSync(join(tmpdir(), 'ck-two-centrals-'));
    // The first migrates and makes the keys; the second starts on both.
    a = await startCentral(dir);
    b = await startCentral(dir);
    const body = JSON.stringify({
      applianceId: kiosk.id,
      hall: kiosk.hall,
      publicKeyPem: kiosk.publicKeyPem,
    });
    const enrol = await fetch(`${a.url}/v1/appliances/enrol`, {
      method: 'POST',
      headers: await signedHeaders('POST', '/v1/appliances/enrol', body),
      body,
    });
    expect(enrol.status).toBe(200);
  });
  afterAll(async () => {
    await Promise.all([a && stop(a), b && stop(b)]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a heartbeat sent to one shows in the other’s fleet; its nonce replayed to the other is refused', async () => {
    const body = JSON.stringify(HEARTBEAT);
    const headers = await signedHeaders('POST', '/v1/heartbeat', body);
    const first = await fetch(`${a.url}/v1/heartbeat`, { method: 'POST', headers, body });
    expect(first.status).toBe(200);
    const replay = await fetch(`${b.url}/v1/heartbeat`, { method: 'POST', headers, body });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { code: string }).code).toMatch(/REPLAY|NONCE/);
    const fleet = await fetch(`${b.url}/admin/v1/appliances`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(fleet.status).toBe(200);
    const row = ((await fleet.json()) as { appliances: Array<Record<string, unknown>> }).appliances.find(
      (x) => x.applianceId === kiosk.id || x.id === kiosk.id,
    );
    expect(row).toBeDefined();
    expect(JSON.stringify(row)).toContain('2.0.0-two');
  });

  it('the public rate limit counts one client across both processes', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const r = await fetch(`${i % 2 ? b.url : a.url}/v1/prices`);
      await r.arrayBuffer();
      statuses.push(r.status);
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(200));
    expect(statuses.slice(LIMIT)).toEqual([429, 429]);
  });

  it('an operator session made on one opens the other; logging out on the other ends it on both', async () => {
    const login = await fetch(`${a.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/^certkiosk_admin_session=/);
    const onB = await fetch(`${b.url}/admin/v1/alarms`, { headers: { cookie } });
    expect(onB.status).toBe(200);
    const out = await fetch(`${b.url}/admin/logout`, { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(204);
    const afterOnA = await fetch(`${a.url}/admin/v1/alarms`, { headers: { cookie } });
    expect(afterOnA.status).toBe(401);
  });
});
