// The sim profile's tray of blank USB keys: SoftHSM2 tokens made like a vendor ships them (initialised,
// label BLANK-n, a factory SO-PIN), kept outside the module's token directory until "inserted".
// Inserting moves a token folder into the token directory; pulling moves it out again. The driver only
// sees what the PKCS#11 module sees.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KeyTray {
  /** Create `count` more blank keys in the tray. */
  restock(count: number): void;
  /** Move one blank key into the writer; returns its folder name. */
  insertBlank(): string;
  /** Move whatever key is in the writer (except the appliance's own token) back out. */
  pull(): string[];
  /** Put the keys pulled last back into the writer (the holder plugs their key in again). */
  reinsertPulled(): string[];
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
    reinsertPulled() {
      const back = readdirSync(pulled);
      for (const d of back) renameSync(join(pulled, d), join(opts.softHsmTokenDir, d));
      return back;
    },
    blanksLeft() {
      return readdirSync(blanks).length;
    },
  };
}
