import { afterEach, describe, expect, it } from "vitest";
import { PrismaClient } from "./generated/prisma/client";
import { createSqliteAdapter, type SqliteAdapterFactory } from "./sqlite-adapter";
import { STATEMENT_CACHE_SIZE } from "./statement-cache";
import { createTestDatabase, type TestDatabase } from "./testing";

let store: TestDatabase | undefined;
let db: PrismaClient | undefined;
afterEach(async () => {
  await db?.$disconnect();
  await store?.cleanup();
  store = db = undefined;
});

async function open(): Promise<{ db: PrismaClient; adapter: SqliteAdapterFactory }> {
  store = await createTestDatabase({ provider: "sqlite" });
  const adapter = createSqliteAdapter(store.url);
  db = new PrismaClient({ adapter });
  return { db, adapter };
}

describe("prepared statement cache", () => {
  it("re-uses the compiled statement when Prisma sends the same query again", async () => {
    const { db, adapter } = await open();
    const team = await db.team.create({ data: { name: "a" }, select: { id: true } });
    const find = () => db.team.findUnique({ where: { id: team.id }, select: { name: true } });
    await find();
    const before = adapter.statementCacheStats();
    for (let i = 0; i < 5; i++) expect(await find()).toEqual({ name: "a" });
    const after = adapter.statementCacheStats();
    expect(after.prepared).toBe(before.prepared);
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(5);
  });

  it("gives each call its own arguments and row shape", async () => {
    const { db } = await open();
    const names = ["one", "two", "three"];
    const ids = [];
    for (const name of names) {
      ids.push((await db.team.create({ data: { name }, select: { id: true } })).id);
    }
    // Same SQL text, different arguments, interleaved with raw object rows of the same query.
    for (const [i, id] of ids.entries()) {
      expect(await db.team.findUnique({ where: { id }, select: { name: true } })).toEqual({
        name: names[i],
      });
      const [row] = await db.$queryRaw<
        { name: string }[]
      >`SELECT name FROM "Team" WHERE id = ${id}`;
      expect(row).toEqual({ name: names[i] });
    }
    expect(await db.team.count()).toBe(3);
    // Large integers still come back exact (the connection's safe-integer mode survives reuse).
    const [big] = await db.$queryRaw<{ n: bigint | number | string }[]>`SELECT ${2 ** 53 + 2} AS n`;
    expect(String(big?.n)).toBe(String(2 ** 53 + 2));
  });

  it("keeps working after a statement fails and inside transactions", async () => {
    const { db } = await open();
    const user = () =>
      db.user.create({
        data: { email: "same@example.test", name: "x", passwordHash: "x" },
        select: { id: true },
      });
    await user();
    await expect(user()).rejects.toMatchObject({ code: "P2002" });
    await expect(user()).rejects.toMatchObject({ code: "P2002" });
    await db.$transaction(async (tx) => {
      await tx.team.create({ data: { name: "in-tx" } });
    });
    await expect(
      db.$transaction(async (tx) => {
        await tx.team.create({ data: { name: "rolled-back" } });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect((await db.team.findMany({ select: { name: true } })).map((t) => t.name)).toEqual([
      "in-tx",
    ]);
  });

  it("sees a schema change made on the same connection", async () => {
    const { db } = await open();
    await db.$executeRawUnsafe('CREATE TABLE "Probe" (a INTEGER)');
    await db.$executeRawUnsafe('INSERT INTO "Probe" (a) VALUES (1)');
    expect(await db.$queryRawUnsafe('SELECT * FROM "Probe"')).toEqual([{ a: 1 }]);
    await db.$executeRawUnsafe('ALTER TABLE "Probe" ADD COLUMN b TEXT');
    expect(await db.$queryRawUnsafe('SELECT * FROM "Probe"')).toEqual([{ a: 1, b: null }]);
    await db.$executeRawUnsafe('DROP TABLE "Probe"');
    await expect(db.$queryRawUnsafe('SELECT * FROM "Probe"')).rejects.toThrow(/no such table/);
  });

  it("holds a bounded number of statements", async () => {
    const { db, adapter } = await open();
    for (let i = 0; i < STATEMENT_CACHE_SIZE + 50; i++)
      await db.$queryRawUnsafe(`SELECT ${i} AS n`);
    expect(adapter.statementCacheStats().size).toBe(STATEMENT_CACHE_SIZE);
    // The first one was evicted and is compiled again.
    expect(await db.$queryRawUnsafe("SELECT 0 AS n")).toEqual([{ n: 0n }]);
  });
});
