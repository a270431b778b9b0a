// Soak: SOAK_JOURNEYS (default 500) pickups in one sim daemon process, each with its own order and blank key
// (the key is taken out after each journey, as the holder does). The daemon's resident memory after 500 must
// be within 10 % of what it was after 50; a daemon that dies is counted and restarted.
// Figures: soak.rss_growth.pct, soak.crashes, soak.rss_mb.at_50, soak.rss_mb.at_end, soak.journeys.
// Run: node appliance/dist/bench/soak.bench.js   (make bench)
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, recordBenchFigures } from '@certkiosk/config';
import { call, type DaemonChild, play, startDaemonChild } from '../testing/daemon-child.js';
import { startTestCentral } from '../testing/kiosk-harness.js';

const JOURNEYS = Number(process.env['SOAK_JOURNEYS'] ?? 500);
const EARLY = Math.min(50, Math.floor(JOURNEYS / 10) || 1);

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Resident memory once garbage is collected (the daemon runs with --expose-gc; /sim/memory collects first),
 *  the median of a few readings a moment apart, so a passing spike does not decide the figure. */
async function steadyRss(d: DaemonChild): Promise<{ rss: number; heap: number }> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 5; i++) {
    const m = (await call(d.base, 'GET', '/sim/memory')).body as { rss: number; heapUsed: number };
    rss.push(m.rss / 2 ** 20);
    heap.push(m.heapUsed / 2 ** 20);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { rss: median(rss), heap: median(heap) };
}

const central = await startTestCentral();
const dir = mkdtempSync(join(tmpdir(), 'ck-soak-'));
// A tray with a blank key for every journey (made at the first start, before anything is measured).
const startDaemon = () =>
  startDaemonChild(
    dir,
    central,
    { CERTKIOSK_POLL_MS: '100', NODE_OPTIONS: '--expose-gc' },
    { blankKeys: JOURNEYS + 5, startTimeoutMs: 900_000 },
  );
process.stdout.write(`soak: preparing ${JOURNEYS + 5} blank keys…\n`);
let daemon = await startDaemon();

let crashes = 0;
let early = { rss: 0, heap: 0 };
const started = Date.now();
for (let i = 1; i <= JOURNEYS; i++) {
  const { pickupCode } = await central.createApprovedOrder();
  try {
    const last = await play(daemon, pickupCode, 60_000);
    if (last?.status !== 'completed')
      throw new Error(`journey ${i} ended ${last?.status ?? 'with the daemon gone'}`);
    await call(daemon.base, 'DELETE', '/api/journeys/current');
    await call(daemon.base, 'POST', '/sim/token', { action: 'pull' });
  } catch (err) {
    if (daemon.proc.exitCode !== null || daemon.proc.signalCode !== null) {
      crashes++;
      process.stdout.write(
        `soak: the daemon died at journey ${i} (${daemon.proc.signalCode ?? daemon.proc.exitCode})\n`,
      );
      daemon = await startDaemon();
    } else {
      throw err;
    }
  }
  if (i === EARLY) early = await steadyRss(daemon);
  if (i % 50 === 0) {
    process.stdout.write(
      `soak: ${i} journeys, rss ${rssMb(daemon.proc.pid ?? 0).toFixed(1)} MB, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
  }
}
const end = await steadyRss(daemon);
const rssEarly = early.rss;
const rssEnd = end.rss;
await daemon.stop();
await central.stop();

const growth = ((rssEnd - rssEarly) / rssEarly) * 100;
const figures = {
  'soak.journeys': { value: JOURNEYS, unit: 'journeys' },
  'soak.crashes': { value: crashes, unit: 'crashes' },
  'soak.rss_mb.at_50': { value: Number(rssEarly.toFixed(1)), unit: 'MB' },
  'soak.rss_mb.at_end': { value: Number(rssEnd.toFixed(1)), unit: 'MB' },
  'soak.rss_growth.pct': { value: Number(growth.toFixed(1)), unit: '%' },
  'soak.heap_mb.at_50': { value: Number(early.heap.toFixed(1)), unit: 'MB' },
  'soak.heap_mb.at_end': { value: Number(end.heap.toFixed(1)), unit: 'MB' },
};
recordBenchFigures(figures);
console.table(figures);
process.stdout.write(
  `soak: ${JOURNEYS} journeys, ${crashes} crashes; RSS ${rssEarly.toFixed(1)} MB after ${EARLY} → ${rssEnd.toFixed(1)} MB (${growth.toFixed(1)} %, goal ≤ 10 %)\n`,
);
