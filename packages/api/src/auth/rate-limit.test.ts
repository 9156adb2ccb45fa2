import { createDb } from "@studio/db/client";
import { describe, expect, it } from "vitest";
import { useTestDb } from "../test-hooks";
import { hitRateLimit, pruneRateLimitHits, type RateLimitResult } from "./rate-limit";

const t = useTestDb();

it("allows `limit` hits per sliding window and says when to retry", async () => {
  const rule = { limit: 3, windowMs: 60_000 };
  const start = new Date("2026-01-01T00:00:00Z");
  const at = (s: number) => new Date(start.getTime() + s * 1000);
  expect((await hitRateLimit(t.db, "b", rule, at(0))).remaining).toBe(2);
  await hitRateLimit(t.db, "b", rule, at(10));
  await hitRateLimit(t.db, "b", rule, at(20));
  const refused = await hitRateLimit(t.db, "b", rule, at(30));
  expect(refused).toEqual({ allowed: false, retryAfterMs: 30_000, remaining: 0 });
  expect((await hitRateLimit(t.db, "other", rule, at(30))).allowed).toBe(true);
  expect((await hitRateLimit(t.db, "b", rule, at(61))).allowed).toBe(true);
  expect(await pruneRateLimitHits(t.db, 3600_000, at(7200))).toBe(5);
});

describe("a burst of concurrent hits", () => {
  const rule = { limit: 5, windowMs: 60_000 };
  const allowedOf = (results: RateLimitResult[]) => results.filter((r) => r.allowed).length;

  it("lets exactly `limit` through on one client", async () => {
    const now = new Date("2026-02-01T00:00:00Z");
    const results = await Promise.all(
      Array.from({ length: 20 }, () => hitRateLimit(t.db, "burst-one", rule, now)),
    );
    expect(allowedOf(results)).toBe(rule.limit);
    expect(await t.db.rateLimitHit.count({ where: { bucket: "burst-one" } })).toBe(rule.limit);
    expect(results.find((r) => !r.allowed)?.retryAfterMs).toBe(rule.windowMs);
  });

  it("lets exactly `limit` through across clients on the same file", async () => {
    const clients = Array.from({ length: 4 }, () => createDb(t.url));
    try {
      const now = new Date("2026-02-01T00:00:00Z");
      const results = await Promise.all(
        clients.flatMap((db) =>
          Array.from({ length: 6 }, () => hitRateLimit(db, "burst-many", rule, now)),
        ),
      );
      expect(allowedOf(results)).toBe(rule.limit);
      expect(await t.db.rateLimitHit.count({ where: { bucket: "burst-many" } })).toBe(rule.limit);
    } finally {
      await Promise.all(clients.map((db) => db.$disconnect()));
    }
  });
});
