import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './loader.js';
import { configSchema, STAFF_ID_PATTERN, STAFF_PIN_HASH_PATTERN } from './schema.js';

const sim = () => JSON.parse(readFileSync(new URL('../profiles/sim.json', import.meta.url), 'utf8'));
// A real scrypt hash (as hashStaffPin in appliance/src/staff makes it) of a PIN that appears nowhere here.
const HASH = '$scrypt$N=32768,r=8,p=1$U4Y5Awal75KMUCvDky-Eng$4gfTqKixA0r0Zr75awRKZUls99YnGynBRNcdDNS-Nuc';

function problems(staff: unknown): string[] {
  const c = sim();
  c.staff = staff;
  const r = parseConfig(c, '/tmp');
  return r.ok ? [] : r.problems;
}

describe('staff section of the config', () => {
  it('is optional and defaults to no seed accounts, 5 min idle and 8 h sessions', () => {
    const c = sim();
    delete c.staff;
    const parsed = configSchema.parse(c);
    expect(parsed.staff).toEqual({ accounts: [], idleLogoutMs: 300_000, maxSessionMs: 28_800_000 });
  });

  it('takes seed accounts with a scrypt PIN hash', () => {
    expect(HASH).toMatch(STAFF_PIN_HASH_PATTERN);
    const parsed = configSchema.shape.staff.parse({
      accounts: [
        { id: 'S001', name: ' 李娜 ', role: 'administrator', pinHash: HASH },
        { id: 'SZ0123', name: '王强', role: 'operator', pinHash: HASH },
      ],
      idleLogoutMs: 120_000,
    });
    expect(parsed.accounts[0]).toEqual({ id: 'S001', name: '李娜', role: 'administrator', pinHash: HASH });
    expect(parsed.maxSessionMs).toBe(28_800_000);
  });

  it('names staff ids like S001', () => {
    for (const id of ['S001', 'SZ0123', 'ADM12345678']) expect(STAFF_ID_PATTERN.test(id), id).toBe(true);
    for (const id of ['s001', 'S01', '001', 'ABCD001', 'S-001', 'S123456789', 'S001 ']) {
      expect(STAFF_ID_PATTERN.test(id), id).toBe(false);
    }
  });

  it('refuses a clear PIN where the hash goes, without printing it back', () => {
    for (const pinHash of ['583920', 583920, undefined]) {
      const p = problems({ accounts: [{ id: 'S001', name: 'x', role: 'administrator', pinHash }] });
      expect(p).toEqual([
        expect.stringMatching(/^staff\.accounts\.0: pinHash: expected a scrypt PIN hash .*never a PIN/),
      ]);
      expect(p.join('\n')).not.toContain('583920');
    }
  });

  it('refuses duplicate ids, a seed without administrator, bad roles and ids, unknown fields', () => {
    const a = (id: string, role = 'administrator') => ({ id, name: 'x', role, pinHash: HASH });
    expect(problems({ accounts: [a('S001'), a('S001', 'operator')] })).toEqual([
      expect.stringMatching(/^staff\.accounts\.1\.id: duplicate staff id "S001"/),
    ]);
    expect(problems({ accounts: [a('S001', 'operator')] })).toEqual([
      expect.stringMatching(/^staff\.accounts: expected at least one account with role "administrator"/),
    ]);
    expect(problems({ accounts: [a('S001', 'root')] })).toEqual([
      expect.stringMatching(/^staff\.accounts\.0\.role: expected role "operator" or "administrator"/),
    ]);
    expect(problems({ accounts: [a('s1')] })).toEqual([
      expect.stringMatching(/^staff\.accounts\.0\.id: expected a staff id like "S001"/),
    ]);
    expect(problems({ accounts: [{ ...a('S001'), pin: '583920' }] })).toContainEqual(
      'staff.accounts.0.pin: unknown field (remove it or check its spelling)',
    );
    expect(problems({ idleLogoutMs: 600_000, maxSessionMs: 300_000 })).toEqual([
      expect.stringMatching(/^staff\.idleLogoutMs: idleLogoutMs must not exceed maxSessionMs/),
    ]);
  });
});
