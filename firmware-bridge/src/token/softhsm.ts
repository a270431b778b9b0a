// A private SoftHSM2 installation in a folder: its own config file and token directory.
// Tests, the benchmark and the sim profile each get one, so nothing touches /var/lib/softhsm.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmHome {
  dir: string;
  confPath: string;
  tokenDir: string;
  /** Environment for child processes (pkcs11-tool, openssl) that must see the same tokens. */
  env: NodeJS.ProcessEnv;
}

/** Create the conf + token dir under `dir` and point this process's SOFTHSM2_CONF at it. */
export function createSoftHsmHome(dir: string): SoftHsmHome {
  const tokenDir = join(dir, 'tokens');
  mkdirSync(tokenDir, { recursive: true });
  const confPath = join(dir, 'softhsm2.conf');
  writeFileSync(
    confPath,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = true\n`,
  );
  process.env['SOFTHSM2_CONF'] = confPath;
  return { dir, confPath, tokenDir, env: { ...process.env, SOFTHSM2_CONF: confPath } };
}

/** The folder SoftHSM keeps a token in (named by a UUID whose last 16 hex digits are the serial). */
export function softHsmTokenFolder(home: SoftHsmHome, serial: string): string {
  const name = readdirSync(home.tokenDir).find((d) => d.replace(/-/g, '').endsWith(serial));
  if (!name) throw new Error(`no SoftHSM token folder for serial ${serial} in ${home.tokenDir}`);
  return join(home.tokenDir, name);
}

/** Path of the USB-key simulator module (SoftHSM plus PIN lockout), built by `make build`. */
export const USBKEY_SIM_MODULE = fileURLToPath(
  new URL('../../dist/native/libcertkiosk-usbkey-sim.so', import.meta.url),
);
