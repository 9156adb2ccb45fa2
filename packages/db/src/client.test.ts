import { afterEach, describe, expect, it } from "vitest";
import { createDb, getDb } from "./client";
import { createTestDatabase, type TestDatabase } from "./testing";

let store: TestDatabase | undefined;
afterEach(async () => {
  await store?.cleanup();
  store = undefined;
});

async function pragma(db: ReturnType<typeof createDb>, name: string): Promise<unknown> {
  const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(`PRAGMA ${name}`);
  return Object.values(rows[0] ?? {})[0];
}

describe("createDb", () => {
  it("opens the file in WAL mode with a busy timeout and foreign keys on", async () => {
    store = await createTestDatabase();
    expect(String(await pragma(store.db, "journal_mode")).toLowerCase()).toBe("wal");
    expect(Number(await pragma(store.db, "busy_timeout"))).toBe(5000);
    expect(Number(await pragma(store.db, "foreign_keys"))).toBe(1);
  });

  it("enforces foreign keys", async () => {
    store = await createTestDatabase();
    await expect(
      store.db.membership.create({ data: { userId: "missing", teamId: "missing", role: "ADMIN" } }),
    ).rejects.toThrow();
  });

  it("sees writes of another client on the same file", async () => {
    store = await createTestDatabase();
    const other = createDb(store.url);
    try {
      await store.db.team.create({ data: { name: "shared" }, select: { id: true } });
      expect(await other.team.count()).toBe(1);
    } finally {
      await other.$disconnect();
    }
  });
});

describe("getDb", () => {
  it("returns one cached client", () => {
    expect(getDb()).toBe(getDb());
  });
});
