import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createEnv, type EnvSource, sharedEnv } from "@studio/contracts/env";
import { z } from "zod";

/** The monorepo root; defaults are anchored here so they do not depend on the cwd. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const shape = {
  DATA_DIR: sharedEnv.DATA_DIR,
  DATABASE_URL: sharedEnv.DATABASE_URL,
  NODE_ENV: sharedEnv.NODE_ENV,
};

export interface DbEnv {
  /** Absolute path of the data directory. */
  DATA_DIR: string;
  /** `file:<absolute path>` for SQLite, `postgresql://...` for PostgreSQL. */
  DATABASE_URL: string;
  /** Only "production" changes behaviour (no globalThis client cache). */
  NODE_ENV: string;
}

export function loadDbEnv(source: EnvSource = process.env): DbEnv {
  const parsed = createEnv("@studio/db", shape, source);
  const dataDir = resolveDataDir(parsed.DATA_DIR);
  return {
    DATA_DIR: dataDir,
    DATABASE_URL: resolveDatabaseUrl(parsed.DATABASE_URL, dataDir),
    NODE_ENV: parsed.NODE_ENV,
  };
}

/** DATA_DIR as every process resolves it: relative to the repository root, default `data`. */
export function resolveDataDir(value: string | undefined): string {
  return resolve(REPO_ROOT, value ?? "data");
}

/** DATABASE_URL as every process resolves it: default the SQLite file in the data directory. */
export function resolveDatabaseUrl(value: string | undefined, dataDir: string): string {
  const url = normaliseSqliteUrl(value ?? `file:${resolve(dataDir, "studio.db")}`);
  databaseProvider(url);
  return url;
}

/** The two stores the product runs on; the names are Prisma's datasource providers. */
export type DatabaseProvider = "sqlite" | "postgresql";
export const DATABASE_PROVIDERS = ["sqlite", "postgresql"] as const;

/** Which store a DATABASE_URL points at: `file:` is SQLite, `postgres(ql)://` PostgreSQL. */
export function databaseProvider(url: string): DatabaseProvider {
  if (url.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//i.test(url)) return "postgresql";
  throw new Error(
    `DATABASE_URL must be a SQLite file (file:./data/studio.db) or a PostgreSQL URL ` +
      `(postgresql://user:password@host:5432/database); got "${redactUrl(url)}"`,
  );
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, "$1***@");
}

/**
 * A relative `file:` URL would be resolved against whatever cwd a process happens to have,
 * so web and inference could open different files; anchor it at the repo root instead.
 */
export function normaliseSqliteUrl(url: string): string {
  if (!url.startsWith("file:")) return url;
  const path = url.slice("file:".length);
  if (path === ":memory:" || isAbsolute(path)) return url;
  return `file:${resolve(REPO_ROOT, path)}`;
}

/** Filesystem path of a `file:` SQLite URL. */
export function sqlitePathFromUrl(url: string): string {
  if (!url.startsWith("file:")) throw new Error(`not a SQLite file URL: ${url}`);
  return url.slice("file:".length).replace(/\?.*$/, "");
}

/**
 * Which store `createTestDatabase()` makes when a test does not say (STUDIO_TEST_DATABASE):
 * lets a whole test project, e.g. the API's, run on PostgreSQL without changing its tests.
 */
export function testDatabaseProvider(source: EnvSource = process.env): DatabaseProvider {
  return createEnv(
    "@studio/db (tests)",
    { STUDIO_TEST_DATABASE: z.enum(DATABASE_PROVIDERS).default("sqlite") },
    source,
  ).STUDIO_TEST_DATABASE;
}

let cached: DbEnv | undefined;
export function dbEnv(): DbEnv {
  cached ??= loadDbEnv();
  return cached;
}
