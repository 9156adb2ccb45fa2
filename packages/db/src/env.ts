import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The monorepo root; defaults are anchored here so they do not depend on the cwd. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const schema = z.object({
  DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  NODE_ENV: z.string().optional(),
});

export interface DbEnv {
  /** Absolute path of the data directory. */
  DATA_DIR: string;
  /** `file:<absolute path>` for SQLite. */
  DATABASE_URL: string;
  /** Only "production" changes behaviour (no globalThis client cache). */
  NODE_ENV: string;
}

export function loadDbEnv(source: NodeJS.ProcessEnv = process.env): DbEnv {
  const parsed = schema.parse(source);
  const dataDir = resolve(REPO_ROOT, parsed.DATA_DIR ?? "data");
  const databaseUrl = parsed.DATABASE_URL ?? `file:${resolve(dataDir, "studio.db")}`;
  return {
    DATA_DIR: dataDir,
    DATABASE_URL: normaliseSqliteUrl(databaseUrl),
    NODE_ENV: parsed.NODE_ENV ?? "development",
  };
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

let cached: DbEnv | undefined;
export function dbEnv(): DbEnv {
  cached ??= loadDbEnv();
  return cached;
}
