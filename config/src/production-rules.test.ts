import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_SECRETS, TEST_SECRETS } from './demo-secrets.js';
import { parseConfig } from './loader.js';
import { demoSecretProblems } from './production-rules.js';
import type { CertkioskConfig } from './schema.js';

const profiles = join(dirname(fileURLToPath(import.meta.url)), '..', 'profiles');
const example = () => JSON.parse(readFileSync(join(profiles, 'production.example.json'), 'utf8'));
const sim = () => JSON.parse(readFileSync(join(profiles, 'sim.json'), 'utf8'));
const module = '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so';

/** Profile JSON as read from disk (shape checked by the loader under test). */
type ProfileJson = { devices: { token: { module: string } } } & Record<string, unknown>;

function problemsOf(input: ProfileJson): string[] {
  input.devices.token.module = module;
  const r = parseConfig(input, profiles);
  return r.ok ? [] : r.problems;
}

describe('a production profile', () => {
  it('the shipped example passes', () => {
    expect(problemsOf(example())).toEqual([]);
  });

  it('refuses an http central (its answers decide whose ID card matches)', () => {
    const c = example();
    c.central.url = 'http://kiosk-api.ca.example.cn';
    expect(problemsOf(c)).toEqual(['central.url: a production profile talks to central over https only']);
  });

  it("refuses to run without central's CA pinned", () => {
    const c = example();
    delete c.central.caCertificate;
    expect(problemsOf(c)[0]).toMatch(/^central\.caCertificate: missing/);
  });

  it("refuses the sim's fixture pickup-code key", () => {
    const c = example();
    c.central.publicKey = sim().central.publicKey;
    expect(problemsOf(c)[0]).toMatch(/^central\.publicKey: this is the repository's sim fixture key/);
  });

  it('refuses an appliance token found by label only, and an empty list of USB-key models', () => {
    const c = example();
    delete c.devices.token.applianceKeyTokenSerial;
    delete c.devices.token.applianceKeySpkiSha256;
    c.devices.token.allowedModels = [];
    expect(problemsOf(c).map((p) => p.split(':')[0])).toEqual([
      'devices.token.applianceKeyTokenSerial',
      'devices.token.applianceKeySpkiSha256',
      'devices.token.allowedModels',
    ]);
  });

  it('demo secrets in a production profile are refused, each by name; own secrets pass', () => {
    const r = parseConfig(
      { ...example(), devices: { ...example().devices, token: { ...example().devices.token, module } } },
      profiles,
    );
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const config: CertkioskConfig = r.config;
    const demo = Object.values(DEMO_SECRETS);
    const fromDemo = (i: number) => () => Buffer.from(demo[i % demo.length] ?? '');
    let i = 0;
    expect(demoSecretProblems(config, () => fromDemo(i++)())).toEqual([
      'secrets.soPinMasterSecret: this is a demo value shipped with the repository; set a secret of your own',
      'secrets.applianceTokenPin: this is a demo value shipped with the repository; set a secret of your own',
      'secrets.blankKeySoPin: this is a demo value shipped with the repository; set a secret of your own',
    ]);
    expect(
      demoSecretProblems(config, () => Buffer.from(TEST_SECRETS.CERTKIOSK_APPLIANCE_TOKEN_PIN)),
    ).toHaveLength(3);
    expect(demoSecretProblems(config, () => Buffer.from('a secret of our own, 7f3e9a'))).toEqual([]);
  });

  it('the sim profile may use them (it is the sim)', () => {
    const r = parseConfig(
      { ...sim(), devices: { ...sim().devices, token: { ...sim().devices.token, module } } },
      profiles,
    );
    if (!r.ok) throw new Error(r.problems.join('\n'));
    expect(
      demoSecretProblems(r.config, () => Buffer.from(DEMO_SECRETS.CERTKIOSK_APPLIANCE_TOKEN_PIN)),
    ).toEqual([]);
  });

  it('refuses a production profile without an administrator account, or with the sim’s demo accounts', () => {
    const none = example();
    delete none.staff;
    expect(problemsOf(none)).toContain(
      'staff.accounts: a production profile seeds at least one administrator (no one could sign in otherwise)',
    );
    const demo = example();
    demo.staff = sim().staff;
    expect(problemsOf(demo).filter((p) => p.startsWith('staff.accounts'))).toEqual([
      'staff.accounts.0: this is a demo account shipped with the repository (its PIN is public)',
      'staff.accounts.1: this is a demo account shipped with the repository (its PIN is public)',
    ]);
  });
});
