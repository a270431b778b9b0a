// The sim profile's seed accounts are the demo accounts: the PINs the banner prints and the tests sign in
// with are the ones the profile's hashes were made from, and they pass the staff PIN rules.
import { readFileSync } from 'node:fs';
import { configSchema } from '@certkiosk/config';
import { describe, expect, it } from 'vitest';
import { DEMO_STAFF } from './demo-accounts.js';
import { verifyStaffPin } from './pin-hash.js';
import { checkStaffPin } from './pin-rules.js';

const sim = configSchema.parse(
  JSON.parse(readFileSync(new URL('../../../config/profiles/sim.json', import.meta.url), 'utf8')),
);

describe('demo staff accounts', () => {
  it('are the sim profile’s seed, PIN for hash', async () => {
    const seeded = sim.staff.accounts;
    expect(seeded.map((a) => [a.id, a.name, a.role])).toEqual(
      Object.values(DEMO_STAFF).map((a) => [a.staffId, a.name, a.role]),
    );
    for (const demo of Object.values(DEMO_STAFF)) {
      const account = seeded.find((a) => a.id === demo.staffId)!;
      expect(await verifyStaffPin(demo.pin, account.pinHash), demo.staffId).toBe(true);
      expect(checkStaffPin(demo.pin), demo.staffId).toEqual([]);
    }
    // The shared staff PIN is gone from the profile.
    expect(sim.secrets.staffPin).toBeUndefined();
  });
});
