// Cost of one durable store append (write + fdatasync) with 1,000 vs 100,000 records already stored.
// Target: ratio < 2 (append cost must not grow with the store). Run after `npx tsc -b`:
// node appliance/dist/bench/store.bench.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, recordBenchFigures as recordFigures } from '@certkiosk/config';
import { AppendLog } from '@certkiosk/sync';

const SAMPLES = 200;

/** A journal-sized record (a journey transition). */
const record = (i: number) => ({
  journeyId: `J-${i % 997}`,
  from: 'key-generated',
  to: 'certificate-issued',
  at: new Date(1_772_352_000_000 + i * 1000).toISOString(),
  orderId: `CK-2026-${String(i).padStart(6, '0')}`,
  idempotencyKey: `CK-2026-${String(i).padStart(6, '0')}:attempt-1`,
  tokenSerial: 'SIM-000123',
  serialNumber: '4f1c2a9be03d7c11a2b3c4d5e6f70812',
});

async function fillTo(log: AppendLog<unknown>, n: number): Promise<void> {
  while (log.lastSeq < n) {
    const chunk = Math.min(5_000, n - log.lastSeq);
    const base = log.lastSeq;
    await Promise.all(Array.from({ length: chunk }, (_, k) => log.append(record(base + k))));
  }
}

async function appendCostMs(log: AppendLog<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await log.append(record(log.nextSeq));
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ck-store-bench-'));
  try {
    const log = await AppendLog.open<unknown>(dir);
    await fillTo(log, 1_000);
    const small = await appendCostMs(log);
    await fillTo(log, 100_000);
    const large = await appendCostMs(log);
    await log.close();
    const r = (x: number) => Math.round(x * 1000) / 1000;
    const ratio = large / small;
    console.log('durable append (write + fdatasync), median of', SAMPLES);
    console.log('figure                 value        target');
    console.log(`store.append.1k.ms      ${String(r(small)).padEnd(12)}`);
    console.log(`store.append.100k.ms    ${String(r(large)).padEnd(12)}`);
    console.log(`ratio 100k / 1k         ${String(r(ratio)).padEnd(12)} < 2`);
    recordFigures({
      'store.append.1k.ms': { value: r(small), unit: 'ms' },
      'store.append.100k.ms': { value: r(large), unit: 'ms' },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
