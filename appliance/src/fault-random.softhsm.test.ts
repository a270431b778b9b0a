// SIGKILL from outside, at a random moment of a pickup, not through the fault hook: the daemon restarts on
// the same store, SoftHSM and outbox, the applicant carries on (or staff resolve what is in doubt), and
// central must end with exactly one valid certificate for the order, activated, every event once.
// `make test` runs 20 such runs; `make fault` runs 300 (CERTKIOSK_RANDOM_FAULT_RUNS) and prints the tally.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  centralRows,
  inDoubt,
  journeyOf,
  play,
  staffLogin,
  startDaemonChild,
} from './testing/daemon-child.js';
import { type CentralHandle, startTestCentral, waitFor } from './testing/kiosk-harness.js';

const RUNS = Number(process.env['CERTKIOSK_RANDOM_FAULT_RUNS'] ?? 20);
/** A sim pickup takes about 1 s from the scan on this machine: kill anywhere in it (and a little after). */
const KILL_WINDOW_MS = Number(process.env['CERTKIOSK_RANDOM_FAULT_WINDOW_MS'] ?? 1_200);

let central: CentralHandle;
beforeAll(async () => {
  central = await startTestCentral();
});
afterAll(async () => central?.stop());

describe('SIGKILL at a random moment', () => {
  it(
    `${RUNS} runs: one valid certificate per order, activated, every event once`,
    async () => {
      const tally: Record<string, number> = {};
      const resolutions: Record<string, number> = {};
      for (let run = 0; run < RUNS; run++) {
        const dir = mkdtempSync(join(tmpdir(), `ck-random-${run}-`));
        const { orderId, pickupCode } = await central.createApprovedOrder();
        const first = await startDaemonChild(dir, central);
        const killAfter = Math.floor(Math.random() * KILL_WINDOW_MS);
        const player = play(first, pickupCode, 60_000).catch(() => null);
        // The clock starts when the scan has started a journey.
        await waitFor(
          async () => (await journeyOf(first.base).catch(() => null)) !== null,
          20_000,
          'the scan',
        );
        await new Promise((r) => setTimeout(r, killAfter));
        first.proc.kill('SIGKILL');
        await first.exited;
        await player;

        const second = await startDaemonChild(dir, central);
        try {
          const outcome = second.recovered()[0] ?? 'nothing-to-recover';
          tally[outcome] = (tally[outcome] ?? 0) + 1;
          const context = `run ${run}, killed after ${killAfter} ms, recovered: ${outcome}`;
          // A key touched by a rolled-back attempt is not blank any more: the applicant takes a new one.
          if (outcome === 'rolled-back') await call(second.base, 'POST', '/sim/token', { action: 'pull' });
          let last = await play(second, pickupCode, 60_000);
          let voided = false;
          if (last?.status === 'in-doubt') {
            // Staff: write again when the certificate is known and the key is still here, else void it.
            const staff = await staffLogin(second.base);
            const [item] = await inDoubt(second.base, staff);
            expect(item, context).toBeDefined();
            let action: 'retry-write' | 'revoke-void' = item?.certificateSerial
              ? 'retry-write'
              : 'revoke-void';
            let r = await call(
              second.base,
              'POST',
              `/api/staff/in-doubt/${item?.id}/resolve`,
              { action },
              staff,
            );
            if (r.status !== 200 || r.body?.journey?.status === 'in-doubt') {
              action = 'revoke-void';
              r = await call(
                second.base,
                'POST',
                `/api/staff/in-doubt/${item?.id}/resolve`,
                { action },
                staff,
              );
            }
            expect(r.status, `${context}: ${JSON.stringify(r.body)}`).toBe(200);
            resolutions[action] = (resolutions[action] ?? 0) + 1;
            voided = action === 'revoke-void';
            if (action === 'revoke-void') await call(second.base, 'POST', '/sim/token', { action: 'pull' });
            last = await play(second, pickupCode, 60_000);
          }
          expect(last?.status ?? 'closed', `${context}\n${second.output.slice(-30).join('\n')}`).toMatch(
            /completed|closed/,
          );
          const explain = async () =>
            `${context}; last view ${JSON.stringify(last)}; order ${(await central.order(orderId)).status}; events ${JSON.stringify((await centralRows(central, orderId)).eventsByType)}\n${second.output.slice(-40).join('\n')}`;
          await waitFor(
            async () => (await central.order(orderId)).status === 'activated',
            20_000,
            `the order activated`,
          ).catch(async () => {
            throw new Error(`the order was not activated: ${await explain()}`);
          });
          await waitFor(
            async () => ((await centralRows(central, orderId)).eventsByType['issuance.record'] ?? 0) === 1,
            20_000,
            `${context}: the issuance record`,
          );
          const rows = await centralRows(central, orderId);
          const valid = rows.certificates.filter((c) => c['revoked_at'] === null);
          expect(valid, context).toHaveLength(1);
          expect(rows.eventsByType, context).toMatchObject({
            'receipt.printed': 1,
            'issuance.record': 1,
            'certificate.activated': 1,
          });
          // A voided issuance may have reached its key before it was voided: then two certificates were
          // written, one of them revoked; otherwise exactly one.
          const written = rows.eventsByType['certificate.written'] ?? 0;
          if (voided) expect(written, context).toBeGreaterThanOrEqual(1);
          expect(written, context).toBe(voided ? Math.min(written, 2) : 1);
        } finally {
          await second.stop();
        }
        // The tally so far, after every run (a long `make fault` can be read while it goes on).
        mkdirSync('test-results', { recursive: true });
        writeFileSync(
          'test-results/fault-tally.json',
          `${JSON.stringify({ runs: run + 1, recovered: tally, staffResolutions: resolutions }, null, 2)}\n`,
        );
      }
      const summary = { runs: RUNS, recovered: tally, staffResolutions: resolutions };
      mkdirSync('test-results', { recursive: true });
      writeFileSync('test-results/fault-tally.json', `${JSON.stringify(summary, null, 2)}\n`);
      console.log(`fault tally: ${JSON.stringify(summary)}`);
      expect(Object.values(tally).reduce((a, b) => a + b, 0)).toBe(RUNS);
    },
    RUNS * 60_000,
  );
});
