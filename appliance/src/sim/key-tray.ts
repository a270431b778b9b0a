// The sim profile's tray of blank USB keys: SoftHSM2 tokens made like a vendor ships them (initialised,
// label BLANK-n, a factory SO-PIN), kept outside the module's token directory until "inserted".
// Inserting moves a token folder into the token directory; pulling moves it out again. The driver only
// sees what the PKCS#11 module sees.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { heldKey, heldKeyNames } from './held-keys.js';

export interface KeyTray {
  /** Create `count` more blank keys in the tray. */
  restock(count: number): void;
  /** Move one blank key into the writer; returns its folder name. */
  insertBlank(): string;
  /** Move whatever key is in the writer (except the appliance's own token) back out. */
  pull(): string[];
  /** Put the keys pulled last back into the writer (the holder plugs their key in again); with a token
   *  serial, only that key (SoftHSM names a token's folder by a UUID ending in its serial). */
  reinsertPulled(serial?: string): string[];
  /** Insert a held key (sim/held-keys.ts: a couriered key, a key of another CA…) by name; its folder. */
  insertHeld(name: string): string;
  /** Names of the held keys. */
  heldKeys(): string[];
  blanksLeft(): number;
}

export function createKeyTray(opts: {
  softHsmTokenDir: string;
  trayDir: string;
  factorySoPin: string;
  keepInWriter: (folder: string) => boolean;
}): KeyTray {
  const blanks = join(opts.trayDir, 'blank');
  const pulled = join(opts.trayDir, 'pulled');
  const factoryConf = join(opts.trayDir, 'factory.conf');
  mkdirSync(blanks, { recursive: true });
  mkdirSync(pulled, { recursive: true });
  writeFileSync(
    factoryConf,
    `directories.tokendir = ${blanks}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  let made = readdirSync(blanks).length;
  return {
    restock(count) {
      for (let i = 0; i < count; i++) {
        made++;
        execFileSync(
          'softhsm2-util',
          [
            '--init-token',
            '--free',
            '--label',
            `BLANK-${String(made).padStart(4, '0')}`,
            '--so-pin',
            opts.factorySoPin,
            '--pin',
            '000000',
          ],
          { env: { ...process.env, SOFTHSM2_CONF: factoryConf }, stdio: 'pipe' },
        );
      }
    },
    insertBlank() {
      const next = readdirSync(blanks).sort()[0];
      if (!next) throw new Error('The tray has no blank keys left; restock it.');
      renameSync(join(blanks, next), join(opts.softHsmTokenDir, next));
      return next;
    },
    pull() {
      const out: string[] = [];
      for (const d of readdirSync(opts.softHsmTokenDir)) {
        if (opts.keepInWriter(d)) continue;
        renameSync(join(opts.softHsmTokenDir, d), join(pulled, d));
        out.push(d);
      }
      return out;
    },
    reinsertPulled(serial) {
      const back = readdirSync(pulled).filter((d) => !serial || d.replace(/-/g, '').endsWith(serial));
      for (const d of back) renameSync(join(pulled, d), join(opts.softHsmTokenDir, d));
      return back;
    },
    blanksLeft() {
      return readdirSync(blanks).length;
    },
    insertHeld(name) {
      const record = heldKey(opts.trayDir, name);
      if (!record) throw new Error(`no held key "${name}" in the tray`);
      const target = join(opts.softHsmTokenDir, record.folder);
      if (existsSync(target)) return record.folder;
      const sources = [
        join(opts.trayDir, 'held', name, 'tokens', record.folder),
        join(pulled, record.folder),
      ];
      const from = sources.find((p) => existsSync(p));
      if (!from) throw new Error(`the held key "${name}" is neither in the tray nor among the pulled keys`);
      renameSync(from, target);
      return record.folder;
    },
    heldKeys: () => heldKeyNames(opts.trayDir),
  };
}
