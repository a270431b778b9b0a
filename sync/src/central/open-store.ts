// Which store central runs on: embedded SQLite in the data directory (the default), or PostgreSQL when given a
// postgres:// URL (--database, CERTKIOSK_CENTRAL_DATABASE). Both through the one interface (sql.ts).
import { createHash, randomBytes } from 'node:crypto';
import { openPgStore } from './pg-store.js';
import type { CentralStore } from './sql.js';
import { openStore } from './store.js';

export interface StoreChoice {
  /** SQLite's folder (`central.sqlite`), or ':memory:'. */
  dataDir: string;
  /** A postgres:// (or postgresql://) URL: PostgreSQL instead of SQLite. */
  database?: string;
  /** PostgreSQL only: a schema of its own instead of `public` (each test harness gets one). */
  databaseSchema?: string;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/**
 * The test run on PostgreSQL: with env CENTRAL_TEST_DATABASE=postgres://…, a central opened without a database
 * runs there instead of SQLite, in a schema named after its data directory (a restart on the same directory
 * finds its data again; every harness has its own), and ':memory:' gets a fresh schema each time.
 */
export const TEST_DATABASE_ENV = 'CENTRAL_TEST_DATABASE';

function withTestDatabase(choice: StoreChoice): StoreChoice {
  const url = process.env[TEST_DATABASE_ENV];
  if (choice.database || !url) return choice;
  const seed = choice.dataDir === ':memory:' ? randomBytes(16).toString('hex') : choice.dataDir;
  return {
    ...choice,
    database: url,
    databaseSchema: `t_${createHash('sha256').update(seed).digest('hex').slice(0, 20)}`,
  };
}

export async function openCentralStore(given: StoreChoice): Promise<CentralStore> {
  const choice = withTestDatabase(given);
  if (choice.database === undefined || choice.database === '') return openStore(choice.dataDir);
  if (!isPostgresUrl(choice.database))
    throw new Error('the database is a postgres:// URL (default: SQLite in the data directory).');
  return openPgStore(choice.database, choice.databaseSchema ? { schema: choice.databaseSchema } : {});
}
