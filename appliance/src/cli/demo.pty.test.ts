// `make demo` as a person runs it: the built demo bin starts the reference central and the kiosk daemon in the
// sim profile (emulators over socat PTYs, SoftHSM2), plays or serves a pickup journey, and stops both cleanly.
// Build first: `npx tsc -b`.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../dist/cli/demo.js', import.meta.url));

const running: ChildProcess[] = [];
const servers: Server[] = [];

beforeAll(() => {
  expect(existsSync(DEMO), 'build first: npx tsc -b').toBe(true);
});

afterEach(async () => {
  // A failed assertion must not leave a demo (and its daemons) running: SIGTERM makes it stop them.
  for (const p of running.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(s));
  });
}

async function freePort(): Promise<number> {
  const s = await listenOn(0);
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function portFree(port: number): Promise<boolean> {
  try {
    const s = await listenOn(port);
    await new Promise((r) => s.close(r));
    return true;
  } catch {
    return false;
  }
}

interface Demo {
  proc: ChildProcess;
  output: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

function startDemo(args: string[]): Demo {
  const proc = spawn(process.execPath, [DEMO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(proc);
  let stdout = '';
  let all = '';
  proc.stdout!.on('data', (d) => {
    stdout += d;
    all += d;
  });
  proc.stderr!.on('data', (d) => {
    all += d;
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    output: () => all,
    stdout: () => stdout,
    exited,
    async waitFor(re, timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const m = re.exec(stdout);
        if (m) return m;
        if (proc.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no ${re} in the demo output:\n${all}`);
    },
  };
}

async function finished(demo: Demo, timeoutMs: number): Promise<number | null> {
  const timer = setTimeout(() => demo.proc.kill('SIGTERM'), timeoutMs);
  try {
    return await demo.exited;
  } finally {
    clearTimeout(timer);
  }
}

describe('make demo', () => {
  it('smoke: plays one whole journey, then a second run on the same folder serves a fresh order and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-demo-'));
    const centralPort = await freePort();
    const kioskPort = await freePort();
    const ports = ['--dir', dir, '--central-port', String(centralPort), '--kiosk-port', String(kioskPort)];

    const smoke = startDemo(['--smoke', ...ports]);
    const code = await finished(smoke, 60_000);
    expect(code, smoke.output()).toBe(0);
    expect(smoke.stdout()).toMatch(/^demo smoke: journey completed \(order CK\w+, certificate [0-9a-f]+\)$/m);
    // The after-sales demo: central's couriered certificate put on a SoftHSM token and activated with its code.
    expect(smoke.stdout()).toMatch(/^demo smoke: couriered key activated \(certificate [0-9a-f]+\)$/m);
    // Both children's JSON records are shown as short lines with their prefix; central's request records only
    // at --log-level debug; nothing the demo shows is a raw JSON record.
    expect(smoke.stdout()).toContain(`[central] INFO  listening url=http://127.0.0.1:${centralPort} `);
    expect(smoke.stdout()).toContain(`[kiosk] INFO  listening url=http://127.0.0.1:${kioskPort}`);
    expect(smoke.stdout()).toMatch(/^\[kiosk\] INFO {2}enrolled with central fingerprint=/m);
    expect(smoke.stdout()).not.toContain('incoming request');
    expect(smoke.stdout()).not.toMatch(/^\[(central|kiosk)\] \{/m);
    const collected = /journey completed \(order (CK\w+)/.exec(smoke.stdout())![1]!;
    expect(await portFree(centralPort)).toBe(true);
    expect(await portFree(kioskPort)).toBe(true);

    // The seeded order is collected now: the next demo on the same store makes a fresh approved one.
    const demo = startDemo(ports);
    await demo.waitFor(/How to play/, 45_000);
    const phonePage = (await demo.waitFor(/applicant's phone\s+(http:\S+)/, 1000))[1]!;
    expect(demo.stdout()).toMatch(/created a fresh approved order CK\w+ for 张伟/);
    expect(demo.stdout()).not.toContain(`created a fresh approved order ${collected}`);
    for (const line of [
      `kiosk UI            http://127.0.0.1:${kioskPort}/`,
      `emulator control    http://127.0.0.1:${kioskPort}/sim`,
      `fleet view          http://127.0.0.1:${centralPort}/fleet   (operator "ops", password "ops-demo-password"; or the admin token "dev")`,
      'staff sign-in       S001 PIN 864213  administrator',
      '                      S002 PIN 975310  operator',
    ])
      expect(demo.stdout()).toContain(line);
    // The reissue paid at the kiosk through the look-up: its card and its phone page (the demo's pay button).
    const payAtKiosk = new RegExp(
      `place long-term-wang-shufen: 王淑芬's reissue \\(补办\\) awaits payment — tap 在此支付 \\(Pay here\\)\\s+and pay it with "模拟微信支付 \\(演示\\) / Pay \\(demo\\)" on (http://127\\.0\\.0\\.1:${centralPort}/p/\\S+)`,
    ).exec(demo.stdout());
    expect(payAtKiosk, demo.stdout()).not.toBeNull();
    const payPage = await fetch(payAtKiosk![1]!, { headers: { connection: 'close' } });
    expect(payPage.status).toBe(200);
    const code_ = await fetch(`${phonePage}/pickup-code`, { headers: { connection: 'close' } });
    expect(code_.status).toBe(200);
    const state = await fetch(`http://127.0.0.1:${kioskPort}/api/state`, {
      headers: { connection: 'close' },
    });
    expect(
      ((await state.json()) as { devices: Array<{ state: string }> }).devices.map((d) => d.state),
    ).toEqual(['online', 'online', 'online', 'online']);
    // The printed operator logs in to the ops console.
    const opsLogin = await fetch(`http://127.0.0.1:${centralPort}/admin/login`, {
      method: 'POST',
      headers: { connection: 'close', 'content-type': 'application/json' },
      body: JSON.stringify({ operator: 'ops', password: 'ops-demo-password' }),
    });
    expect(opsLogin.status).toBe(200);
    expect(opsLogin.headers.get('set-cookie')).toContain('certkiosk_admin_session=');

    demo.proc.kill('SIGTERM');
    expect(await finished(demo, 15_000), demo.output()).toBe(0);
    expect(demo.output()).not.toContain('did not stop within 5 s');
    expect(await portFree(centralPort)).toBe(true);
    expect(await portFree(kioskPort)).toBe(true);
  }, 120_000);

  it('names the port that is taken and starts nothing', async () => {
    const centralPort = await freePort();
    const taken = await listenOn(0);
    servers.push(taken);
    const kioskPort = (taken.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'ck-demo-'));
    const demo = startDemo([
      '--dir',
      dir,
      '--central-port',
      String(centralPort),
      '--kiosk-port',
      String(kioskPort),
    ]);
    expect(await finished(demo, 10_000)).not.toBe(0);
    expect(demo.output()).toContain(`port ${kioskPort} (for the kiosk) is taken`);
    expect(demo.output()).not.toContain('[central]');
    expect(existsSync(join(dir, 'central'))).toBe(false);
  });
});
