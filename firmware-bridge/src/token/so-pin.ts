// Per-token PINs derived from the configured master secret and the token serial (HKDF-SHA256), so no two
// keys share one and none is stored anywhere: the SO-PIN, and the transport user PIN a key carries from
// preparation until the holder sets their own.
import { hkdfSync } from 'node:crypto';
import { TokenError } from './errors.js';

const SO_PIN_INFO = Buffer.from('certkiosk token so-pin v1');
const TRANSPORT_PIN_INFO = Buffer.from('certkiosk transport-pin v1');

function checkInputs(masterSecret: Buffer, tokenSerial: string, what: string): void {
  if (masterSecret.length < 16)
    throw new TokenError('TOKEN_BAD_ARGUMENT', `The ${what} master secret must be at least 16 bytes.`);
  if (!tokenSerial)
    throw new TokenError('TOKEN_BAD_ARGUMENT', `A token serial is needed to derive its ${what}.`);
}

export function deriveSoPin(masterSecret: Buffer, tokenSerial: string): string {
  checkInputs(masterSecret, tokenSerial, 'SO-PIN');
  const okm = Buffer.from(
    hkdfSync('sha256', masterSecret, Buffer.from(tokenSerial, 'utf8'), SO_PIN_INFO, 12),
  );
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

/**
 * The transport user PIN of a prepared key: 8 digits (every token accepts them), never stored, derived
 * again after a restart. HKDF-SHA256(master, salt = serial, info = 'certkiosk transport-pin v1', 8 bytes),
 * read as a big-endian 64-bit integer, modulo 10^8, zero-padded.
 */
export function deriveTransportPin(masterSecret: Buffer, serial: string): string {
  checkInputs(masterSecret, serial, 'transport PIN');
  const okm = Buffer.from(
    hkdfSync('sha256', masterSecret, Buffer.from(serial, 'utf8'), TRANSPORT_PIN_INFO, 8),
  );
  return (okm.readBigUInt64BE() % 100_000_000n).toString().padStart(8, '0');
}
