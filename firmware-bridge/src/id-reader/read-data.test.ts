import { describe, expect, it } from 'vitest';
import { decodeReadData, encodeReadData } from './read-data.js';

describe('read answer data', () => {
  const text = new Uint8Array(256).fill(0x20);
  it('pads the photo to 1024 bytes and splits it back', () => {
    const data = encodeReadData({ text, photo: Uint8Array.of(1, 2, 3) }, false);
    expect(data.length).toBe(4 + 256 + 1024);
    const back = decodeReadData(data, false);
    expect(back.text).toEqual(text);
    expect([...back.photo.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
    expect(back.fingerprint).toBeUndefined();
  });

  it('carries the fingerprint when asked with 30 10, and none when the card has none', () => {
    const withFp = decodeReadData(
      encodeReadData({ text, photo: new Uint8Array(0), fingerprint: Uint8Array.of(9) }, true),
      true,
    );
    expect(withFp.fingerprint?.length).toBe(1024);
    expect(withFp.fingerprint?.[0]).toBe(9);
    expect(
      decodeReadData(encodeReadData({ text, photo: new Uint8Array(0) }, true), true).fingerprint,
    ).toBeUndefined();
  });

  it('rejects data that does not match its own lengths', () => {
    const data = encodeReadData({ text, photo: new Uint8Array(0) }, false);
    expect(() => decodeReadData(data.subarray(0, 1000), false)).toThrow(
      expect.objectContaining({ code: 'ID_READER_UNEXPECTED_RESPONSE' }),
    );
    expect(() => decodeReadData(Uint8Array.of(0, 1), false)).toThrow(
      expect.objectContaining({ code: 'ID_READER_UNEXPECTED_RESPONSE' }),
    );
  });
});
