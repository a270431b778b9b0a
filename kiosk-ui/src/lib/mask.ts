// Defence in depth: the appliance already masks personal data, the UI masks again before showing it.

/** 440301199001011234 → 4403**********1234; an already masked value is left as it is. */
export function maskIdNumber(value: string): string {
  if (value.includes('*')) return value;
  if (value.length < 8) return '*'.repeat(value.length);
  return value.slice(0, 4) + '*'.repeat(value.length - 8) + value.slice(-4);
}

/** 张三 → 张*, 李小娜 → 李*娜; an already masked value is left as it is. */
export function maskName(value: string): string {
  const chars = [...value.trim()];
  if (value.includes('*') || chars.length <= 1) return value;
  if (chars.length === 2) return `${chars[0]}*`;
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}
