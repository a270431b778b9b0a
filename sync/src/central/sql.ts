// The one store interface central's services use: promises over SQL text written for SQLite and PostgreSQL
// alike (`?` placeholders, `RETURNING`, `ON CONFLICT`), with a dialect name for the few places that differ.
// A transaction's statements go to its connection: the `tx` handle given to the callback, and also any
// statement made on the store itself from inside the callback (AsyncLocalStorage), so a service called in
// another's transaction joins it. A transaction opened inside another is a savepoint.

export type Dialect = 'sqlite' | 'postgres';
export type SqlParam = unknown;
export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** Statements on one connection (the store's own, or a transaction's). */
export interface Sql {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(sql: string, ...params: readonly SqlParam[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, ...params: readonly SqlParam[]): Promise<T | undefined>;
  run(sql: string, ...params: readonly SqlParam[]): Promise<RunResult>;
  /** Several statements without parameters (DDL). */
  exec(sql: string): Promise<void>;
  /** fn's statements in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

export interface CentralStore extends Sql {
  close(): Promise<void>;
  /** Where it lives, for logs: a file path, ':memory:' or a postgres URL without its password. */
  readonly location: string;
  /**
   * The same store for writes whose commit need not wait for the disk, because losing the last fraction of a
   * second of them when the database server itself crashes is harmless: a heartbeat's state (the next heartbeat,
   * 30 s later, sends it again) and a request's nonce (a request that changes anything commits that change
   * durably after its nonce, and a commit flushes everything logged before it). Thousands of heartbeats a second
   * then cost no disk flush each. PostgreSQL: `synchronous_commit = off` (still consistent, never torn); SQLite:
   * the store itself. Inside a transaction, its statements join the transaction like any other. Its statements are
   * key-driven (PostgreSQL sessions that plan once and take indexes: pg-store.ts).
   */
  readonly relaxed: Sql;
}

/** Dialect differences in query text, defined once. */
export const DIALECT = {
  /** The text of a top-level key of a JSON text column. */
  jsonText(d: Dialect, column: string, key: string): string {
    return d === 'postgres' ? `(${column}::jsonb ->> '${key}')` : `json_extract(${column}, '$.${key}')`;
  },
  /** `FOR UPDATE` on PostgreSQL (a row lock for a read-then-write), nothing on SQLite (one writer). */
  forUpdate(d: Dialect): string {
    return d === 'postgres' ? ' FOR UPDATE' : '';
  },
} as const;

/** `?` placeholders to `$1, $2 …`, leaving quoted text and identifiers alone. */
export function numberedPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      n += 1;
      out += `$${n}`;
    } else out += ch;
  }
  return out;
}

/** A promise queue: one holder at a time, in arrival order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private held = 0;
  get locked(): boolean {
    return this.held > 0;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => {
      release = r;
    });
    this.held += 1;
    try {
      await before;
      return await fn();
    } finally {
      this.held -= 1;
      release();
    }
  }
}

/** One statement's text bound to a connection, used many times (a loop's insert or look-up). */
export function prepared(db: Sql, sql: string) {
  return {
    all: <T = Record<string, unknown>>(...params: readonly SqlParam[]) => db.all<T>(sql, ...params),
    get: <T = Record<string, unknown>>(...params: readonly SqlParam[]) => db.get<T>(sql, ...params),
    run: (...params: readonly SqlParam[]) => db.run(sql, ...params),
  };
}

/**
 * Serialises read-then-write transactions on one subject (an order, an appliance's alarm, the invoice numbers):
 * on PostgreSQL a transaction-scoped advisory lock, held until COMMIT or ROLLBACK, so a second central process
 * (or request) waits instead of reading the same state; on SQLite nothing (BEGIN IMMEDIATE and the store's mutex
 * already make every transaction the only writer). Call it first inside the transaction.
 */
export async function lockSubject(db: Sql, subject: string): Promise<void> {
  if (db.dialect === 'postgres') await db.get('SELECT pg_advisory_xact_lock(hashtext(?)) AS locked', subject);
}
