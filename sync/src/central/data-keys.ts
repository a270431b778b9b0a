// Central's secret keys kept in its data directory (person index, session tickets): 32 random bytes, base64,
// mode 0600, made on first start. Central processes sharing a data directory (several on one PostgreSQL) share
// them; two starting at once make one file between them (written aside, then linked into place: the first link
// wins, and neither reads a half-written file).
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `<dataDir>/<file>`, created (0600) when missing; a fresh key for an in-memory store (`:memory:`). */
export function loadOrCreateDataKey(dataDir: string, file: string): Buffer {
  if (dataDir === ':memory:') return randomBytes(32);
  const path = join(dataDir, file);
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(aside);
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new Error(`${path} must hold at least 32 random bytes (base64).`);
  return key;
}
