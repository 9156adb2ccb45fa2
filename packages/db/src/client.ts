import { dbEnv } from "./env";
import { type Prisma, PrismaClient } from "./generated/prisma/client";
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

export function createDb(databaseUrl: string): Db {
  return new PrismaClient({
    adapter: createSqliteAdapter(databaseUrl),
    // SQLite has one writer at a time; under load a transaction may first wait for the
    // busy timeout (5 s), so Prisma's 2 s / 5 s defaults would abort healthy work.
    transactionOptions: { maxWait: 15_000, timeout: 30_000 },
  });
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
