// The day a reconciliation compares: a Beijing calendar day, checked once for every entry point (operator, kiosk,
// page), so a wrong day is refused the same way before anything is stored. The day's arithmetic and its checks are
// the contract's (contract/reconciliation-day.ts, shared with the kiosk); the refusal is central's error.
import { DAY_MS, reconciliationDayProblem } from '../../contract/reconciliation-day.js';
import { CentralError } from '../errors.js';

export { beijingDay, beijingMinuteOfDay, previousDay } from '../../contract/reconciliation-day.js';

export interface DayWindow {
  day: string;
  /** The window [startMs, endMs) in epoch milliseconds. */
  startMs: number;
  endMs: number;
}

/**
 * The window of `raw` (YYYY-MM-DD, a real calendar day that has begun in Beijing); otherwise throws
 * RECONCILIATION_DAY_INVALID saying what is wrong. Today is allowed: a partial day, run again later.
 */
export function checkDay(raw: string, nowMs: number): DayWindow {
  const checked = reconciliationDayProblem(raw, nowMs);
  if (checked.problem !== null) throw new CentralError('RECONCILIATION_DAY_INVALID', checked.problem);
  return { day: raw, startMs: checked.startMs, endMs: checked.startMs + DAY_MS };
}

/** Whether an ISO time falls in the day (an unreadable time does not). */
export function inDay(w: DayWindow, iso: string | null | undefined): boolean {
  if (!iso) return false;
  const ms = Date.parse(iso);
  return ms >= w.startMs && ms < w.endMs;
}
