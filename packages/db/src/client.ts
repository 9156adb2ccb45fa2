import { type DatabaseProvider, databaseProvider, dbEnv } from "./env";
import { type Prisma, PrismaClient } from "./generated/prisma/client";
import { PrismaClient as PostgresPrismaClient } from "./generated/prisma-postgres/client";
import { createPostgresAdapter } from "./postgres-adapter";
import { createSqliteAdapter } from "./sqlite-adapter";

export type {
  ApiToken,
  Dataset,
  DatasetImage,
  Image,
  Membership,
  Preset,
  RateLimitHit,
  SiteState,
  Task,
  TaskItem,
  Team,
  User,
  Weight,
  Worker,
} from "./generated/prisma/client";
export { Prisma } from "./generated/prisma/client";
export { PrismaClient };

/** The client type every package passes around (`db: Db`). */
export type Db = PrismaClient;
/** A client or an interactive-transaction client: what plain functions accept. */
export type DbOrTx = Db | Prisma.TransactionClient;

/**
 * SQLite has one writer at a time; under load a transaction may first wait for the busy
 * timeout (5 s), and on PostgreSQL for a row lock held by another worker, so Prisma's 2 s / 5 s
 * defaults would abort healthy work.
 */
const transactionOptions = { maxWait: 15_000, timeout: 30_000 };

/** The URL each client was made for (hot-reads.ts opens its own SQLite connection to it). */
const urlOfClient = new WeakMap<Db, string>();

export function databaseUrlOf(db: Db): string | undefined {
  return urlOfClient.get(db);
}

/** A client on `databaseUrl`: a `file:` URL is SQLite, a `postgresql://` URL PostgreSQL. */
export function createDb(databaseUrl: string): Db {
  const db = createClient(databaseUrl);
  urlOfClient.set(db, databaseUrl);
  return db;
}

function createClient(databaseUrl: string): Db {
  if (databaseProvider(databaseUrl) === "postgresql") {
    // Both clients are generated from the same models (scripts/generate.ts); Prisma only
    // refuses an adapter of another provider, so PostgreSQL has its own client class. Its API
    // is the SQLite client's plus a few PostgreSQL-only options (e.g. `mode: "insensitive"`),
    // so it is handed out as the one `Db` type, and code written against that type only uses
    // what both stores support.
    const client: PostgresPrismaClient = new PostgresPrismaClient({
      adapter: createPostgresAdapter(databaseUrl),
      transactionOptions,
    });
    return client as unknown as Db;
  }
  return new PrismaClient({ adapter: createSqliteAdapter(databaseUrl), transactionOptions });
}

/**
 * Which store a client (or an interactive-transaction client) talks to, for the few raw
 * statements that must differ. Prisma keeps the generated client's provider in
 * `_activeProvider` (its own raw-query code reads it); a missing or unknown value means Prisma
 * changed and fails here loudly rather than sending the wrong SQL.
 */
export function providerOf(db: DbOrTx): DatabaseProvider {
  const provider = (db as unknown as { _activeProvider?: unknown })._activeProvider;
  if (provider === "sqlite" || provider === "postgresql") return provider;
  throw new Error(`cannot tell the store of this Prisma client (provider ${String(provider)})`);
}

const globalForDb = globalThis as typeof globalThis & { __studioDb?: Db };
let moduleDb: Db | undefined;

/**
 * The process's one client, from DATABASE_URL. Cached on globalThis outside production so
 * that Next.js hot reloads and vitest module re-evaluation do not open a new connection each
 * time.
 */
export function getDb(): Db {
  const cached = globalForDb.__studioDb ?? moduleDb;
  if (cached) return cached;
  const env = dbEnv();
  const db = createDb(env.DATABASE_URL);
  moduleDb = db;
  if (env.NODE_ENV !== "production") globalForDb.__studioDb = db;
  return db;
}
