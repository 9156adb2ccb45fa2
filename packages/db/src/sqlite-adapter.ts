import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import { sqlitePathFromUrl } from "./env";

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
    await Promise.all(open.map((adapter) => adapter.dispose()));
  }

  async #prepare(adapter: SqlDriverAdapter): Promise<SqlDriverAdapter> {
    await adapter.executeScript(CONNECTION_PRAGMAS);
    this.#open.add(adapter);
    return adapter;
  }
}

export type SqliteAdapterFactory = SqlMigrationAwareDriverAdapterFactory & {
  disposeAll(): Promise<void>;
};

/** A driver adapter factory for a `file:` URL with the store's connection settings applied. */
export function createSqliteAdapter(databaseUrl: string): SqliteAdapterFactory {
  const url = `file:${sqlitePathFromUrl(databaseUrl)}`;
  return new PragmaSqliteAdapterFactory(new PrismaBetterSqlite3({ url, timeout: BUSY_TIMEOUT_MS }));
}
