// The simulator's merchant keys: made once into the data directory as a complete set, whoever comes first (the
// CLI's early preparation off the event loop, or a first payment at once), and the same set read ever after.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateSimulatorKeys, prepareSimulatorKeys, SIM_FILES, SIM_KEY_DIR } from './sim-keys.js';

const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ck-simkeys-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The platform key pair matches: its public key is the private key's. */
const platformMatches = (k: ReturnType<typeof loadOrCreateSimulatorKeys>) =>
  createPublicKey(createPrivateKey(k.platformPrivateKeyPem)).export({ type: 'spki', format: 'pem' }) ===
  k.platformPublicKeyPem;

describe('simulator keys', () => {
  it('prepared ahead: a complete set of 0600 files, then read as it is', async () => {
    const d = dataDir();
    await prepareSimulatorKeys(d);
    const dir = join(d, SIM_KEY_DIR);
    expect(readdirSync(dir).sort()).toEqual(Object.values(SIM_FILES).sort());
    for (const f of Object.values(SIM_FILES)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const a = loadOrCreateSimulatorKeys(d);
    expect(platformMatches(a)).toBe(true);
    await prepareSimulatorKeys(d);
    expect(loadOrCreateSimulatorKeys(d)).toEqual(a);
    // No half-made folders left beside it.
    expect(readdirSync(d)).toEqual([SIM_KEY_DIR]);
  });

  it('a first payment while the preparation runs: one set kept, the same for both', async () => {
    const d = dataDir();
    const preparing = prepareSimulatorKeys(d);
    const first = loadOrCreateSimulatorKeys(d);
    await preparing;
    const after = loadOrCreateSimulatorKeys(d);
    expect(after).toEqual(first);
    expect(platformMatches(after)).toBe(true);
    expect(readdirSync(d)).toEqual([SIM_KEY_DIR]);
  });
});
