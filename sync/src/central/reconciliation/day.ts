// The day a reconciliation compares: a Beijing calendar day (the halls' and the provider's bill day), checked once
// for every entry point (operator, kiosk, page), so a wrong day is refused the same way before anything is stored.
import { CentralError } from '../errors.js';
import { hallDate } from '../invoices/hall-time.js';

/** China has kept UTC+8 without summer time since 1991: a Beijing day is one fixed 24-hour window of UTC. */
const BEIJING_OFFSET = '+08:00';
const DAY_MS = 86_400_000;
const DAY_TEXT = /^\d{4}-\d{2}-\d{2}$/;

export interface DayWindow {
  day: string;
  /** The window [startMs, endMs) in epoch milliseconds. */
  startMs: number;
  endMs: number;
}

/** The Beijing calendar day of an instant. */
export function beijingDay(ms: number): string {
  return hallDate(new Date(ms).toISOString());
}

/** Minutes since Beijing midnight of an instant. */
export function beijingMinuteOfDay(ms: number): number {
  return Math.floor((ms - Date.parse(`${beijingDay(ms)}T00:00:00${BEIJING_OFFSET}`)) / 60_000);
}

export function previousDay(day: string): string {
  return beijingDay(Date.parse(`${day}T12:00:00${BEIJING_OFFSET}`) - DAY_MS);
}

const invalid = (why: string) => new CentralError('RECONCILIATION_DAY_INVALID', why);

/**
 * The window of `raw` (YYYY-MM-DD, a real calendar day that has begun in Beijing); otherwise throws
 * RECONCILIATION_DAY_INVALID saying what is wrong. Today is allowed: a partial day, run again later.
 */
export function checkDay(raw: string, nowMs: number): DayWindow {
  if (!DAY_TEXT.test(raw)) throw invalid(`"${raw.slice(0, 32)}" is not a day written YYYY-MM-DD.`);
  const startMs = Date.parse(`${raw}T00:00:00${BEIJING_OFFSET}`);
  // Date.parse gives NaN for some impossible dates and rolls others over (02-30 → 03-02): both refused.
  if (Number.isNaN(startMs) || beijingDay(startMs) !== raw)
    throw invalid(`${raw} is not a day of the calendar.`);
  if (startMs > nowMs) throw invalid(`${raw} has not begun yet in Beijing.`);
  return { day: raw, startMs, endMs: startMs + DAY_MS };
}

/** Whether an ISO time falls in the day (an unreadable time does not). */
export function inDay(w: DayWindow, iso: string | null | undefined): boolean {
  if (!iso) return false;
  const ms = Date.parse(iso);
  return ms >= w.startMs && ms < w.endMs;
}
