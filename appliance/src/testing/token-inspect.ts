// Test support: what is really on the sim's USB keys (in the writer and pulled), read with pkcs11-tool
// through plain SoftHSM2 in a copy of the token folders, so looking never changes a key or spends a PIN try.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOFTHSM_MODULE } from '@certkiosk/firmware-bridge';

export interface KeyContents {
  label: string;
  serial: string;
  /** Which PIN opened it ('none' when no candidate did: only public objects are counted). */
  openedWith: string;
  privateKeys: number;
  publicKeys: number;
  /** Certificates with their CKA_ID (hex) and serial (lower-case hex, as pkcs11-tool prints it): the leaf
   *  shares the key pair's id; CA certificates do not. */
  certificates: Array<{ id: string; serial?: string }>;
  keyIds: string[];
}

function parseSlots(text: string): Array<{ slot: string; label: string; serial: string }> {
  const out: Array<{ slot: string; label: string; serial: string }> = [];
  let cur: { slot: string; label: string; serial: string } | null = null;
  for (const line of text.split('\n')) {
    const slot = /^Slot \d+ \((0x[0-9a-f]+)\)/.exec(line);
    if (slot?.[1]) {
      cur = { slot: String(Number.parseInt(slot[1], 16)), label: '', serial: '' };
      out.push(cur);
      continue;
    }
    const label = /token label\s*:\s*(.*)$/.exec(line);
    if (cur && label?.[1] !== undefined) cur.label = label[1].trim();
    const serial = /serial num\s*:\s*(.*)$/.exec(line);
    if (cur && serial?.[1] !== undefined) cur.serial = serial[1].trim();
  }
  return out.filter((s) => s.label);
}

function parseObjects(text: string): Omit<KeyContents, 'label' | 'serial' | 'openedWith'> {
  const r = {
    privateKeys: 0,
    publicKeys: 0,
    certificates: [] as Array<{ id: string; serial?: string }>,
    keyIds: [] as string[],
  };
  let kind: 'priv' | 'pub' | 'cert' | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('Private Key Object')) {
      kind = 'priv';
      r.privateKeys++;
    } else if (line.startsWith('Public Key Object')) {
      kind = 'pub';
      r.publicKeys++;
    } else if (line.startsWith('Certificate Object')) {
      kind = 'cert';
      r.certificates.push({ id: '' });
    } else if (/^\S/.test(line)) {
      kind = null;
    }
    const serial = /^\s+serial:\s*([0-9A-Fa-f]+)/.exec(line)?.[1];
    if (serial && kind === 'cert') {
      const last = r.certificates.at(-1);
      if (last) last.serial = serial.toLowerCase().replace(/^(00)+(?=.)/, '');
    }
    const id = /^\s+ID:\s*([0-9a-f]+)/.exec(line)?.[1];
    if (id && kind === 'cert') {
      const last = r.certificates.at(-1);
      if (last) last.id = id;
    } else if (id && kind === 'priv') r.keyIds.push(id);
  }
  return r;
}

/** Every key of the sim (writer and pulled) whose label starts with `labelPrefix`, with its objects. */
export function inspectSimKeys(
  simDir: string,
  labelPrefix: string,
  pinsFor: (serial: string) => string[],
): KeyContents[] {
  const copy = mkdtempSync(join(tmpdir(), 'ck-inspect-'));
  try {
    const tokens = join(copy, 'tokens');
    for (const from of [join(simDir, 'softhsm', 'tokens'), join(simDir, 'key-tray', 'pulled')]) {
      if (!existsSync(from)) continue;
      for (const d of readdirSync(from)) cpSync(join(from, d), join(tokens, d), { recursive: true });
    }
    const conf = join(copy, 'softhsm2.conf');
    writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    const env = { ...process.env, SOFTHSM2_CONF: conf };
    const tool = (args: string[]) =>
      execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, ...args], {
        env,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    const out: KeyContents[] = [];
    for (const s of parseSlots(tool(['--list-token-slots']))) {
      if (!s.label.startsWith(labelPrefix)) continue;
      let listed: string | null = null;
      let openedWith = 'none';
      for (const pin of pinsFor(s.serial)) {
        try {
          listed = tool(['--slot', s.slot, '--login', '--pin', pin, '--list-objects']);
          openedWith = pin;
          break;
        } catch {
          // wrong PIN for this key: try the next candidate
        }
      }
      listed ??= tool(['--slot', s.slot, '--list-objects']);
      out.push({ label: s.label, serial: s.serial, openedWith, ...parseObjects(listed) });
    }
    return out;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** Wrong user PINs ever given to a sim key (the usbkey-sim module logs each one and never resets that log). */
export function simPinTriesSpent(simDir: string, serial: string): number {
  const file = join(simDir, 'softhsm', `usbkey-sim-${serial}.wrong-total`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}
