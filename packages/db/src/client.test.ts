import { afterEach, describe, expect, it } from "vitest";
import { createDb, getDb, providerOf } from "./client";
import { databaseProvider, redactUrl, testDatabaseProvider } from "./env";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "./testing";

let store: TestDatabase | undefined;
afterEach(async () => {
  await store?.cleanup();
  store = undefined;
});

async function pragma(db: ReturnType<typeof createDb>, name: string): Promise<unknown> {
  const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(`PRAGMA ${name}`);
  return Object.values(rows[0] ?? {})[0];
}

describe("createDb on SQLite", () => {
  it("opens the file in WAL mode with a busy timeout and foreign keys on", async () => {
    store = await createTestDatabase({ provider: "sqlite" });
    expect(String(await pragma(store.db, "journal_mode")).toLowerCase()).toBe("wal");
    expect(Number(await pragma(store.db, "busy_timeout"))).toBe(5000);
    expect(Number(await pragma(store.db, "foreign_keys"))).toBe(1);
  });
});

describe.each(PROVIDERS)("createDb on %s", (provider) => {
  it("talks to the store its URL names, also inside transactions", async () => {
    store = await createTestDatabase({ provider });
    expect(databaseProvider(store.url)).toBe(provider);
    expect(providerOf(store.db)).toBe(provider);
    expect(await store.db.$transaction(async (tx) => providerOf(tx))).toBe(provider);
    // A statement only the named engine understands.
    const probe =
      provider === "postgresql"
        ? store.db.$queryRaw<{ v: string }[]>`SELECT current_setting('server_version') AS "v"`
        : store.db.$queryRaw<{ v: string }[]>`SELECT sqlite_version() AS "v"`;
    expect((await probe)[0]?.v).toMatch(/^\d+\.\d+/);
  });

  it("enforces foreign keys", async () => {
    store = await createTestDatabase({ provider });
    await expect(
      store.db.membership.create({ data: { userId: "missing", teamId: "missing", role: "ADMIN" } }),
    ).rejects.toThrow();
  });

  it("sees writes of another client on the same store", async () => {
    store = await createTestDatabase({ provider });
    const other = createDb(store.url);
    try {
      await store.db.team.create({ data: { name: "shared" }, select: { id: true } });
      expect(await other.team.count()).toBe(1);
    } finally {
      await other.$disconnect();
    }
  });

  it("stores DateTime to the millisecond and compares it in raw SQL like Prisma does", async () => {
    store = await createTestDatabase({ provider });
    const at = new Date("2030-05-06T07:08:09.123Z");
    const team = await store.db.team.create({ data: { name: "t", createdAt: at } });
    expect(team.createdAt).toEqual(at);
    const [row] = await store.db.$queryRaw<{ createdAt: Date; n: unknown }[]>`
      SELECT "createdAt", (SELECT COUNT(*) FROM "Team" WHERE "createdAt" <= ${at}) AS "n"
      FROM "Team" WHERE "id" = ${team.id} AND "createdAt" > ${new Date(at.getTime() - 1)}`;
    expect(row?.createdAt).toEqual(at);
    expect(Number(row?.n)).toBe(1);
  });
});

describe("databaseProvider", () => {
  it("tells SQLite and PostgreSQL URLs apart and refuses others without showing a password", () => {
    expect(databaseProvider("file:/tmp/studio.db")).toBe("sqlite");
    expect(databaseProvider("postgresql://u:p@db:5432/studio")).toBe("postgresql");
    expect(databaseProvider("postgres://u@db/studio")).toBe("postgresql");
    expect(() => databaseProvider("mysql://u:secret@db/studio")).toThrow(/postgresql:\/\//);
    expect(() => databaseProvider("mysql://u:secret@db/studio")).not.toThrow(/secret/);
    expect(redactUrl("postgresql://u:secret@db:5432/studio")).toBe(
      "postgresql://u:***@db:5432/studio",
    );
  });

  it("STUDIO_TEST_DATABASE picks the store of createTestDatabase()", () => {
    expect(testDatabaseProvider({})).toBe("sqlite");
    expect(testDatabaseProvider({ STUDIO_TEST_DATABASE: "postgresql" })).toBe("postgresql");
    expect(() => testDatabaseProvider({ STUDIO_TEST_DATABASE: "mysql" })).toThrow(
      /STUDIO_TEST_DATABASE/,
    );
  });
});

describe("getDb", () => {
  it("returns one cached client", () => {
    expect(getDb()).toBe(getDb());
  });
});
