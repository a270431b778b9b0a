// The day a reconciliation compares: a Beijing calendar day (the halls' and the payment provider's bill day). Central
// checks it on every entry point and the kiosk before it sends anything, with the same words, so a wrong day is
// refused the same way on both sides before anything is read, sent or kept.

/** China has kept UTC+8 without summer time since 1991: a Beijing day is one fixed 24-hour window of UTC. */
export const BEIJING_OFFSET = '+08:00';
const OFFSET_MS = 8 * 3_600_000;
export const DAY_MS = 86_400_000;
const DAY_TEXT = /^\d{4}-\d{2}-\d{2}$/;

/** The Beijing calendar day (YYYY-MM-DD) of an instant. */
export function beijingDay(ms: number): string {
  return new Date(ms + OFFSET_MS).toISOString().slice(0, 10);
}

/** Minutes since Beijing midnight of an instant. */
export function beijingMinuteOfDay(ms: number): number {
  return Math.floor((ms - Date.parse(`${beijingDay(ms)}T00:00:00${BEIJING_OFFSET}`)) / 60_000);
}

/** The Beijing day before `day`. */
export function previousDay(day: string): string {
  return beijingDay(Date.parse(`${day}T12:00:00${BEIJING_OFFSET}`) - DAY_MS);
}

/**
 * Why `raw` is not a day to reconcile (not YYYY-MM-DD, not a day of the calendar, not begun yet in Beijing), or
 * null with its start (epoch ms) when it is one. Today is allowed: a partial day, run again later.
 */
export function reconciliationDayProblem(
  raw: string,
  nowMs: number,
): { problem: string } | { problem: null; startMs: number } {
  if (!DAY_TEXT.test(raw)) return { problem: `"${raw.slice(0, 32)}" is not a day written YYYY-MM-DD.` };
  const startMs = Date.parse(`${raw}T00:00:00${BEIJING_OFFSET}`);
  // Date.parse gives NaN for some impossible dates and rolls others over (02-30 → 03-02): both refused.
  if (Number.isNaN(startMs) || beijingDay(startMs) !== raw)
    return { problem: `${raw} is not a day of the calendar.` };
  if (startMs > nowMs) return { problem: `${raw} has not begun yet in Beijing.` };
  return { problem: null, startMs };
}
