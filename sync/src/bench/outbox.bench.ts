// Outbox drain rate: 10,000 queued events delivered to the real central on loopback (target ≥ 2,000 events/s).
// Run after `npx tsc -b`: node sync/dist/bench/outbox.bench.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, recordBenchFigures as recordFigures } from '@certkiosk/config';
import { startLoopbackCentral, testEvent } from '../agent/loopback-central.js';
import { Outbox } from '../agent/outbox.js';

// sync may not import firmware-bridge (dependencies point the other way), hence this small twin of
// firmware-bridge/src/bench/results.ts: bench-results.json at the repository root, merged figure by figure.

const EVENTS = 10_000;
const RUNS = 3;

async function main(): Promise<void> {
  const central = await startLoopbackCentral();
  const work = mkdtempSync(join(tmpdir(), 'ck-outbox-bench-'));
  const rates: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const client = await central.newClient(`KIOSK-BENCH-${run}`);
      const outbox = await Outbox.open({ dir: join(work, `run-${run}`), client });
      await Promise.all(
        Array.from({ length: EVENTS }, (_, i) =>
          outbox.enqueue(
            testEvent(`evt-bench-${run}-${String(i).padStart(6, '0')}`, `CK-${i % 50}`, {
              serialNumber: '4f1c2a9be03d7c11a2b3c4d5e6f70812',
              tokenSerial: 'SIM-000123',
              certificateType: 'natural-person',
              attempt: 1,
            }),
          ),
        ),
      );
      const t0 = performance.now();
      outbox.start();
      await outbox.drain(120_000);
      const seconds = (performance.now() - t0) / 1000;
      await outbox.close();
      const stored = await central.app.central.events.count();
      if (stored !== EVENTS * (run + 1))
        throw new Error(`central stored ${stored} events, expected ${EVENTS * (run + 1)}`);
      rates.push(EVENTS / seconds);
    }
  } finally {
    await central.close();
    rmSync(work, { recursive: true, force: true });
  }
  const rate = Math.round(median(rates));
  console.log('outbox drain to central on loopback (10,000 events, batches of 500)');
  console.log('figure                          value        target');
  console.log(
    `outbox.drain.events_per_s       ${String(rate).padEnd(12)} ≥ 2000   runs: ${rates.map((r) => Math.round(r)).join(', ')}`,
  );
  recordFigures({ 'outbox.drain.events_per_s': { value: rate, unit: 'events/s' } });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
