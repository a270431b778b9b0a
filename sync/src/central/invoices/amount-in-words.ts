// An amount in Chinese capital numerals (大写金额), as a Chinese invoice prints the total beside the figures:
// ¥300.00 → 叁佰圆整, ¥1005.50 → 壹仟零伍圆伍角整, ¥100.05 → 壹佰圆零伍分. Zeros inside the number are said
// once (零), trailing ones not; 整 ends an amount without 分 (the payment rules of the People's Bank of China).

const DIGITS = '零壹贰叁肆伍陆柒捌玖';
const PLACES = ['', '拾', '佰', '仟'] as const;
const GROUPS = ['', '万', '亿', '万亿'] as const;

function yuanInWords(yuan: number): string {
  const groups: number[] = [];
  for (let n = yuan; n > 0; n = Math.floor(n / 10_000)) groups.push(n % 10_000);
  let out = '';
  let zero = false;
  for (let g = groups.length - 1; g >= 0; g--) {
    const group = groups[g]!;
    if (group === 0) {
      zero = out !== '';
      continue;
    }
    for (let p = 3; p >= 0; p--) {
      const d = Math.floor(group / 10 ** p) % 10;
      if (d === 0) {
        zero = zero || out !== '';
        continue;
      }
      if (zero) out += '零';
      zero = false;
      out += DIGITS[d]! + PLACES[p]!;
    }
    out += GROUPS[g]!;
  }
  return out;
}

/** `fen` (a whole number ≥ 0) in capital numerals. */
export function amountInWords(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not an amount in fen: ${fen}`);
  const jiao = Math.floor(fen / 10) % 10;
  const cents = fen % 10;
  let out = yuanInWords(Math.floor(fen / 100));
  if (out) out += '圆';
  if (jiao === 0 && cents === 0) return `${out || '零圆'}整`;
  if (jiao > 0) out += `${DIGITS[jiao]}角`;
  else if (out) out += '零';
  return cents > 0 ? `${out}${DIGITS[cents]}分` : `${out}整`;
}

/** `fen` as yuan with two decimals: 30000 → "300.00". */
export function yuan(fen: number): string {
  return (fen / 100).toFixed(2);
}
