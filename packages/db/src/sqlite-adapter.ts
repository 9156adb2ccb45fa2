import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type BetterSqlite3 from "better-sqlite3";
import { sqlitePathFromUrl } from "./env";
import { cachePreparedStatements, type StatementCacheStats } from "./statement-cache";

export const BUSY_TIMEOUT_MS = 5000;

/**
 * WAL lets readers (status polling) run while a worker writes; busy_timeout makes a second
 * writer wait instead of failing; foreign keys are per connection in SQLite, so they are set
 * on every connection the adapter opens, before Prisma sends its first query.
 */
const CONNECTION_PRAGMAS = [
  "PRAGMA journal_mode = WAL",
  `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`,
  "PRAGMA foreign_keys = ON",
  "PRAGMA synchronous = NORMAL",
].join(";\n");

class PragmaSqliteAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "sqlite" as const;
  readonly adapterName: string;
  readonly #inner: PrismaBetterSqlite3;
  readonly #open = new Set<SqlDriverAdapter>();
  readonly #statementStats = new Map<SqlDriverAdapter, () => StatementCacheStats>();

  constructor(inner: PrismaBetterSqlite3) {
    this.#inner = inner;
    this.adapterName = inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    return this.#prepare(await this.#inner.connect());
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    return this.#prepare(await this.#inner.connectToShadowDb());
  }

  /**
   * Closes every connection this factory opened. The schema engine's `free()` does not
   * close its connection, and an open one would keep the file locked for the next engine.
   */
  async disposeAll(): Promise<void> {
    const open = [...this.#open];
    this.#open.clear();
    this.#statementStats.clear();
    await Promise.all(open.map((adapter) => adapter.dispose()));
  }

  statementCacheStats(): StatementCacheStats {
    const total = { prepared: 0, reused: 0, size: 0 };
    for (const stats of this.#statementStats.values()) {
      const one = stats();
      total.prepared += one.prepared;
      total.reused += one.reused;
      total.size += one.size;
    }
    return total;
  }

  async #prepare(adapter: SqlDriverAdapter): Promise<SqlDriverAdapter> {
    await adapter.executeScript(CONNECTION_PRAGMAS);
    this.#statementStats.set(adapter, cachePreparedStatements(connectionOf(adapter)));
    this.#open.add(adapter);
    return adapter;
  }
}

/**
 * The better-sqlite3 connection inside Prisma's adapter. The adapter keeps it in a public
 * `client` field but its types do not say so; the version is pinned, and this check turns a
 * change in a future version into an error at connect instead of a silently uncached store.
 */
function connectionOf(adapter: SqlDriverAdapter): BetterSqlite3.Database {
  const client = (adapter as unknown as { client?: Partial<BetterSqlite3.Database> }).client;
  if (typeof client?.prepare !== "function" || typeof client.exec !== "function")
    throw new Error(
      "@prisma/adapter-better-sqlite3 no longer exposes its connection as `client`; " +
        "update packages/db/src/sqlite-adapter.ts for the new version",
    );
  return client as BetterSqlite3.Database;
}

export type SqliteAdapterFactory = SqlMigrationAwareDriverAdapterFactory & {
  disposeAll(): Promise<void>;
  /** Prepared-statement cache counters, summed over this factory's open connections. */
  statementCacheStats(): StatementCacheStats;
};

/** A driver adapter factory for a `file:` URL with the store's connection settings applied. */
export function createSqliteAdapter(databaseUrl: string): SqliteAdapterFactory {
  const url = `file:${sqlitePathFromUrl(databaseUrl)}`;
  return new PragmaSqliteAdapterFactory(new PrismaBetterSqlite3({ url, timeout: BUSY_TIMEOUT_MS }));
}
