import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createEnv, type EnvSource, sharedEnv } from "@studio/contracts/env";

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
  /** `file:<absolute path>` for SQLite. */
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
  return normaliseSqliteUrl(value ?? `file:${resolve(dataDir, "studio.db")}`);
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
