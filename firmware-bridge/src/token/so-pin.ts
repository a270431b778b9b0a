// Per-token SO-PIN: HKDF-SHA256 of the configured master secret and the token serial, so no two keys
// share an SO-PIN and none is stored anywhere.
import { hkdfSync } from 'node:crypto';

const INFO = Buffer.from('certkiosk token so-pin v1');

export function deriveSoPin(masterSecret: Buffer, tokenSerial: string): string {
  if (masterSecret.length < 16) throw new Error('The SO-PIN master secret must be at least 16 bytes.');
  if (!tokenSerial) throw new Error('A token serial is needed to derive its SO-PIN.');
  const okm = Buffer.from(hkdfSync('sha256', masterSecret, Buffer.from(tokenSerial, 'utf8'), INFO, 12));
  // 16 characters from [0-9A-Z] that every token accepts as a PIN.
  const alphabet = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  let n = BigInt(`0x${okm.toString('hex')}`);
  let out = '';
  for (let i = 0; i < 16; i++) {
    out += alphabet[Number(n % BigInt(alphabet.length))];
    n /= BigInt(alphabet.length);
  }
  return out;
}
