// Moves an installation's store from its SQLite file to PostgreSQL (`pnpm db:copy`): every row
// of every model, ids, timestamps, JSON text and booleans as they are, into a freshly migrated
// database, all or nothing. Files under DATA_DIR are not touched: both stores name them by the
// same relative paths.
import { existsSync } from "node:fs";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { createDb, type Db, Prisma, PrismaClient } from "./client";
import { databaseProvider, normaliseSqliteUrl, redactUrl, sqlitePathFromUrl } from "./env";
import { loadMigrationList, MIGRATIONS_DIR, migrateDatabase } from "./migrate";

export interface CopyProgress {
  /** The model (and table) being copied. */
  table: string;
  /** Rows of it copied so far. */
  copied: number;
  /** Rows it holds in the source. */
  total: number;
}

export interface CopyOptions {
  /** Called after every batch; awaited, so a slow consumer slows the copy rather than piling up. */
  onProgress?: (progress: CopyProgress) => void | Promise<void>;
  /** Rows read and inserted at a time (default 500). */
  batchSize?: number;
}

export interface CopyResult {
  /** Migrations the target needed before the copy. */
  migrationsApplied: string[];
  /** Every table in the order it was copied, with its row count. */
  tables: { table: string; rows: number }[];
}

/** The target already holds data: copying would mix two installations. */
export class TargetNotEmptyError extends Error {
  constructor(target: string, counts: { table: string; rows: number }[]) {
    super(
      `${target} already holds rows (${counts.map((c) => `${c.table}: ${c.rows}`).join(", ")}), ` +
        "so nothing was copied. Copy into a new, empty database (e.g. `createdb studio`) or drop " +
        "and recreate this one first.",
    );
    this.name = "TargetNotEmptyError";
  }
}

/**
 * 500 rows of the widest model (Task, 28 columns) stay well under PostgreSQL's 65,535 bind
 * values per statement, and a batch of a few hundred rows is what keeps memory flat.
 */
const DEFAULT_BATCH_SIZE = 500;

/**
 * The copy is one transaction on each side (a snapshot of the source, all-or-nothing on the
 * target) and may run for a long time on a big store; the client's 30 s default would abort
 * it. A day is far beyond any real copy and still under setTimeout's 2^31-1 ms limit.
 */
const COPY_TRANSACTION = { maxWait: 60_000, timeout: 24 * 60 * 60 * 1000 };

type Row = Record<string, unknown>;

/** The part of a Prisma model delegate the copy uses; every model has it. */
interface ModelDelegate {
  count(): Promise<number>;
  findMany(args: {
    where?: { id: { gt: unknown } };
    orderBy: { id: "asc" };
    take: number;
  }): Promise<Row[]>;
  createMany(args: { data: Row[] }): Promise<{ count: number }>;
}

function delegateOf(client: Db | Prisma.TransactionClient, model: string): ModelDelegate {
  const name = model.charAt(0).toLowerCase() + model.slice(1);
  const delegate = (client as unknown as Record<string, Partial<ModelDelegate> | undefined>)[name];
  if (typeof delegate?.findMany !== "function" || typeof delegate.createMany !== "function")
    throw new Error(`the Prisma client has no model delegate "${name}" for model ${model}`);
  return delegate as ModelDelegate;
}

/**
 * Every model of the schema, from the generated client, so that a model added later is copied
 * without anyone remembering to list it here.
 */
export function storeModels(): string[] {
  return Object.values(Prisma.ModelName);
}

/**
 * Copies the SQLite store at `fromUrl` into the PostgreSQL database at `toUrl`: migrates the
 * target, refuses it if it already holds rows, then copies every table in foreign-key order in
 * batches inside one transaction, so a failure at any point leaves the target without rows.
 * The source is opened read-only and read in one snapshot.
 */
export async function copyStore(
  fromUrl: string,
  toUrl: string,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const from = normaliseSqliteUrl(fromUrl);
  const target = redactUrl(toUrl);
  if (databaseProvider(from) !== "sqlite")
    throw new Error(
      `--from must be the SQLite store (file:./data/studio.db); got ${redactUrl(from)}`,
    );
  if (databaseProvider(toUrl) !== "postgresql")
    throw new Error(
      `--to must be a PostgreSQL URL (postgresql://user:password@host/db); got ${target}`,
    );
  const sourcePath = sqlitePathFromUrl(from);
  if (!existsSync(sourcePath)) throw new Error(`no SQLite store at ${sourcePath}`);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;

  // Not createDb: its connection settings switch the file to WAL, a write. better-sqlite3's
  // readonly flag makes any write through this client fail instead.
  const source = new PrismaClient({
    adapter: new PrismaBetterSqlite3({
      url: `file:${sourcePath}`,
      readonly: true,
      fileMustExist: true,
    }),
  });
  let destination: Db | undefined;
  try {
    await checkSourceIsMigrated(source, sourcePath);
    const { applied } = await migrateDatabase(toUrl);
    destination = createDb(toUrl);
    const dst = destination;
    const tables = await source.$transaction(
      (src) =>
        dst.$transaction(async (tx) => {
          const order = await copyOrder(tx);
          const present = await countRows(tx, order);
          if (present.some((c) => c.rows > 0))
            throw new TargetNotEmptyError(
              target,
              present.filter((c) => c.rows > 0),
            );
          const copied: CopyResult["tables"] = [];
          for (const table of order)
            copied.push({ table, rows: await copyTable(src, tx, table, batchSize, options) });
          await resetSequences(tx);
          return copied;
        }, COPY_TRANSACTION),
      COPY_TRANSACTION,
    );
    return { migrationsApplied: applied, tables };
  } catch (error) {
    throw hidePassword(error, toUrl);
  } finally {
    await source.$disconnect();
    await destination?.$disconnect();
  }
}

async function copyTable(
  src: Prisma.TransactionClient,
  dst: Prisma.TransactionClient,
  table: string,
  batchSize: number,
  options: CopyOptions,
): Promise<number> {
  const reader = delegateOf(src, table);
  const writer = delegateOf(dst, table);
  // What the message of a failure names: the table, and the batch when one was being written.
  let where = table;
  try {
    const total = await reader.count();
    let copied = 0;
    let lastId: unknown;
    await options.onProgress?.({ table, copied, total });
    for (;;) {
      // Keyset paging on the primary key: each page is an index range scan, unlike OFFSET.
      const rows = await reader.findMany({
        ...(lastId === undefined ? {} : { where: { id: { gt: lastId } } }),
        orderBy: { id: "asc" },
        take: batchSize,
      });
      if (rows.length === 0) break;
      where = `${table} (${rows.length} rows from id ${String(rows[0]?.id)})`;
      await writer.createMany({ data: rows });
      where = table;
      copied += rows.length;
      lastId = rows.at(-1)?.id;
      await options.onProgress?.({ table, copied, total });
      if (rows.length < batchSize) break;
    }
    return copied;
  } catch (error) {
    throw new Error(`copying ${where}: ${databaseMessage(error)}`, { cause: error });
  }
}

/**
 * What the database said, without Prisma's multi-line code frame around it: for a refused row
 * that is PostgreSQL's own message and SQLSTATE, which tell the user what to fix in the source.
 */
function databaseMessage(error: unknown): string {
  const cause = (
    error as { meta?: { driverAdapterError?: { cause?: { message?: unknown; code?: unknown } } } }
  )?.meta?.driverAdapterError?.cause;
  if (typeof cause?.message === "string")
    return typeof cause.code === "string"
      ? `${cause.message} (SQLSTATE ${cause.code})`
      : cause.message;
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().split("\n").at(-1) ?? message;
}

async function countRows(
  client: Prisma.TransactionClient,
  tables: string[],
): Promise<{ table: string; rows: number }[]> {
  const counts: { table: string; rows: number }[] = [];
  for (const table of tables) counts.push({ table, rows: await delegateOf(client, table).count() });
  return counts;
}

/**
 * The models ordered so that every table comes after the tables its foreign keys point at,
 * read from the migrated target's catalogue. Prisma creates its foreign keys NOT DEFERRABLE,
 * so `SET CONSTRAINTS ALL DEFERRED` would not help, and the client no longer exposes the
 * relation metadata (Prisma.dmmf) that would give this order without a database. The check
 * that the target's tables are exactly the models also catches a model mapped to another table
 * name (@@map), which this copy does not handle.
 */
async function copyOrder(tx: Prisma.TransactionClient): Promise<string[]> {
  const models = storeModels();
  const tables = await tx.$queryRaw<{ name: string }[]>`
    SELECT c.relname::text AS name FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname <> '_prisma_migrations'`;
  const names = new Set(tables.map((t) => t.name));
  const missing = models.filter((m) => !names.has(m));
  const extra = [...names].filter((n) => !models.includes(n));
  if (missing.length > 0 || extra.length > 0)
    throw new Error(
      "the PostgreSQL tables do not match the schema's models " +
        `(models without a table: ${missing.join(", ") || "none"}; ` +
        `tables without a model: ${extra.join(", ") || "none"})`,
    );
  const keys = await tx.$queryRaw<{ child: string; parent: string }[]>`
    SELECT child.relname::text AS child, parent.relname::text AS parent
    FROM pg_constraint k
    JOIN pg_class child ON child.oid = k.conrelid
    JOIN pg_class parent ON parent.oid = k.confrelid
    JOIN pg_namespace n ON n.oid = k.connamespace
    WHERE k.contype = 'f' AND n.nspname = current_schema()`;
  const parents = new Map(models.map((m) => [m, new Set<string>()]));
  for (const { child, parent } of keys) {
    if (child === parent)
      throw new Error(
        `${child} references itself; copying it needs rows ordered parent first, which this copy does not do`,
      );
    parents.get(child)?.add(parent);
  }
  // Kahn's algorithm, taking ready models in the schema's order so the output is stable.
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < models.length) {
    const ready = models.find(
      (m) => !done.has(m) && [...(parents.get(m) ?? [])].every((p) => done.has(p)),
    );
    if (!ready)
      throw new Error(
        `the foreign keys between ${models.filter((m) => !done.has(m)).join(", ")} form a cycle`,
      );
    order.push(ready);
    done.add(ready);
  }
  return order;
}

/**
 * Rows keep their ids, so a serial or identity column's sequence would still start at 1 and
 * the next insert would collide. No model has one today (ids are cuids or given); this keeps
 * a future `@default(autoincrement())` from breaking the copied store.
 */
async function resetSequences(tx: Prisma.TransactionClient): Promise<void> {
  const columns = await tx.$queryRaw<{ table: string; column: string }[]>`
    SELECT table_name::text AS "table", column_name::text AS "column"
    FROM information_schema.columns
    WHERE table_schema = current_schema()
      AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')`;
  for (const { table, column } of columns) {
    const t = quoteIdentifier(table);
    const c = quoteIdentifier(column);
    await tx.$queryRawUnsafe(
      `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(${c}), 0) + 1, false) FROM ${t}`,
      t,
      column,
    );
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The copy refuses a source behind (or ahead of) this version's migrations: its columns would
 * not match the models. It cannot migrate the source itself, which it opens read-only.
 */
async function checkSourceIsMigrated(source: PrismaClient, sourcePath: string): Promise<void> {
  const expected = (await loadMigrationList(MIGRATIONS_DIR)).migrationDirectories.map(
    (d) => d.path,
  );
  let applied: string[];
  try {
    const rows = await source.$queryRaw<{ name: string }[]>`
      SELECT migration_name AS name FROM _prisma_migrations
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
    applied = rows.map((r) => r.name);
  } catch (error) {
    throw new Error(
      `${sourcePath} is not a Vision Studio store (no migration history: ${(error as Error).message})`,
    );
  }
  const missing = expected.filter((name) => !applied.includes(name));
  const unknown = applied.filter((name) => !expected.includes(name));
  if (missing.length > 0)
    throw new Error(
      `the SQLite store ${sourcePath} lacks migrations ${missing.join(", ")}: run ` +
        `\`DATABASE_URL=file:${sourcePath} pnpm db:migrate\` first, then copy again`,
    );
  if (unknown.length > 0)
    throw new Error(
      `the SQLite store ${sourcePath} has migrations this version does not know ` +
        `(${unknown.join(", ")}): copy with the version of Vision Studio that wrote it`,
    );
}

/** Driver messages may echo the connection string; the password must not reach the output. */
function hidePassword(error: unknown, url: string): unknown {
  if (!(error instanceof Error)) return error;
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // not a parseable URL: redactUrl below still covers the usual shape
  }
  error.message = error.message.replaceAll(url, redactUrl(url));
  if (password) error.message = error.message.replaceAll(password, "***");
  return error;
}
