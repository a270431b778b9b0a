// The data part of a read-base-information answer: TEXT_LEN PHOTO_LEN [FP_LEN] TEXT PHOTO [FP], lengths big-endian.
import { CARD_TEXT_SIZE } from './card.js';
import { idReaderError } from './errors.js';

export const PHOTO_SIZE = 1024;
export const FINGERPRINT_SIZE = 1024;

export interface ReadData {
  text: Uint8Array;
  photo: Uint8Array;
  fingerprint?: Uint8Array;
}

/** Split the answer to 30 01 (`withFingerprint` false) or 30 10 (true); throws ID_READER_UNEXPECTED_RESPONSE. */
export function decodeReadData(data: Uint8Array, withFingerprint: boolean): ReadData {
  const header = withFingerprint ? 6 : 4;
  const fail = (why: string) =>
    idReaderError(
      'ID_READER_UNEXPECTED_RESPONSE',
      { length: data.length, withFingerprint },
      `The read answer ${why}.`,
    );
  if (data.length < header) throw fail('is too short to hold its length fields');
  const textLen = (data[0]! << 8) | data[1]!;
  const photoLen = (data[2]! << 8) | data[3]!;
  const fpLen = withFingerprint ? (data[4]! << 8) | data[5]! : 0;
  if (textLen !== CARD_TEXT_SIZE) throw fail(`announces ${textLen} text bytes instead of ${CARD_TEXT_SIZE}`);
  if (header + textLen + photoLen + fpLen !== data.length)
    throw fail('does not match the lengths it announces');
  const text = data.slice(header, header + textLen);
  const photo = data.slice(header + textLen, header + textLen + photoLen);
  if (!withFingerprint || fpLen === 0) return { text, photo };
  return { text, photo, fingerprint: data.slice(header + textLen + photoLen) };
}

/** Build the answer a module gives: photo padded to 1024 bytes; fingerprint (if asked for) 1024 bytes or absent. */
export function encodeReadData(parts: ReadData, withFingerprint: boolean): Uint8Array {
  const photo = padTo(parts.photo, PHOTO_SIZE, 'photo');
  const fp =
    withFingerprint && parts.fingerprint
      ? padTo(parts.fingerprint, FINGERPRINT_SIZE, 'fingerprint')
      : undefined;
  const header = withFingerprint ? 6 : 4;
  const out = new Uint8Array(header + parts.text.length + photo.length + (fp?.length ?? 0));
  out[0] = parts.text.length >> 8;
  out[1] = parts.text.length & 0xff;
  out[2] = photo.length >> 8;
  out[3] = photo.length & 0xff;
  if (withFingerprint) {
    out[4] = (fp?.length ?? 0) >> 8;
    out[5] = (fp?.length ?? 0) & 0xff;
  }
  out.set(parts.text, header);
  out.set(photo, header + parts.text.length);
  if (fp) out.set(fp, header + parts.text.length + photo.length);
  return out;
}

function padTo(bytes: Uint8Array, size: number, what: string): Uint8Array {
  if (bytes.length > size) {
    throw idReaderError(
      'ID_READER_BAD_CARD_DATA',
      { what, length: bytes.length },
      `The ${what} is over ${size} bytes.`,
    );
  }
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}
