// Central's secret keys kept in its data directory (person index, session tickets, pickup-code signing key), made
// on first start, mode 0600. Central processes sharing a data directory (several on one PostgreSQL) share them;
// two starting at once make one file between them (written aside, then linked into place: the first link wins,
// and neither reads a half-written file).
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The text of `<dataDir>/<file>`, written (0600) from `make()` when the file is missing. */
export function loadOrCreateDataFile(dataDir: string, file: string, make: () => string): string {
  const path = join(dataDir, file);
  if (!existsSync(path)) {
    const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(aside, make(), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(aside, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(aside);
    }
  }
  return readFileSync(path, 'utf8');
}

/** 32 random bytes in `<dataDir>/<file>` (base64), created when missing; a fresh key for `:memory:`. */
export function loadOrCreateDataKey(dataDir: string, file: string): Buffer {
  if (dataDir === ':memory:') return randomBytes(32);
  const text = loadOrCreateDataFile(dataDir, file, () => randomBytes(32).toString('base64'));
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length < 32) throw new Error(`${join(dataDir, file)} must hold at least 32 random bytes (base64).`);
  return key;
}
