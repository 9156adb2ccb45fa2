// Reads on the API's hot path (a task status poll, a task page's items) without Prisma's query
// engine: on SQLite a read-only better-sqlite3 connection of its own with prepared statements, on
// PostgreSQL Prisma's raw query (the pool and driver are the cost there, not the engine). Prisma
// interprets a query plan and converts every value through its adapter on each call; for a
// one-row SELECT that was a third of a poll's CPU (packages/api README "Performance").
//
// A connection of its own, not Prisma's: Prisma's SQLite connection may be inside another
// request's interactive transaction, whose uncommitted rows a read on it would see. In WAL mode
// this connection reads the last committed state, as a read through Prisma does.
import Database from "better-sqlite3";
import { type Db, databaseUrlOf, providerOf } from "./client";
import { sqlitePathFromUrl } from "./env";

/** How the columns of a row are typed where the stores differ (SQLite: ISO text and 0/1). */
export interface ColumnTypes {
  dates?: readonly string[];
  booleans?: readonly string[];
}

export interface HotReads {
  /** Rows of `sql` (`?` placeholders) with `params`, dates and booleans as the types say. */
  all<T>(sql: string, params: readonly unknown[], types: ColumnTypes): Promise<T[]>;
}

const readers = new WeakMap<Db, HotReads & { close(): void }>();

function convert<T>(row: Record<string, unknown>, types: ColumnTypes): T {
  for (const column of types.dates ?? []) {
    const value = row[column];
    if (value !== null && value !== undefined && !(value instanceof Date))
      row[column] = new Date(value as string | number);
  }
  for (const column of types.booleans ?? []) {
    const value = row[column];
    if (value !== null && value !== undefined) row[column] = Boolean(value);
  }
  return row as T;
}

function sqliteReads(file: string): HotReads & { close(): void } {
  let connection: Database.Database | undefined;
  const statements = new Map<string, Database.Statement>();
  const open = () => {
    if (!connection) {
      connection = new Database(file, { readonly: true, fileMustExist: true });
      connection.pragma("busy_timeout = 5000");
    }
    return connection;
  };
  return {
    async all<T>(sql: string, params: readonly unknown[], types: ColumnTypes): Promise<T[]> {
      let statement = statements.get(sql);
      if (!statement) {
        statement = open().prepare(sql);
        statements.set(sql, statement);
      }
      const rows = statement.all(...params) as Record<string, unknown>[];
      return rows.map((row) => convert<T>(row, types));
    },
    close() {
      statements.clear();
      connection?.close();
      connection = undefined;
    },
  };
}

function prismaReads(db: Db): HotReads & { close(): void } {
  const postgres = providerOf(db) === "postgresql";
  return {
    async all<T>(sql: string, params: readonly unknown[], types: ColumnTypes): Promise<T[]> {
      let n = 0;
      // PostgreSQL numbers its placeholders; the statements here hold no literal "?".
      const text = postgres ? sql.replace(/\?/g, () => `$${++n}`) : sql;
      const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(text, ...params);
      return rows.map((row) => convert<T>(row, types));
    },
    close() {},
  };
}

/** The hot-path reader of this client (one per client, opened on first use). */
export function hotReads(db: Db): HotReads {
  let reader = readers.get(db);
  if (!reader) {
    const url = databaseUrlOf(db);
    reader =
      providerOf(db) === "sqlite" && url ? sqliteReads(sqlitePathFromUrl(url)) : prismaReads(db);
    readers.set(db, reader);
  }
  return reader;
}

/** Closes the client's hot-path connection (with `db.$disconnect()`). */
export function closeHotReads(db: Db) {
  readers.get(db)?.close();
  readers.delete(db);
}
