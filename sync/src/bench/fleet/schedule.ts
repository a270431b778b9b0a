// When the simulated fleet sends what: heartbeats every 30 s per kiosk with phases spread evenly over the
// period (so a fleet of N sends one every 30 000 / N ms, steady), and ~20 pickups a day per kiosk, also spread
// evenly over the fleet. Pure functions: the load step turns elapsed time into "how many are due by now".

/** The appliance's heartbeat period (appliance/src/daemon.ts: heartbeatMs default). */
export const HEARTBEAT_INTERVAL_MS = 30_000;
/** Pickups a kiosk serves in a day (issue 15's load model). */
export const PICKUPS_PER_KIOSK_PER_DAY = 20;
const DAY_MS = 86_400_000;

/** Kiosk i's heartbeat phase: i × period / n, so n kiosks cover the period at even spacing. */
export function heartbeatPhaseMs(i: number, n: number, periodMs = HEARTBEAT_INTERVAL_MS): number {
  return (i * periodMs) / n;
}

/**
 * How many fleet-wide heartbeats are due `elapsedMs` into a step: the s-th (0-based) goes at s × period / n
 * (kiosk s mod n, i.e. at that kiosk's phase in period ⌊s / n⌋), so this is ⌊elapsed × n / period⌋ + 1.
 */
export function heartbeatsDue(elapsedMs: number, n: number, periodMs = HEARTBEAT_INTERVAL_MS): number {
  if (elapsedMs < 0 || n <= 0) return 0;
  return Math.floor((elapsedMs * n) / periodMs) + 1;
}

/** The kiosk (0-based) that sends the fleet's s-th heartbeat, and when (ms into the step). */
export function heartbeatAt(
  s: number,
  n: number,
  periodMs = HEARTBEAT_INTERVAL_MS,
): { kiosk: number; atMs: number } {
  return { kiosk: s % n, atMs: (s * periodMs) / n };
}

/**
 * Mean spacing of pickups over the whole fleet: one kiosk does `perDay` a day, n kiosks n × perDay.
 * `speedup` > 1 compresses time for events only (heartbeats keep their real 30 s).
 */
export function pickupSpacingMs(n: number, perDay = PICKUPS_PER_KIOSK_PER_DAY, speedup = 1): number {
  return DAY_MS / (n * perDay * speedup);
}

/** Pickups due `elapsedMs` into a step (the p-th at p × spacing, the first after one spacing). */
export function pickupsDue(elapsedMs: number, spacingMs: number): number {
  if (elapsedMs < 0 || !(spacingMs > 0)) return 0;
  return Math.floor(elapsedMs / spacingMs);
}

/**
 * Which kiosk serves the fleet's p-th pickup: a stride co-prime with n walks every kiosk once per n pickups, in
 * an order not tied to the heartbeat phases.
 */
export function pickupKiosk(p: number, n: number): number {
  let stride = Math.max(1, Math.floor(n * 0.618));
  while (gcd(stride, n) !== 1) stride++;
  return (p * stride) % n;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
