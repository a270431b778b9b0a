// Test support: what central and the kiosk's disk hold, read from outside as an auditor would — central's rows
// through its own store (SQLite or PostgreSQL, whichever the test central runs on), the events the kiosk
// delivered, and every file under the kiosk's store searched for what must never be there.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DIALECT } from '@certkiosk/sync/central';
import { expect } from 'vitest';
import type { CentralHandle } from './kiosk-harness.js';

/** Central's store (its `Sql`: `?` placeholders, SQL that reads the same on SQLite and PostgreSQL). */
export type CentralSql = CentralHandle['app']['central']['db'];

/** Central's store, as it runs now (a restarted central's, after `Object.assign(handle, restarted)`). */
export const centralStore = (central: CentralHandle): CentralSql => central.app.central.db;

/** The text of a top-level key of a JSON text column, in the store's dialect. */
export function jsonText(db: CentralSql, column: string, key: string): string {
  return DIALECT.jsonText(db.dialect, column, key);
}

/** Events of `type` central received that mention `text` (service events carry a serial, no order id). */
export async function centralEventCount(central: CentralHandle, type: string, text: string): Promise<number> {
  const row = await centralStore(central).get<{ n: number }>(
    "SELECT COUNT(*) AS n FROM events WHERE type = ? AND payload_json LIKE '%' || ? || '%'",
    type,
    text,
  );
  return Number(row?.n ?? 0);
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
