import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDb } from "./client";
import { createMigration, diffSchemaAgainstMigrations, migrationTimestamp } from "./diff";
import type { DatabaseProvider } from "./env";
import { MIGRATIONS_DIR, MIGRATIONS_DIRS, migrateDatabase, SCHEMA_PATH } from "./migrate";
import { createDatabase, dropDatabase } from "./postgres-server";
import { testPostgres } from "./test-postgres";
import { PROVIDERS } from "./testing";

const dirs: string[] = [];
const databases: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "studio-migrate-test-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const name of databases.splice(0)) await dropDatabase((await testPostgres()).adminUrl, name);
});

/** An empty store of `provider`: a path for a new SQLite file, or an empty PostgreSQL database. */
async function emptyStore(provider: DatabaseProvider): Promise<string> {
  if (provider === "sqlite") return `file:${join(tempDir(), "nested", "studio.db")}`;
  const name = `studio_migrate_${Math.random().toString(36).slice(2, 10)}`;
  databases.push(name);
  return createDatabase((await testPostgres()).adminUrl, name);
}

async function tables(url: string): Promise<string[]> {
  const db = createDb(url);
  try {
    const rows = url.startsWith("file:")
      ? await db.$queryRaw<{ name: string }[]>`
          SELECT "name" FROM sqlite_master WHERE "type" = 'table' ORDER BY "name"`
      : await db.$queryRaw<{ name: string }[]>`
          SELECT "table_name" AS "name" FROM information_schema.tables
          WHERE "table_schema" = 'public' ORDER BY "table_name"`;
    return rows.map((row) => row.name);
  } finally {
    await db.$disconnect();
  }
}

function folders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

describe("the two migration histories", () => {
  it("have the same steps under the same names", () => {
    expect(folders(MIGRATIONS_DIRS.postgresql)).toEqual(folders(MIGRATIONS_DIR));
    for (const provider of PROVIDERS)
      expect(
        readFileSync(join(MIGRATIONS_DIRS[provider], "migration_lock.toml"), "utf8"),
      ).toContain(`provider = "${provider}"`);
  });
});

describe.each(PROVIDERS)("migrateDatabase on %s", (provider) => {
  it("applies every migration to an empty store and records it like prisma migrate deploy", async () => {
    const url = await emptyStore(provider);
    const { applied } = await migrateDatabase(url);
    const expected = folders(MIGRATIONS_DIRS[provider]);
    expect(applied).toEqual(expected);
    expect(await tables(url)).toEqual(
      expect.arrayContaining(["_prisma_migrations", "User", "Task", "TaskItem", "Worker"]),
    );
    const db = createDb(url);
    const rows = await db.$queryRaw<{ finished_at: unknown; rolled_back_at: unknown }[]>`
      SELECT "finished_at", "rolled_back_at" FROM "_prisma_migrations"`;
    await db.$disconnect();
    expect(rows).toHaveLength(expected.length);
    for (const row of rows) {
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
    }
  });

  it("is idempotent", async () => {
    const url = await emptyStore(provider);
    await migrateDatabase(url);
    expect((await migrateDatabase(url)).applied).toEqual([]);
  });

  it.runIf(provider === "postgresql")(
    "applies each migration once when several services start at once",
    async () => {
      // The engine holds a PostgreSQL advisory lock while it migrates.
      const url = await emptyStore(provider);
      const results = await Promise.all([1, 2, 3].map(() => migrateDatabase(url)));
      expect(results.map((r) => r.applied.length).sort()).toEqual([
        0,
        0,
        folders(MIGRATIONS_DIRS[provider]).length,
      ]);
    },
  );

  it("leaves nothing between the migrated store and the schema", async () => {
    const postgresAdminUrl =
      provider === "postgresql" ? (await testPostgres()).adminUrl : undefined;
    expect(await diffSchemaAgainstMigrations(provider, { postgresAdminUrl })).toBe("");
  });
});

describe("createMigration", () => {
  it("writes the next migration into both histories under one name, and both apply", async () => {
    const work = tempDir();
    const migrationsDirs = {
      sqlite: join(work, "migrations"),
      postgresql: join(work, "migrations-postgres"),
    };
    for (const provider of PROVIDERS)
      cpSync(MIGRATIONS_DIRS[provider], migrationsDirs[provider], { recursive: true });
    const schemaPath = join(work, "schema.prisma");
    writeFileSync(
      schemaPath,
      `${readFileSync(SCHEMA_PATH, "utf8")}\nmodel Scratch {\n  id String @id\n  at DateTime\n}\n`,
    );
    const options = {
      schemaPath,
      migrationsDirs,
      postgresAdminUrl: (await testPostgres()).adminUrl,
    };
    const created = await createMigration("add_scratch", {
      ...options,
      now: new Date("2030-01-02T03:04:05Z"),
    });
    expect(created?.name).toBe("20300102030405_add_scratch");
    expect(created?.sql.sqlite).toContain('CREATE TABLE "Scratch"');
    expect(created?.sql.sqlite).toContain('"at" DATETIME NOT NULL');
    expect(created?.sql.postgresql).toContain('CREATE TABLE "Scratch"');
    expect(created?.sql.postgresql).toContain('"at" TIMESTAMP(3) NOT NULL');
    for (const provider of PROVIDERS) {
      const url = await emptyStore(provider);
      await migrateDatabase(url, migrationsDirs[provider]);
      expect(await tables(url)).toContain("Scratch");
    }
    expect(await createMigration("again", options)).toBeNull();
  });

  it("formats folder timestamps like prisma migrate dev", () => {
    expect(migrationTimestamp(new Date("2026-11-25T19:49:20.123Z"))).toBe("20261125194920");
  });
});
