// Test support: what central and the kiosk's disk hold, read from outside as an auditor would — central's
// SQLite store opened read-only, the events the kiosk delivered, and every file under the kiosk's store
// searched for what must never be there.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';

/** Run `fn` on central's store (read-only) in `dataDir`. */
export function readCentralDb<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'central.sqlite'), { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Events of `type` central received that mention `text` (service events carry a serial, no order id). */
export function centralEventCount(dataDir: string, type: string, text: string): number {
  return readCentralDb(
    dataDir,
    (db) =>
      (
        db
          .prepare("SELECT COUNT(*) AS n FROM events WHERE type = ? AND payload_json LIKE '%' || ? || '%'")
          .get(type, text) as { n: number }
      ).n,
  );
}

/** Every file under the kiosk's store (journey store, journal, keys, audit, outbox) holds none of `secrets`. */
export function expectStoreHoldsNone(storeRoot: string, secrets: Iterable<string>): void {
  const all = [...secrets];
  for (const rel of readdirSync(storeRoot, { recursive: true, encoding: 'utf8' })) {
    const file = join(storeRoot, rel);
    let text: string;
    try {
      if (!statSync(file).isFile()) continue;
      text = readFileSync(file).toString('utf8');
    } catch {
      continue; // renamed meanwhile (an atomic write's temp file)
    }
    for (const secret of all) expect(text.includes(secret), `${secret} in ${rel}`).toBe(false);
  }
}
