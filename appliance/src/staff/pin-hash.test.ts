import { configSchema } from '@certkiosk/config';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashStaffPin,
  isStaffPinHash,
  parseStaffPinHash,
  StaffPinHashError,
  verifyStaffPin,
} from './pin-hash.js';
import { checkStaffPin } from './pin-rules.js';
import { normaliseStaffId } from './staff-store.js';

const FAST = { N: 1024, r: 8, p: 1 };

describe('hashStaffPin / verifyStaffPin', () => {
  it('makes a self-describing scrypt string with the default cost, a 16-byte salt and no PIN in it', async () => {
    const hash = await hashStaffPin('583920');
    expect(hash).toMatch(/^\$scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain('583920');
    expect(parseStaffPinHash(hash)).toMatchObject({ ...DEFAULT_SCRYPT_PARAMS });
    expect(parseStaffPinHash(hash).salt).toHaveLength(16);
    expect(await verifyStaffPin('583920', hash)).toBe(true);
    expect(await verifyStaffPin('583921', hash)).toBe(false);
  });

  it('salts every hash and verifies with the parameters the string carries', async () => {
    const a = await hashStaffPin('704158', FAST);
    const b = await hashStaffPin('704158', FAST);
    expect(a).not.toBe(b);
    expect(a.startsWith('$scrypt$N=1024,r=8,p=1$')).toBe(true);
    expect(await verifyStaffPin('704158', a)).toBe(true);
    expect(await verifyStaffPin('704158', b)).toBe(true);
    expect(await verifyStaffPin('', a)).toBe(false);
  });

  it('verifies a hash made by any scrypt implementation in the documented format', async () => {
    // node -e "crypto.scrypt('318642', salt, 32, { N: 32768, r: 8, p: 1, maxmem: 64 << 20 }, …)", base64url
    const made = '$scrypt$N=32768,r=8,p=1$U4Y5Awal75KMUCvDky-Eng$4gfTqKixA0r0Zr75awRKZUls99YnGynBRNcdDNS-Nuc';
    expect(await verifyStaffPin('318642', made)).toBe(true);
    expect(await verifyStaffPin('318643', made)).toBe(false);
  });

  it('treats anything but a well-formed hash within bounds as not matching', async () => {
    const good = await hashStaffPin('704158', FAST);
    for (const bad of [
      '704158',
      '',
      good.replace('N=1024', 'N=1000'),
      good.replace('N=1024', 'N=2097152'),
      good.replace('r=8', 'r=0'),
      good.slice(0, -2),
    ]) {
      expect(isStaffPinHash(bad), bad).toBe(false);
      expect(await verifyStaffPin('704158', bad)).toBe(false);
    }
    expect(() => parseStaffPinHash('704158')).toThrow(StaffPinHashError);
    expect(() => parseStaffPinHash('704158')).not.toThrow(/704158/);
    await expect(hashStaffPin('704158', { N: 1000, r: 8, p: 1 })).rejects.toThrow(StaffPinHashError);
  });

  it('produces what the config schema accepts as staff.accounts[].pinHash, with the same id pattern', async () => {
    const staff = configSchema.shape.staff;
    const pinHash = await hashStaffPin('583920', FAST);
    const ok = staff.safeParse({ accounts: [{ id: 'S001', name: '李娜', role: 'administrator', pinHash }] });
    expect(ok.success).toBe(true);
    for (const id of [
      'S001',
      'SZ0123',
      'ADM12345678',
      'S01',
      's001',
      'S0001x',
      'ABCD001',
      '001',
      'S123456789',
    ]) {
      const viaConfig = staff.safeParse({
        accounts: [{ id, name: 'x', role: 'administrator', pinHash }],
      }).success;
      expect(normaliseStaffId(id) === id, id).toBe(viaConfig);
    }
  });
});

describe('checkStaffPin', () => {
  it('accepts 6–12 digits that are not trivially guessable', () => {
    for (const pin of ['583920', '704158', '90817263', '271828182845'])
      expect(checkStaffPin(pin), pin).toEqual([]);
  });

  it('refuses short, long, non-digit and trivially weak PINs', () => {
    const cases: Array<[string, string]> = [
      ['8642', 'too-short'],
      ['58392', 'too-short'],
      ['5839205839205', 'too-long'],
      ['58a920', 'not-digits'],
      ['583 920', 'not-digits'],
      ['000000', 'repeated'],
      ['77777777', 'repeated'],
      ['123456', 'sequence'],
      ['654321', 'sequence'],
      ['3456789', 'sequence'],
      ['890123', 'sequence'],
      ['210987', 'sequence'],
      ['121212', 'pattern'],
      ['123123', 'pattern'],
      ['147258', 'common'],
      ['520520', 'pattern'],
    ];
    for (const [pin, problem] of cases) expect(checkStaffPin(pin), pin).toContain(problem);
    expect(checkStaffPin(undefined)).toEqual(['not-digits']);
    expect(checkStaffPin(123456)).toEqual(['not-digits']);
  });
});
