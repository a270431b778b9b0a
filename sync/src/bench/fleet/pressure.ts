// The machine's pressure stall information (Linux PSI): the share of wall time some task waited for a CPU or
// for I/O. High CPU pressure during a step means the figures measured a crowded machine, not central.
import { readFileSync } from 'node:fs';

export interface PressureMark {
  cpuUs: number;
  ioUs: number;
}

/** The "some" stall totals (µs) of /proc/pressure/cpu and /io; undefined where PSI is not available. */
export function pressureMark(): PressureMark | undefined {
  try {
    return { cpuUs: someTotal('/proc/pressure/cpu'), ioUs: someTotal('/proc/pressure/io') };
  } catch {
    return undefined;
  }
}

/** Percent of `wallS` during which some task was stalled on CPU / on I/O since `from`. */
export function pressureSince(
  from: PressureMark,
  wallS: number,
): { cpuPct: number; ioPct: number } | undefined {
  const now = pressureMark();
  if (!now || wallS <= 0) return undefined;
  const pct = (us: number) => Math.round((us / 1e6 / wallS) * 100);
  return { cpuPct: pct(now.cpuUs - from.cpuUs), ioPct: pct(now.ioUs - from.ioUs) };
}

function someTotal(file: string): number {
  const m = /^some .*total=(\d+)/m.exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`no "some" line in ${file}`);
  return Number(m[1]);
}
