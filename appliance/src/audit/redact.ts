import { maskIdNumber, maskIdNumbersInText, REDACTED } from '@certkiosk/config';

export { maskIdNumber, maskIdNumbersInText, REDACTED };

// What may go into an audit record: never a PIN or password (by key name), ID numbers always masked.
const SECRET_WORDS = new Set(['pin', 'sopin', 'puk', 'password', 'passwd', 'passcode', 'secret']);
const ID_KEY = /^(.*_)?id_?(card_?)?(number|no)$/i;

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  return words.some((w) => SECRET_WORDS.has(w)) || SECRET_WORDS.has(words.join(''));
}

function isIdKey(key: string): boolean {
  return ID_KEY.test(keyWords(key).join('_'));
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskIdNumbersInText(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
  }
  if (depth > 8) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (isSecretKey(k)) out[k] = REDACTED;
    else if (isIdKey(k) && typeof v === 'string') out[k] = maskIdNumber(v);
    else {
      const r = redactValue(v, depth + 1);
      if (r !== undefined) out[k] = r;
    }
  }
  return out;
}

/** A JSON-safe copy of audit details with secrets replaced by `[redacted]` and ID numbers masked. */
export function redactAuditDetails(details: Record<string, unknown>): Record<string, unknown> {
  return redactValue(details, 0) as Record<string, unknown>;
}
