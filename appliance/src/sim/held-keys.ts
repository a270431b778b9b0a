// Keys a holder brings to the kiosk (sim profile, demo and tests): a SoftHSM2 token made outside the writer —
// a couriered key with its certificate, or a key of another CA — kept in the tray's `held/<name>` folder until
// it is "inserted" (/sim/token {action: 'insert', key: name}), then pulled and inserted again like any key.
// Made with the tools a CA's key workshop would use (softhsm2-util, pkcs11-tool) under its own SoftHSM
// configuration, so the kiosk's module only ever sees the finished key. The token's serial is known once it
// is initialised, so the PINs that derive from it (the per-token SO-PIN, the transport PIN) are set last.
import { execFileSync } from 'node:child_process';
import { randomInt, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SOFTHSM_MODULE } from '@certkiosk/firmware-bridge';
import { normaliseCertificateSerial } from '@certkiosk/sync';

export interface HeldKeyRecord {
  /** The token's folder under SoftHSM's token directory (moved into the writer when inserted). */
  folder: string;
  tokenSerial: string;
  label: string;
  /** The certificate serial on it (lower-case hex), once loaded. */
  certificateSerial?: string;
}

export interface HeldKeyBuilder {
  tokenSerial: string;
  /**
   * Put the key pair (PKCS#8 PEM) and its certificate on the token under CKA_ID 01 (CA certificates under 02…),
   * then set the SO-PIN and the user PIN the kiosk expects (e.g. deriveSoPin / deriveTransportPin of the serial).
   */
  load(k: {
    keyPem: string;
    certPem: string;
    chainPems?: string[];
    soPin: string;
    userPin: string;
  }): HeldKeyRecord;
}

const heldDir = (trayDir: string, name: string) => join(trayDir, 'held', name);

/** The held key `name`, if it was made. */
export function heldKey(trayDir: string, name: string): HeldKeyRecord | null {
  const file = join(heldDir(trayDir, name), 'key.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as HeldKeyRecord) : null;
}

/** Names of the held keys made in this tray. */
export function heldKeyNames(trayDir: string): string[] {
  const dir = join(trayDir, 'held');
  return existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(join(dir, n, 'key.json'))) : [];
}

/** Start making the held key `name` (an earlier one of that name is replaced): an initialised token. */
export function makeHeldKey(trayDir: string, name: string, label = name.toUpperCase()): HeldKeyBuilder {
  if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new Error(`a held key name is a-z, 0-9 and -, not "${name}"`);
  const dir = heldDir(trayDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'tokens'), { recursive: true, mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, stdio: 'pipe' }).toString();
  const p11 = (args: string[]) =>
    run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', label, ...args]);
  // Throw-away PINs while the token is made; the kiosk's PINs replace them at the end.
  const tmpSo = String(randomInt(10_000_000, 99_999_999));
  const tmpUser = String(randomInt(10_000_000, 99_999_999));
  run('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', tmpSo, '--pin', tmpUser]);
  const slots = run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '-L']);
  const block = slots
    .split(/^Slot /m)
    .find((b) => new RegExp(`token label\\s*:\\s*${label}\\s*$`, 'm').test(b));
  const serial = block ? /serial num\s*:\s*(\S+)/.exec(block)?.[1] : undefined;
  const folder = readdirSync(join(dir, 'tokens'))[0];
  if (!serial || !folder) throw new Error(`the held key ${name} was not made (no serial or token folder)`);
  return {
    tokenSerial: serial,
    load(k) {
      const keyFile = join(dir, 'key.pem');
      writeFileSync(keyFile, k.keyPem, { mode: 0o600 });
      try {
        run('softhsm2-util', [
          '--import',
          keyFile,
          '--token',
          label,
          '--label',
          'holder',
          '--id',
          '01',
          '--pin',
          tmpUser,
        ]);
      } finally {
        rmSync(keyFile, { force: true });
      }
      const certs = [k.certPem, ...(k.chainPems ?? [])];
      certs.forEach((pem, i) => {
        const der = join(dir, `cert-${i}.der`);
        const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
        writeFileSync(der, Buffer.from(b64, 'base64'));
        const id = String(i + 1).padStart(2, '0');
        p11(['--login', '--pin', tmpUser, '--write-object', der, '--type', 'cert', '--id', id]);
        rmSync(der, { force: true });
      });
      p11(['--login', '--pin', tmpUser, '--change-pin', '--new-pin', k.userPin]);
      p11(['--login', '--login-type', 'so', '--so-pin', tmpSo, '--change-pin', '--new-pin', k.soPin]);
      const record: HeldKeyRecord = {
        folder,
        tokenSerial: serial,
        label,
        certificateSerial: normaliseCertificateSerial(new X509Certificate(k.certPem).serialNumber),
      };
      writeFileSync(join(dir, 'key.json'), `${JSON.stringify(record, null, 2)}\n`);
      return record;
    },
  };
}
