// Per-token PIN derivation: fixed vectors, so a refactor can never change the PIN of a key already issued.
import { describe, expect, it } from 'vitest';
import * as pkg from '../index.js';
import { deriveSoPin, deriveTransportPin } from './so-pin.js';

const MASTER = Buffer.from('a very secret master secret for tests');

describe('deriveTransportPin', () => {
  // Computed with the appliance engine's own formula (derivedPins, before it moved here):
  // HKDF-SHA256(master, salt=serial, info='certkiosk transport-pin v1', 8) → readBigUInt64BE % 1e8, padStart 8.
  it.each([
    [MASTER, '0f3c2a9e81b4d7c6', '17333780'],
    [MASTER, 'a1b2c3d4e5f60718', '03166082'],
    [MASTER, 'CK-ORD-2024-000017', '69002277'],
    [Buffer.alloc(32, 7), '5d1e0c9b7a3f2e10', '81717025'],
    [Buffer.alloc(32, 7), 's7', '04665237'],
  ])('gives the engine’s PIN bit for bit (%#)', (master, serial, pin) => {
    expect(deriveTransportPin(master, serial)).toBe(pin);
  });

  it('is 8 digits, differs per key and per master secret', () => {
    const a = deriveTransportPin(MASTER, 'serial-a');
    expect(a).toMatch(/^\d{8}$/);
    expect(deriveTransportPin(MASTER, 'serial-b')).not.toBe(a);
    expect(deriveTransportPin(Buffer.from('another master secret, 16+ bytes'), 'serial-a')).not.toBe(a);
    expect(deriveTransportPin(MASTER, 'serial-a')).not.toBe(deriveSoPin(MASTER, 'serial-a'));
  });

  it('refuses a short master secret or an empty serial with a typed error', () => {
    expect(() => deriveTransportPin(Buffer.alloc(15), 'x')).toThrow(
      expect.objectContaining({ code: 'TOKEN_BAD_ARGUMENT' }),
    );
    expect(() => deriveTransportPin(MASTER, '')).toThrow(
      expect.objectContaining({ code: 'TOKEN_BAD_ARGUMENT' }),
    );
  });

  it('is exported from the package index beside deriveSoPin', () => {
    expect(pkg.deriveTransportPin).toBe(deriveTransportPin);
    expect(pkg.deriveSoPin).toBe(deriveSoPin);
  });
});

describe('deriveSoPin', () => {
  it('keeps its fixed vector (keys already in the field carry it)', () => {
    expect(deriveSoPin(MASTER, '0f3c2a9e81b4d7c6')).toBe('YG1K8T8V99VJTJ9T');
  });
});
