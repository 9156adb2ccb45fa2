// The task_names migration names the tasks that existed before it as new tasks are named.
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDb } from "./client";
import type { DatabaseProvider } from "./env";
import { MIGRATIONS_DIRS, migrateDatabase } from "./migrate";
import { createDatabase, dropDatabase } from "./postgres-server";
import { testPostgres } from "./test-postgres";
import { PROVIDERS } from "./testing";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function emptyStore(provider: DatabaseProvider, dir: string): Promise<string> {
  if (provider === "sqlite") return `file:${join(dir, "studio.db")}`;
  const { adminUrl } = await testPostgres();
  const name = `studio_names_${Math.random().toString(36).slice(2, 10)}`;
  cleanups.push(() => dropDatabase(adminUrl, name));
  return createDatabase(adminUrl, name);
}

describe.each(PROVIDERS)("task_names migration on %s", (provider) => {
  it("names existing tasks '<kind> · <first image> (+N more)'", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-task-names-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // The history up to the migration before task_names.
    const all = readdirSync(MIGRATIONS_DIRS[provider]).filter((f) => /^\d+_/.test(f));
    const at = all.findIndex((f) => f.endsWith("_task_names"));
    expect(at).toBeGreaterThan(0);
    const before = join(dir, "before");
    for (const folder of all.slice(0, at))
      cpSync(join(MIGRATIONS_DIRS[provider], folder), join(before, folder), { recursive: true });
    cpSync(
      join(MIGRATIONS_DIRS[provider], "migration_lock.toml"),
      join(before, "migration_lock.toml"),
    );

    const url = await emptyStore(provider, dir);
    await migrateDatabase(url, before);
    const db = createDb(url);
    cleanups.push(() => db.$disconnect());
    const exec = (sql: string) => db.$executeRawUnsafe(sql);
    await exec(`INSERT INTO "User" ("id","email","name","passwordHash","updatedAt")
      VALUES ('u','u@example.com','U','x',CURRENT_TIMESTAMP)`);
    await exec(`INSERT INTO "Team" ("id","name") VALUES ('t','T')`);
    for (const [id, name] of [
      ["a", "zebra.png"],
      ["b", "apple.png"],
    ])
      await exec(`INSERT INTO "Image" ("id","teamId","uploadedById","originalName","storagePath",
        "sha256","sizeBytes","format","width","height","channels")
        VALUES ('${id}','t','u','${name}','p/${id}','s',1,'png',1,1,3)`);
    const task = (id: string, kind: string, count: number) =>
      exec(`INSERT INTO "Task" ("id","teamId","createdById","weightSha256","taskKind","params",
        "paramSignature","itemCount","updatedAt")
        VALUES ('${id}','t','u','w','${kind}','{}','sig',${count},CURRENT_TIMESTAMP)`);
    await task("many", "super_resolution", 2);
    await task("one", "segmentation", 1);
    await task("none", "classification", 0);
    // Position decides which image is "first", not the image's name or id.
    await exec(`INSERT INTO "TaskItem" ("id","taskId","imageId","position") VALUES
      ('i1','many','a',0), ('i2','many','b',1), ('i3','one','b',0)`);

    // The engine migrates through its own connection; SQLite's ALTER TABLE waits for this one.
    await db.$disconnect();
    await migrateDatabase(url);
    const migrated = createDb(url);
    cleanups.push(() => migrated.$disconnect());
    const names = await migrated.task.findMany({
      select: { id: true, name: true },
      orderBy: { id: "asc" },
    });
    expect(names).toEqual([
      { id: "many", name: "Super-resolution · zebra.png (+1 more)" },
      { id: "none", name: "Classification" },
      { id: "one", name: "Segmentation · apple.png" },
    ]);
  });
});
