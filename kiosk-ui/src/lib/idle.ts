// Idle timing: quiet time, then a visible countdown (at least 20 s, WCAG 2.2.1), then the wipe.
// Config semantics (config/src/schema.ts): `idleWarningMs` of no activity before the warning appears,
// then `idleWipeMs` of countdown before the session is wiped.
import type { KioskSettings } from './contract.ts';

export const MIN_COUNTDOWN_MS = 20_000;

export interface IdleTimings {
  /** No activity for this long → the warning appears. */
  quietMs: number;
  /** Length of the visible countdown before the wipe. */
  countdownMs: number;
}

export function idleTimings(
  settings: Pick<KioskSettings, 'idleWarningMs' | 'idleWipeMs' | 'elderlyTimeoutFactor'>,
  elderly: boolean,
): IdleTimings {
  const factor = elderly ? Math.max(1, settings.elderlyTimeoutFactor) : 1;
  return {
    quietMs: Math.round(settings.idleWarningMs * factor),
    countdownMs: Math.max(MIN_COUNTDOWN_MS, Math.round(settings.idleWipeMs * factor)),
  };
}

export type IdlePhase = { phase: 'quiet' } | { phase: 'warning'; secondsLeft: number } | { phase: 'expired' };

export function idleDeadline(lastActivity: number, timings: IdleTimings): number {
  return lastActivity + timings.quietMs + timings.countdownMs;
}

export function idlePhase(lastActivity: number, now: number, timings: IdleTimings): IdlePhase {
  const left = idleDeadline(lastActivity, timings) - now;
  if (left <= 0) return { phase: 'expired' };
  if (left <= timings.countdownMs) return { phase: 'warning', secondsLeft: Math.ceil(left / 1000) };
  return { phase: 'quiet' };
}

/**
 * The UI's deadline is the one the applicant sees (it knows about easy mode, the server does not), so the
 * UI keeps the server's wipe time from coming first: touch the journey shortly before the server would warn.
 */
export function needsKeepalive(args: {
  serverWipeAt: number | null;
  localDeadline: number;
  now: number;
  serverCountdownMs: number;
  marginMs?: number;
}): boolean {
  const { serverWipeAt, localDeadline, now, serverCountdownMs, marginMs = 3000 } = args;
  if (serverWipeAt === null) return false;
  const serverFirst = serverWipeAt < localDeadline - 1000;
  const serverWarnsSoon = serverWipeAt - now <= serverCountdownMs + marginMs;
  return serverFirst && serverWarnsSoon;
}
