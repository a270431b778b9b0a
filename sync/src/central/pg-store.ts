// The PostgreSQL store (`--database postgres://…`): the same interface and migrations as the embedded SQLite
// store, over a node-postgres pool. `?` placeholders become `$n`; BIGINT and NUMERIC come back as numbers (central's
// integers are counts, fen and millisecond times, all far below 2^53). A transaction runs on one pooled client;
// statements made on the store from inside it (AsyncLocalStorage) go to that client too. Migrations run under an
// advisory lock, so central processes starting together migrate once.
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { MIGRATIONS, migrationSql } from './migrations.js';
import { type CentralStore, numberedPlaceholders, type RunResult, type Sql, type SqlParam } from './sql.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/**
 * A statement's `$n` text and its prepared-statement name: node-postgres prepares a named statement once per
 * connection and then only binds it, sparing PostgreSQL the parse and plan of the same few hundred statements
 * that every heartbeat and request runs. A name is never reused for another text.
 */
const translated = new Map<string, { text: string; name?: string }>();
let statementCount = 0;
/** `IN (?, ?, …)` of a list's length: one text per length, so these stay unnamed (not kept on every connection). */
const LIST_PARAMETERS = /\bIN \(\?(, \?)+\)/;
function statement(sql: string): { text: string; name?: string } {
  let t = translated.get(sql);
  if (t === undefined) {
    t = LIST_PARAMETERS.test(sql)
      ? { text: numberedPlaceholders(sql) }
      : { text: numberedPlaceholders(sql), name: `ck${++statementCount}` };
    if (translated.size < 5000) translated.set(sql, t);
    else delete t.name;
  }
  return t;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

async function rows<T>(q: Queryable, sql: string, params: readonly SqlParam[]): Promise<T[]> {
  const r = await q.query({ ...statement(sql), values: params as unknown[] });
  return r.rows as T[];
}
async function run(q: Queryable, sql: string, params: readonly SqlParam[]): Promise<RunResult> {
  const r = await q.query({ ...statement(sql), values: params as unknown[] });
  return { changes: r.rowCount ?? 0 };
}

/** One transaction's client (savepoints nest inside it). */
class PgTx implements Sql {
  readonly dialect = 'postgres' as const;
  open = true;
  private savepoints = 0;
  constructor(
    private readonly client: pg.PoolClient,
    private readonly owner: PgStore,
  ) {}
  all<T>(sql: string, ...params: readonly SqlParam[]): Promise<T[]> {
    if (!this.open) return this.owner.all<T>(sql, ...params);
    return rows<T>(this.client, sql, params);
  }
  async get<T>(sql: string, ...params: readonly SqlParam[]): Promise<T | undefined> {
    if (!this.open) return this.owner.get<T>(sql, ...params);
    return (await rows<T>(this.client, sql, params))[0];
  }
  run(sql: string, ...params: readonly SqlParam[]): Promise<RunResult> {
    if (!this.open) return this.owner.run(sql, ...params);
    return run(this.client, sql, params);
  }
  async exec(sql: string): Promise<void> {
    if (!this.open) return this.owner.exec(sql);
    await this.client.query(sql);
  }
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    if (!this.open) return this.owner.transaction(fn);
    const name = `sp${++this.savepoints}`;
    await this.client.query(`SAVEPOINT ${name}`);
    try {
      const out = await fn(this);
      await this.client.query(`RELEASE SAVEPOINT ${name}`);
      return out;
    } catch (err) {
      await this.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    }
  }
}

/** Statements outside a transaction on the pool whose sessions commit without waiting for the disk. */
class PgRelaxed implements Sql {
  readonly dialect = 'postgres' as const;
  constructor(
    private readonly pool: pg.Pool,
    private readonly owner: PgStore,
  ) {}
  all<T>(sql: string, ...params: readonly SqlParam[]): Promise<T[]> {
    return this.owner.inTransaction() ? this.owner.all<T>(sql, ...params) : rows<T>(this.pool, sql, params);
  }
  async get<T>(sql: string, ...params: readonly SqlParam[]): Promise<T | undefined> {
    return (await this.all<T>(sql, ...params))[0];
  }
  run(sql: string, ...params: readonly SqlParam[]): Promise<RunResult> {
    return this.owner.inTransaction() ? this.owner.run(sql, ...params) : run(this.pool, sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.owner.exec(sql);
  }
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.owner.transaction(fn);
  }
}

export class PgStore implements CentralStore {
  readonly dialect = 'postgres' as const;
  private readonly current = new AsyncLocalStorage<PgTx>();
  readonly relaxed: Sql;
  constructor(
    readonly pool: pg.Pool,
    readonly location: string,
    /** Sessions with `synchronous_commit = off` (see CentralStore.relaxed). */
    private readonly relaxedPool: pg.Pool,
  ) {
    this.relaxed = new PgRelaxed(relaxedPool, this);
  }
  /** Whether this async context is inside one of this store's transactions. */
  inTransaction(): boolean {
    return this.tx() !== null;
  }
  private tx(): PgTx | null {
    const tx = this.current.getStore();
    return tx?.open ? tx : null;
  }
  all<T = Record<string, unknown>>(sql: string, ...params: readonly SqlParam[]): Promise<T[]> {
    return this.tx()?.all<T>(sql, ...params) ?? rows<T>(this.pool, sql, params);
  }
  async get<T = Record<string, unknown>>(
    sql: string,
    ...params: readonly SqlParam[]
  ): Promise<T | undefined> {
    const tx = this.tx();
    if (tx) return tx.get<T>(sql, ...params);
    return (await rows<T>(this.pool, sql, params))[0];
  }
  run(sql: string, ...params: readonly SqlParam[]): Promise<RunResult> {
    return this.tx()?.run(sql, ...params) ?? run(this.pool, sql, params);
  }
  async exec(sql: string): Promise<void> {
    const tx = this.tx();
    if (tx) return tx.exec(sql);
    await this.pool.query(sql);
  }
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const outer = this.tx();
    if (outer) return outer.transaction(fn);
    const client = await this.pool.connect();
    const tx = new PgTx(client, this);
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await this.current.run(tx, () => fn(tx));
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      tx.open = false;
      client.release(broken);
    }
  }
  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.relaxedPool.end()]);
  }
}

export interface PgStoreOptions {
  /** A schema of its own (created if missing) instead of `public`: tests give each harness one. */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
}

/** The URL without its password, for logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Connect, create the schema when one is named, and apply the migrations not yet applied. */
export async function openPgStore(url: string, opts: PgStoreOptions = {}): Promise<PgStore> {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema))
    throw new Error(`bad schema name ${JSON.stringify(opts.schema)}`);
  const poolOf = (settings: string[]) => {
    const p = new pg.Pool({
      connectionString: url,
      max: opts.max ?? 10,
      types,
      ...(settings.length ? { options: settings.map((x) => `-c ${x}`).join(' ') } : {}),
    });
    // An idle client's error (the server went away) must not crash central; the next query reports it.
    p.on('error', () => {});
    return p;
  };
  const schema = opts.schema ? [`search_path=${opts.schema}`] : [];
  const pool = poolOf(schema);
  // The relaxed pool runs key-driven statements only (a nonce, an appliance's row, its audit head, a history
  // point), many of them gathered over the requests arriving together (request-batches.ts). Believing an
  // `unnest(…)` of keys yields 100 rows and the table is small, the planner would hash-join the whole table for
  // them (a full scan per batch, growing with the fleet); these sessions take the keys' index instead.
  const relaxed = poolOf([
    ...schema,
    'synchronous_commit=off',
    'enable_seqscan=off',
    'enable_hashjoin=off',
    'enable_mergejoin=off',
    'plan_cache_mode=force_generic_plan',
  ]);
  try {
    if (opts.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
    await migratePg(pool);
  } catch (err) {
    await Promise.all([pool.end(), relaxed.end()]);
    throw err;
  }
  return new PgStore(pool, redactDatabaseUrl(url) + (opts.schema ? ` (schema ${opts.schema})` : ''), relaxed);
}

/** Applies the migrations not yet applied, one process at a time (advisory lock per schema). */
export async function migratePg(pool: pg.Pool): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('certkiosk-migrate:' || current_schema()))");
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
      const done = new Set(
        (await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id),
      );
      for (const m of MIGRATIONS) {
        if (done.has(m.id)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migrationSql(m, 'postgres'));
          await client.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [
            m.id,
            new Date().toISOString(),
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${m.id} failed on PostgreSQL: ${(err as Error).message}`);
        }
        applied.push(m.id);
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('certkiosk-migrate:' || current_schema()))");
    }
  } finally {
    client.release();
  }
  return applied;
}
