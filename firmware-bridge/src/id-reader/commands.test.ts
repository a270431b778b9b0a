import { describe, expect, it } from 'vitest';
import { COMMANDS, commandByCode, statusError } from './commands.js';
import { ID_READER_ERRORS } from './errors.js';

// Every failure SW3 the spec's status table lists.
const SPEC_FAILURES = [
  0x80, 0x81, 0x41, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x47, 0x60, 0x66,
];

describe('status bytes', () => {
  it('map every failure status in the spec to its own typed error', () => {
    const codes = SPEC_FAILURES.map((sw3) => statusError(sw3, 'findCard').code);
    for (const code of codes) expect(Object.keys(ID_READER_ERRORS)).toContain(code);
    expect(new Set(codes).size).toBe(SPEC_FAILURES.length);
    expect(codes).not.toContain('ID_READER_UNKNOWN_STATUS');
  });

  it('name the common ones as the appliance expects', () => {
    expect(statusError(0x80, 'findCard').code).toBe('ID_READER_NO_CARD');
    expect(statusError(0x81, 'selectCard').code).toBe('ID_READER_SELECT_FAILED');
    expect(statusError(0x41, 'readBase').code).toBe('ID_READER_READ_FAILED');
    expect(statusError(0x10, 'readBase').code).toBe('ID_READER_CHECKSUM');
    expect(statusError(0x31, 'readBase').code).toBe('ID_READER_AUTH_FAILED');
    expect(statusError(0x55, 'readBase')).toMatchObject({
      code: 'ID_READER_UNKNOWN_STATUS',
      details: { sw3: '55' },
    });
  });

  it('look commands up by their code bytes', () => {
    expect(commandByCode(0x30, 0x10)).toBe('readBaseWithFingerprint');
    expect(commandByCode(0x30, 0x03)).toBe('readLatestAddress');
    expect(commandByCode(0x99, 0x01)).toBeUndefined();
    expect(Object.keys(COMMANDS)).toHaveLength(8);
  });
});
