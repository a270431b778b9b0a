// The masks for personal data, defined once for the whole kiosk: logs, audit, receipts, the journey's views,
// the UI and the reference central all show an ID number or a name only through these. Pure (no imports), so
// the UI bundle can take this file as it is.

/** `440305199001011234` → `4403**********1234`: region and last four kept. Eight characters or fewer are
 *  all masked (first four + last four would show everything). An already masked value is left as it is. */
export function maskIdNumber(id: string): string {
  if (id.includes('*')) return id;
  if (id.length <= 8) return '*'.repeat(id.length);
  return id.slice(0, 4) + '*'.repeat(id.length - 8) + id.slice(-4);
}

// An 18-character resident ID number standing alone in text (GB 11643: 17 digits + check digit or X).
const ID_IN_TEXT = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/g;

/** Every ID number standing alone in a text masked (logs, audit notes, diagnostics): the last guard where a
 *  field's name does not say it holds one. */
export function maskIdNumbersInText(text: string): string {
  return text.replace(ID_IN_TEXT, maskIdNumber);
}

/** 张伟 → 张*, 李小娜 → 李*娜, 阿依古丽·买买提 → 阿******提 (first and last kept from three characters on);
 *  a one-character name is fully masked; an already masked value is left as it is. */
export function maskName(name: string): string {
  const value = name.trim();
  if (value.includes('*')) return value;
  const chars = [...value];
  if (chars.length <= 1) return '*'.repeat(chars.length);
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/** The form of an ID number that is compared or HMACed: surrounding whitespace removed, a final `x` as `X`.
 *  The kiosk (card read) and central (order) normalise through this one function. */
export function normaliseIdNumber(id: string): string {
  return id.trim().toUpperCase();
}

/** The form of a person's name that is compared or HMACed: whitespace and the middle dots of transcribed
 *  names (`·`, `•`, `・`, `.`) removed, Latin letters upper-cased — so `阿依古丽·买买提` on the order matches
 *  `阿依古丽买买提` on the card, and `Li Na` matches `LI NA`. */
export function normalisePersonName(name: string): string {
  return name.replace(/[\s·•・.]/g, '').toUpperCase();
}
