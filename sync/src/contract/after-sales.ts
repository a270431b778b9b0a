// The facts of the kiosk's after-sales journeys that the kiosk and central must agree on, defined once:
// activation codes of couriered keys, the renewal window and rules, the unlock limit, and the masks of what an
// after-sales answer shows (order id; people and organisations through @certkiosk/config's masks).

/** An activation code is valid this long after the key is shipped. */
export const ACTIVATION_VALIDITY_DAYS = 30;
export const ACTIVATION_VALIDITY_MS = ACTIVATION_VALIDITY_DAYS * 24 * 3600 * 1000;
/** Wrong codes an order's activation code survives; the next wrong one locks it (staff unlock by a new code). */
export const ACTIVATION_MAX_WRONG = 5;

/** Renewal is offered this many days before a certificate expires (and not after it expired or was revoked). */
export const RENEWAL_WINDOW_DAYS = 90;

/**
 * What a certificate profile says becomes of the renewed certificate once its replacement is on the key and
 * verified: the kiosk revokes it at central (reason superseded), or it is left to expire.
 */
export const RENEWAL_RULES = ['revoke-previous', 'let-expire'] as const;
export type RenewalRule = (typeof RENEWAL_RULES)[number];

/** PIN unlocks (解锁) central grants per key (token serial) per day; the next is refused (UNLOCK_LIMIT_REACHED). */
export const UNLOCKS_PER_KEY_PER_DAY = 3;
/** The unlock day is the calendar day in China Standard Time (UTC+8, no daylight saving). */
export const UNLOCK_DAY_UTC_OFFSET_MINUTES = 8 * 60;

const DAY_MS = 24 * 3600 * 1000;

/** The unlock day (YYYY-MM-DD, China Standard Time) of a moment. */
export function unlockDay(nowMs: number): string {
  return new Date(nowMs + UNLOCK_DAY_UTC_OFFSET_MINUTES * 60_000).toISOString().slice(0, 10);
}

/** Whole days from now until notAfter (0 on the last day, negative once expired). */
export function daysLeft(notAfterIso: string, nowMs: number): number {
  return Math.floor((Date.parse(notAfterIso) - nowMs) / DAY_MS);
}

/** Renewal is offered for a good certificate within RENEWAL_WINDOW_DAYS of its expiry (not once expired). */
export function renewalOffered(cert: { notAfter: string; revoked: boolean }, nowMs: number): boolean {
  const end = Date.parse(cert.notAfter);
  return !cert.revoked && nowMs < end && nowMs >= end - RENEWAL_WINDOW_DAYS * DAY_MS;
}

/** `CK20260301A1B2C3D4` → `CK2026********C3D4`: enough to recognise one's order on screen, not to name it. */
export function maskOrderId(id: string): string {
  if (id.length <= 10) return `${id.slice(0, 2)}${'*'.repeat(Math.max(0, id.length - 2))}`;
  return id.slice(0, 6) + '*'.repeat(id.length - 10) + id.slice(-4);
}

/**
 * A certificate serial as central stores and compares it: lower-case hex without leading zero bytes (a kiosk
 * may read `00A1…` from the certificate's DER INTEGER).
 */
export function normaliseCertificateSerial(serial: string): string {
  return serial.toLowerCase().replace(/^(00)+(?=.)/, '');
}
