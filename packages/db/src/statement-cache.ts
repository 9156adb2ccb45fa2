import type BetterSqlite3 from "better-sqlite3";

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** How many prepared statements one connection keeps; Prisma's distinct SQL texts fit. */
export const STATEMENT_CACHE_SIZE = 256;

export interface StatementCacheStats {
  /** Statements compiled by SQLite (cache misses). */
  prepared: number;
  /** Calls answered by an already compiled statement. */
  reused: number;
  /** Statements held now. */
  size: number;
}

/**
 * Schema changes leave a compiled `SELECT *` reporting its old columns until it next runs,
 * and the adapter reads the columns before it runs the statement, so DDL empties the cache.
 */
const SCHEMA_CHANGE = /^\s*(create|drop|alter)\b/i;

const columnsOf = new WeakMap<Statement, BetterSqlite3.ColumnDefinition[]>();

/**
 * One use of a shared statement. better-sqlite3's `bind()` is permanent and `raw()` changes the
 * statement for every later caller, so the arguments and the row shape live here, per call,
 * and are applied to the statement at the moment it runs. Only what Prisma's better-sqlite3
 * adapter calls is offered: anything else fails loudly instead of misbehaving after an
 * adapter upgrade.
 */
class StatementCall {
  readonly #statement: Statement;
  readonly #args: unknown[];
  #raw = false;

  constructor(statement: Statement, args: unknown[] = []) {
    this.#statement = statement;
    this.#args = args;
  }

  get reader(): boolean {
    return this.#statement.reader;
  }

  get source(): string {
    return this.#statement.source;
  }

  bind(...args: unknown[]): StatementCall {
    return new StatementCall(this.#statement, args);
  }

  raw(toggle = true): this {
    this.#raw = toggle;
    return this;
  }

  columns(): BetterSqlite3.ColumnDefinition[] {
    // The adapter asks on every query; SQLite builds the list anew each time (measured at a
    // sixth of a two-query request's database time). A compiled statement's columns never
    // change: DDL empties the cache and compiles a new one.
    let columns = columnsOf.get(this.#statement);
    if (!columns) {
      columns = this.#statement.columns();
      columnsOf.set(this.#statement, columns);
    }
    return columns;
  }

  run(): BetterSqlite3.RunResult {
    return this.#statement.run(...this.#args);
  }

  all(): unknown[] {
    return this.#statement.raw(this.#raw).all(...this.#args);
  }

  get(): unknown {
    return this.#statement.raw(this.#raw).get(...this.#args);
  }
}

/**
 * Makes `database.prepare` answer from a least-recently-used cache of compiled statements
 * keyed by SQL text, so a query Prisma sends again skips SQLite's parser and planner. Safe to
 * share because better-sqlite3 runs each statement to completion synchronously and resets and
 * clears its bindings afterwards, and because callers get a `StatementCall`, never the
 * statement itself. Integer mode is the connection's default at compile time (the adapter
 * sets it once per connection and never per statement).
 */
export function cachePreparedStatements(
  database: Database,
  capacity = STATEMENT_CACHE_SIZE,
): () => StatementCacheStats {
  const cache = new Map<string, Statement>();
  const stats = { prepared: 0, reused: 0 };
  const prepare = database.prepare.bind(database) as (sql: string) => Statement;
  const exec = database.exec.bind(database);

  function compile(sql: string): Statement {
    const cached = cache.get(sql);
    if (cached) {
      stats.reused++;
      // Re-inserting moves it to the young end of the Map's insertion order.
      cache.delete(sql);
      cache.set(sql, cached);
      return cached;
    }
    const statement = prepare(sql);
    stats.prepared++;
    if (SCHEMA_CHANGE.test(sql)) {
      cache.clear();
      return statement;
    }
    cache.set(sql, statement);
    if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
    return statement;
  }

  Object.assign(database, {
    prepare: (sql: string) => new StatementCall(compile(sql)),
    exec: (script: string) => {
      cache.clear();
      return exec(script);
    },
  });
  return () => ({ ...stats, size: cache.size });
}
