// bench-results.json at the repository root: a flat { figure: { value, unit } } object every benchmark
// extends. Lives in config because every package may import config, so all benchmarks share one writer.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** From config/src or config/dist, the repository root is two levels up. */
export const BENCH_RESULTS_FILE = fileURLToPath(new URL('../../bench-results.json', import.meta.url));

export type BenchFigures = Record<string, { value: number; unit: string }>;

export function recordBenchFigures(figures: BenchFigures, file = BENCH_RESULTS_FILE): void {
  const current: BenchFigures = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  writeFileSync(file, `${JSON.stringify({ ...current, ...figures }, null, 2)}\n`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
