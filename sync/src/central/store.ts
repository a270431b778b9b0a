// The embedded store: one SQLite file in WAL mode under the data directory, migrated on open, behind the
// async store interface (sql.ts). better-sqlite3 runs each statement at once; a transaction holds a mutex
// from BEGIN to COMMIT so no other request's statement lands inside it while it awaits.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrationSql } from './migrations.js';
import { type CentralStore, Mutex, type RunResult, type Sql, type SqlParam } from './sql.js';

/** Beyond this many statement texts, the oldest prepared statement is dropped (dynamic SQL stays bounded). */
const MAX_CACHED_STATEMENTS = 1000;

/** What central's services hold: the store (SQLite or PostgreSQL). */
export type Db = CentralStore;

/** A connection's statements: the store's own, or one transaction's (savepoints nest inside it). */
class SqliteConn implements Sql {
  readonly dialect = 'sqlite' as const;
  /** False once the transaction it stands for ended (a late statement then goes to the store). */
  open = true;
  private savepoints = 0;
  constructor(
    private readonly raw: Database.Database,
    private readonly owner: SqliteStore,
  ) {}
  async all<T>(sql: string, ...params: readonly SqlParam[]): Promise<T[]> {
    if (!this.open) return this.owner.all<T>(sql, ...params);
    return this.owner.statement(sql).all(...params) as T[];
  }
  async get<T>(sql: string, ...params: readonly SqlParam[]): Promise<T | undefined> {
    if (!this.open) return this.owner.get<T>(sql, ...params);
    return this.owner.statement(sql).get(...params) as T | undefined;
  }
  async run(sql: string, ...params: readonly SqlParam[]): Promise<RunResult> {
    if (!this.open) return this.owner.run(sql, ...params);
    return { changes: this.owner.statement(sql).run(...params).changes };
  }
  async exec(sql: string): Promise<void> {
    if (!this.open) return this.owner.exec(sql);
    this.raw.exec(sql);
  }
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    if (!this.open) return this.owner.transaction(fn);
    const name = `sp${++this.savepoints}`;
    this.raw.exec(`SAVEPOINT ${name}`);
    try {
      const out = await fn(this);
      this.raw.exec(`RELEASE ${name}`);
      return out;
    } catch (err) {
      this.raw.exec(`ROLLBACK TO ${name}`);
      this.raw.exec(`RELEASE ${name}`);
      throw err;
    }
  }
}

export class SqliteStore implements CentralStore {
  readonly dialect = 'sqlite' as const;
  private readonly mutex = new Mutex();
  private readonly current = new AsyncLocalStorage<SqliteConn>();
  constructor(
    /** The better-sqlite3 handle (tests and one-shot tools only; services use the interface). */
    readonly raw: Database.Database,
    readonly location: string,
  ) {}

  /** Prepared statements by their text (the same few hundred statements run thousands of times a second). */
  private readonly statements = new Map<string, Database.Statement>();
  statement(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.raw.prepare(sql);
      if (this.statements.size >= MAX_CACHED_STATEMENTS)
        this.statements.delete(this.statements.keys().next().value as string);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Commits wait for the disk as SQLite's own settings say; there is no cheaper kind here. */
  get relaxed(): Sql {
    return this;
  }

  /** The open transaction of this async context, else null. */
  private tx(): SqliteConn | null {
    const tx = this.current.getStore();
    return tx?.open ? tx : null;
  }
  /** A statement outside any transaction waits while one is open (it would land inside it). */
  private async outside<T>(fn: () => T): Promise<T> {
    if (!this.mutex.locked) return fn();
    return this.mutex.run(async () => fn());
  }
  all<T = Record<string, unknown>>(sql: string, ...params: readonly SqlParam[]): Promise<T[]> {
    const tx = this.tx();
    if (tx) return tx.all<T>(sql, ...params);
    return this.outside(() => this.statement(sql).all(...params) as T[]);
  }
  get<T = Record<string, unknown>>(sql: string, ...params: readonly SqlParam[]): Promise<T | undefined> {
    const tx = this.tx();
    if (tx) return tx.get<T>(sql, ...params);
    return this.outside(() => this.statement(sql).get(...params) as T | undefined);
  }
  run(sql: string, ...params: readonly SqlParam[]): Promise<RunResult> {
    const tx = this.tx();
    if (tx) return tx.run(sql, ...params);
    return this.outside(() => ({ changes: this.statement(sql).run(...params).changes }));
  }
  exec(sql: string): Promise<void> {
    const tx = this.tx();
    if (tx) return tx.exec(sql);
    return this.outside(() => {
      this.raw.exec(sql);
    });
  }
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const outer = this.tx();
    if (outer) return outer.transaction(fn);
    return this.mutex.run(async () => {
      const tx = new SqliteConn(this.raw, this);
      this.raw.exec('BEGIN IMMEDIATE');
      try {
        const out = await this.current.run(tx, () => fn(tx));
        this.raw.exec('COMMIT');
        return out;
      } catch (err) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw err;
      } finally {
        tx.open = false;
      }
    });
  }
  async close(): Promise<void> {
    await this.mutex.run(async () => {
      this.raw.close();
    });
  }
}

/** Open (creating if needed) `central.sqlite` in dataDir, or an in-memory database for ':memory:'. */
export function openStore(dataDir: string): SqliteStore {
  let raw: Database.Database;
  let location: string;
  if (dataDir === ':memory:') {
    raw = new Database(':memory:');
    location = ':memory:';
  } else {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    location = join(dataDir, 'central.sqlite');
    raw = new Database(location);
    raw.pragma('journal_mode = WAL');
  }
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  migrateSqlite(raw);
  return new SqliteStore(raw, location);
}

/** Applies the migrations not yet applied (synchronously: SQLite opens before anything else runs). */
export function migrateSqlite(db: Database.Database): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const done = new Set(
    db
      .prepare('SELECT id FROM schema_migrations')
      .all()
      .map((r) => (r as { id: string }).id),
  );
  const applied: string[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.id)) continue;
    db.transaction(() => {
      db.exec(migrationSql(m, 'sqlite'));
      db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(
        m.id,
        new Date().toISOString(),
      );
    })();
    applied.push(m.id);
  }
  return applied;
}
