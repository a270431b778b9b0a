// What a production profile (no simulation) must have beyond the schema: TLS to a pinned central, the
// appliance token pinned, an allow-list of USB-key models, and none of the sim's fixture keys or demo secrets.
import { createHash, X509Certificate } from 'node:crypto';
import { SHIPPED_SECRET_VALUES, SHIPPED_STAFF_PIN_HASHES } from './demo-secrets.js';
import type { CertkioskConfig, SecretSource } from './schema.js';

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** The public keys of the fixture pickup-signing keys (sync/fixtures/*.pem), as SHA-256 of their PEM body. */
export const FIXTURE_PICKUP_PUBLIC_KEYS_SHA256: readonly string[] = [
  // config/profiles/sim.json central.publicKey (sync/fixtures/sim-pickup-signing.key.pem)
  sha256('MCowBQYDK2VwAyEAkuokPYHo1ghoiwpr10pDsFj11hDA2wcQ6+0NG0dys/0='),
];

export const isSimProfile = (config: Pick<CertkioskConfig, 'simulation'>): boolean =>
  config.simulation?.enabled === true;

const pemBody = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

/** One line per rule a production profile breaks (empty for a sim profile or a sound production one). */
export function productionProblems(config: CertkioskConfig): string[] {
  if (isSimProfile(config)) return [];
  const problems: string[] = [];
  if (new URL(config.central.url).protocol !== 'https:') {
    problems.push('central.url: a production profile talks to central over https only');
  }
  const ca = config.central.caCertificate;
  if (!ca) {
    problems.push("central.caCertificate: missing; a production profile pins central's CA (PEM)");
  } else {
    try {
      new X509Certificate(ca);
    } catch (err) {
      problems.push(
        `central.caCertificate: expected a PEM certificate that parses (${(err as Error).message})`,
      );
    }
  }
  if (FIXTURE_PICKUP_PUBLIC_KEYS_SHA256.includes(sha256(pemBody(config.central.publicKey)))) {
    problems.push(
      "central.publicKey: this is the repository's sim fixture key, not central's pickup-code key",
    );
  }
  const token = config.devices.token;
  if (!token.applianceKeyTokenSerial) {
    problems.push(
      'devices.token.applianceKeyTokenSerial: missing; a production profile pins the appliance token',
    );
  }
  if (!token.applianceKeySpkiSha256) {
    problems.push(
      "devices.token.applianceKeySpkiSha256: missing; a production profile pins the appliance key's public key",
    );
  }
  if (!config.staff.accounts.some((a) => a.role === 'administrator')) {
    problems.push(
      'staff.accounts: a production profile seeds at least one administrator (no one could sign in otherwise)',
    );
  }
  config.staff.accounts.forEach((a, i) => {
    if (SHIPPED_STAFF_PIN_HASHES.includes(a.pinHash)) {
      problems.push(
        `staff.accounts.${i}: this is a demo account shipped with the repository (its PIN is public)`,
      );
    }
  });
  if (token.allowedModels.length === 0) {
    problems.push(
      'devices.token.allowedModels: empty; a production profile lists the USB-key models it may use',
    );
  }
  return problems;
}

/**
 * One line per secret whose value is a known demo value, for a production profile (the values are read through
 * `read`, so they are checked where they live: env or file).
 */
export function demoSecretProblems(
  config: CertkioskConfig,
  read: (source: SecretSource) => Buffer | undefined,
  shipped: readonly string[] = SHIPPED_SECRET_VALUES,
): string[] {
  if (isSimProfile(config)) return [];
  const problems: string[] = [];
  for (const [name, source] of Object.entries(config.secrets)) {
    if (!source) continue;
    let value: Buffer | undefined;
    try {
      value = read(source);
    } catch {
      continue; // reported where the secret is used
    }
    if (value && shipped.includes(value.toString('utf8'))) {
      problems.push(
        `secrets.${name}: this is a demo value shipped with the repository; set a secret of your own`,
      );
    }
  }
  return problems;
}
