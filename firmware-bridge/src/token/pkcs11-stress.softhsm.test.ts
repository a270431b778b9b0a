// Every kind of PKCS#11 caller at once, for CERTKIOSK_STRESS_MS (default two minutes, the figure in
// "Issuance that survives every crash"): keygen + sign jobs on worker threads, the appliance's own signer
// every few ms, slot polls, watcher ticks and SoftHSM rescans, all on one usbkey-sim module. The run is
// src/testing/pkcs11-stress.ts, built to dist/ (npx tsc -b firmware-bridge) and started as a child process:
// a crash in native code (SIGSEGV, heap corruption) then fails this test instead of killing the runner.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { StressReport } from '../testing/pkcs11-stress.js';
import { createSoftHsmHome, USBKEY_SIM_MODULE } from './softhsm.js';

const SCRIPT = new URL('../../dist/testing/pkcs11-stress.js', import.meta.url).pathname;
const STRESS_MS = Number(process.env['CERTKIOSK_STRESS_MS'] ?? 120_000);
/** Set-up before the run, and a hung process (heap corruption can loop forever) caught after it. */
const GRACE_MS = 60_000;

it(
  `survives ${STRESS_MS / 1000} s of concurrent keygen, signatures, polls and rescans on one module`,
  async () => {
    const home = createSoftHsmHome(mkdtempSync(join(tmpdir(), 'token-stress-')));
    const child = spawn(process.execPath, [SCRIPT], {
      env: {
        ...home.env,
        CERTKIOSK_STRESS_MS: String(STRESS_MS),
        CERTKIOSK_PKCS11_MODULE: USBKEY_SIM_MODULE,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const hung = setTimeout(() => child.kill('SIGKILL'), STRESS_MS + GRACE_MS);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    clearTimeout(hung);

    expect({ ...exit, stderr: err.slice(0, 2000) }).toEqual({ code: 0, signal: null, stderr: '' });
    const report = JSON.parse(out.trim().split('\n').at(-1)!) as StressReport;
    expect(report.errors).toEqual([]);
    expect(report.durationMs).toBeGreaterThanOrEqual(STRESS_MS);
    expect(report.ops).toBeGreaterThanOrEqual(1000);
    for (const kind of ['keygen', 'job-sign', 'appliance-sign', 'poll-queued', 'is-present-queued', 'rescan'])
      expect(report.byKind[kind], kind).toBeGreaterThan(0);
    console.log(
      `stress: ${report.ops} operations in ${report.durationMs} ms, ${report.pollsDeferred} sync polls answered from the last listing; ${JSON.stringify(report.byKind)}`,
    );
  },
  STRESS_MS + 2 * GRACE_MS,
);
