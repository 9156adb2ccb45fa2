import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createDb, type Db } from "./client";
import { LOCK_CLASS, oneAtATime } from "./locks";
import { freshStoreEach } from "./test-hooks";
import { PROVIDERS } from "./testing";

/** The shape the rate limits use: insert a row only while fewer than `limit` exist. */
function insertBelowLimit(db: Db, bucket: string, limit: number) {
  return db.$queryRaw<{ id: string }[]>`
    INSERT INTO "RateLimitHit" ("id", "bucket", "createdAt")
    SELECT ${randomUUID()}, ${bucket}, ${new Date()}
    WHERE (SELECT COUNT(*) FROM "RateLimitHit" WHERE "bucket" = ${bucket}) < ${limit}
    RETURNING "id"`;
}

describe.each(PROVIDERS)("oneAtATime on %s", (provider) => {
  const store = freshStoreEach(provider);

  it("lets a burst of check-and-insert statements from several clients through exactly `limit` times", async () => {
    const clients = Array.from({ length: 4 }, () => createDb(store.url));
    try {
      const limit = 5;
      const lock = { class: LOCK_CLASS.rateLimitBucket, key: "burst" };
      const results = await Promise.all(
        clients.flatMap((db) =>
          Array.from({ length: 8 }, () =>
            oneAtATime(db, [lock], (tx) => insertBelowLimit(tx, "burst", limit)),
          ),
        ),
      );
      expect(results.filter((rows) => rows.length === 1)).toHaveLength(limit);
      expect(await store.db.rateLimitHit.count({ where: { bucket: "burst" } })).toBe(limit);
    } finally {
      await Promise.all(clients.map((db) => db.$disconnect()));
    }
  });

  it("does not hold back statements on other keys, and takes several locks in one order", async () => {
    const a = { class: LOCK_CLASS.signInEmail, key: "a@example.com" };
    const b = { class: LOCK_CLASS.signInAddress, key: "192.0.2.1" };
    const results = await Promise.all([
      oneAtATime(store.db, [a, b], (db) => insertBelowLimit(db, "x", 1)),
      oneAtATime(store.db, [b, a], (db) => insertBelowLimit(db, "y", 1)),
      oneAtATime(store.db, [b], (db) => insertBelowLimit(db, "z", 1)),
    ]);
    expect(results.map((rows) => rows.length)).toEqual([1, 1, 1]);
  });
});
