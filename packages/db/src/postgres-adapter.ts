import { PrismaPg } from "@prisma/adapter-pg";
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import pg from "pg";

/** PostgreSQL's internal single-byte type `"char"` (pg_class.relkind and the like). */
const CHAR_OID = 18;
const TEXT_OID = 25;

type QueryFn = (...args: unknown[]) => unknown;

/**
 * The schema engine reads the catalogue when it introspects (a diff from a live database),
 * and catalogue columns such as pg_class.relkind have the type `"char"`, which
 * @prisma/adapter-pg rejects ("Column type 'char' could not be deserialized"). Its value is
 * one character of text, so this client reports such columns as text; nothing else changes.
 * The adapter offers no hook for it, hence the subclass the pool creates its connections with.
 */
class CharAsTextClient extends pg.Client {}
const plainQuery = pg.Client.prototype.query as unknown as QueryFn;
(CharAsTextClient.prototype as unknown as { query: QueryFn }).query = function (
  this: pg.Client,
  ...args: unknown[]
) {
  // pg-pool calls query(text, values, callback); direct callers get a promise back.
  const last = args.at(-1);
  if (typeof last === "function")
    args[args.length - 1] = (error: unknown, result: unknown) =>
      last(error, error ? result : charColumnsAsText(result));
  const result = plainQuery.apply(this, args);
  return result instanceof Promise ? result.then(charColumnsAsText) : result;
};

function charColumnsAsText(result: unknown): unknown {
  for (const field of (result as Partial<pg.QueryResult> | undefined)?.fields ?? [])
    if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
  return result;
}

export type PostgresAdapterFactory = SqlMigrationAwareDriverAdapterFactory & {
  /** Closes every pool this factory opened (the schema engine's free() does not). */
  disposeAll(): Promise<void>;
};

class TrackedPostgresAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName: string;
  readonly #inner: PrismaPg;
  readonly #open = new Set<SqlDriverAdapter>();

  constructor(inner: PrismaPg) {
    this.#inner = inner;
    this.adapterName = inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    const adapter = await this.#inner.connect();
    this.#open.add(adapter);
    return adapter;
  }

  /**
   * Nothing here diffs through a shadow database: the next migration is found by applying the
   * existing ones to a scratch database and diffing that (src/diff.ts), as on SQLite.
   */
  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    throw new Error("the schema engine asked for a shadow database, which this project never uses");
  }

  async disposeAll(): Promise<void> {
    const open = [...this.#open];
    this.#open.clear();
    await Promise.all(open.map((adapter) => adapter.dispose()));
  }
}

/**
 * A driver adapter factory for a `postgresql://` URL. Each connect() opens its own pg pool, so
 * a PrismaClient holds one pool (pg's default of 10 connections) for its lifetime.
 */
export function createPostgresAdapter(
  databaseUrl: string,
  options: { introspection?: boolean } = {},
): PostgresAdapterFactory {
  const config: pg.PoolConfig = {
    connectionString: databaseUrl,
    ...(options.introspection ? { Client: CharAsTextClient } : {}),
  };
  return new TrackedPostgresAdapterFactory(new PrismaPg(config));
}
