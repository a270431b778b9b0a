// When the daily run is due: after the configured Beijing time, for the previous day, until one of the timer's runs
// of that day had the provider's bill. WeChat Pay generates a day's bill the next morning (from about 09:00; its
// documentation advises fetching after 10:00), so an early run compares kiosks and central at once and the timer
// tries again every hour until the bill is in. Restart-safe: whether a day is done is read from the runs kept.
import { beijingDay, beijingMinuteOfDay, previousDay } from './day.js';
import type { ReconciliationRun } from './schemas.js';

/** The daily run's default time, Beijing (Asia/Shanghai): the previous day is over and the halls are closed. */
export const DEFAULT_DAILY_AT = '02:00';
/** How long the timer waits before trying a day again whose runs had no provider bill. */
export const SCHEDULE_RETRY_MS = 3_600_000;
/** How often the timer looks whether a run is due. */
export const DEFAULT_CHECK_EVERY_MS = 60_000;

/** `HH:mm` as minutes after midnight; throws for anything else (a configuration mistake stops central at start). */
export function dailyAtMinutes(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new Error(`the daily reconciliation time "${hhmm}" is not HH:mm (Beijing time).`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The day the timer should reconcile now, or null. `scheduledRuns(day)`: the timer's runs of a day, newest first. */
export function dueDay(
  nowMs: number,
  atMinutes: number,
  scheduledRuns: (day: string) => ReconciliationRun[],
): string | null {
  if (beijingMinuteOfDay(nowMs) < atMinutes) return null;
  const day = previousDay(beijingDay(nowMs));
  const runs = scheduledRuns(day);
  if (runs.some((r) => r.providerBill !== 'unavailable')) return null;
  const last = runs[0];
  if (last && nowMs - Date.parse(last.startedAt) < SCHEDULE_RETRY_MS) return null;
  return day;
}
