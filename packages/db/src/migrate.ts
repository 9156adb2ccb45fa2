import { mkdirSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type {
  MigrationDirectory,
  MigrationList,
} from "@prisma/schema-engine-wasm/schema_engine_bg";
import { sqlitePathFromUrl } from "./env";
import { withSchemaEngine } from "./schema-engine";

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const MIGRATIONS_DIR = join(PACKAGE_DIR, "prisma/migrations");
export const SCHEMA_PATH = join(PACKAGE_DIR, "prisma/schema.prisma");

/** The migrations folder in the shape the schema engine expects (what the Prisma CLI sends). */
export async function loadMigrationList(migrationsDir = MIGRATIONS_DIR): Promise<MigrationList> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const directories: MigrationDirectory[] = [];
  for (const entry of entries
    .filter((e) => e.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(migrationsDir, entry.name, "migration.sql");
    const content = await readFile(file, "utf8").then(
      (value) => ({ tag: "ok" as const, value }),
      (error: Error) => ({ tag: "error" as const, value: error.message }),
    );
    directories.push({ path: entry.name, migrationFile: { path: "migration.sql", content } });
  }
  const lockfilePath = join(migrationsDir, "migration_lock.toml");
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: "migration_lock.toml",
      content: await readFile(lockfilePath, "utf8").catch(() => null),
    },
    shadowDbInitScript: "",
    migrationDirectories: directories,
  };
}

export interface MigrateResult {
  /** Migrations applied by this call; empty when the store was already up to date. */
  applied: string[];
}

/**
 * Applies every migration not yet recorded in `_prisma_migrations`, like `prisma migrate
 * deploy`. Idempotent; creates the file and its directory when missing.
 */
export async function migrateDatabase(
  databaseUrl: string,
  migrationsDir = MIGRATIONS_DIR,
): Promise<MigrateResult> {
  mkdirSync(dirname(sqlitePathFromUrl(databaseUrl)), { recursive: true });
  const migrationsList = await loadMigrationList(migrationsDir);
  return withSchemaEngine({ databaseUrl }, async (engine) => {
    const output = await engine.applyMigrations({
      migrationsList,
      filters: { externalTables: [], externalEnums: [] },
    });
    return { applied: output.appliedMigrationNames };
  });
}
