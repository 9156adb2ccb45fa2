import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createMigration, diffSchemaAgainstMigrations, migrationTimestamp } from "./diff";
import { MIGRATIONS_DIR, migrateDatabase, SCHEMA_PATH } from "./migrate";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "studio-migrate-test-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tables(file: string): string[] {
  const sqlite = new Database(file, { readonly: true });
  try {
    return sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((row) => (row as { name: string }).name);
  } finally {
    sqlite.close();
  }
}

describe("migrateDatabase", () => {
  it("applies every migration to an empty file and records it like prisma migrate deploy", async () => {
    const file = join(tempDir(), "nested", "studio.db");
    const { applied } = await migrateDatabase(`file:${file}`);
    const expected = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(applied).toEqual(expected);
    expect(tables(file)).toEqual(
      expect.arrayContaining(["_prisma_migrations", "User", "Task", "TaskItem", "Worker"]),
    );
    const sqlite = new Database(file, { readonly: true });
    const rows = sqlite
      .prepare("SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations")
      .all();
    sqlite.close();
    expect(rows).toHaveLength(expected.length);
    for (const row of rows as { finished_at: string | null; rolled_back_at: string | null }[]) {
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
    }
  });

  it("is idempotent", async () => {
    const url = `file:${join(tempDir(), "studio.db")}`;
    await migrateDatabase(url);
    expect((await migrateDatabase(url)).applied).toEqual([]);
  });
});

describe("diff", () => {
  it("finds no changes between the checked-in migrations and the schema", async () => {
    expect(await diffSchemaAgainstMigrations()).toBe("");
  });

  it("writes the next migration for a schema change and applies it", async () => {
    const work = tempDir();
    const migrationsDir = join(work, "migrations");
    cpSync(MIGRATIONS_DIR, migrationsDir, { recursive: true });
    const schemaPath = join(work, "schema.prisma");
    writeFileSync(
      schemaPath,
      `${readFileSync(SCHEMA_PATH, "utf8")}\nmodel Scratch {\n  id String @id\n  note String\n}\n`,
    );
    const created = await createMigration("add_scratch", {
      schemaPath,
      migrationsDir,
      now: new Date("2030-01-02T03:04:05Z"),
    });
    expect(created?.name).toBe("20300102030405_add_scratch");
    expect(created?.sql).toContain('CREATE TABLE "Scratch"');
    const file = join(work, "studio.db");
    await migrateDatabase(`file:${file}`, migrationsDir);
    expect(tables(file)).toContain("Scratch");
    expect(await createMigration("again", { schemaPath, migrationsDir })).toBeNull();
  });

  it("formats folder timestamps like prisma migrate dev", () => {
    expect(migrationTimestamp(new Date("2026-11-25T19:49:20.123Z"))).toBe("20261125194920");
  });
});
