// bench-results.json at the repository root: a flat { figure: { value, unit } } object every benchmark extends.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = fileURLToPath(new URL('../../../../bench-results.json', import.meta.url));

export type Figures = Record<string, { value: number; unit: string }>;

export function recordFigures(figures: Figures, file = RESULTS_FILE): void {
  const current: Figures = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  writeFileSync(file, `${JSON.stringify({ ...current, ...figures }, null, 2)}\n`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
