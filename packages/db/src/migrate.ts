import { mkdirSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type {
  MigrationDirectory,
  MigrationList,
} from "@prisma/schema-engine-wasm/schema_engine_bg";
import { PACKAGE_DIR } from "./datamodel";
import { type DatabaseProvider, databaseProvider, redactUrl, sqlitePathFromUrl } from "./env";
import { withSchemaEngine } from "./schema-engine";

export { PACKAGE_DIR, SCHEMA_PATH } from "./datamodel";
/** SQLite's migrations (the default store). */
export const MIGRATIONS_DIR = join(PACKAGE_DIR, "prisma/migrations");
/**
 * PostgreSQL's migrations: the same history under the same folder names, each one the
 * PostgreSQL SQL of its SQLite namesake (both written by `pnpm db:diff`).
 */
export const POSTGRES_MIGRATIONS_DIR = join(PACKAGE_DIR, "prisma/migrations-postgres");
export const MIGRATIONS_DIRS: Record<DatabaseProvider, string> = {
  sqlite: MIGRATIONS_DIR,
  postgresql: POSTGRES_MIGRATIONS_DIR,
};

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
 * deploy`, from the folder of the URL's store (prisma/migrations for a `file:` URL,
 * prisma/migrations-postgres for a `postgresql://` one). Idempotent. On SQLite it creates the
 * file and its directory when missing; on PostgreSQL the database must exist (an empty one is
 * fine).
 */
export async function migrateDatabase(
  databaseUrl: string,
  migrationsDir?: string,
): Promise<MigrateResult> {
  const provider = databaseProvider(databaseUrl);
  if (provider === "sqlite")
    mkdirSync(dirname(sqlitePathFromUrl(databaseUrl)), { recursive: true });
  const migrationsList = await loadMigrationList(migrationsDir ?? MIGRATIONS_DIRS[provider]);
  try {
    return await withSchemaEngine({ databaseUrl }, async (engine) => {
      const output = await engine.applyMigrations({
        migrationsList,
        filters: { externalTables: [], externalEnums: [] },
      });
      return { applied: output.appliedMigrationNames };
    });
  } catch (error) {
    if (error instanceof Error && provider === "postgresql")
      error.message = `migrating ${redactUrl(databaseUrl)}: ${error.message}`;
    throw error;
  }
}
