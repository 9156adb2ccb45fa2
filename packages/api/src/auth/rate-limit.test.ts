import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { testDb } from "../test-helpers";
import { hitRateLimit, pruneRateLimitHits } from "./rate-limit";

let t: TestDatabase;
beforeAll(async () => {
  t = await testDb();
});
afterAll(() => t.cleanup());

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
