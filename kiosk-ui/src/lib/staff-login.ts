// Staff sign-in on the touch screen: typing a staff id on the on-screen pad, what a refused sign-in means,
// and the staff session's idle deadline. Pure (no runes), unit-tested.
import type { ErrorBody } from './contract.ts';

/** 1–3 capital letters then 3–8 digits ("S001"), as the appliance's staff store. */
export const STAFF_ID_PATTERN = /^[A-Z]{1,3}[0-9]{3,8}$/;
export const STAFF_ID_LETTERS: readonly string[] = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
/** A staff PIN is 6–12 digits (the appliance judges it; the pad stops at 12). */
export const STAFF_PIN_MAX = 12;

export const isStaffId = (id: string): boolean => STAFF_ID_PATTERN.test(id);

/** The id after one key of the pad: letters only before the first digit (at most 3), then digits (at most 8). */
export function typeStaffId(current: string, key: string): string {
  const k = key.toUpperCase();
  const letters = /^[A-Z]*/.exec(current)![0].length;
  const digits = current.length - letters;
  if (/^[A-Z]$/.test(k)) return digits === 0 && letters < 3 ? current + k : current;
  if (/^[0-9]$/.test(k)) return letters > 0 && digits < 8 ? current + k : current;
  return current;
}

/** Ids signed in with on this screen since the page loaded, newest first (memory only, never stored). */
export function rememberStaffId(recent: readonly string[], id: string, keep = 4): string[] {
  return [id, ...recent.filter((r) => r !== id)].slice(0, keep);
}

export type LoginRefusal =
  | { kind: 'wrong'; attemptsLeft: number | null }
  | { kind: 'locked'; until: number }
  | { kind: 'other' };

/** What a refused sign-in means for the screen; `now` is when the answer came (ms). */
export function loginRefusal(error: Pick<ErrorBody, 'code' | 'params'>, now: number): LoginRefusal {
  const n = (name: string): number | null => {
    const v = Number(error.params?.[name]);
    return Number.isFinite(v) && v >= 0 ? v : null;
  };
  if (error.code === 'STAFF_PIN_WRONG') return { kind: 'wrong', attemptsLeft: n('attemptsLeft') };
  if (error.code === 'STAFF_LOCKED') return { kind: 'locked', until: now + (n('retryAfter') ?? 30) * 1000 };
  return { kind: 'other' };
}

/** The session's idle deadline after a staff request answered at `now`: the idle window, capped by its end. */
export function staffIdleDeadline(now: number, idleWindowMs: number, expiresAt: number): number {
  return Math.min(now + idleWindowMs, expiresAt);
}
