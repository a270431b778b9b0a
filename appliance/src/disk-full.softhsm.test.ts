// A full disk at every step, on a real small tmpfs under the kiosk's store: the failed write advances
// nothing (not even in memory), the journey stops before its next side effect and says "call staff", and
// once there is room again it goes on without a restart — one certificate, every event once.
// A read-only or full store at start is one clear line, not a stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLogLine } from '@certkiosk/config';
import { mountSmallDisk, type SmallDisk } from '@certkiosk/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PICKUP_STEPS, type PickupStep } from './api/contract.js';
import { type SimDaemon, startSimDaemon } from './sim/compose.js';
import { centralRows, journeyOf, play } from './testing/daemon-child.js';
import {
  type CentralHandle,
  SIM_SECRETS_ENV,
  simConfig,
  startTestCentral,
  waitFor,
  writeSimConfigFile,
} from './testing/kiosk-harness.js';

let central: CentralHandle;
beforeAll(async () => {
  central = await startTestCentral();
});
afterAll(async () => central?.stop());

// Every step after which a durable write follows in the journey.
const FILL_AFTER: PickupStep[] = PICKUP_STEPS.filter((s) => s !== 'completed');

describe('the store disk fills up', () => {
  it.each(FILL_AFTER)(
    'full right after "%s": nothing advances, the view says call staff, and it goes on once space is back',
    async (fillAfter) => {
      const disk: SmallDisk = mountSmallDisk(8 * 1024);
      let daemon: SimDaemon | undefined;
      try {
        const dir = mkdtempSync(join(tmpdir(), 'ck-full-'));
        const config = simConfig(dir, central.url);
        config.store.dir = join(disk.dir, 'store');
        let filled = false;
        daemon = await startSimDaemon({
          config,
          port: 0,
          env: SIM_SECRETS_ENV,
          pollMs: 100,
          heartbeatMs: 60_000,
          log: () => {},
          afterStep: (step) => {
            if (step === fillAfter && !filled) {
              filled = true;
              disk.fill();
            }
          },
        });
        const { orderId, pickupCode } = await central.createApprovedOrder();
        const target = { base: daemon.url };

        // Play until the disk is full and the kiosk has said so.
        const player = play(target, pickupCode, 60_000).catch(() => null);
        const stuck = await waitFor(
          async () => {
            const j = await journeyOf(daemon!.url);
            return filled && j?.error?.code === 'STORE_UNAVAILABLE' ? j : undefined;
          },
          30_000,
          `the kiosk to report the full disk after ${fillAfter}`,
        );
        expect(stuck.error?.action).toBe('call-staff');
        // A full disk fails the first write that needs a new block, at or soon after the step filled at;
        // from then on nothing advances while it stays full, not even in memory.
        expect(PICKUP_STEPS.indexOf(stuck.step)).toBeGreaterThanOrEqual(PICKUP_STEPS.indexOf(fillAfter));
        await new Promise((r) => setTimeout(r, 1_000));
        const still = await journeyOf(daemon.url);
        expect(still?.step).toBe(stuck.step);
        expect(still?.error?.code).toBe('STORE_UNAVAILABLE');
        // No side effect ran ahead of its record: before the key pair was recorded, central issued nothing.
        const certs = (await centralRows(central, orderId)).certificates;
        if (PICKUP_STEPS.indexOf(stuck.step) < PICKUP_STEPS.indexOf('key-generated'))
          expect(certs).toHaveLength(0);
        expect(certs.length).toBeLessThanOrEqual(1);

        // Space is back: no restart, the applicant (and the autopilot) carry on.
        disk.free();
        await player;
        const last = await play(target, pickupCode, 60_000);
        expect(last?.status ?? 'closed').toMatch(/completed|closed/);
        await waitFor(
          async () => (await central.order(orderId)).status === 'activated',
          20_000,
          'the order activated at central',
        );
        await waitFor(
          async () => ((await centralRows(central, orderId)).eventsByType['issuance.record'] ?? 0) === 1,
          20_000,
          'the issuance record at central',
        );
        const rows = await centralRows(central, orderId);
        expect(rows.certificates).toHaveLength(1);
        expect(rows.eventsByType).toMatchObject({
          'certificate.issued': 1,
          'certificate.written': 1,
          'issuance.record': 1,
          'certificate.activated': 1,
        });
      } finally {
        await daemon?.stop().catch(() => undefined);
        disk.unmount();
      }
    },
    120_000,
  );
});

describe('a store that cannot be written at start', () => {
  const CLI = fileURLToPath(new URL('../dist/sim/cli.js', import.meta.url));

  it.each(['read-only', 'full'] as const)(
    '%s: one clear `cannot start` record and exit 1, no stack trace',
    (kind) => {
      const disk = mountSmallDisk(1024);
      try {
        const dir = mkdtempSync(join(tmpdir(), `ck-start-${kind}-`));
        const file = writeSimConfigFile(dir, central.url, 0);
        // Point the store at the small disk.
        const input = JSON.parse(readFileSync(file, 'utf8'));
        input.store.dir = join(disk.dir, 'store');
        writeFileSync(file, JSON.stringify(input));
        if (kind === 'read-only') disk.readOnly(true);
        else disk.fill();
        const r = spawnSync(process.execPath, [CLI, '--config', file], {
          env: { ...process.env, ...SIM_SECRETS_ENV },
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(r.status).toBe(1);
        // One `cannot start` record (JSON on stdout) whose reason a person can act on.
        const record = r.stdout
          .split('\n')
          .map(parseLogLine)
          .find((l) => l?.msg === 'cannot start');
        expect(record?.level, r.stdout).toBe('fatal');
        expect(record?.['reason']).toMatch(kind === 'read-only' ? /not writable/ : /disk is full/);
        expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at |\\n\s+at /);
      } finally {
        disk.unmount();
      }
    },
  );
});
